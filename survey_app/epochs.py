"""Inbox epochs: a forward-secure inbox. Every copy of an inbox row becomes unreadable, for everyone.

Why. Deleting a mixed inbox row does not remove it: SQLite keeps it in the `-wal` file until a
truncating checkpoint, PostgreSQL in heap pages until VACUUM and in `pg_wal`, and every replica,
snapshot, backup and WAL archive keeps it as long as it lives. Whoever holds the key that opens it
(the worker, an operator, a backup restorer) and such a copy could read each whole response, closed
answers and text together, long after the mixer split it. Deleting is not a defence; erasing the
key is. So a response is sealed to a short-lived *inbox key*, one X25519 key pair per wave and
*epoch*, and the private half is destroyed once the responses sealed to it have been mixed.

Where things live. The database holds each epoch's id, public key and state (`inbox_epoch`) and
each inbox row names its epoch; the private key exists only in the key store, wrapped by the KEK
(survey_app/keys.py), never in the database. The web process reads the current public key (cached
for a few seconds, survey_app/waves.py) and never holds a private key.

States: `current` (takes new rows; one per open wave), `held` (a closed wave's last responses, fewer
than MIX_BATCH, which wait there until the wave is retired), `retired` (takes no rows; its rows are
being mixed or re-sealed) and `destroyed` (its private key is gone for good). No date and no
sequence: an epoch must not date the responses sealed to it.

A round (`inbox_round`: each worker round and `survey-app mix`), for one wave, each step durable
before the next, so a rerun after a SIGKILL anywhere finishes the job:

1. a new key pair is written to the key store (fsynced), then one transaction retires the current
   epoch and makes the new one current (held, for a closed wave). On PostgreSQL the retiring UPDATE
   waits for any web transaction that has share-locked the epoch as current, so once it commits no
   row can ever again be stored under the retired epoch (survey_app/inbox.py checks the epoch in
   the statement that stores the row, and re-seals to the new one if it has moved on); on SQLite
   writers are serialised anyway;
2. the retired epochs' rows are mixed if they make a full batch (survey_app/mixer.py);
3. what is left of them (fewer than MIX_BATCH, or repeats held back) is re-sealed to the live epoch,
   one transaction per chunk that deletes the old rows and inserts the new;
4. a retired epoch whose rows are all gone has its key file overwritten and unlinked, and only then
   is it marked destroyed. An epoch that still has rows keeps its key: a key is never destroyed
   while a row needs it.

So after a round every response that has been mixed was sealed to a destroyed key: the copies of it
anywhere are noise. What the worker can still open is what has not been mixed yet (it must be able
to), and nothing else.

Waves opened before epochs got one epoch from their existing key pair in migration 0010; the first
round moves that private key into its own epoch file and overwrites it in the wave file (adoption),
then rotates it away like any other.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass

from sqlalchemy import Connection, Engine, delete, func, insert, select, update

from survey_app import crashpoints
from survey_app.keys import WaveKeyStore
from survey_app.sealing import (
    generate_inbox_key_pair,
    open_sealed_box,
    seal_to_public_key,
)
from survey_app.storage.models import InboxEpoch, InboxItem, Wave, random_id

CURRENT, HELD, RETIRED, DESTROYED = "current", "held", "retired", "destroyed"
LIVE_STATES = (CURRENT, HELD)
OPERATION = "epoch-rotation"
# Rows re-sealed per transaction.
CHUNK = 5000

log = logging.getLogger("survey_app.epochs")


@dataclass(frozen=True)
class LiveEpoch:
    id: str
    public_key: bytes
    state: str = CURRENT


def inbox_context(wave_id: str) -> bytes:
    return f"inbox:{wave_id}".encode()


def create_epoch(connection: Connection, key_store: WaveKeyStore, wave_id: str) -> LiveEpoch:
    """A new wave's first epoch: its private key is on disk (fsynced) before its public key is published."""
    pair = generate_inbox_key_pair()
    epoch = LiveEpoch(random_id(), pair.public_key)
    key_store.store_inbox_key(wave_id, epoch.id, pair)
    connection.execute(insert(InboxEpoch).values(id=epoch.id, wave_id=wave_id, public_key=epoch.public_key, state=CURRENT))
    return epoch


def live_epoch(connection: Connection, wave_id: str) -> LiveEpoch | None:
    row = connection.execute(
        select(InboxEpoch.id, InboxEpoch.public_key, InboxEpoch.state).where(
            InboxEpoch.wave_id == wave_id, InboxEpoch.state.in_(LIVE_STATES)
        )
    ).first()
    return LiveEpoch(row.id, bytes(row.public_key), row.state) if row else None


def epochs_in(connection: Connection, wave_id: str, state: str) -> list[str]:
    return list(
        connection.execute(
            select(InboxEpoch.id).where(InboxEpoch.wave_id == wave_id, InboxEpoch.state == state).order_by(InboxEpoch.id)
        ).scalars()
    )


def rows_sealed_to(connection: Connection, epoch_ids: list[str]) -> int:
    if not epoch_ids:
        return 0
    return connection.execute(
        select(func.count()).select_from(InboxItem).where(InboxItem.epoch_id.in_(epoch_ids))
    ).scalar_one()


