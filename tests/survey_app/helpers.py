"""Small builders shared by the survey_app tests."""

from __future__ import annotations

import json
import random
from typing import Any

from sqlalchemy import Connection, Engine, func, select

from questionnaires import Instrument, validate_answers
from survey_app.closed_parts import ClosedPartLayout
from survey_app.config import Settings
from survey_app.inbox import inbox_context
from survey_app.keys import WaveKeyStore, read_secret_file
from survey_app.mixer import MixReport, mix_round, open_closed_parts
from survey_app.organisations import add_organisation, find_organisation
from survey_app.sealing import WaveKeys, open_sealed_box
from survey_app.storage.database import engine_for
from survey_app.storage.models import InboxItem, SQLModel
from survey_app.waves import open_wave, wave_instrument


def web_settings(settings: Settings) -> Settings:
    """The web process's settings: no key-encryption key."""
    return Settings(database_url=settings.database_url, key_file=None, case_key_file=settings.case_key_file)


def open_test_wave(
    settings: Settings,
    instrument: str,
    slug: str | None = None,
    org: str = "barts",
    allow_import: bool = False,
    access: str = "open",
) -> str:
    slug = slug or f"{org}-{instrument}"
    engine = engine_for(settings.database_url)
    with engine.begin() as connection:
        if find_organisation(connection, org) is None:
            add_organisation(connection, f"Organisation {org}", org, headcount=1000)
        open_wave(connection, WaveKeyStore(settings.key_file), instrument, org, slug, allow_import, access=access)
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


# The authenticator app of each test account: the TOTP secret read off the enrolment page, the last
# time step used (a code is accepted once) and the recovery codes shown at enrolment.
AUTHENTICATOR: dict[str, str] = {}
LAST_STEP: dict[str, int] = {}
RECOVERY: dict[str, list[str]] = {}


def second_factor(client: Any, email: str, response: Any) -> Any:
    """Finish a sign-in that asks for the second factor, as the account holder with their phone would:
    enrol (scan: read the key off the page) or enter the app's code. Returns the last response."""
    import re
    import time

    import pyotp

    location = response.headers.get("location", "") if response.status_code in (302, 303) else ""
    now = int(time.time() // 30)
    if location == "/staff/login/enrol":
        page = client.get(location).text
        match = re.search(r'id="totp-secret"[^>]*>([A-Z2-7 ]+)<', page)
        assert match, "the enrolment page shows the key as text"
        secret = match.group(1).replace(" ", "")
        AUTHENTICATOR[email] = secret
        enrolled = client.post(
            "/staff/login/enrol",
            data={"code": pyotp.TOTP(secret).at(now * 30), "_csrf_token": csrf_token(client, location)},
            follow_redirects=False,
        )
        LAST_STEP[email] = now
        RECOVERY[email] = re.findall(r"<li><code>([0-9A-Z]+)</code></li>", enrolled.text)
        return enrolled
    if location == "/staff/login/code":
        step = max(now, LAST_STEP.get(email, -1) + 1)
        token = csrf_token(client, location)
        if step <= now + 1 and email in AUTHENTICATOR:
            code = pyotp.TOTP(AUTHENTICATOR[email]).at(step * 30)
            LAST_STEP[email] = step
        else:  # every code of this minute is used: a recovery code, as the holder would
            code = RECOVERY[email].pop()
        return client.post("/staff/login/code", data={"code": code, "_csrf_token": token}, follow_redirects=False)
    return response


def sign_in(client: Any, email: str, password: str = STAFF_PASSWORD) -> Any:
    token = csrf_token(client)
    response = client.post(
        "/staff/login", data={"email": email, "password": password, "_csrf_token": token}, follow_redirects=False
    )
    response = second_factor(client, email, response)
    assert response.status_code in (200, 302, 303), f"sign-in failed for {email}: {response.status_code}"
    return response


def opened_closed_answers(connection: Connection, wave_id: str, keys: WaveKeys) -> list[dict[str, Any]]:
    """Every closed-answer part of a wave, opened as the release opens them, as answers again."""
    layout = ClosedPartLayout.of(wave_instrument(connection, wave_id))
    return layout.answers(open_closed_parts(connection, wave_id, keys, layout))


def inbox_documents(settings: Settings, wave_id: str) -> list[dict[str, Any]]:
    """Open a wave's inbox as only the worker can: each row with the key of the epoch it is sealed to."""
    key_store = WaveKeyStore(settings.key_file)
    with engine_for(settings.database_url).connect() as connection:
        rows = connection.execute(
            select(InboxItem.epoch_id, InboxItem.sealed).where(InboxItem.wave_id == wave_id)
        ).all()
    return [
        json.loads(open_sealed_box(key_store.load_inbox_key(wave_id, row.epoch_id), bytes(row.sealed), inbox_context(wave_id)))
        for row in rows
    ]


def mix_now(settings: Settings, wave_id: str, batch: int | None = None) -> MixReport:
    """One mixing round for a wave, as the worker runs it (rotate, mix, re-seal, destroy)."""
    return mix_round(
        engine_for(settings.database_url),
        WaveKeyStore(settings.key_file),
        wave_id,
        read_secret_file(settings.case_key_file, "SURVEY_CASE_KEY_FILE"),
        batch or settings.mix_batch,
    )
