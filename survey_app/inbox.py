"""The inbox: each submission sealed to its wave's public key, one row, a random id and no date."""

from __future__ import annotations

import asyncio
import json
from dataclasses import dataclass
from typing import Any

import anyio.to_thread
from sqlalchemy import (
    Connection,
    Engine,
    LargeBinary,
    String,
    delete,
    func,
    insert,
    literal,
    select,
)

from survey_app.sealing import seal_to_public_key
from survey_app.storage.models import InboxItem, Wave, random_id
from survey_app.waves import PublishedWave


def inbox_context(wave_id: str) -> bytes:
    return f"inbox:{wave_id}".encode()


def encode_response(
    answers: dict[str, Any], receipt: dict[str, str] | None = None, submission: str | None = None
) -> bytes:
    """The sealed document. `submission` is the visit's token (survey_app/submissions.py)."""
    document: dict[str, Any] = {"answers": answers}
    if receipt is not None:
        document["receipt"] = receipt
    if submission is not None:
        document["submission"] = submission
    return json.dumps(document, separators=(",", ":"), ensure_ascii=False).encode()


def submit_response(
    connection: Connection,
    wave: PublishedWave,
    answers: dict[str, Any],
    receipt: dict[str, str] | None = None,
    submission: str | None = None,
) -> bool:
    """Seal and store validated answers; False if the wave closed in the meantime.

    `receipt` holds the keyed hashes of a shared concern's receipt (survey_app/ftsu/receipts.py),
    never its words; the mixer puts them into the concern part only.
    """
    sealed = seal_to_public_key(wave.public_key, encode_response(answers, receipt, submission), inbox_context(wave.id))
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



# --- group commit -----------------------------------------------------------------------------

# Most rows stored in one transaction.
MAX_BATCH = 256


@dataclass
class _Pending:
    id: str
    wave_id: str
    sealed: bytes
    done: asyncio.Future[bool]


def store_sealed(engine: Engine, pending: list[_Pending]) -> list[bool]:
    """Store sealed responses in one transaction; per item, False if its wave is no longer open.

    The rows are inserted first, so on SQLite the transaction already holds the write lock when
    the waves' status is read; on PostgreSQL the wave rows are then share-locked, so a close
    either committed before (those rows are deleted again) or waits for this commit.
    """
    wave_ids = {p.wave_id for p in pending}
    with engine.begin() as connection:
        connection.execute(insert(InboxItem), [{"id": p.id, "wave_id": p.wave_id, "sealed": p.sealed} for p in pending])
        open_waves = set(
            connection.execute(
                select(Wave.id).where(Wave.id.in_(wave_ids), Wave.status == "open").with_for_update(read=True)
            ).scalars()
        )
        if open_waves != wave_ids:
            connection.execute(
                delete(InboxItem).where(InboxItem.id.in_([p.id for p in pending if p.wave_id not in open_waves]))
            )
    return [p.wave_id in open_waves for p in pending]


class InboxWriter:
    """Group commit for the web process: submissions that arrive while a transaction is being
    committed are stored together in the next one. One writer per process; each caller still gets
    its answer only after its row is committed."""

    def __init__(self, engine: Engine) -> None:
        self.engine = engine
        self._waiting: list[_Pending] = []
        self._drainer: asyncio.Task[None] | None = None  # kept, so the task is not garbage-collected

    async def submit(self, wave: PublishedWave, answers: dict[str, Any], submission: str | None = None) -> bool:
        sealed = seal_to_public_key(
            wave.public_key, encode_response(answers, submission=submission), inbox_context(wave.id)
        )
        done: asyncio.Future[bool] = asyncio.get_running_loop().create_future()
        self._waiting.append(_Pending(random_id(), wave.id, sealed, done))
        if self._drainer is None or self._drainer.done():
            self._drainer = asyncio.get_running_loop().create_task(self._drain())
        return await done

    async def _drain(self) -> None:
        while self._waiting:
            batch, self._waiting = self._waiting[:MAX_BATCH], self._waiting[MAX_BATCH:]
            try:
                results = await anyio.to_thread.run_sync(store_sealed, self.engine, batch)
            except Exception as error:  # every caller in the batch gets the error (a 500)
                for item in batch:
                    if not item.done.done():
                        item.done.set_exception(error)
                continue
            for item, stored in zip(batch, results):
                if not item.done.done():
                    item.done.set_result(stored)
