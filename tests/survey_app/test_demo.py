"""`survey-app demo`: its own organisations only, valid routed responses, and the published WRES gaps."""

from __future__ import annotations

import json
from typing import Any

import pytest
from click.testing import CliRunner, Result
from sqlalchemy import Engine, select

from questionnaires import validate_answers
from survey_app.cli import main
from survey_app.config import Settings
from survey_app.demo import DEMO_ORGANISATION_SLUG, DemoError, run_demo
from survey_app.demo.respondents import WRES_LONDON_2018
from survey_app.inbox import inbox_context, inbox_count
from survey_app.keys import WaveKeyStore, read_secret_file
from survey_app.organisations import add_organisation
from survey_app.sealing import open_sealed_box
from survey_app.storage.database import engine_for
from survey_app.storage.models import AuditEvent, InboxItem, Organisation, Wave
from survey_app.waves import close_wave, find_wave, wave_instrument
from tests.survey_app.helpers import opened_closed_answers

DEMO_INSTRUMENTS = {"nhs-staff-survey", "bank-temporary-workers", "lived-experience"}


def cli(*args: str, expect_exit: int = 0) -> Result:
    result = CliRunner().invoke(main, list(args))
    assert result.exit_code == expect_exit, result.output
    return result


def cli_json(*args: str) -> Any:
    return json.loads(cli(*args, "--format", "json").stdout)


def wave_id(engine: Engine, slug: str) -> str:
    with engine.connect() as connection:
        found = find_wave(connection, slug)
    assert found is not None, slug
    return found.id


def inbox_answers(engine: Engine, key_store: WaveKeyStore, slug: str) -> list[dict[str, Any]]:
    """Open a wave's inbox as the mixer would: what the demo actually stored."""
    identifier = wave_id(engine, slug)
    with engine.connect() as connection:
        rows = connection.execute(
            select(InboxItem.epoch_id, InboxItem.sealed).where(InboxItem.wave_id == identifier)
        ).all()
    return [
        json.loads(open_sealed_box(key_store.load_inbox_key(identifier, r.epoch_id), bytes(r.sealed), inbox_context(identifier)))["answers"]
        for r in rows
    ]


def audit_events(engine: Engine, action: str) -> list[dict[str, Any]]:
    with engine.connect() as connection:
        rows = connection.execute(select(AuditEvent).where(AuditEvent.action == action)).all()
    return [{"actor": row.actor, **json.loads(row.detail)} for row in rows]


def test_demo_opens_a_wave_per_instrument_in_demo_organisations_only(
    settings: Settings, cli_env: dict[str, str]
) -> None:
    engine = engine_for(settings.database_url)
    cli("org", "add", "--headcount", "1000", "--name", "Barts Health", "--slug", "barts")
    cli("wave", "open", "--instrument", "nhs-staff-survey", "--org", "barts", "--slug", "barts-2026")

    report = cli_json("demo", "--responses", "20")

    assert {wave["instrument_id"] for wave in report["waves"]} == DEMO_INSTRUMENTS
    assert all(wave["responses_added"] == 20 and not wave["reused"] for wave in report["waves"])
    assert all(wave["link"].endswith(f"/s/{wave['slug']}") for wave in report["waves"])
    with engine.connect() as connection:
        rows = connection.execute(
            select(Wave.slug, Wave.id, Wave.status, Organisation.slug.label("org"), Organisation.is_demo)
            .join(Organisation, Organisation.id == Wave.organisation_id)
        ).all()
        real = [row for row in rows if not row.is_demo]
        demo = [row for row in rows if row.is_demo]
        assert [(row.slug, row.org) for row in real] == [("barts-2026", "barts")]
        assert inbox_count(connection, real[0].id) == 0
        assert {row.slug for row in demo} == {wave["slug"] for wave in report["waves"]}
        assert all(row.status == "open" for row in demo)
        assert all(inbox_count(connection, row.id) == 20 for row in demo)
        organisations = connection.execute(select(Organisation.slug, Organisation.is_demo)).all()
        assert {slug for slug, is_demo in organisations if not is_demo} == {"barts"}
    listed = {row["slug"]: row for row in cli_json("wave", "list")}
    assert listed["demo-nhs-staff-survey"]["organisation_slug"] == DEMO_ORGANISATION_SLUG
    assert listed["demo-nhs-staff-survey"]["waiting_in_inbox"] == 20

    again = cli_json("demo", "--responses", "20")

    assert [wave["slug"] for wave in again["waves"]] == [wave["slug"] for wave in report["waves"]]
    assert all(wave["reused"] and wave["waiting_in_inbox"] == 40 for wave in again["waves"])
    text = cli("demo", "--responses", "1").stdout
    assert all(f"/s/{wave['slug']}" in text for wave in report["waves"])


