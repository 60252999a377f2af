"""A visit submits once: what lets a reloaded thank-you page keep the receipt to itself.

The thank-you page is the answer to the Submit POST. Reloading it, or coming back to it with the
browser's Back and Forward, sends the same POST again, and the receipt (HMAC of the wave, the visit's
token and the answers, survey_app/ftsu/receipts.py) would be worked out and shown again: on a shared
ward computer, to the next person who sits down. So the web process notes that a visit has submitted:
a keyed hash of its token, in a row of `spent_visit` with the wave and the week after which the
worker deletes it. A later Submit with the same token stores nothing more and is told, without the
receipt, that its answers were already sent.

What the row could link, for an insider with every key and a copy of every file: it is written in a
transaction of its own, before the response's, so no transaction holds both; it holds an HMAC of a
random token that the server issued, which nothing else stores in the clear (the sealed inbox row
that carries the token becomes unreadable when its epoch key is destroyed, survey_app/epochs.py),
and no date finer than a week. It says that *some* visit submitted, which the inbox row says anyway.

A double tap sends Submit twice within a second or two, and the page the browser keeps is the second
answer: it must show the receipt too. This process remembers, in memory only and for GRACE_SECONDS,
the tokens it has just spent, and answers their repeat as the first (the mixer keeps one copy of the
same visit's same answers).
"""

from __future__ import annotations

import datetime as dt
import threading
import time

from sqlalchemy import Connection, Engine, delete, insert, select
from sqlalchemy.exc import IntegrityError

from survey_app.storage.models import SpentVisit, Wave

GRACE_SECONDS = 10.0
KEEP_DAYS = 7
"""How long a spent token is remembered: longer than a thank-you page stays open in a tab."""


def expiry_week(today: dt.date | None = None) -> dt.date:
    """The Monday of the week in which a row written today may be deleted (a week's precision only)."""
    day = (today or dt.date.today()) + dt.timedelta(days=KEEP_DAYS)
    return day - dt.timedelta(days=day.weekday()) + dt.timedelta(days=7)


class SpentVisits:
    """The web process's record of visits that have submitted."""

    def __init__(self, engine: Engine, grace_seconds: float = GRACE_SECONDS) -> None:
        self._engine = engine
        self.grace_seconds = grace_seconds
        self._recent: dict[bytes, float] = {}
        self._lock = threading.Lock()

    def spend(self, wave_id: str, token_hash: bytes) -> bool:
        """True the first time a visit submits (and again, briefly, for a double tap); False after."""
        now = time.monotonic()
        with self._lock:
            self._recent = {key: at for key, at in self._recent.items() if now - at < self.grace_seconds}
            if token_hash in self._recent:
                return True
        try:
            with self._engine.begin() as connection:
                connection.execute(
                    insert(SpentVisit).values(token_hash=token_hash, wave_id=wave_id, expires_week=expiry_week())
                )
        except IntegrityError:
            return False
        with self._lock:
            self._recent[token_hash] = now
        return True

    def unspend(self, wave_id: str, token_hash: bytes) -> None:
        """Nothing was stored after all (over the open-link budget): the visit may submit again."""
        with self._lock:
            self._recent.pop(token_hash, None)
        with self._engine.begin() as connection:
            connection.execute(
                delete(SpentVisit).where(SpentVisit.wave_id == wave_id, SpentVisit.token_hash == token_hash)
            )


def forget_spent_visits(connection: Connection, today: dt.date | None = None) -> int:
    """The worker's sweep: rows past their week, and every row of a closed wave."""
    day = today or dt.date.today()
    monday = day - dt.timedelta(days=day.weekday())
    expired = connection.execute(delete(SpentVisit).where(SpentVisit.expires_week <= monday)).rowcount
    closed_waves = select(Wave.id).where(Wave.status != "open")
    closed = connection.execute(delete(SpentVisit).where(SpentVisit.wave_id.in_(closed_waves))).rowcount
    return int(expired or 0) + int(closed or 0)
