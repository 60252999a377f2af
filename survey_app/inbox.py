"""The inbox: each submission sealed to its wave's public key, one row, a random id and no date."""

from __future__ import annotations

import json
from typing import Any

from sqlalchemy import Connection, LargeBinary, String, func, insert, literal, select

from survey_app.sealing import seal_to_public_key
from survey_app.storage.models import InboxItem, Wave, random_id
from survey_app.waves import PublishedWave


def inbox_context(wave_id: str) -> bytes:
    return f"inbox:{wave_id}".encode()


def encode_response(answers: dict[str, Any], receipt: dict[str, str] | None = None) -> bytes:
    document: dict[str, Any] = {"answers": answers}
    if receipt is not None:
        document["receipt"] = receipt
    return json.dumps(document, separators=(",", ":"), ensure_ascii=False).encode()


def submit_response(
    connection: Connection, wave: PublishedWave, answers: dict[str, Any], receipt: dict[str, str] | None = None
) -> bool:
    """Seal and store validated answers; False if the wave closed in the meantime.

    `receipt` holds the keyed hashes of a shared concern's receipt (survey_app/ftsu/receipts.py),
    never its words; the mixer puts them into the concern part only.
    """
    sealed = seal_to_public_key(wave.public_key, encode_response(answers, receipt), inbox_context(wave.id))
    # Insert only while the wave is open: one statement, so a close can never race a submission.
    result = connection.execute(
        insert(InboxItem).from_select(
            ["id", "wave_id", "sealed"],
            select(
                literal(random_id(), String), Wave.id, literal(sealed, LargeBinary)
            ).where(Wave.id == wave.id, Wave.status == "open"),
        ).returning(InboxItem.id)
    )
    return result.first() is not None


def inbox_count(connection: Connection, wave_id: str) -> int:
    return connection.execute(
        select(func.count()).select_from(InboxItem).where(InboxItem.wave_id == wave_id)
    ).scalar_one()
