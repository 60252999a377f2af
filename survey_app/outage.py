"""When the database cannot be reached: 503 with Retry-After, and one log line per interval.

A database restart or a failover used to answer every request with a bare 500 and log nothing, so
neither a client nor an operator could tell an outage from a bug. Now any error that means "the
database is not answering" (SQLAlchemy's OperationalError and InterfaceError, a pool timeout, a
disconnect) becomes a 503 with `Retry-After`: JSON for the API (`{"errors": {"service": ...}}`), a
plain page for people (survey_app/pagekit). Nothing was stored for that request: a submission is
answered only after its transaction committed, so a 503 means "send it again", and a repeat sent
with the same visit token and answers is kept once (survey_app/submissions.py).

The log says that the database was unreachable and how many requests were turned away since the
last line, at most one line per `LOG_INTERVAL_SECONDS`: never the request, the client or the
exception's message (a message can quote a statement's parameters).
"""

from __future__ import annotations

import logging
import threading
import time
from typing import Any

from dataclasses import dataclass

from litestar import Request, Response
from litestar.openapi.datastructures import ResponseSpec
from sqlalchemy import exc as sa_exc

logger = logging.getLogger("survey_app.outage")

# Errors that mean the database is not answering, not that a statement was wrong.
DATABASE_UNAVAILABLE: tuple[type[Exception], ...] = (
    sa_exc.OperationalError,
    sa_exc.InterfaceError,
    sa_exc.DisconnectionError,
    sa_exc.TimeoutError,
)
RETRY_AFTER_SECONDS = 30
LOG_INTERVAL_SECONDS = 10.0
UNAVAILABLE = "The service cannot store or read anything at the moment. Nothing was stored; try again shortly."


@dataclass
class Unavailable:
    """The body of a 503: `{"errors": {"service": "..."}}`, with a `Retry-After` header."""

    errors: dict[str, str]


# For every API operation's OpenAPI `responses`: each can meet an outage.
UNAVAILABLE_RESPONSE = ResponseSpec(
    Unavailable,
    generate_examples=False,
    description="The database is not answering; nothing was stored. Try again after `Retry-After` seconds",
)


class _OutageLog:
    """Counts refused requests and logs them at most once per interval."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._last = 0.0
        self._pending = 0

    def record(self, error: Exception) -> None:
        with self._lock:
            self._pending += 1
            now = time.monotonic()
            if now - self._last < LOG_INTERVAL_SECONDS:
                return
            count, self._pending, self._last = self._pending, 0, now
        logger.error("database unavailable (%s): %d request(s) answered 503", type(error).__name__, count)


outage_log = _OutageLog()


def is_outage(error: BaseException) -> bool:
    return isinstance(error, DATABASE_UNAVAILABLE)


def api_unavailable(_request: Request[Any, Any, Any], error: Exception) -> Response[dict[str, Any]]:
    """The app-wide handler: JSON for machines (and staff pages, which are rarely hit during an outage)."""
    outage_log.record(error)
    return Response(
        {"errors": {"service": UNAVAILABLE}},
        status_code=503,
        headers={"Retry-After": str(RETRY_AFTER_SECONDS)},
    )


def outage_handlers() -> dict[type[Exception], Any]:
    return {kind: api_unavailable for kind in DATABASE_UNAVAILABLE}