def test_demo_reuses_an_open_demo_wave_and_skips_closed_slugs(settings: Settings) -> None:
    engine = engine_for(settings.database_url)
    key_store = WaveKeyStore(settings.key_file)
    run_demo(engine, key_store, 0, "http://survey.test")
    with engine.begin() as connection:
        close_wave(connection, "demo-lived-experience")

    report = run_demo(engine, key_store, 2, "http://survey.test")

    reused = {wave.slug: wave.reused for wave in report.waves}
    assert reused["demo-lived-experience-2"] is False
    assert reused["demo-nhs-staff-survey"] is True and reused["demo-community-invited"] is True
    with engine.connect() as connection:
        assert inbox_count(connection, wave_id(engine, "demo-lived-experience")) == 0
        assert inbox_count(connection, wave_id(engine, "demo-lived-experience-2")) == 2


def test_demo_refuses_to_adopt_a_real_organisation(settings: Settings, cli_env: dict[str, str]) -> None:
    engine = engine_for(settings.database_url)
    with engine.begin() as connection:
        add_organisation(connection, "A real trust that chose the slug demo", DEMO_ORGANISATION_SLUG)

    with pytest.raises(DemoError, match="real organisation"):
        run_demo(engine, WaveKeyStore(settings.key_file), 5, "http://survey.test")
    result = cli("demo", "--responses", "5", expect_exit=1)

    assert "real organisation" in result.output
    with engine.connect() as connection:
        assert connection.execute(select(Wave.id)).first() is None
        assert connection.execute(select(Organisation.slug).where(Organisation.is_demo)).first() is None
    assert audit_events(engine, "demo") == []


def test_every_demo_response_follows_its_instrument(settings: Settings) -> None:
    engine = engine_for(settings.database_url)
    key_store = WaveKeyStore(settings.key_file)

    case_secret = read_secret_file(settings.case_key_file, "SURVEY_CASE_KEY_FILE")
    report = run_demo(engine, key_store, 80, "http://survey.test", case_secret=case_secret)

    for wave in report.waves:
        with engine.connect() as connection:
            instrument = wave_instrument(connection, wave_id(engine, wave.slug))
        stored = inbox_answers(engine, key_store, wave.slug)
        assert len(stored) == 80
        for answers in stored:
            clean, errors = validate_answers(instrument, answers)
            assert errors == {} and clean == answers, (wave.slug, errors)
        assert len({json.dumps(a, sort_keys=True) for a in stored}) > 70, "responses should vary"
        if wave.instrument_id == "lived-experience":
            assert {a["consent_quote"] for a in stored} == {1, 2}
            assert {a["consent_share"] for a in stored} == {1, 2}
            assert all("urgent" not in a for a in stored if a["consent_share"] == 2)
            assert len({a["what_happened"] for a in stored}) > 20
        else:
            # Some optional questions are left blank, and routing is followed (q16c only after a yes).
            assert any(len(a) < len(instrument.questions) - 3 for a in stored)
            assert all(a.get("q16a") == 1 or a.get("q16b") == 1 for a in stored if "q16c" in a)
            assert any("q16c" in a for a in stored)
        if wave.instrument_id == "bank-temporary-workers":
            organisation_question = instrument.question("main_organisation")
            assert len(organisation_question.options) >= 2  # the wave covers the demo region
            chosen = {a["main_organisation"] for a in stored if "main_organisation" in a}
            assert chosen == organisation_question.codes


def _percent(parts: list[dict[str, Any]], counted: Any, based: Any) -> float:
    base = [answers for answers in parts if based(answers)]
    assert len(base) > 30
    return 100 * sum(1 for answers in base if counted(answers)) / len(base)


def wres_by_group(parts: list[dict[str, Any]], white_codes: tuple[int, ...]) -> dict[str, dict[int, float]]:
    """Indicators 5-8 (DESIGN.md) for White and BME, from opened closed-answer parts."""
    harassed = range(2, 6)
    groups = {
        "White": [a for a in parts if a.get("q28") in white_codes],
        "BME": [a for a in parts if "q28" in a and a["q28"] not in white_codes],
    }
    return {
        name: {
            5: _percent(group, lambda a: a["q14a"] in harassed, lambda a: "q14a" in a),
            6: _percent(
                group,
                lambda a: a.get("q14b") in harassed or a.get("q14c") in harassed,
                lambda a: "q14b" in a or "q14c" in a,
            ),
            7: _percent(group, lambda a: a["q15"] == 1, lambda a: a.get("q15") in (1, 2)),
            8: _percent(group, lambda a: a["q16b"] == 1, lambda a: "q16b" in a),
        }
        for name, group in groups.items()
    }


