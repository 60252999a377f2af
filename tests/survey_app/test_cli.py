"""The operator's command line, through click's runner with a real database."""

from __future__ import annotations

import json
import random
from pathlib import Path

import pytest
from click.testing import CliRunner

from questionnaires import load_instrument
from survey_app.cli import main
from survey_app.config import Settings
from survey_app.keys import WaveKeyStore
from survey_app.storage.database import engine_for
from survey_app.waves import find_published_wave
from tests.survey_app.helpers import count_rows, random_answers


def run(*args: str) -> tuple[int, str]:
    result = CliRunner().invoke(main, list(args), catch_exceptions=False)
    return result.exit_code, result.output


def test_keys_init_creates_both_files_and_never_overwrites(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    kek, case = tmp_path / "k" / "kek.key", tmp_path / "k" / "case.key"
    monkeypatch.setenv("SURVEY_KEY_FILE", str(kek))
    monkeypatch.setenv("SURVEY_CASE_KEY_FILE", str(case))
    code, output = run("keys", "init")
    assert code == 0, output
    assert kek.stat().st_mode & 0o777 == 0o600
    before = kek.read_text()
    code, output = run("keys", "init")
    assert code == 1
    assert "refusing to overwrite" in output
    assert kek.read_text() == before
    assert run("keys", "init", "--if-missing")[0] == 0


def test_the_cli_refuses_to_start_without_the_key_encryption_key(
    settings: Settings, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("DATABASE_URL", settings.database_url)
    monkeypatch.delenv("SURVEY_KEY_FILE", raising=False)
    result = CliRunner().invoke(main, ["wave", "list"])
    assert result.exit_code != 0
    assert "SURVEY_KEY_FILE is not set" in str(result.exception) + result.output
    assert "survey-app keys init" in str(result.exception) + result.output
    monkeypatch.setenv("SURVEY_KEY_FILE", "/nonexistent/kek.key")
    result = CliRunner().invoke(main, ["mix"])
    assert result.exit_code != 0
    assert "does not exist" in str(result.exception)


def test_org_wave_lifecycle(settings: Settings, cli_env: dict) -> None:
    assert run("org", "add", "--headcount", "1000", "--name", "Barts Health", "--slug", "barts")[0] == 0
    code, output = run("org", "add", "--headcount", "1000", "--name", "Barts again", "--slug", "barts")
    assert code == 1 and "already exists" in output
    code, output = run("wave", "open", "--instrument", "bank-temporary-workers", "--org", "barts",
                       "--slug", "barts-bank-2026", "--format", "json")
    assert code == 0, output
    assert json.loads(output) == {"wave": "barts-bank-2026", "link": "http://127.0.0.1:8000/s/barts-bank-2026", "access": "open"}
    # One open wave per instrument and organisation.
    code, output = run("wave", "open", "--instrument", "bank-temporary-workers", "--org", "barts", "--slug", "again")
    assert code == 1 and "already has an open" in output
    code, output = run("wave", "open", "--instrument", "no-such", "--org", "barts", "--slug", "x")
    assert code == 1 and "no instrument called 'no-such'" in output
    code, output = run("wave", "list", "--format", "json")
    listed = json.loads(output)
    assert [w["slug"] for w in listed] == ["barts-bank-2026"]
    assert listed[0]["status"] == "open" and listed[0]["link"].endswith("/s/barts-bank-2026")
    assert run("wave", "close", "--wave", "barts-bank-2026")[0] == 0
    code, output = run("wave", "close", "--wave", "barts-bank-2026")
    assert code == 1 and "already closed" in output
    # Closed: a new wave of the same instrument may open.
    assert run("wave", "open", "--instrument", "bank-temporary-workers", "--org", "barts", "--slug", "barts-bank-2027")[0] == 0


def test_a_regional_wave_asks_which_organisation(settings: Settings, cli_env: dict) -> None:
    run("org", "add", "--headcount", "1000", "--name", "North East London ICS", "--slug", "nel")
    run("org", "add", "--headcount", "1000", "--name", "Barts Health", "--slug", "barts", "--region", "nel")
    run("org", "add", "--headcount", "1000", "--name", "Homerton Healthcare", "--slug", "homerton", "--region", "nel")
    assert run("wave", "open", "--instrument", "bank-temporary-workers", "--org", "nel", "--slug", "nel-bank")[0] == 0
    assert run("wave", "open", "--instrument", "bank-temporary-workers", "--org", "barts", "--slug", "barts-bank")[0] == 0
    with engine_for(settings.database_url).connect() as connection:
        regional = find_published_wave(connection, "nel-bank")
        single = find_published_wave(connection, "barts-bank")
    assert regional is not None and single is not None
    labels = [o.label for o in regional.instrument.question("main_organisation").options]
    assert labels == ["Barts Health", "Homerton Healthcare"]
    assert "main_organisation" not in single.instrument.questions


def test_a_wave_keeps_the_instrument_it_opened_with(
    settings: Settings, cli_env: dict, monkeypatch: pytest.MonkeyPatch
) -> None:
    import questionnaires.instrument as instrument_module

    run("org", "add", "--headcount", "1000", "--name", "Barts Health", "--slug", "barts")
    run("wave", "open", "--instrument", "nhs-staff-survey", "--org", "barts", "--slug", "w1")
    monkeypatch.setattr(instrument_module, "INSTRUMENTS_FOLDER", Path("/nonexistent"))
    with engine_for(settings.database_url).connect() as connection:
        wave = find_published_wave(connection, "w1")
    assert wave is not None and wave.instrument.question("q15").codes == {1, 2, 9}


def test_mix_reports_in_json(settings: Settings, cli_env: dict) -> None:
    run("org", "add", "--headcount", "1000", "--name", "Barts Health", "--slug", "barts")
    run("wave", "open", "--instrument", "nhs-staff-survey", "--org", "barts", "--slug", "w1")
    engine = engine_for(settings.database_url)
    from survey_app.inbox import submit_response

    instrument = load_instrument("nhs-staff-survey")
    rng = random.Random(5)
    with engine.begin() as connection:
        wave = find_published_wave(connection, "w1")
        assert wave is not None
        for _ in range(25):
            submit_response(connection, wave, random_answers(instrument, rng))
    code, output = run("mix", "--format", "json")
    assert code == 0, output
    (report,) = json.loads(output)
    assert report["wave_slug"] == "w1"
    assert report["responses_mixed"] == 25
    assert count_rows(engine, "closed_answer_part") == 25
    code, output = run("mix", "--wave", "nowhere")
    assert code == 1 and "no wave 'nowhere'" in output


def test_keys_rotate_keeps_every_wave_readable(settings: Settings, cli_env: dict) -> None:
    run("org", "add", "--headcount", "1000", "--name", "Barts Health", "--slug", "barts")
    run("wave", "open", "--instrument", "nhs-staff-survey", "--org", "barts", "--slug", "w1")
    old_kek = Path(cli_env["SURVEY_KEY_FILE"]).read_text()
    with engine_for(settings.database_url).connect() as connection:
        wave = find_published_wave(connection, "w1")
    assert wave is not None
    before = WaveKeyStore(settings.key_file).load(wave.id)
    code, output = run("keys", "rotate")
    assert code == 0 and "1 waves" in output
    assert Path(cli_env["SURVEY_KEY_FILE"]).read_text() != old_kek
    assert WaveKeyStore(settings.key_file).load(wave.id) == before


def test_an_eligible_headcount_gives_the_response_rate(settings: Settings, cli_env: dict) -> None:
    run("org", "add", "--headcount", "1000", "--name", "Barts Health", "--slug", "barts")
    run("wave", "open", "--instrument", "nhs-staff-survey", "--org", "barts", "--slug", "w1")
    assert run("wave", "headcount", "--wave", "w1", "--eligible", "0")[0] == 1
    assert run("wave", "headcount", "--wave", "w1", "--eligible", "400")[0] == 0
    listed = json.loads(run("wave", "list", "--format", "json")[1])
    assert listed[0]["eligible_headcount"] == 400
