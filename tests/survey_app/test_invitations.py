"""Invited waves: one response per invitation code, on the web form and the API, on both databases.

The attack these tests replay: on an open link, ten fake responses in a small ethnic group lifted a
cell over the threshold, and the published counts then gave away the one real respondent's answers.
On an invited wave the same flood stores nothing; each code yields at most one response.
"""

from __future__ import annotations

import csv
import json
import random
import re
import threading
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner
from litestar import Litestar
from litestar.testing import TestClient

from questionnaires import load_instrument
from survey_app.app import create_app
from survey_app.cli import main
from survey_app.config import Settings
from survey_app.inbox import submit_response
from survey_app.invitations import Spend, counts, issue, spend
from survey_app.invitations.codes import ALPHABET, CodeError, check_character, display, new_code, parse
from survey_app.keys import read_secret_file
from survey_app.storage.database import engine_for
from survey_app.submissions import FLAG_BALLOT, flags_of
from survey_app.waves import find_published_wave, find_wave
from tests.survey_app.helpers import (
    count_rows,
    inbox_documents,
    mix_now,
    open_test_wave,
    random_answers,
    web_settings,
)
from tests.survey_app.test_respond_pages import Respondent

WAVE = "barts-bank-invited"
BANK = load_instrument("bank-temporary-workers")


def run(*args: str) -> tuple[int, str]:
    result = CliRunner().invoke(main, list(args))
    if result.exception is not None and not isinstance(result.exception, SystemExit):
        raise result.exception
    return result.exit_code, result.output


def _case_secret(settings: Settings) -> bytes:
    assert settings.case_key_file is not None
    return read_secret_file(settings.case_key_file, "SURVEY_CASE_KEY_FILE")


def _wave_id(settings: Settings, slug: str = WAVE) -> str:
    with engine_for(settings.database_url).connect() as connection:
        wave = find_wave(connection, slug)
    assert wave is not None
    return wave.id


def _issue(settings: Settings, count: int, slug: str = WAVE) -> list[str]:
    with engine_for(settings.database_url).begin() as connection:
        return issue(connection, _case_secret(settings), _wave_id(settings, slug), count)


def _status(settings: Settings, slug: str = WAVE) -> tuple[int, int]:
    with engine_for(settings.database_url).connect() as connection:
        found = counts(connection, _wave_id(settings, slug))
    return found.issued, found.used


@pytest.fixture
def invited(settings: Settings) -> str:
    return open_test_wave(settings, "bank-temporary-workers", WAVE, access="invited")


@pytest.fixture
def app(settings: Settings, invited: str) -> Litestar:
    open_test_wave(settings, "lived-experience", "barts-lived")  # an open wave beside it
    return create_app(web_settings(settings))


@pytest.fixture
def client(app: Litestar) -> Iterator[TestClient[Litestar]]:
    with TestClient(app) as test_client:
        yield test_client


def _answers(seed: int = 1) -> dict[str, Any]:
    return random_answers(BANK, random.Random(seed))


# --- the codes themselves -------------------------------------------------------------------------


def test_a_code_reads_back_however_it_is_typed() -> None:
    code = new_code()
    assert len(code) == 11 and parse(code) == code
    shown = display(code)
    assert re.fullmatch(r"[0-9A-Z]{4}-[0-9A-Z]{4}-[0-9A-Z]{3}", shown)
    assert parse(f"  {shown.lower()} ") == code
    assert parse(shown.replace("-", " ")) == code
    zeroes = "0" * 10 + check_character("0" * 10)
    assert parse(zeroes.replace("0", "O")) == zeroes  # Crockford: O is read as 0


def test_every_single_mistyped_character_is_caught_before_the_server_is_asked() -> None:
    rng = random.Random(7)
    for _ in range(40):
        code = new_code()
        for position in range(len(code)):
            for wrong in ALPHABET:
                if wrong == code[position]:
                    continue
                typo = code[:position] + wrong + code[position + 1 :]
                with pytest.raises(CodeError):
                    parse(typo)
    swapped = caught = 0
    for _ in range(2000):
        code = new_code()
        position = rng.randrange(len(code) - 1)
        if code[position] == code[position + 1]:
            continue
        swapped += 1
        try:
            parse(code[:position] + code[position + 1] + code[position] + code[position + 2 :])
        except CodeError:
            caught += 1
    assert caught / swapped > 0.99, f"only {caught} of {swapped} swapped neighbours caught"


