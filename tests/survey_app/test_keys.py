"""The key store and `keys rotate`: killed at any step a rerun finishes; a wrong key is one line, exit 2."""

from __future__ import annotations

import multiprocessing
import os
import signal
import subprocess
import sys
from pathlib import Path

import pytest
from click.testing import CliRunner

from survey_app import crashpoints
from survey_app.cli import main
from survey_app.config import Settings
from survey_app.inbox import submit_response
from survey_app.key_rotation import rotate_key_encryption_key
from survey_app.keys import WaveKeyStore, staging_kek_file, write_secret_file
from survey_app.storage.database import engine_for
from survey_app.waves import find_published_wave, find_wave
from tests.survey_app.helpers import inbox_documents, mix_now, open_test_wave

BIN = Path(sys.executable).parent


def _opened_store(settings: Settings, slugs: list[str]) -> dict[str, object]:
    """Every wave's data key and the rows of its inbox, as a fresh process with the KEK file opens them."""
    store = WaveKeyStore(settings.key_file)
    store.check()
    opened: dict[str, object] = {}
    with engine_for(settings.database_url).connect() as connection:
        ids = {slug: find_wave(connection, slug).id for slug in slugs}  # type: ignore[union-attr]
    for slug, wave_id in ids.items():
        opened[slug] = (store.load(wave_id), sorted(str(d) for d in inbox_documents(settings, wave_id)))
    return opened


def _killed_at(target: str, kek_file: Path) -> bool:
    def child() -> None:
        os.environ[crashpoints.VARIABLE] = target
        crashpoints._reached.clear()
        rotate_key_encryption_key(kek_file)

    process = multiprocessing.get_context("fork").Process(target=child)
    process.start()
    process.join(120)
    assert process.exitcode in (0, -signal.SIGKILL), process.exitcode
    return process.exitcode == -signal.SIGKILL


def test_keys_rotate_killed_at_every_step_then_rerun_keeps_every_wave(settings: Settings) -> None:
    """The first `keys rotate` lost every wave key when killed after a rename and rerun: now each
    step is durable, every wave opens after a kill at any step, and the rerun finishes the job."""
    slugs = []
    for number, instrument in enumerate(("bank-temporary-workers", "nhs-staff-survey", "lived-experience")):
        slugs.append(open_test_wave(settings, instrument, f"wave-{number}"))
    with engine_for(settings.database_url).begin() as connection:
        wave = find_published_wave(connection, slugs[0])
        assert wave is not None
        for i in range(3):
            submit_response(connection, wave, {"q35": i + 1})
    mix_now(settings, wave.id)  # three waiting responses, re-sealed to a second epoch
    expected = _opened_store(settings, slugs)
    kek = settings.key_file
    assert kek is not None
    steps = []
    for step in range(1, 60):
        before = kek.read_bytes()
        if not _killed_at(f"keys-rotate:{step}", kek):
            break
        steps.append(step)
        # Killed: a fresh process with the KEK file opens every wave, and every waiting response.
        assert _opened_store(settings, slugs) == expected, f"after a kill at step {step}"
        rotate_key_encryption_key(kek)  # the rerun finishes the job
        assert not staging_kek_file(kek).exists()
        assert kek.read_bytes() != before
        assert _opened_store(settings, slugs) == expected
        assert not [p for p in (kek.parent / "wave-keys").iterdir() if p.suffix in (".tmp", ".shred")]
    # A new KEK, then per key file: link the old content, replace it, shred it; then the KEK switch.
    assert len(steps) >= 1 + 2 * 5, steps


def test_keys_rotate_reports_the_waves_and_a_rerun_does_not_lose_them(settings: Settings, cli_env: dict) -> None:
    open_test_wave(settings, "nhs-staff-survey", "w1")
    result = CliRunner().invoke(main, ["keys", "rotate"], catch_exceptions=False)
    assert result.exit_code == 0 and "re-wrapped the keys of 1 waves" in result.output
    result = CliRunner().invoke(main, ["keys", "rotate"], catch_exceptions=False)
    assert result.exit_code == 0 and "re-wrapped the keys of 1 waves" in result.output
    assert _opened_store(settings, ["w1"])


