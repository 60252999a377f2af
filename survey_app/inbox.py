"""The inbox (web process): each submission sealed to its wave's current inbox key, one row, a random
id and no date.

The web process holds public keys only: the current epoch's, remembered for a few seconds
(survey_app/waves.py). The worker may have retired that epoch meanwhile (survey_app/epochs.py),
and a row stored under a retired epoch could be lost once its key is destroyed. So the statement
that checks a stored row's wave is still open also checks that its epoch is still current, and
share-locks both: a row under an epoch that has moved on is re-sealed to the new one in the same
transaction, and the worker's retiring UPDATE waits for this commit. No response is lost to a
rotation, and the web process never asks the database for a key on the common path.
"""

from __future__ import annotations

import asyncio
import json
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import anyio.to_thread
from sqlalchemy import Connection, Engine, delete, func, insert, select

from survey_app.epochs import CURRENT, inbox_context
from survey_app.sealing import seal_to_public_key
from survey_app.storage.models import InboxEpoch, InboxItem, Wave, random_id
from survey_app.waves import PublishedWave

__all__ = ["InboxWriter", "encode_response", "inbox_context", "inbox_count", "store_sealed", "submit_response"]


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


@dataclass
class Sealed:
    """One response on its way into the inbox, sealed to the epoch its wave was last seen with."""

    wave: PublishedWave
    document: bytes
    epoch_id: str = ""
    sealed: bytes = b""
    id: str = field(default_factory=random_id)

    def seal_to(self, epoch_id: str, public_key: bytes) -> None:
        self.id, self.epoch_id = random_id(), epoch_id
        self.sealed = seal_to_public_key(public_key, self.document, inbox_context(self.wave.id))


def seal(wave: PublishedWave, document: bytes) -> Sealed:
    item = Sealed(wave, document)
    item.seal_to(wave.epoch_id, wave.public_key)
    return item


def _row(item: Sealed) -> dict[str, Any]:
    return {"id": item.id, "wave_id": item.wave.id, "epoch_id": item.epoch_id, "sealed": item.sealed}


def _current_epochs(connection: Connection, wave_ids: set[str]) -> dict[str, tuple[str, bytes]]:
    """The current epoch of each of these waves that is open, share-locked with its wave.

    On PostgreSQL a statement that waited for a rotation to commit re-checks the retired epoch but
    cannot see its successor (inserted after the statement began): an open wave missing from the
    answer is asked for again.
    """
    found: dict[str, tuple[str, bytes]] = {}
    wanted = set(wave_ids)
    for _ in range(5):
        rows = connection.execute(
            select(Wave.id, InboxEpoch.id.label("epoch_id"), InboxEpoch.public_key)
            .join(InboxEpoch, InboxEpoch.wave_id == Wave.id)
            .where(Wave.id.in_(wanted), Wave.status == "open", InboxEpoch.state == CURRENT)
            .with_for_update(read=True)
        ).all()
        found.update({row.id: (row.epoch_id, bytes(row.public_key)) for row in rows})
        missing = wanted - found.keys()
        if not missing:
            break
        wanted = set(connection.execute(select(Wave.id).where(Wave.id.in_(missing), Wave.status == "open")).scalars())
        if not wanted:
            break
    return found


def store_sealed(connection: Connection, items: list[Sealed]) -> tuple[list[bool], set[str]]:
    """Store sealed responses; per item, False if its wave is no longer open. Also returns the slugs
    of waves whose epoch had moved on (their rows were re-sealed to the current epoch).

    The rows are inserted first, so on SQLite the transaction already holds the write lock when
    the waves and epochs are read; on PostgreSQL they are then share-locked, so a close or a
    rotation either committed before (those rows are deleted, or re-sealed) or waits for this commit.
    """
    connection.execute(insert(InboxItem), [_row(item) for item in items])
    current = _current_epochs(connection, {item.wave.id for item in items})
    stale = [item for item in items if item.wave.id in current and current[item.wave.id][0] != item.epoch_id]
    refused = [item for item in items if item.wave.id not in current]
    if stale or refused:
        connection.execute(delete(InboxItem).where(InboxItem.id.in_([item.id for item in stale + refused])))
    if stale:
        for item in stale:
            item.seal_to(*current[item.wave.id])
        connection.execute(insert(InboxItem), [_row(item) for item in stale])
    return [item.wave.id in current for item in items], {item.wave.slug for item in stale}


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
    stored, _ = store_sealed(connection, [seal(wave, encode_response(answers, receipt, submission))])
    return stored[0]


def inbox_count(connection: Connection, wave_id: str) -> int:
    return connection.execute(
        select(func.count()).select_from(InboxItem).where(InboxItem.wave_id == wave_id)
    ).scalar_one()



# --- group commit -----------------------------------------------------------------------------

# Most rows stored in one transaction.
MAX_BATCH = 256


@dataclass
class _Pending:
    item: Sealed
    done: asyncio.Future[bool]


def _store_batch(engine: Engine, items: list[Sealed]) -> tuple[list[bool], set[str]]:
    with engine.begin() as connection:
        return store_sealed(connection, items)


class InboxWriter:
    """Group commit for the web process: submissions that arrive while a transaction is being
    committed are stored together in the next one. One writer per process; each caller still gets
    its answer only after its row is committed. `on_new_epoch(slug)` hears of a wave whose cached
    inbox key is out of date, so the cache asks the database again."""

    def __init__(self, engine: Engine, on_new_epoch: Callable[[str], None] | None = None) -> None:
        self.engine = engine
        self.on_new_epoch = on_new_epoch
        self._waiting: list[_Pending] = []
        self._drainer: asyncio.Task[None] | None = None  # kept, so the task is not garbage-collected

    async def submit(self, wave: PublishedWave, answers: dict[str, Any], submission: str | None = None) -> bool:
        item = seal(wave, encode_response(answers, submission=submission))
        done: asyncio.Future[bool] = asyncio.get_running_loop().create_future()
        self._waiting.append(_Pending(item, done))
        if self._drainer is None or self._drainer.done():
            self._drainer = asyncio.get_running_loop().create_task(self._drain())
        return await done

    async def _drain(self) -> None:
        while self._waiting:
            batch, self._waiting = self._waiting[:MAX_BATCH], self._waiting[MAX_BATCH:]
            try:
                results, stale = await anyio.to_thread.run_sync(_store_batch, self.engine, [p.item for p in batch])
            except Exception as error:  # every caller in the batch gets the error (a 500)
                for pending in batch:
                    if not pending.done.done():
                        pending.done.set_exception(error)
                continue
            if self.on_new_epoch is not None:
                for slug in stale:
                    self.on_new_epoch(slug)
            for pending, stored in zip(batch, results):
                if not pending.done.done():
                    pending.done.set_result(stored)
