"""The two processes as an operator runs them: `serve` without the key-encryption key, and `worker`."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from survey_app.config import Settings
from survey_app.storage.database import engine_for
from tests.survey_app.helpers import count_rows, open_test_wave

BIN = Path(sys.executable).parent
SENTINEL = "Marmalade-Lantern-4417"


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def process_env(**values: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if k not in ("SURVEY_KEY_FILE", "SURVEY_CASE_KEY_FILE", "DATABASE_URL")}
    env.update(values)
    return env


@pytest.fixture
def server(settings: Settings, tmp_path: Path) -> Iterator[tuple[str, Path]]:
    """`survey-app serve` with the database and case key only: no SURVEY_KEY_FILE at all."""
    open_test_wave(settings, "lived-experience", "voices")
    port = free_port()
    log = tmp_path / "serve.log"
    env = process_env(DATABASE_URL=settings.database_url, SURVEY_CASE_KEY_FILE=str(settings.case_key_file))
    with open(log, "wb") as handle:
        process = subprocess.Popen(
            [str(BIN / "survey-app"), "serve", "--port", str(port)], env=env, stdout=handle, stderr=subprocess.STDOUT
        )
    base = f"http://127.0.0.1:{port}"
    try:
        for _ in range(100):
            try:
                if httpx.get(f"{base}/readyz").status_code == 200:
                    break
            except httpx.TransportError:
                time.sleep(0.1)
        else:
            raise AssertionError(log.read_text())
        yield base, log
    finally:
        process.terminate()
        process.wait(timeout=10)


def test_serve_takes_responses_without_the_key_encryption_key(settings: Settings, server: tuple[str, Path]) -> None:
    base, log = server
    for i in range(3):
        response = httpx.post(
            f"{base}/api/v1/waves/voices/responses",
            json={"answers": {"what_happened": f"{SENTINEL} {i}", "consent_quote": 2, "consent_share": 2}},
            headers={"X-Forwarded-For": "203.0.113.77", "User-Agent": "Sentinel-Agent/1.0"},
        )
        assert response.status_code == 201
    # A page and an error too, so the log has had every chance to record something.
    assert httpx.get(f"{base}/api/v1/waves/nowhere").status_code == 404
    assert count_rows(engine_for(settings.database_url), "inbox") == 3
    time.sleep(0.2)
    # The server announces its own listening address once; any other mention would be a client's.
    text = "\n".join(line for line in log.read_text().splitlines() if "Uvicorn running on" not in line)
    for trace in ("127.0.0.1", "203.0.113.77", "Sentinel-Agent", SENTINEL, "/api/v1/waves/voices"):
        assert trace not in text, f"{trace!r} reached the server log:\n{text}"


def test_worker_refuses_to_start_without_keys_and_says_how_to_make_them(settings: Settings) -> None:
    env = process_env(DATABASE_URL=settings.database_url)
    result = subprocess.run([str(BIN / "survey-app"), "worker", "--once"], env=env, capture_output=True, text=True, timeout=60)
    assert result.returncode != 0
    assert "SURVEY_KEY_FILE is not set" in result.stderr
    assert "survey-app keys init" in result.stderr


def test_worker_mixes_and_releases_a_full_batch(settings: Settings, server: tuple[str, Path]) -> None:
    base, _ = server
    for i in range(11):
        httpx.post(
            f"{base}/api/v1/waves/voices/responses",
            json={"answers": {"what_happened": f"story {i}", "consent_quote": 2, "consent_share": 2}},
        ).raise_for_status()
    env = process_env(
        DATABASE_URL=settings.database_url,
        SURVEY_KEY_FILE=str(settings.key_file),
        SURVEY_CASE_KEY_FILE=str(settings.case_key_file),
    )
    result = subprocess.run([str(BIN / "survey-app"), "worker", "--once"], env=env, capture_output=True, text=True, timeout=60)
    assert result.returncode == 0, result.stderr
    # The worker keeps its schedule through an error, so the round must not have logged one.
    assert "failed" not in result.stderr + result.stdout, result.stderr
    engine = engine_for(settings.database_url)
    assert count_rows(engine, "inbox") == 0
    # Mixed into 11 testimonies, which the day's release moved into one sealed batch of at least k.
    assert count_rows(engine, "testimony_part") == 0
    assert count_rows(engine, "testimony_batch") == 1
    assert count_rows(engine, "release") == 1
