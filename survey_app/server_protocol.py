"""uvicorn's httptools protocol with deadlines for slow clients: headers, then body.

uvicorn times out an idle keep-alive connection, but once a client has sent a first byte it waits
for the rest of the request for ever: a few hundred connections that send a header line every
minute (slowloris), or a body a byte at a time, hold the server's connections and memory. This
protocol gives each request HEADER_TIMEOUT_SECONDS (default 10) from its first byte (or from the
connection, for a client that sends nothing) to finish its headers, then BODY_TIMEOUT_SECONDS
(default 30) to finish its body. A request that misses a deadline gets `408 Request Timeout` (if no
response has started) and the connection is closed; the application sees a disconnect, so nothing
half-sent is stored. A reverse proxy in front (deploy/) should have its own such limits; these hold
when there is none.

`survey-app serve` runs uvicorn with uvloop and this protocol (httptools underneath).
"""

from __future__ import annotations

import asyncio
from functools import lru_cache
from typing import Any

from uvicorn.protocols.http.httptools_impl import HttpToolsProtocol

TIMED_OUT = b"HTTP/1.1 408 Request Timeout\r\ncontent-type: text/plain\r\ncontent-length: 16\r\nconnection: close\r\n\r\nRequest timeout\n"


@lru_cache(maxsize=1)
def timeouts() -> tuple[float, float]:
    """(header, body) deadlines in seconds, from HEADER_TIMEOUT_SECONDS and BODY_TIMEOUT_SECONDS."""
    from survey_app.config import Settings

    settings = Settings.from_env()
    return float(settings.header_timeout_seconds), float(settings.body_timeout_seconds)


class SlowClientProtocol(HttpToolsProtocol):
    """HttpToolsProtocol, plus a deadline for the headers and one for the body of each request."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._deadline: asyncio.TimerHandle | None = None

    def _arm(self, seconds: float) -> None:
        self._cancel()
        self._deadline = self.loop.call_later(seconds, self._timed_out)

    def _cancel(self) -> None:
        if self._deadline is not None:
            self._deadline.cancel()
            self._deadline = None

    def _timed_out(self) -> None:
        self._deadline = None
        if self.transport.is_closing():
            return
        if self.cycle is None or not self.cycle.response_started:
            self.transport.write(TIMED_OUT)
        self.transport.close()

    def connection_made(self, transport: asyncio.Transport) -> None:  # type: ignore[override]
        super().connection_made(transport)
        self._arm(timeouts()[0])

    def on_message_begin(self) -> None:
        super().on_message_begin()
        self._arm(timeouts()[0])

    def on_headers_complete(self) -> None:
        super().on_headers_complete()
        self._arm(timeouts()[1])

    def on_message_complete(self) -> None:
        super().on_message_complete()
        self._cancel()

    def connection_lost(self, exc: Exception | None) -> None:
        self._cancel()
        super().connection_lost(exc)
