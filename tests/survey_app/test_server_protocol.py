"""Slow clients are timed out: a real uvicorn server with the protocol `survey-app serve` uses."""

from __future__ import annotations

import socket
import threading
import time
from collections.abc import Iterator
from typing import Any

import pytest
import uvicorn

from survey_app import server_protocol

received: list[bytes] = []


async def app(scope: dict[str, Any], receive: Any, send: Any) -> None:
    if scope["type"] != "http":
        return
    body = b""
    while True:
        message = await receive()
        if message["type"] == "http.disconnect":
            return
        body += message.get("body", b"")
        if not message.get("more_body"):
            break
    received.append(body)
    await send({"type": "http.response.start", "status": 200, "headers": [(b"content-length", b"2")]})
    await send({"type": "http.response.body", "body": b"ok"})


@pytest.fixture
def server(monkeypatch: pytest.MonkeyPatch) -> Iterator[int]:
    monkeypatch.setenv("HEADER_TIMEOUT_SECONDS", "1")
    monkeypatch.setenv("BODY_TIMEOUT_SECONDS", "1")
    server_protocol.timeouts.cache_clear()
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    config = uvicorn.Config(
        app, host="127.0.0.1", port=port, loop="uvloop", http=server_protocol.SlowClientProtocol, lifespan="off", log_level="error"
    )
    instance = uvicorn.Server(config)
    thread = threading.Thread(target=instance.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 20
    while not instance.started:
        assert time.monotonic() < deadline, "the server did not start"
        time.sleep(0.02)
    yield port
    instance.should_exit = True
    thread.join(10)
    server_protocol.timeouts.cache_clear()


def _exchange(port: int, sent: bytes) -> tuple[bytes, float]:
    """Send `sent`, then read until the server closes; (what came back, seconds it took)."""
    started = time.monotonic()
    with socket.create_connection(("127.0.0.1", port), timeout=15) as connection:
        connection.sendall(sent)
        answer = b""
        while chunk := connection.recv(4096):
            answer += chunk
    return answer, time.monotonic() - started


def test_headers_that_never_finish_are_timed_out(server: int) -> None:
    answer, seconds = _exchange(server, b"GET / HTTP/1.1\r\nHost: example\r\nX-Slow: 1\r\n")
    assert answer.startswith(b"HTTP/1.1 408") and seconds < 10


def test_a_body_that_never_finishes_is_timed_out_and_never_reaches_the_app(server: int) -> None:
    received.clear()
    answer, seconds = _exchange(server, b"POST / HTTP/1.1\r\nHost: example\r\nContent-Length: 100\r\n\r\n{\"answers\"")
    assert answer.startswith(b"HTTP/1.1 408") and seconds < 10
    assert received == []


def test_a_client_that_sends_nothing_is_closed(server: int) -> None:
    answer, seconds = _exchange(server, b"")
    assert answer.startswith(b"HTTP/1.1 408") and seconds < 10


def test_an_ordinary_request_is_answered(server: int) -> None:
    received.clear()
    answer, _ = _exchange(server, b"POST / HTTP/1.1\r\nHost: example\r\nContent-Length: 2\r\nConnection: close\r\n\r\nhi")
    assert answer.startswith(b"HTTP/1.1 200") and answer.endswith(b"ok")
    assert received == [b"hi"]