@pytest.mark.parametrize(
    "typed, says",
    [("", "Enter the code"), ("ABC", "11 letters and numbers"), ("UUUU-UUUU-UUU", "never U")],
)
def test_a_malformed_code_says_what_to_check(typed: str, says: str) -> None:
    with pytest.raises(CodeError, match=says):
        parse(typed)


# --- the operator's commands ----------------------------------------------------------------------


def test_issue_writes_codes_once_and_status_counts_them(
    settings: Settings, cli_env: dict[str, str], invited: str, tmp_path: Path
) -> None:
    out = tmp_path / "codes.csv"
    code, output = run("invitations", "issue", "--wave", WAVE, "--count", "25", "--out", str(out))
    assert code == 0, output
    rows = list(csv.DictReader(out.open(encoding="utf-8")))
    assert len(rows) == 25 and len({row["code"] for row in rows}) == 25
    for row in rows:
        assert row["link"] == f"{settings.public_base_url}/s/{WAVE}?code={parse(row['code'])}"
    # Nothing the server keeps is a code: only keyed hashes.
    with engine_for(settings.database_url).connect() as connection:
        stored = {bytes(value) for (value,) in connection.exec_driver_sql("SELECT code_hash FROM invitation")}
    assert len(stored) == 25
    for row in rows:
        assert all(parse(row["code"]).encode() not in value for value in stored)
    # Again: a new file adds codes; the same file name is refused, so no codes are lost.
    assert run("invitations", "issue", "--wave", WAVE, "--count", "5", "--out", str(out))[0] == 1
    html = tmp_path / "cards.html"
    code, output = run("invitations", "issue", "--wave", WAVE, "--count", "5", "--out", str(html), "--format", "html")
    assert code == 0, output
    assert html.read_text(encoding="utf-8").count('class="card"') == 5
    code, output = run("invitations", "status", "--wave", WAVE, "--format", "json")
    assert code == 0, output
    assert json.loads(output) == {"wave": WAVE, "issued": 30, "used": 0, "unused": 30}
    with engine_for(settings.database_url).connect() as connection:
        audited = connection.exec_driver_sql(
            "SELECT count(*) FROM audit_event WHERE action = 'invitations.issue'"
        ).scalar_one()
    assert audited == 2


def test_open_waves_take_no_invitations_and_bad_counts_are_refused(
    settings: Settings, cli_env: dict[str, str], invited: str, tmp_path: Path
) -> None:
    open_test_wave(settings, "lived-experience", "barts-lived")
    code, output = run("invitations", "issue", "--wave", "barts-lived", "--count", "5", "--out", str(tmp_path / "a.csv"))
    assert code == 1 and "--access invited" in output
    code, output = run("invitations", "issue", "--wave", WAVE, "--count", "0", "--out", str(tmp_path / "b.csv"))
    assert code == 1 and "between 1 and" in output
    assert not (tmp_path / "b.csv").exists()
    code, output = run("invitations", "status", "--wave", "nope")
    assert code == 1 and "no wave" in output


def test_wave_open_with_access_invited(settings: Settings, cli_env: dict[str, str]) -> None:
    open_test_wave(settings, "lived-experience", "barts-lived")  # makes the organisation
    code, output = run(
        "wave", "open", "--instrument", "nhs-staff-survey", "--org", "barts", "--slug", "barts-nss", "--access", "invited",
        "--format", "json",
    )
    assert code == 0, output
    assert json.loads(output)["access"] == "invited"
    with engine_for(settings.database_url).connect() as connection:
        published = find_published_wave(connection, "barts-nss")
    assert published is not None and published.invited


# --- the ledger, under concurrency ----------------------------------------------------------------


