"""Organisations too small to be anonymous: no wave opens for them, and respondents see the scale."""

from __future__ import annotations

import pytest
from click.testing import CliRunner
from litestar.testing import TestClient

from survey_app.app import create_app
from survey_app.cli import main
from survey_app.config import Settings
from survey_app.organisations import rough_headcount
from tests.survey_app.helpers import web_settings


def run(*args: str) -> tuple[int, str]:
    result = CliRunner().invoke(main, list(args), catch_exceptions=False)
    return result.exit_code, result.output


def open_bank_wave(slug: str = "ward7-bank") -> tuple[int, str]:
    return run("wave", "open", "--instrument", "bank-temporary-workers", "--org", "ward7", "--slug", slug)


def test_no_wave_opens_for_a_team_posing_as_an_organisation(settings: Settings, cli_env: dict) -> None:
    assert run("org", "add", "--name", "Ward 7 night shift", "--slug", "ward7")[0] == 0
    code, output = open_bank_wave()
    assert code == 1 and output.startswith("error: ") and "has no headcount" in output, output
    assert "survey-app org headcount --org ward7" in output
    assert "Traceback" not in output

    assert run("org", "headcount", "--org", "ward7", "--headcount", "5")[0] == 0
    code, output = open_bank_wave()
    assert code == 1 and output.startswith("error: ") and "5 staff, fewer than 50" in output, output
    code, output = run("wave", "list", "--format", "json")
    assert code == 0 and output.strip() == "[]", "a refused wave leaves nothing behind"

    assert run("org", "headcount", "--org", "ward7", "--headcount", "49")[0] == 0
    assert open_bank_wave()[0] == 1
    assert run("org", "headcount", "--org", "ward7", "--headcount", "50")[0] == 0
    code, output = open_bank_wave()
    assert code == 0, output


def test_the_floor_is_configurable_and_bad_headcounts_are_refused(
    settings: Settings, cli_env: dict, monkeypatch: pytest.MonkeyPatch
) -> None:
    code, output = run("org", "add", "--name", "Tiny", "--slug", "ward7", "--headcount", "0")
    assert code == 1 and output.startswith("error: ") and "at least 1" in output
    assert run("org", "add", "--name", "Small Trust", "--slug", "ward7", "--headcount", "120")[0] == 0
    monkeypatch.setenv("MIN_ORG_HEADCOUNT", "200")
    code, output = open_bank_wave()
    assert code == 1 and "120 staff, fewer than 200" in output
    code, output = run("org", "headcount", "--org", "nowhere", "--headcount", "500")
    assert code == 1 and "no organisation with slug 'nowhere'" in output


def test_the_landing_page_says_roughly_how_many_people_the_survey_is_for(settings: Settings, cli_env: dict) -> None:
    assert run("org", "add", "--name", "Barts Health", "--slug", "ward7", "--headcount", "21437")[0] == 0
    assert open_bank_wave("barts-bank")[0] == 0
    with TestClient(create_app(web_settings(settings))) as client:
        page = client.get("/s/barts-bank")
    assert page.status_code == 200
    assert "roughly 21,000 staff at Barts Health" in page.text


def test_rough_headcounts_keep_two_significant_figures() -> None:
    assert [rough_headcount(n) for n in (50, 137, 999, 1049, 21437, 1_250_000)] == [
        "50", "140", "1,000", "1,000", "21,000", "1,200,000",
    ]
