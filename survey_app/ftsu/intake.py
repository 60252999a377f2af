"""Sharing a concern at submission (web process): the case key, the receipt, the refusal.

The web process holds the case key (SURVEY_CASE_KEY_FILE) so that it can hash receipts and seal
urgent concerns. Without it, sharing with the guardian is refused with a form error, before
anything is stored: a concern must never be accepted that no guardian could receive, nor a
receipt shown that could never open anything.

What this writes can link, for an insider with the case key and copies of every file: an urgent
concern is sealed under the case key, which is never destroyed while guardians need it, in the same
transaction as its inbox row, so its copies stay readable beside that row's. It carries only what
the concern part carries (the texts, the attributes the respondent chose, the receipt's keyed
hashes), never a closed answer, and the inbox row beside it is sealed to an inbox epoch whose key the
worker destroys after mixing (survey_app/epochs.py). So a copy of this transaction joins the text to
nothing but itself; tests/survey_app/test_insider_attack.py checks it against the raw files.
"""

from __future__ import annotations

import json
from typing import Any

from sqlalchemy import Connection, Engine, insert, select

from questionnaires import Instrument
from survey_app.config import Settings
from survey_app.ftsu.receipts import Receipt, new_receipt, receipt_hashes, visit_receipt
from survey_app.inbox import submit_response
from survey_app.keys import MissingKeyError, organisation_case_key, read_secret_file
from survey_app.mixer import part_context, split_response
from survey_app.sealing import seal_with_key
from survey_app.storage.models import UrgentConcern, Wave, random_id
from survey_app.waves import PublishedWave


def concern_is_shared(instrument: Instrument, answers: dict[str, Any]) -> bool:
    return instrument.concern_when is not None and instrument.concern_when.is_met(answers) and bool(
        [q for q in instrument.free_text_questions() if q.id in answers]
    )


def concern_is_urgent(instrument: Instrument, answers: dict[str, Any]) -> bool:
    return concern_is_shared(instrument, answers) and answers.get("urgent") == 1


def store_response_with_concern(
    connection: Connection,
    wave: PublishedWave,
    answers: dict[str, Any],
    case_secret: bytes,
    receipt: Receipt,
    submission: str | None = None,
) -> bool:
    """Store a response that shares a concern: its receipt hashes go into the sealed response,
    and an urgent concern is also sealed under the case key into the urgent inbox, in the same
    transaction. False if the wave closed meanwhile (and then nothing is stored). A repeat of the
    same visit carries the same receipt, so the drops make one case of both copies."""
    hashes = receipt_hashes(case_secret, receipt)
    if not submit_response(connection, wave, answers, receipt=hashes.as_json(), submission=submission):
        return False
    if concern_is_urgent(wave.instrument, answers):
        organisation_id = connection.execute(select(Wave.organisation_id).where(Wave.id == wave.id)).scalar_one()
        concern = split_response(wave.instrument, answers, hashes.as_json()).concern
        assert concern is not None
        sealed = seal_with_key(
            organisation_case_key(case_secret, organisation_id),
            json.dumps(concern, separators=(",", ":"), ensure_ascii=False, sort_keys=True).encode(),
            part_context("urgent_concern", wave.id),
        )
        connection.execute(
            insert(UrgentConcern).values(id=random_id(), wave_id=wave.id, organisation_id=organisation_id, sealed=sealed)
        )
    return True


SHARING_UNAVAILABLE = (
    "Sharing with the Freedom to Speak Up guardian is not available at the moment. Choose “No” to "
    "send your testimony without sharing it, or speak to your guardian directly"
)


def web_case_secret(settings: Settings) -> bytes | None:
    """The case secret if this process has one; None when SURVEY_CASE_KEY_FILE is unset or unreadable."""
    if settings.case_key_file is None:
        return None
    try:
        return read_secret_file(settings.case_key_file, "SURVEY_CASE_KEY_FILE")
    except MissingKeyError:
        return None


def sharing_question(instrument: Instrument) -> str | None:
    return instrument.concern_when.question if instrument.concern_when is not None else None


def receipt_for(
    wave: PublishedWave, answers: dict[str, Any], case_secret: bytes | None, submission: str | None = None
) -> Receipt | None:
    """The receipt when these answers share a concern (the visit's own when there is a visit token, so
    a repeat of the same answers shows the same words); raises SharingUnavailable without a case key."""
    if not concern_is_shared(wave.instrument, answers):
        return None
    if case_secret is None:
        raise SharingUnavailable(SHARING_UNAVAILABLE)
    return visit_receipt(case_secret, wave.id, submission, answers) if submission is not None else new_receipt()


class SharingUnavailable(Exception):
    pass


def store(
    engine: Engine,
    wave: PublishedWave,
    answers: dict[str, Any],
    case_secret: bytes | None,
    receipt: Receipt | None,
    submission: str | None = None,
) -> bool:
    """Seal and store one response (with its concern's receipt hashes and urgent copy, if any)."""
    with engine.begin() as connection:
        if receipt is None:
            return submit_response(connection, wave, answers, submission=submission)
        assert case_secret is not None
        return store_response_with_concern(connection, wave, answers, case_secret, receipt, submission)
