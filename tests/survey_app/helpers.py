"""Small builders shared by the survey_app tests."""

from __future__ import annotations

import random
from typing import Any

from sqlalchemy import Connection, Engine, func, select

from questionnaires import Instrument, validate_answers
from survey_app.closed_parts import ClosedPartLayout
from survey_app.config import Settings
from survey_app.keys import WaveKeyStore
from survey_app.mixer import open_closed_parts
from survey_app.organisations import add_organisation, find_organisation
from survey_app.sealing import WaveKeys
from survey_app.storage.database import engine_for
from survey_app.storage.models import SQLModel
from survey_app.waves import open_wave, wave_instrument


def web_settings(settings: Settings) -> Settings:
    """The web process's settings: no key-encryption key."""
    return Settings(database_url=settings.database_url, key_file=None, case_key_file=settings.case_key_file)


def open_test_wave(
    settings: Settings, instrument: str, slug: str | None = None, org: str = "barts", allow_import: bool = False
) -> str:
    slug = slug or f"{org}-{instrument}"
    engine = engine_for(settings.database_url)
    with engine.begin() as connection:
        if find_organisation(connection, org) is None:
            add_organisation(connection, f"Organisation {org}", org)
        open_wave(connection, WaveKeyStore(settings.key_file), instrument, org, slug, allow_import)
    return slug


def count_rows(engine: Engine, table: str) -> int:
    model = SQLModel.metadata.tables[table]
    with engine.connect() as connection:
        return connection.execute(select(func.count()).select_from(model)).scalar_one()


def random_answers(instrument: Instrument, rng: random.Random, text: str | None = None) -> dict[str, Any]:
    """A valid, routed response: each shown question answered with probability 0.9."""
    answers: dict[str, Any] = {}
    for page in instrument.pages:
        for question in page.shown_questions(answers):
            if question.is_free_text:
                if text is not None or question.required:
                    answers[question.id] = text or "Something happened on a night shift."
                continue
            if not question.required and rng.random() < 0.1:
                continue
            codes = sorted(question.codes)
            if not codes:  # an organisation question not filled in for this wave
                continue
            if question.type == "multiple":
                plain = [code for code in codes if code not in question.exclusive]
                answers[question.id] = sorted(rng.sample(plain, k=min(len(plain), rng.randint(1, 2))))
            else:
                answers[question.id] = rng.choice(codes)
    clean, errors = validate_answers(instrument, answers)
    assert not errors, errors
    return clean


# --- staff sign-in through the TestClient (CSRF token from the form) ----------------------------

STAFF_PASSWORD = "correct horse battery staple"


def csrf_token(client: Any, path: str = "/staff/login") -> str:
    import re

    match = re.search(r'name="_csrf_token" value="([^"]+)"', client.get(path).text)
    assert match, "the form carries a CSRF token"
    return match.group(1)


def sign_in(client: Any, email: str, password: str = STAFF_PASSWORD) -> Any:
    token = csrf_token(client)
    response = client.post(
        "/staff/login", data={"email": email, "password": password, "_csrf_token": token}, follow_redirects=False
    )
    assert response.status_code in (302, 303), f"sign-in failed for {email}: {response.status_code}"
    return response


def opened_closed_answers(connection: Connection, wave_id: str, keys: WaveKeys) -> list[dict[str, Any]]:
    """Every closed-answer part of a wave, opened as the release opens them, as answers again."""
    layout = ClosedPartLayout.of(wave_instrument(connection, wave_id))
    return layout.answers(open_closed_parts(connection, wave_id, keys, layout))
