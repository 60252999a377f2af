"""Benchmark: serving the EDI dashboard overview from a released wave's published tables.

    .venv/bin/python bench/dashboard.py [--responses 100000] [--database-url URL] [--repeat 50] [--format json]

The wave is a realistic `nhs-staff-survey` wave built and released with bench/release.py's helpers
(synthetic responses through the real inbox, mixer and release). Then, signed in as the wave's EDI
lead, `GET /edi/waves/{wave}` (the overview: WRES 5-8 by BME/White with gaps, benchmarks, charts,
the trend across waves; one audit row per view) is timed:

- in process, through the ASGI app (Litestar's TestClient): the application's own time;
- over HTTP, against `survey-app serve` (uvicorn, one worker, no key-encryption key): what a browser waits.

For each: the first request (cold), then the median, 95th percentile and worst of `--repeat`
requests. The data part alone (`wave_indicators` by bme_white + `wave_trends`, the published tables
read through survey_app.indicators) is timed too. Goal: the overview in under 100 ms.
"""

from __future__ import annotations

import argparse
import dataclasses
import json
import os
import re
import secrets
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

import httpx
from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "bench"))

from release import prepare, release_in_this_process  # noqa: E402  (bench/release.py)

from survey_app.accounts import add_account  # noqa: E402
from survey_app.config import Settings  # noqa: E402
from survey_app.indicators import wave_indicators, wave_trends  # noqa: E402
from survey_app.keys import write_secret_file  # noqa: E402
from survey_app.storage.database import engine_for, normalise_url  # noqa: E402

WAVE = "bench-staff"
EMAIL = "lead@bench.example"
PASSWORD = "bench password for the dashboard"
OVERVIEW = f"/edi/waves/{WAVE}"
GOAL_MS = 100.0


def timings(call: Callable[[], object], repeat: int) -> dict[str, float]:
    started = time.perf_counter()
    call()
    cold = time.perf_counter() - started
    times = []
    for _ in range(repeat):
        started = time.perf_counter()
        call()
        times.append(time.perf_counter() - started)
    times.sort()
    return {
        "cold_ms": round(cold * 1000, 1),
        "median_ms": round(statistics.median(times) * 1000, 1),
        "p95_ms": round(times[max(0, int(len(times) * 0.95) - 1)] * 1000, 1),
        "worst_ms": round(times[-1] * 1000, 1),
    }


def sign_in(client: httpx.Client | object) -> None:
    page = client.get("/staff/login")  # type: ignore[attr-defined]
    token = re.search(r'name="_csrf_token" value="([^"]+)"', page.text).group(1)  # type: ignore[union-attr]
    response = client.post(  # type: ignore[attr-defined]
        "/staff/login", data={"email": EMAIL, "password": PASSWORD, "_csrf_token": token}, follow_redirects=False
    )
    assert response.status_code in (302, 303), response.status_code


def check(response: object) -> None:
    assert response.status_code == 200, response.status_code  # type: ignore[attr-defined]
    assert "Workforce Race Equality Standard indicators" in response.text  # type: ignore[attr-defined]


def in_process(settings: Settings, folder: Path, repeat: int) -> dict[str, float]:
    from litestar.testing import TestClient

    from survey_app.app import create_app

    web = dataclasses.replace(settings, key_file=None, session_folder=folder / "sessions")
    with TestClient(create_app(web)) as client:
        sign_in(client)
        return timings(lambda: check(client.get(OVERVIEW)), repeat)


def over_http(settings: Settings, folder: Path, repeat: int) -> dict[str, float]:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    env = {name: value for name, value in os.environ.items() if name != "SURVEY_KEY_FILE"}
    env.update(DATABASE_URL=settings.database_url, SURVEY_CASE_KEY_FILE=str(settings.case_key_file))
    survey_app = str(Path(sys.executable).with_name("survey-app"))
    log = (folder / "server.log").open("wb")
    process = subprocess.Popen(
        [survey_app, "serve", "--host", "127.0.0.1", "--port", str(port)], env=env, cwd=folder, stdout=log, stderr=log
    )
    base = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 30
        while True:
            try:
                if httpx.get(f"{base}/healthz").status_code == 200:
                    break
            except httpx.TransportError:
                if time.monotonic() > deadline or process.poll() is not None:
                    raise RuntimeError((folder / "server.log").read_text()) from None
                time.sleep(0.1)
        with httpx.Client(base_url=base) as client:
            sign_in(client)
            return timings(lambda: check(client.get(OVERVIEW)), repeat)
    finally:
        process.terminate()
        process.wait(timeout=10)
        log.close()


def data_only(settings: Settings, repeat: int) -> dict[str, float]:
    engine = engine_for(settings.database_url)

    def read() -> None:
        with engine.connect() as connection:
            wave_indicators(connection, WAVE, "bme_white")
            wave_trends(connection, WAVE, "bme_white")

    return timings(read, repeat)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--responses", type=int, default=100_000)
    parser.add_argument("--database-url", help="a PostgreSQL server URL; a fresh database is made on it")
    parser.add_argument("--repeat", type=int, default=50)
    parser.add_argument("--format", choices=["text", "json"], default="text")
    args = parser.parse_args()
    admin = name = None
    with tempfile.TemporaryDirectory() as temporary:
        folder = Path(temporary)
        kek, case = folder / "kek.key", folder / "case.key"
        write_secret_file(kek)
        write_secret_file(case)
        if args.database_url:
            name = f"bench_{secrets.token_hex(4)}"
            admin = create_engine(normalise_url(args.database_url), isolation_level="AUTOCOMMIT")
            with admin.connect() as connection:
                connection.execute(text(f'CREATE DATABASE "{name}"'))
            url = make_url(normalise_url(args.database_url)).set(database=name).render_as_string(hide_password=False)
        else:
            url = f"sqlite:///{folder}/bench.db"
        try:
            settings = Settings(database_url=url, key_file=kek, case_key_file=case)
            figures: dict[str, object] = {"responses": args.responses, "database": make_url(url).get_backend_name()}
            figures.update(prepare(settings, args.responses))
            released = release_in_this_process(settings)
            figures["release_seconds"] = released["release_seconds"]
            with engine_for(url).begin() as connection:
                add_account(connection, EMAIL, "edi", ["bench"], PASSWORD)
            figures["data_only"] = data_only(settings, args.repeat)
            figures["overview_in_process"] = in_process(settings, folder, args.repeat)
            figures["overview_over_http"] = over_http(settings, folder, args.repeat)
            engine_for(url).dispose()
        finally:
            if admin is not None:
                with admin.connect() as connection:
                    connection.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
    met = all(
        figures[key]["median_ms"] < GOAL_MS  # type: ignore[index]
        for key in ("overview_in_process", "overview_over_http")
    )
    figures["goal"] = f"overview median under {GOAL_MS:.0f} ms: {'met' if met else 'NOT met'}"
    if args.format == "json":
        print(json.dumps(figures, indent=2))
    else:
        for key, value in figures.items():
            if isinstance(value, dict):
                value = ", ".join(f"{k} {v}" for k, v in value.items())
            print(f"{key:>22}: {value}")


if __name__ == "__main__":
    main()
