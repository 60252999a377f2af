"""Benchmark: a full release (open parts, aggregates with joint disclosure control, microdata,
report) of a large `nhs-staff-survey` wave, with its time and peak memory.

    .venv/bin/python bench/release.py [--responses 100000] [--database-url URL] [--format json]

Responses are realistic synthetic ones (survey_app.demo's model), stored through the real inbox
and mixer. The release runs in a child process so that its peak memory (max RSS) is its own.
Goal on the 2-core machine: under 30 s and under 1 GiB for 100,000 responses.
"""

from __future__ import annotations

import argparse
import json
import random
import resource
import secrets
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from questionnaires import validate_answers  # noqa: E402
from survey_app.config import Settings  # noqa: E402
from survey_app.demo import synthetic_answers  # noqa: E402
from survey_app.inbox import submit_response  # noqa: E402
from survey_app.keys import WaveKeyStore, read_secret_file, write_secret_file  # noqa: E402
from survey_app.mixer import mix_round  # noqa: E402
from survey_app.organisations import add_organisation  # noqa: E402
from survey_app.storage.database import engine_for, normalise_url, upgrade  # noqa: E402
from survey_app.waves import find_published_wave, find_wave, open_wave  # noqa: E402


def prepare(settings: Settings, responses: int) -> dict[str, float]:
    upgrade(settings.database_url)
    engine = engine_for(settings.database_url)
    key_store = WaveKeyStore(settings.key_file)
    with engine.begin() as connection:
        add_organisation(connection, "Bench Trust", "bench", headcount=2_000_000)
        open_wave(connection, key_store, "nhs-staff-survey", "bench", "bench-staff")
        wave = find_published_wave(connection, "bench-staff")
    assert wave is not None
    draw = synthetic_answers(wave.instrument, random.Random(1))
    started = time.perf_counter()
    chunk = 5000
    for first in range(0, responses, chunk):
        with engine.begin() as connection:
            for _ in range(min(chunk, responses - first)):
                clean, _ = validate_answers(wave.instrument, draw())
                submit_response(connection, wave, clean)
    submitted = time.perf_counter() - started
    started = time.perf_counter()
    report = mix_round(engine, key_store, wave.id, read_secret_file(settings.case_key_file, "case"), 11)
    mixed = time.perf_counter() - started
    assert report.responses_mixed == responses, report
    return {"submit_seconds": round(submitted, 2), "mix_seconds": round(mixed, 2)}


def release_in_this_process(settings: Settings) -> dict[str, object]:
    from survey_app import release as release_module

    engine = engine_for(settings.database_url)
    with engine.connect() as connection:
        wave = find_wave(connection, "bench-staff")
    assert wave is not None
    keys = WaveKeyStore(settings.key_file).load(wave.id)
    timings: dict[str, float] = {}
    original_open = release_module.open_closed_parts

    def timed_open(*args, **kwargs):  # type: ignore[no-untyped-def]
        started = time.perf_counter()
        result = original_open(*args, **kwargs)
        timings["open_parts_seconds"] = round(time.perf_counter() - started, 2)
        return result

    release_module.open_closed_parts = timed_open
    started = time.perf_counter()
    report = release_module.release_wave(engine, wave.id, keys, settings)
    total = time.perf_counter() - started
    return {
        "release_seconds": round(total, 2),
        **timings,
        "peak_memory_mib": round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, 1),
        "cells_published": report.cells_published,
        "cells_withheld_primary": report.cells_withheld_primary,
        "cells_withheld_complementary": report.cells_withheld_complementary,
        "microdata": {
            "records_suppressed": report.microdata.records_suppressed,
            "k_achieved": report.microdata.k_achieved,
            "levels": report.microdata.levels,
            "discernibility": report.microdata.discernibility,
            "average_class_size": round(report.microdata.average_class_size, 2),
            "highest_prosecutor_risk": round(report.microdata.highest_prosecutor_risk, 4),
        },
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--responses", type=int, default=100_000)
    parser.add_argument("--database-url", help="a PostgreSQL server URL; a fresh database is made on it")
    parser.add_argument("--format", choices=["text", "json"], default="text")
    parser.add_argument("--child", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        settings_data = json.loads(args.child)
        settings = Settings(
            database_url=settings_data["database_url"],
            key_file=Path(settings_data["key_file"]),
            case_key_file=Path(settings_data["case_key_file"]),
        )
        print(json.dumps(release_in_this_process(settings)))
        return
    with tempfile.TemporaryDirectory() as folder:
        kek, case = Path(folder) / "kek.key", Path(folder) / "case.key"
        write_secret_file(kek)
        write_secret_file(case)
        admin = None
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
            engine_for(url).dispose()
            child = subprocess.run(
                [sys.executable, __file__, "--child", json.dumps({"database_url": url, "key_file": str(kek), "case_key_file": str(case)})],
                check=True, capture_output=True, text=True,
            )
            figures.update(json.loads(child.stdout.strip().splitlines()[-1]))
        finally:
            if admin is not None:
                with admin.connect() as connection:
                    connection.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
    if args.format == "json":
        print(json.dumps(figures, indent=2))
    else:
        for key, value in figures.items():
            print(f"{key:>30}: {value}")
        met = figures["release_seconds"] < 30 and figures["peak_memory_mib"] < 1024  # type: ignore[operator]
        print(f"{'goal (<30 s, <1 GiB)':>30}: {'met' if met else 'NOT met'}")


if __name__ == "__main__":
    main()
