"""Save and come back later: a draft opens only with its code, and no one else can read or link it.

A respondent saves on any page, writes down seven words, and finishes on another device: the
response that reaches the inbox is the one a straight-through visit would have sent, with the same
visit token. An insider with the database files, the WAL and every key the web process and the
worker hold reads no draft.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from litestar import Litestar
from litestar.testing import TestClient
from sqlalchemy import select, update
from sqlalchemy.engine import make_url

from survey_app import drafts
from survey_app.app import create_app
from survey_app.config import Settings
from survey_app.keys import organisation_case_key, read_secret_file
from survey_app.sealing import derive_key
from survey_app.storage.database import engine_for
from survey_app.storage.models import Draft, Organisation
from survey_app.waves import close_wave, find_wave
from tests.survey_app import forensics
from tests.survey_app.helpers import count_rows, inbox_documents, open_test_wave, web_settings
from tests.survey_app.test_respond_pages import Respondent, Screen

INSTRUMENTS = ["bank-temporary-workers", "nhs-staff-survey", "lived-experience"]
CODE = re.compile(r'id="resume-code">([a-z ]+)<')
MARKER = "draft-marker-7361 what I wrote before the bleep"


@pytest.fixture
def app(settings: Settings) -> Litestar:
    for instrument in INSTRUMENTS:
        open_test_wave(settings, instrument, f"barts-{instrument}", org="barts")
    return create_app(web_settings(settings))


@pytest.fixture
def client(app: Litestar) -> Iterator[TestClient[Litestar]]:
    with TestClient(app) as test_client:
        yield test_client


def _answers(screen: Screen, person: Respondent) -> dict[str, Any]:
    answers = person.answer_everything()
    for name in screen.form.textareas:
        answers[name] = MARKER
    return answers


def _resume(client: TestClient[Litestar], slug: str, code: str) -> Respondent:
    person = Respondent(client, slug)
    form = person.get("/resume")
    assert form.status == 200 and "Continue with your saved answers" in form.heading
    person.screen = form
    response = client.post(f"/s/{slug}/resume", data={"code": code})
    person.screen = Screen(response)
    return person


def _finish(person: Respondent, given: dict[str, Any]) -> None:
    screen = person.screen
    assert screen is not None
    while not screen.is_check_page:
        answers = _answers(screen, person)
        given.update(answers)
        screen = person.press("continue", answers)
    assert person.press("submit").heading == "Your answers have been sent"


@pytest.mark.parametrize("instrument", INSTRUMENTS)
def test_save_on_a_page_resume_elsewhere_and_finish_as_one_response(
    client: TestClient[Litestar], app: Litestar, settings: Settings, instrument: str
) -> None:
    slug = f"barts-{instrument}"
    person = Respondent(client, slug)
    screen = person.start()
    token = dict(screen.form.hidden)["_submission"]
    given: dict[str, Any] = {}
    answers = _answers(screen, person)
    given.update(answers)
    second = person.press("continue", answers)
    # On the second page, answer and save before continuing: what is on this page is kept too.
    answers = _answers(second, person)
    given.update(answers)
    saved = person.press("save", answers)
    assert saved.heading == "Your answers are saved"
    code = CODE.search(saved.html).group(1)  # type: ignore[union-attr]
    assert len(code.split()) == 7
    assert "Anyone who has this code" in saved.text and "7 days" in saved.text
    engine = engine_for(settings.database_url)
    assert count_rows(engine, "draft") == 1 and count_rows(engine, "inbox") == 0

    # Another device: a new client, only the code (typed in capitals, four letters a word).
    with TestClient(app) as elsewhere:
        typed = " ".join(word[:4].upper() for word in code.split())
        resumed = _resume(elsewhere, slug, typed)
        assert resumed.screen is not None
        assert resumed.screen.heading == second.heading, "back on the page they left"
        assert dict(resumed.screen.form.hidden)["_submission"] == token, "the same visit"
        for name, value in answers.items():
            if isinstance(value, str) and name in resumed.screen.form.textareas:
                assert resumed.screen.form.textareas[name] == value
        _finish(resumed, given)
    assert count_rows(engine, "draft") == 0, "submitting deletes the draft"
    wave_id = find_wave(engine.connect(), slug).id  # type: ignore[union-attr]
    (document,) = inbox_documents(settings, wave_id)
    assert document["submission"] == token
    from questionnaires import load_instrument

    questions = load_instrument(instrument).questions
    for question_id, value in given.items():
        if question_id not in questions:
            continue
        expected: Any = value if questions[question_id].is_free_text else (
            [int(code) for code in value] if isinstance(value, list) else int(value)
        )
        assert document["answers"].get(question_id) == expected, question_id


def test_saving_twice_keeps_one_draft_and_only_the_new_code_works(client: TestClient[Litestar], settings: Settings) -> None:
    slug = "barts-bank-temporary-workers"
    person = Respondent(client, slug)
    screen = person.start()
    first = CODE.search(person.press("save", _answers(screen, person)).html).group(1)  # type: ignore[union-attr]
    person.press("stay")
    second = CODE.search(person.press("save").html).group(1)  # type: ignore[union-attr]
    assert first != second
    assert count_rows(engine_for(settings.database_url), "draft") == 1
    assert "could not find saved answers" in _resume(client, slug, first).screen.text  # type: ignore[union-attr]
    assert _resume(client, slug, second).screen.heading.endswith(screen.heading.split("–")[-1].strip())  # type: ignore[union-attr]


def test_continue_now_keeps_going_without_errors(client: TestClient[Litestar]) -> None:
    person = Respondent(client, "barts-lived-experience")
    person.start()
    saved = person.press("save", {"how_it_affected_you": "I stopped sleeping."})
    back = person.press("stay")
    assert back.heading.endswith("What happened") and not back.title.startswith("Error")
    assert back.form.textareas["how_it_affected_you"] == "I stopped sleeping."
    assert saved.form.buttons == [("_action", "stay")]


def test_wrong_expired_and_malformed_codes(client: TestClient[Litestar], settings: Settings) -> None:
    slug = "barts-bank-temporary-workers"
    person = Respondent(client, slug)
    person.start()
    code = CODE.search(person.press("save").html).group(1)  # type: ignore[union-attr]
    words = code.split()
    wrong = " ".join([*words[:2], *reversed(words[2:])]) if words[2:] != words[:1:-1] else " ".join(words[:2] + ["abacus"] * 5)
    refused = _resume(client, slug, wrong).screen
    assert refused is not None and refused.status == 200 and "could not find saved answers" in refused.text
    assert refused.title.startswith("Error")
    short = _resume(client, slug, "two words").screen
    assert short is not None and "has 7 words" in short.text
    engine = engine_for(settings.database_url)
    with engine.begin() as connection:
        connection.execute(update(Draft).values(expires_week=dt.date.today()))
    expired = _resume(client, slug, code).screen
    assert expired is not None and "could not find saved answers" in expired.text
    with engine.begin() as connection:
        assert drafts.delete_expired_drafts(connection) == 1


def test_wrong_codes_slow_down_that_draft_only(client: TestClient[Litestar]) -> None:
    slug = "barts-bank-temporary-workers"
    person = Respondent(client, slug)
    person.start()
    code = CODE.search(person.press("save").html).group(1).split()  # type: ignore[union-attr]
    guesses = [" ".join(code[:2] + [word] * 5) for word in ("abacus", "abandon", "ability", "able", "about")]
    statuses = [client.post(f"/s/{slug}/resume", data={"code": guess}).status_code for guess in guesses]
    assert statuses[:3] == [200, 200, 200] and 429 in statuses[3:]
    # Another respondent's draft is not slowed down by guesses at this one.
    other = Respondent(client, slug)
    other.start()
    their_code = CODE.search(other.press("save").html).group(1)  # type: ignore[union-attr]
    assert _resume(client, slug, their_code).screen.status == 200  # type: ignore[union-attr]


def test_closing_a_wave_deletes_its_drafts(client: TestClient[Litestar], settings: Settings) -> None:
    person = Respondent(client, "barts-bank-temporary-workers")
    person.start()
    person.press("save")
    other = Respondent(client, "barts-lived-experience")
    other.start()
    other.press("save")
    engine = engine_for(settings.database_url)
    with engine.begin() as connection:
        close_wave(connection, "barts-bank-temporary-workers")
    assert count_rows(engine, "draft") == 1


def test_a_cross_site_resume_is_refused(client: TestClient[Litestar]) -> None:
    response = client.post(
        "/s/barts-bank-temporary-workers/resume", data={"code": "a b c d e f g"}, headers={"Sec-Fetch-Site": "cross-site"}
    )
    assert response.status_code == 403


def test_an_insider_with_every_key_and_every_byte_reads_no_draft(
    client: TestClient[Litestar], settings: Settings
) -> None:
    engine = engine_for(settings.database_url)
    postgres = engine.dialect.name == "postgresql"
    first_segment = forensics.wal_position(engine) if postgres else ""
    codes = []
    for _ in range(5):
        person = Respondent(client, "barts-lived-experience")
        person.start()
        saved = person.press("save", {"what_happened": MARKER})
        codes.append(CODE.search(saved.html).group(1))  # type: ignore[union-attr]
    case_secret = read_secret_file(settings.case_key_file, "SURVEY_CASE_KEY_FILE")
    held = forensics.keys_in_store(read_secret_file(settings.key_file, "kek"), settings.key_file.parent / "wave-keys")
    with engine.connect() as connection:
        organisations = connection.execute(select(Organisation.id)).scalars().all()
        rows = connection.execute(select(Draft.salt)).scalars().all()
    # Every key the two processes hold, and every key this code derives from the case secret.
    symmetric = [
        *held.symmetric_keys,
        *(organisation_case_key(case_secret, o) for o in organisations),
        *(derive_key(case_secret, purpose) for purpose in ("survey_app draft locator", "survey_app draft visit", "survey_app visit token", "survey_app receipt")),
    ]
    if postgres:
        with engine.connect() as connection:
            connection.exec_driver_sql("CHECKPOINT")
        blobs = [forensics.postgres_wal_bytes(engine, first_segment), forensics.postgres_relation_bytes(engine)]
    else:
        blobs = [forensics.sqlite_bytes(Path(make_url(settings.database_url).database or ""))]
    for blob in blobs:
        assert MARKER.encode() not in blob, "a draft's text is in the files in the clear"
        opened = forensics.open_sealed_boxes(blob, held.private_keys) + forensics.open_symmetric_records(blob, symmetric)
        assert not any(MARKER.encode() in plaintext for plaintext in opened), "a held key opened a draft"
    # Positive control: with a code (which only the respondent holds) the same scan opens its draft.
    keys = [drafts.draft_key(drafts.parse_code(code), bytes(salt)) for code in codes[:1] for salt in rows]
    assert any(MARKER.encode() in plaintext for blob in blobs for plaintext in forensics.open_symmetric_records(blob, keys))
