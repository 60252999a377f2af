"""The open-link budget: an open wave accepts at most OPEN_LINK_BUDGET submissions a minute.

Anyone with an open link can answer, and so can a script: 500 valid responses from one client in
0.8 s were all accepted. Invitations are the real defence (one response per code); this bounds the
damage an open link can take. Each open wave has a one-minute window of OPEN_LINK_BUDGET
submissions (default 600: far above any real wave's rate, since a trust's whole staff answering in
the same hour is ~100 a minute), counted atomically per wave (survey_app/ratelimit.py: in Redis,
shared by every replica, when REDIS_URL is set). Above it the submission is refused with 429 and
`Retry-After` (the seconds left in the window), before anything is sealed or stored; the form keeps
the answers so the respondent can send them again.

Refusals are counted per wave and nothing else (no client, no time finer than the release that
reports them): each web process adds its refusals to `open_link_refusal` at most once per
`FLUSH_SECONDS` (and when it stops), so a flood costs one small UPDATE every few seconds, not one a
request. The release report says "N submissions refused over budget".
"""

from __future__ import annotations

import logging
import threading
import time
from collections import Counter

import anyio

from sqlalchemy import Connection, Engine, exc, select
from sqlalchemy.dialects import postgresql, sqlite

from survey_app.ratelimit import Decision, LimitStore, MemoryStore
from survey_app.storage.models import OpenLinkRefusal

logger = logging.getLogger("survey_app.open_link")
FLUSH_SECONDS = 5.0


class OpenLinkBudget:
    def __init__(self, store: LimitStore, per_minute: int, engine: Engine) -> None:
        self.store = store
        self.per_minute = per_minute
        self.engine = engine
        self._lock = threading.Lock()
        self._refused: Counter[str] = Counter()
        self._last_flush = time.monotonic()

    async def admit(self, wave_id: str) -> Decision:
        """Take one submission of the wave's budget for this minute, or say how long to wait.

        Counting in memory takes microseconds and stays on the event loop; Redis and the database
        (a flush of refusals, now and then) are asked from a worker thread."""
        bucket = f"open_link:{wave_id}"
        if isinstance(self.store, MemoryStore):
            decision = self.store.window_take(bucket, self.per_minute)
        else:
            decision = await anyio.to_thread.run_sync(self.store.window_take, bucket, self.per_minute)
        if not decision.allowed:
            with self._lock:
                self._refused[wave_id] += 1
                due = time.monotonic() - self._last_flush >= FLUSH_SECONDS
            if due:
                await anyio.to_thread.run_sync(self.flush)
        return decision

    def flush(self) -> None:
        """Add the refusals counted here to the database (one UPDATE per wave)."""
        with self._lock:
            refused, self._refused = self._refused, Counter()
            self._last_flush = time.monotonic()
        if not refused:
            return
        try:
            with self.engine.begin() as connection:
                for wave_id, count in refused.items():
                    add_refusals(connection, wave_id, count)
        except exc.SQLAlchemyError:
            # Keep the counts for the next flush rather than lose them.
            with self._lock:
                self._refused.update(refused)
            logger.error("could not record submissions refused over budget; will retry")


def add_refusals(connection: Connection, wave_id: str, count: int) -> None:
    """One upsert, so two processes adding at once both count (SQLite and PostgreSQL alike)."""
    dialect = postgresql if connection.dialect.name == "postgresql" else sqlite
    statement = dialect.insert(OpenLinkRefusal).values(wave_id=wave_id, refused=count)
    connection.execute(
        statement.on_conflict_do_update(
            index_elements=[OpenLinkRefusal.wave_id], set_={"refused": OpenLinkRefusal.refused + statement.excluded.refused}
        )
    )


def refused_over_budget(connection: Connection, wave_id: str) -> int:
    """Submissions the wave refused over its open-link budget, over its whole life (for the release report)."""
    return connection.execute(
        select(OpenLinkRefusal.refused).where(OpenLinkRefusal.wave_id == wave_id)
    ).scalar_one_or_none() or 0