def test_after_mixing_bme_staff_report_worse_experiences_as_wres_shows(
    settings: Settings, cli_env: dict[str, str]
) -> None:
    engine = engine_for(settings.database_url)
    cli("demo", "--responses", "300")

    mixed = {report["wave_slug"]: report for report in cli_json("mix")}

    assert all(mixed[slug]["responses_mixed"] == 300 for slug in mixed)
    assert mixed["demo-lived-experience"]["parts"]["testimony"] == 300
    assert 0 < mixed["demo-lived-experience"]["parts"]["concern"] < 300
    key_store = WaveKeyStore(settings.key_file)
    figures = {}
    for slug in ("demo-nhs-staff-survey", "demo-bank-temporary-workers"):
        identifier = wave_id(engine, slug)
        with engine.connect() as connection:
            parts = opened_closed_answers(connection, identifier, key_store.load(identifier))
        assert len(parts) == 300
        figures[slug] = wres_by_group(parts, settings.white_codes)

    staff = figures["demo-nhs-staff-survey"]
    assert staff["BME"][6] - staff["White"][6] >= 2
    assert staff["White"][7] - staff["BME"][7] >= 10
    assert staff["BME"][8] - staff["White"][8] >= 5
    for indicator, (bme, white) in WRES_LONDON_2018.items():
        assert abs(staff["BME"][indicator] - bme) < 4, (indicator, staff)
        assert abs(staff["White"][indicator] - white) < 4, (indicator, staff)
    temporary = figures["demo-bank-temporary-workers"]
    for group in ("BME", "White"):
        assert temporary[group][6] > staff[group][6]
        assert temporary[group][7] < staff[group][7]
        assert temporary[group][8] > staff[group][8]
    assert temporary["BME"][8] - temporary["White"][8] >= 5


def test_demo_is_in_the_audit_log(settings: Settings, cli_env: dict[str, str]) -> None:
    engine = engine_for(settings.database_url)

    cli("demo", "--responses", "7")

    [event] = audit_events(engine, "demo")
    assert event["actor"] == "cli"
    assert event["responses"] == {
        "demo-nhs-staff-survey": 7,
        "demo-bank-temporary-workers": 7,
        "demo-lived-experience": 7,
        "demo-community-invited": 7,
    }


def test_demo_makes_one_staff_account_per_role_in_the_demo_organisations_only(settings: Settings, cli_env: dict) -> None:
    from survey_app.accounts import verify_login
    from survey_app.keys import WaveKeyStore
    from survey_app.ratelimit import GuessLimiter, MemoryStore
    from survey_app.storage.database import engine_for

    engine = engine_for(settings.database_url)
    first = run_demo(engine, WaveKeyStore(settings.key_file), 0, "http://127.0.0.1:8000")
    assert set(first.accounts) == {"edi-lead@demo.example", "guardian@demo.example", "admin@demo.example"}
    assert all(first.accounts.values())
    assert "password" in first.describe()
    assert "authenticator app" in first.describe() and "recovery codes" in first.describe()
    with engine.begin() as connection:
        limiter = GuessLimiter(MemoryStore(), "staff")
        member = verify_login(connection, "edi-lead@demo.example", first.accounts["edi-lead@demo.example"], limiter)
        assert member.role == "edi" and len(member.organisation_ids) == 2
    second = run_demo(engine, WaveKeyStore(settings.key_file), 0, "http://127.0.0.1:8000")
    assert set(second.accounts.values()) == {None}


def test_the_demo_opens_an_invited_wave_and_prints_three_codes_that_each_work_once(
    settings: Settings, cli_env: dict[str, str]
) -> None:
    import re

    from litestar.testing import TestClient

    from survey_app.app import create_app
    from tests.survey_app.helpers import web_settings

    text = cli("demo", "--responses", "3").stdout
    assert "demo-community-invited" in text and "by invitation only" in text
    codes = re.findall(r"code ([0-9A-Z]{4}-[0-9A-Z]{4}-[0-9A-Z]{3})  (\S+)", text)
    assert len(codes) == 3
    answers = {"q14a": 1}
    with TestClient(create_app(web_settings(settings))) as client:
        for code, link in codes:
            landing = client.get(link.replace(settings.public_base_url, ""))
            assert landing.status_code == 200 and "by invitation" in landing.text
            url = "/api/v1/waves/demo-community-invited/responses"
            assert client.post(url, json={"answers": answers, "invitation": code}).status_code == 201
            assert client.post(url, json={"answers": answers, "invitation": code}).status_code == 409
        assert client.post(url, json={"answers": answers}).status_code == 403