@pytest.mark.parametrize("command", [["mix"], ["keys", "rotate"], ["wave", "list"]])
def test_a_wrong_key_encryption_key_is_one_line_and_exit_code_2(
    settings: Settings, cli_env: dict, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, command: list[str]
) -> None:
    open_test_wave(settings, "nhs-staff-survey", "w1")
    wrong = settings.key_file.parent / "wrong.key"  # type: ignore[union-attr]
    write_secret_file(wrong)  # beside the right one: the same key store, which it did not wrap
    env = {k: v for k, v in os.environ.items()}
    env.update(cli_env, SURVEY_KEY_FILE=str(wrong))
    result = subprocess.run([str(BIN / "survey-app"), *command], env=env, capture_output=True, text=True, timeout=60)
    assert result.returncode == 2, result.stderr
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("error: ") and "Traceback" not in result.stderr, result.stderr
    assert "does not open" in lines[0]
    assert not staging_kek_file(wrong).exists()  # keys rotate stopped before writing anything


def test_thresholds_below_the_floor_are_refused_unless_testing(monkeypatch: pytest.MonkeyPatch) -> None:
    for name in ("MIX_BATCH", "MIN_CELL", "K_ANONYMITY"):
        monkeypatch.delenv("SURVEY_ALLOW_SMALL_THRESHOLDS", raising=False)
        monkeypatch.setenv(name, "5")
        with pytest.raises(SystemExit, match=f"{name} must be at least 11, not 5"):
            Settings.from_env()
        monkeypatch.setenv("SURVEY_ALLOW_SMALL_THRESHOLDS", "1")
        assert getattr(Settings.from_env(), name.lower()) == 5
        monkeypatch.setenv(name, "11")
        monkeypatch.delenv("SURVEY_ALLOW_SMALL_THRESHOLDS")
        assert getattr(Settings.from_env(), name.lower()) == 11


def test_a_command_with_a_small_mix_batch_stops_with_a_clear_error(cli_env: dict) -> None:
    env = {k: v for k, v in os.environ.items() if k != "SURVEY_ALLOW_SMALL_THRESHOLDS"}
    env.update(cli_env, MIX_BATCH="3")
    result = subprocess.run([str(BIN / "survey-app"), "mix"], env=env, capture_output=True, text=True, timeout=60)
    assert result.returncode != 0
    assert "MIX_BATCH must be at least 11, not 3" in result.stderr and "Traceback" not in result.stderr


def test_make_run_never_hands_the_web_process_the_key_encryption_key() -> None:
    root = Path(__file__).resolve().parents[2]
    env = {**os.environ, "SURVEY_KEY_FILE": "/somewhere/kek.key"}  # even if the caller's shell exports it
    dry = subprocess.run(["make", "-n", "-W", "install", "-W", "frontend", "run"], cwd=root, env=env,
                         capture_output=True, text=True, timeout=60)
    assert dry.returncode == 0, dry.stderr
    serve = [line for line in dry.stdout.splitlines() if "survey-app serve" in line]
    assert serve and all(line.strip().startswith("env -u SURVEY_KEY_FILE") for line in serve), dry.stdout
    assert all("kek" not in line for line in serve)
    assert any("SURVEY_KEY_FILE=" in line and "survey-app worker" in line for line in dry.stdout.splitlines())
    for name in ("compose.yaml", "kubernetes/configmap.yaml"):
        assert "SURVEY_ALLOW_SMALL_THRESHOLDS" not in (root / "deploy" / name).read_text()
    assert "SURVEY_ALLOW_SMALL_THRESHOLDS" not in (root / "Makefile").read_text()