# --- the steps of a round ----------------------------------------------------------------------

def adopt_legacy_key(engine: Engine, key_store: WaveKeyStore, wave_id: str) -> None:
    """Move a wave's pre-epoch inbox key out of its wave file into its epoch's own key file."""
    legacy = key_store.legacy_inbox_key(wave_id)
    if legacy is None:
        return
    with engine.connect() as connection:
        row = connection.execute(
            select(InboxEpoch.id, InboxEpoch.state).where(
                InboxEpoch.wave_id == wave_id, InboxEpoch.public_key == legacy.public_key
            )
        ).first()
    if row is None:
        log.error("wave %s: its old inbox key matches no epoch (is the database migrated?); kept as it is", wave_id)
        return
    if row.state != DESTROYED and not key_store.has_inbox_key(wave_id, row.id):
        key_store.store_inbox_key(wave_id, row.id, legacy)
        crashpoints.step(OPERATION)
    key_store.strip_legacy_inbox_key(wave_id)
    crashpoints.step(OPERATION)


def rotate(engine: Engine, key_store: WaveKeyStore, wave_id: str) -> LiveEpoch:
    """Step 1: a new live epoch for the wave; the one it replaces is retired. A closed wave gets one
    held epoch, which is not rotated again (nothing new can be sealed to it)."""
    with engine.connect() as connection:
        status = connection.execute(select(Wave.status).where(Wave.id == wave_id)).scalar_one()
        live = live_epoch(connection, wave_id)
        known = set(connection.execute(select(InboxEpoch.id).where(InboxEpoch.wave_id == wave_id)).scalars())
    # A key file no epoch row names was written by a round killed before its commit (the wave's
    # first epoch committed with the wave, and rounds of a wave hold the store's lock): its public
    # key was never published and nothing is sealed to it.
    for orphan in key_store.inbox_key_ids(wave_id) - known:
        key_store.destroy_inbox_key(wave_id, orphan)
    if status != "open" and live is not None and live.state == HELD:
        return live
    pair = generate_inbox_key_pair()
    new = LiveEpoch(random_id(), pair.public_key, CURRENT if status == "open" else HELD)
    key_store.store_inbox_key(wave_id, new.id, pair)
    crashpoints.step(OPERATION)
    with engine.begin() as connection:
        connection.execute(
            update(InboxEpoch)
            .where(InboxEpoch.wave_id == wave_id, InboxEpoch.state.in_(LIVE_STATES))
            .values(state=RETIRED)
        )
        connection.execute(
            insert(InboxEpoch).values(id=new.id, wave_id=wave_id, public_key=new.public_key, state=new.state)
        )
    crashpoints.step(OPERATION)
    return new


def reseal(engine: Engine, wave_id: str, inbox_keys: dict[str, bytes], live: LiveEpoch) -> int:
    """Step 3: rows still sealed to retired epochs are sealed again to the live epoch."""
    context = inbox_context(wave_id)
    moved = 0
    while True:
        with engine.connect() as connection:
            rows = connection.execute(
                select(InboxItem.id, InboxItem.epoch_id, InboxItem.sealed)
                .where(InboxItem.wave_id == wave_id, InboxItem.epoch_id.in_(list(inbox_keys)))
                .limit(CHUNK)
            ).all()
        if not rows:
            return moved
        fresh = [
            {
                "id": random_id(),
                "wave_id": wave_id,
                "epoch_id": live.id,
                "sealed": seal_to_public_key(
                    live.public_key, open_sealed_box(inbox_keys[row.epoch_id], bytes(row.sealed), context), context
                ),
            }
            for row in rows
        ]
        with engine.begin() as connection:
            deleted = connection.execute(delete(InboxItem).where(InboxItem.id.in_([row.id for row in rows])))
            if deleted.rowcount != len(rows):  # another mixer took some meanwhile: read again
                connection.rollback()
                continue
            connection.execute(insert(InboxItem), fresh)
        moved += len(rows)
        crashpoints.step(OPERATION)


def destroy_retired(engine: Engine, key_store: WaveKeyStore, wave_id: str) -> list[str]:
    """Step 4: destroy the key of every retired epoch that no row needs any more."""
    destroyed = []
    with engine.connect() as connection:
        retired = epochs_in(connection, wave_id, RETIRED)
    for epoch_id in retired:
        with engine.connect() as connection:
            waiting = rows_sealed_to(connection, [epoch_id])
        if waiting:  # the next round mixes or re-seals them first
            if not key_store.has_inbox_key(wave_id, epoch_id):
                log.error("wave %s: %s rows are sealed to inbox key %s, which is gone", wave_id, waiting, epoch_id)
            continue
        key_store.destroy_inbox_key(wave_id, epoch_id)
        crashpoints.step(OPERATION)
        with engine.begin() as connection:
            connection.execute(
                update(InboxEpoch).where(InboxEpoch.id == epoch_id, InboxEpoch.state == RETIRED).values(state=DESTROYED)
            )
        destroyed.append(epoch_id)
    return destroyed