def test_concurrent_uses_of_one_code_exactly_one_wins(settings: Settings, invited: str) -> None:
    (code,) = _issue(settings, 1)
    engine = engine_for(settings.database_url)
    secret, wave_id = _case_secret(settings), _wave_id(settings)
    results: list[Spend] = []
    barrier = threading.Barrier(8)

    def use() -> None:
        barrier.wait()
        results.append(spend(engine, secret, wave_id, code))

    threads = [threading.Thread(target=use) for _ in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert sorted(result.value for result in results) == ["spent"] + ["used"] * 7
    assert _status(settings) == (1, 1)


# --- the web form ---------------------------------------------------------------------------------


def _start_with(client: TestClient[Litestar], code: str) -> Respondent:
    person = Respondent(client, WAVE)
    person.get()
    person.press("start", extra=[("_invitation", code)])
    return person


def _finish(person: Respondent) -> Any:
    screen = person.screen
    for _ in range(40):
        assert screen is not None
        if screen.is_check_page:
            return person.press("submit")
        screen = person.press("continue", person.answer_everything())
    raise AssertionError("never reached the check page")


def test_a_link_preview_spends_nothing_and_start_spends_the_code(
    client: TestClient[Litestar], settings: Settings, invited: str
) -> None:
    (code,) = _issue(settings, 1)
    for _ in range(3):  # a mail app, an SMS app and the person themselves fetch the link
        landing = client.get(f"/s/{WAVE}?code={code}")
        assert landing.status_code == 200
        assert f'value="{code}"' in landing.text
        assert "proves you were invited" in landing.text and "not kept with your answers" in landing.text
    assert _status(settings) == (1, 0)
    person = _start_with(client, code)
    assert person.screen is not None and not person.screen.is_check_page
    assert "Page 1 of" in person.screen.text
    token = dict(person.screen.form.hidden)["_submission"]
    assert flags_of(token) & FLAG_BALLOT
    assert _status(settings) == (1, 1)
    done = _finish(person)
    assert done.heading == "Your answers have been sent"
    (document,) = inbox_documents(settings, _wave_id(settings))
    assert document["submission"] == token  # the ballot travels inside the sealed response only
    assert code not in json.dumps(document)


def test_a_code_works_once_on_the_form(client: TestClient[Litestar], settings: Settings, invited: str) -> None:
    (code,) = _issue(settings, 1)
    _finish(_start_with(client, code))
    again = _start_with(client, display(code).lower())
    assert again.screen is not None
    assert again.screen.heading.endswith(BANK.title)
    assert "There is a problem" in again.screen.text and "already been used" in again.screen.text
    assert count_rows(engine_for(settings.database_url), "inbox") == 1


@pytest.mark.parametrize(
    "typed, says",
    [
        ("", "Enter the code from your invitation"),
        ("7KQ2-M9XD-4T", "11 letters and numbers"),
        ("wrong", "11 letters and numbers"),
    ],
)
def test_the_landing_page_says_what_is_wrong_with_a_code(
    client: TestClient[Litestar], settings: Settings, invited: str, typed: str, says: str
) -> None:
    person = _start_with(client, typed)
    assert person.screen is not None and says in person.screen.text
    assert 'href="#invitation-code"' in person.screen.html


def test_an_unknown_or_mistyped_code_is_refused_and_uses_nothing(
    client: TestClient[Litestar], settings: Settings, invited: str
) -> None:
    (code,) = _issue(settings, 1)
    unknown = new_code()
    person = _start_with(client, unknown)
    assert person.screen is not None and "do not recognise that code" in person.screen.text
    typo = code[:3] + ("A" if code[3] != "A" else "B") + code[4:]
    person = _start_with(client, typo)
    assert person.screen is not None and "has a mistake in it" in person.screen.text
    assert _status(settings) == (1, 0)


def test_a_form_without_a_ballot_stores_nothing_and_keeps_the_answers(
    client: TestClient[Litestar], settings: Settings, invited: str
) -> None:
    """A script posting straight to "Submit", with a token from the open wave's landing page, or none."""
    answers = _answers()
    fields = [("_step", "check"), ("_action", "submit")]
    fields += [(qid, str(code)) for qid, value in answers.items() for code in (value if isinstance(value, list) else [value])]
    open_person = Respondent(client, "barts-lived")
    open_person.start()
    open_token = dict(open_person.screen.form.hidden)["_submission"]  # type: ignore[union-attr]
    for extra in ([], [("_submission", open_token)]):
        body: dict[str, list[str]] = {}
        for name, value in fields + extra:
            body.setdefault(name, []).append(value)
        response = client.post(f"/s/{WAVE}", data=body)
        assert response.status_code == 200
        assert "Enter the code from your invitation to carry on" in response.text
        assert 'name="_invitation"' in response.text
        # The answers ride along in the landing form, to be kept once a code is entered.
        first = next(iter(answers))
        assert f'name="{first}"' in response.text
    assert count_rows(engine_for(settings.database_url), "inbox") == 0


def test_back_to_the_landing_page_keeps_the_ballot(client: TestClient[Litestar], settings: Settings, invited: str) -> None:
    (code,) = _issue(settings, 1)
    person = _start_with(client, code)
    ballot = dict(person.screen.form.hidden)["_submission"]  # type: ignore[union-attr]
    landing = person.press("back")
    assert 'name="_invitation"' not in landing.html, "the code is not asked for twice"
    again = person.press("start")
    assert dict(again.form.hidden)["_submission"] == ballot
    assert _finish(person).heading == "Your answers have been sent"


def test_saving_and_resuming_keeps_the_ballot(client: TestClient[Litestar], settings: Settings, invited: str) -> None:
    (code,) = _issue(settings, 1)
    person = _start_with(client, code)
    ballot = dict(person.screen.form.hidden)["_submission"]  # type: ignore[union-attr]
    person.press("continue", person.answer_everything())
    saved = person.press("save")
    words = re.search(r'id="resume-code"[^>]*>([^<]+)<', saved.html)
    assert words is not None
    resumed = client.post(f"/s/{WAVE}/resume", data={"code": words.group(1)})
    assert resumed.status_code == 200
    other = Respondent(client, WAVE)
    other.screen = type(person.screen)(resumed)  # type: ignore[arg-type]
    assert dict(other.screen.form.hidden)["_submission"] == ballot
    assert _finish(other).heading == "Your answers have been sent"
    assert _status(settings) == (1, 1)


# --- the API --------------------------------------------------------------------------------------


def _post(client: TestClient[Litestar], body: dict[str, Any]) -> Any:
    return client.post(f"/api/v1/waves/{WAVE}/responses", json=body)


def test_the_api_takes_one_response_per_code(client: TestClient[Litestar], settings: Settings, invited: str) -> None:
    first, second = _issue(settings, 2)
    assert _post(client, {"answers": _answers(1), "invitation": first}).status_code == 201
    reused = _post(client, {"answers": _answers(2), "invitation": display(first)})
    assert reused.status_code == 409
    assert "already been used" in reused.json()["errors"]["invitation"]
    for body in ({"answers": _answers(3)}, {"answers": _answers(3), "invitation": new_code()}, {"answers": _answers(3), "invitation": 12}):
        refused = _post(client, body)
        assert refused.status_code == 403, refused.text
        assert set(refused.json()["errors"]) == {"invitation"}
    # Invalid answers are refused before the code is looked at, so the code is not wasted.
    assert _post(client, {"answers": {"nope": 1}, "invitation": second}).status_code == 422
    assert _status(settings) == (2, 1)
    # A code spent on the form is spent for the API too, and the other way round.
    _finish(_start_with(client, second))
    assert _post(client, {"answers": _answers(4), "invitation": second}).status_code == 409
    (third,) = _issue(settings, 1)
    assert _post(client, {"answers": _answers(5), "invitation": third}).status_code == 201
    person = _start_with(client, third)
    assert person.screen is not None and "already been used" in person.screen.text
    assert count_rows(engine_for(settings.database_url), "inbox") == 3


def test_two_concurrent_requests_with_one_code_store_one_response(
    client: TestClient[Litestar], settings: Settings, invited: str
) -> None:
    (code,) = _issue(settings, 1)
    statuses: list[int] = []
    barrier = threading.Barrier(6)

    def send(seed: int) -> None:
        barrier.wait()
        statuses.append(_post(client, {"answers": _answers(seed), "invitation": code}).status_code)

    threads = [threading.Thread(target=send, args=(seed,)) for seed in range(6)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert sorted(statuses) == [201, 409, 409, 409, 409, 409]
    assert count_rows(engine_for(settings.database_url), "inbox") == 1


def test_the_open_link_flood_stores_nothing_on_an_invited_wave(
    client: TestClient[Litestar], settings: Settings, invited: str
) -> None:
    """The Sybil attack: ten fake "Any other Black background" respondents to lift a small cell over
    the threshold. On an open link all ten were stored; here none is."""
    lived = load_instrument("lived-experience")
    open_statuses = [
        client.post(
            "/api/v1/waves/barts-lived/responses", json={"answers": random_answers(lived, random.Random(n))}
        ).status_code
        for n in range(10)
    ]
    assert open_statuses == [201] * 10, "the attack still works on an open link (control)"
    fake = _answers(9)
    statuses = [_post(client, {"answers": fake}).status_code for _ in range(10)]
    statuses += [_post(client, {"answers": fake, "invitation": new_code()}).status_code for _ in range(10)]
    assert statuses == [403] * 20
    assert inbox_documents(settings, _wave_id(settings)) == []
    assert count_rows(engine_for(settings.database_url), "inbox") == 10  # the open wave's ten


def test_codes_survive_keys_rotate(settings: Settings, cli_env: dict[str, str], invited: str) -> None:
    codes = _issue(settings, 2)
    code, output = run("keys", "rotate")
    assert code == 0, output
    with TestClient(create_app(web_settings(settings))) as client:
        assert _post(client, {"answers": _answers(1), "invitation": codes[0]}).status_code == 201
        assert _post(client, {"answers": _answers(2), "invitation": codes[0]}).status_code == 409
    assert _status(settings) == (2, 1)


# --- the mixer ------------------------------------------------------------------------------------


def test_the_mixer_keeps_one_response_per_ballot_and_none_without(settings: Settings, invited: str) -> None:
    """Defence in depth: even rows written straight into the inbox (someone with write access to the
    database and the public inbox key) count once per server-made ballot, and not at all without one."""
    from survey_app.submissions import VisitTokens

    tokens = VisitTokens(_case_secret(settings))
    engine = engine_for(settings.database_url)
    wave_id = _wave_id(settings)
    ballots = [tokens.issue(wave_id, FLAG_BALLOT) for _ in range(settings.mix_batch)]
    with engine.begin() as connection:
        published = find_published_wave(connection, WAVE)
        assert published is not None
        for number, ballot in enumerate(ballots):
            assert submit_response(connection, published, _answers(number), submission=ballot)
        # The same ballot with other answers, an open-link token, a forged ballot, and no token at all.
        assert submit_response(connection, published, _answers(99), submission=ballots[0])
        assert submit_response(connection, published, _answers(98), submission=tokens.issue(wave_id))
        forged = ballots[1][:-4] + ("AAAA" if not ballots[1].endswith("AAAA") else "BBBB")
        assert submit_response(connection, published, _answers(97), submission=forged)
        assert submit_response(connection, published, _answers(96))
    report = mix_now(settings, wave_id)
    assert report.responses_mixed == settings.mix_batch
    assert report.duplicates_dropped == 1
    assert report.without_ballot == 3
    assert count_rows(engine, "closed_answer_part") == settings.mix_batch


def test_the_release_report_and_dashboard_say_how_many_codes_were_issued_and_used(
    settings: Settings, cli_env: dict[str, str], invited: str
) -> None:
    from survey_app.indicators import wave_indicators

    codes = _issue(settings, 20)
    with TestClient(create_app(web_settings(settings))) as client:
        for number, code in enumerate(codes[:12]):
            assert _post(client, {"answers": _answers(number), "invitation": code}).status_code == 201
    mix_now(settings, _wave_id(settings))
    code, output = run("release", "--wave", WAVE)
    assert code == 0, output
    assert "invitations: 20 issued, 12 used (60.0% of codes used)" in output
    with engine_for(settings.database_url).connect() as connection:
        report = wave_indicators(connection, WAVE, "bme_white")
    assert report.to_json()["invitations_issued"] == 20 and report.to_json()["invitation_response_rate"] == 60.0
