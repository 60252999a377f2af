"""Benchmark: WRES indicators of a very large wave, on SQLite or PostgreSQL.

    .venv/bin/pip install -e '.[bench]'          # pandas, for the comparison only
    .venv/bin/python bench/indicators.py [--responses 1000000] [--database-url URL] [--format json]
                                         [--parts records|json]

What is measured, for a `bank-temporary-workers` wave of a region with three member organisations
(so every breakdown of the release exists: total, ethnic category and heading, BME/White, worker
type, occupation heading, organisation, ethnic heading x worker type):

1. **open parts**: the release opening every sealed closed-answer part (`open_closed_parts`: read,
   AES-GCM open, gather the fixed-size records into one array; `--parts json` fills the wave as a
   wave opened before records, whose JSON parts are decoded and converted here), the real path.
2. **indicator computation**: what the release does with the opened records before storing
   anything: one column per question from the records (`ClosedPartLayout.columns`, reported as
   `build_columns`) + `build_breakdowns` + the derived WRES and companion measures + `publish_tables`
   (counting every measure by every breakdown and joint disclosure control). Goal: under 2 s. Timed
   inside the real `release_wave`, by wrapping those four functions.
3. **pandas**: a straightforward pandas computation of the same indicator figures (count and base
   of wres5-8 for every group of every breakdown) from the same opened records in the same run, with
   and without building the DataFrame (mapping each record field to its answer code). The figures must agree with every shown (not withheld, not
   held-over) published cell: the script stops with an error if one does not.
4. **headline**: of the WRES headline cells (BME and White, indicators 5-8) whose two sides each
   have at least `MIN_CELL` respondents, how many the release shows (`headline_cells_shown` of
   `headline_cells_eligible`; held-over figures count as not shown).
5. **serve**: `survey_app.indicators.wave_indicators` reading the published tables (the data of the
   dashboard overview, by bme_white), cold (first call) and warm (median of repeated calls); and the
   overview page itself, `GET /edi/waves/{wave}` through the app signed in as an EDI lead (cold,
   median, p95, worst). Goal: under 100 ms.

How the wave is filled: answers are drawn with numpy (ethnic mix of the London NHS workforce, WRES
rates of London 2018 by BME/White, worse for temporary workers, routing respected), and each
response's closed answers are sealed exactly as the mixer seals a closed-answer part
(`ClosedPartFormat.plaintext`, `seal_with_key` under the wave's data key,
`part_context("closed_answers", wave)`, padded to the wave's one part size) and inserted straight into `closed_answer_part` (COPY on PostgreSQL). One million
web submissions through the inbox and mixer would take hours and measure nothing this benchmark is
about; everything from opening the parts on is the real release path. The microdata step of the
release (k-anonymity) also runs and its time is reported, but it is not part of the goal.
"""

from __future__ import annotations

import argparse
import json
import multiprocessing
import resource
import secrets
import statistics
import sys
import tempfile
import time
from collections.abc import Callable, Iterator
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path
from typing import Any

import numpy as np
from sqlalchemy import create_engine, insert, text, update
from sqlalchemy.engine import make_url

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "bench"))

from questionnaires import Instrument, Question, validate_answers  # noqa: E402
from survey_app import release as release_module  # noqa: E402
from survey_app.breakdowns import BME, NOT_STATED, WHITE  # noqa: E402
from survey_app.closed_parts import (  # noqa: E402
    COLUMNAR_FORMAT,
    JSON_FORMAT,
    ClosedPartFormat,
    ClosedPartLayout,
)
from survey_app.config import Settings  # noqa: E402
from survey_app.demo.respondents import (  # noqa: E402
    LONDON_ETHNICITY_WEIGHTS,
    TEMPORARY_WORKER_SHIFT,
    WRES_LONDON_2018,
)
from survey_app.indicators import BY_CHOICES, wave_indicators  # noqa: E402
from survey_app.keys import WaveKeyStore, write_secret_file  # noqa: E402
from survey_app.mixer import part_context  # noqa: E402
from survey_app.organisations import add_organisation  # noqa: E402
from survey_app.sealing import WaveKeys, seal_with_key  # noqa: E402
from survey_app.storage.database import engine_for, normalise_url, upgrade  # noqa: E402
from survey_app.storage.models import ClosedAnswerPart, Wave, random_id  # noqa: E402
from survey_app.waves import find_wave, open_wave, wave_instrument  # noqa: E402

WAVE = "bench-bank"
INSTRUMENT = "bank-temporary-workers"
MEMBERS = ("Bench North NHS Trust", "Bench South NHS Trust", "Bench Community NHS Trust")
CHUNK = 50_000
SKIP = 0.05  # share of optional questions left blank
NOT_STATED_SHARE = 0.04
WRES_MEASURES = ("wres5", "wres6", "wres7", "wres8")
SERVE_REPEATS = 25
GOALS = {"indicator_seconds": 2.0, "serve_warm_ms": 100.0}


# --- filling the wave ------------------------------------------------------------------------------

def _draw(rng: np.random.Generator, codes: list[int], weights: list[float], n: int) -> np.ndarray:
    p = np.asarray(weights, dtype=float)
    return rng.choice(np.asarray(codes), size=n, p=p / p.sum())


def _yes(rng: np.random.Generator, percent: np.ndarray) -> np.ndarray:
    return rng.random(len(percent)) * 100 < percent


def generate_answers(instrument: Instrument, n: int, rng: np.random.Generator) -> list[dict[str, Any]]:
    """`n` valid closed-answer responses, drawn column by column with numpy."""
    questions = [
        q for q in instrument.questions.values()
        if q.options and not q.is_free_text and q.id not in instrument.testimony_attributes
    ]
    ethnic_codes = sorted(LONDON_ETHNICITY_WEIGHTS)
    ethnicity = _draw(rng, ethnic_codes, [LONDON_ETHNICITY_WEIGHTS[c] for c in ethnic_codes], n)
    white = np.isin(ethnicity, (1, 2, 3, 4))
    worker = _draw(rng, [1, 2, 3, 4, 5], [35, 25, 10, 20, 10], n)
    temporary = worker != 4
    percent = {
        indicator: np.where(white, rates[1], rates[0]) + np.where(temporary, TEMPORARY_WORKER_SHIFT[indicator], 0.0)
        for indicator, rates in WRES_LONDON_2018.items()
    }
    values: dict[str, np.ndarray] = {}
    for question in questions:
        codes = sorted(question.codes)
        if question.id == "q28":
            column = ethnicity
        elif question.id == "tw_worker_type":
            column = worker
        elif question.id == "q14a":
            column = np.where(_yes(rng, percent[5]), rng.integers(2, 6, n), 1)
        elif question.id in ("q14b", "q14c"):
            # wres6 about right: each source about 60% of the indicator's rate, some have both
            column = np.where(_yes(rng, percent[6] * 0.6), rng.integers(2, 6, n), 1)
        elif question.id == "q15":
            answered_known = rng.random(n) >= 0.12  # about 12% "Don't know"
            column = np.where(answered_known, np.where(_yes(rng, percent[7]), 1, 2), 9)
        elif question.id == "q16b":
            column = np.where(_yes(rng, percent[8]), 1, 2)
        elif question.type == "multiple":
            continue  # drawn after routing, below
        else:
            weights = rng.dirichlet(np.full(len(codes), 2.0))
            column = _draw(rng, codes, list(weights), n)
        column = column.astype(np.int64)
        if question.id not in ("q28",):
            column = np.where(rng.random(n) < SKIP, 0, column)  # 0: not answered
        else:
            column = np.where(rng.random(n) < NOT_STATED_SHARE, 0, column)
        values[question.id] = column
    shown = {q.id: _shown(q, values, n) for q in questions}
    for question in questions:
        if question.type != "multiple":
            values[question.id] = np.where(shown[question.id], values[question.id], 0)
    multiple = {q.id: _multiple(q, rng, n, shown[q.id]) for q in questions if q.type == "multiple"}
    singles = [(q.id, values[q.id].tolist()) for q in questions if q.type != "multiple"]
    answers: list[dict[str, Any]] = []
    for i in range(n):
        response = {qid: column[i] for qid, column in singles if column[i]}
        for qid, picks in multiple.items():
            if picks[i]:
                response[qid] = picks[i]
        answers.append(response)
    return answers


def _shown(question: Question, values: dict[str, np.ndarray], n: int) -> np.ndarray:
    if question.show_if is None:
        return np.ones(n, dtype=bool)
    results = [np.isin(values[c.question], list(c.codes)) for c in question.show_if.conditions]
    return np.logical_or.reduce(results) if question.show_if.mode == "any" else np.logical_and.reduce(results)


def _multiple(question: Question, rng: np.random.Generator, n: int, shown: np.ndarray) -> list[list[int] | None]:
    plain = np.array(sorted(c for c in question.codes if c not in question.exclusive))
    first = rng.integers(0, len(plain), n)
    second = rng.integers(0, len(plain), n)
    two = rng.random(n) < 0.3
    answered = shown & (rng.random(n) >= SKIP)
    picks: list[list[int] | None] = [None] * n
    for i in np.nonzero(answered)[0].tolist():
        a, b = int(plain[first[i]]), int(plain[second[i]])
        picks[i] = sorted({a, b}) if two[i] else [a]
    return picks


def seal_parts(answers: list[dict[str, Any]], keys: WaveKeys, wave_id: str, closed_format: ClosedPartFormat) -> list[bytes]:
    """Each response's closed answers sealed as the mixer seals a closed-answer part."""
    context = part_context("closed_answers", wave_id)
    return [seal_with_key(keys.data_key, closed_format.plaintext(a), context, closed_format.padded_size) for a in answers]


def insert_parts(url: str, wave_id: str, sealed: list[bytes]) -> None:
    engine = engine_for(url)
    if make_url(url).get_backend_name() == "postgresql":
        raw = engine.raw_connection()
        try:
            cursor = raw.cursor()
            with cursor.copy("COPY closed_answer_part (id, wave_id, sealed) FROM STDIN") as copy:
                for blob in sealed:
                    copy.write_row((random_id(), wave_id, blob))
            raw.commit()
        finally:
            raw.close()
        return
    with engine.begin() as connection:
        connection.execute(insert(ClosedAnswerPart), [{"id": random_id(), "wave_id": wave_id, "sealed": s} for s in sealed])


def fill_wave(settings: Settings, responses: int, seed: int, part_format: int) -> dict[str, Any]:
    upgrade(settings.database_url)
    engine = engine_for(settings.database_url)
    key_store = WaveKeyStore(settings.key_file)
    with engine.begin() as connection:
        add_organisation(connection, "Bench ICS", "bench-ics", headcount=2_000_000)
        for number, name in enumerate(MEMBERS):
            add_organisation(connection, name, f"bench-member-{number}", "bench-ics")
        wave_id = open_wave(connection, key_store, INSTRUMENT, "bench-ics", WAVE)
        connection.execute(update(Wave).where(Wave.id == wave_id).values(closed_part_format=part_format))
        instrument = wave_instrument(connection, wave_id)
    keys = key_store.load(wave_id)
    closed_format = ClosedPartFormat(instrument, part_format)
    rng = np.random.default_rng(seed)
    started = time.perf_counter()
    checked = False
    for first in range(0, responses, CHUNK):
        answers = generate_answers(instrument, min(CHUNK, responses - first), rng)
        if not checked:  # the generator must only make answers the instrument accepts
            for a in answers[:2000]:
                _, errors = validate_answers(instrument, a)
                assert not errors, errors
            checked = True
        insert_parts(settings.database_url, wave_id, seal_parts(answers, keys, wave_id, closed_format))
    return {
        "fill_seconds": round(time.perf_counter() - started, 1),
        "part_format": "records" if part_format == COLUMNAR_FORMAT else "json",
        "part_bytes": closed_format.padded_size,
    }


# --- measuring the release ----------------------------------------------------------------------

def timed_release(settings: Settings) -> tuple[dict[str, Any], np.ndarray, Instrument]:
    """The real release_wave, with its steps timed; returns figures, the opened records, the instrument."""
    engine = engine_for(settings.database_url)
    with engine.connect() as connection:
        wave = find_wave(connection, WAVE)
        assert wave is not None
        instrument = wave_instrument(connection, wave.id)
    keys = WaveKeyStore(settings.key_file).load(wave.id)
    timings: dict[str, float] = {}
    captured: dict[str, Any] = {}
    originals = {
        name: getattr(release_module, name)
        for name in ("open_closed_parts", "indicator_measures", "build_breakdowns", "publish_tables", "_microdata")
    }
    build_columns = ClosedPartLayout.columns

    def wrap(name: str, function: Callable[..., Any]) -> Callable[..., Any]:
        def timed(*args: Any, **kwargs: Any) -> Any:
            started = time.perf_counter()
            result = function(*args, **kwargs)
            timings[name] = timings.get(name, 0.0) + time.perf_counter() - started
            if name == "open_closed_parts":
                captured["answers"] = result
            return result

        return timed

    for name, function in originals.items():
        setattr(release_module, name, wrap(name, function))
    # Turning the opened records into one column per question: part of the indicator computation.
    ClosedPartLayout.columns = wrap("build_columns", build_columns)  # type: ignore[method-assign]
    try:
        started = time.perf_counter()
        report = release_module.release_wave(engine, wave.id, keys, settings)
        total = time.perf_counter() - started
    finally:
        for name, function in originals.items():
            setattr(release_module, name, function)
        ClosedPartLayout.columns = build_columns  # type: ignore[method-assign]
    indicator = sum(timings[n] for n in ("build_columns", "indicator_measures", "build_breakdowns", "publish_tables"))
    figures = {
        "open_parts_seconds": round(timings["open_closed_parts"], 2),
        "indicator_seconds": round(indicator, 3),
        "indicator_steps_seconds": {
            n: round(timings[n], 3) for n in ("build_columns", "build_breakdowns", "indicator_measures", "publish_tables")
        },
        "microdata_seconds": round(timings["_microdata"], 2),
        "release_seconds": round(total, 2),
        "cells_published": report.cells_published,
        "cells_withheld": report.cells_withheld_primary + report.cells_withheld_complementary,
    }
    return figures, captured["answers"], instrument


# --- pandas, the straightforward way --------------------------------------------------------------

def pandas_figures(records: np.ndarray, instrument: Instrument, white_codes: tuple[int, ...]) -> tuple[dict, dict[str, float]]:
    """(table, group, measure) -> (count, base) for wres5-8, computed with plain pandas from the opened
    records: a column per question holding 1 + the chosen option's position (0: not answered), mapped
    to the option's code (NaN: not answered)."""
    import pandas as pd

    started = time.perf_counter()
    wanted = ["q14a", "q14b", "q14c", "q15", "q16b", "q28", "tw_worker_type", "q35", "main_organisation"]
    positions = pd.DataFrame({question: records[question] for question in wanted})
    frame = pd.DataFrame(
        {
            question: positions[question].map(
                {j + 1: option.code for j, option in enumerate(instrument.questions[question].options)}
            )
            for question in wanted
        }
    )
    built = time.perf_counter()
    ethnicity = instrument.questions["q28"]
    hierarchy = instrument.hierarchies["ethnicity"]
    occupation = instrument.questions["q35"]
    worker = instrument.questions["tw_worker_type"]
    organisation = instrument.questions["main_organisation"]
    labels = pd.DataFrame(index=frame.index)
    labels["total"] = "All respondents"
    labels["ethnic_category"] = frame["q28"].map({o.code: o.label for o in ethnicity.options}).fillna(NOT_STATED)
    labels["ethnic_heading"] = frame["q28"].map({o.code: hierarchy.codes[o.code][0] for o in ethnicity.options}).fillna(NOT_STATED)
    labels["bme_white"] = frame["q28"].map({o.code: WHITE if o.code in white_codes else BME for o in ethnicity.options}).fillna(NOT_STATED)
    labels["worker_type"] = frame["tw_worker_type"].map({o.code: o.label for o in worker.options}).fillna(NOT_STATED)
    occupation_hierarchy = instrument.hierarchies["occupation"]
    labels["occupation_heading"] = frame["q35"].map({o.code: occupation_hierarchy.codes[o.code][0] for o in occupation.options}).fillna(NOT_STATED)
    labels["organisation"] = frame["main_organisation"].map({o.code: o.label for o in organisation.options}).fillna(NOT_STATED)
    labels["ethnic_heading_x_worker_type"] = labels["ethnic_heading"] + " | " + labels["worker_type"]
    flags = pd.DataFrame(
        {
            "wres5_yes": frame["q14a"].isin([2, 3, 4, 5]),
            "wres5_base": frame["q14a"].notna(),
            "wres6_yes": frame["q14b"].isin([2, 3, 4, 5]) | frame["q14c"].isin([2, 3, 4, 5]),
            "wres6_base": frame["q14b"].notna() | frame["q14c"].notna(),
            "wres7_yes": frame["q15"].eq(1),
            "wres7_base": frame["q15"].isin([1, 2]),
            "wres8_yes": frame["q16b"].eq(1),
            "wres8_base": frame["q16b"].notna(),
        }
    )
    figures = {}
    for table in labels.columns:
        sums = flags.groupby(labels[table]).sum()
        for group, row in sums.iterrows():
            for measure in WRES_MEASURES:
                figures[(table, group, measure)] = (int(row[f"{measure}_yes"]), int(row[f"{measure}_base"]))
    done = time.perf_counter()
    return figures, {"pandas_frame_seconds": round(built - started, 3), "pandas_groupby_seconds": round(done - built, 3)}


def published_wres(url: str) -> dict[tuple[str, str, str], tuple[int, int] | None]:
    """The latest release's wres5-8 cells: (count, base), None when withheld or held over."""
    with engine_for(url).connect() as connection:
        rows = connection.execute(
            text(
                "SELECT c.table_name, c.group_label, c.measure, c.base, c.counts, c.withheld, c.held_from_previous "
                "FROM published_cell c JOIN release r ON r.id = c.release_id "
                "WHERE c.measure IN ('wres5', 'wres6', 'wres7', 'wres8')"
            )
        ).all()
    return {
        (r[0], r[1], r[2]): None if r[5] is not None or r[6] else (json.loads(r[4])[0], r[3])
        for r in rows
    }


def compare_figures(published: dict, computed: dict) -> dict[str, int]:
    shown = {key: value for key, value in published.items() if value is not None}
    disagree = [
        (key, value, computed.get(key, (0, 0)))
        for key, value in shown.items()
        if computed.get(key, (0, 0)) != value
    ]
    if disagree:
        raise SystemExit(f"pandas and the release disagree on {len(disagree)} shown cells, e.g. {disagree[:3]}")
    return {"cells_compared": len(shown), "cells_withheld_not_compared": len(published) - len(shown)}


def headline_cells(published: dict, computed: dict, min_cell: int) -> dict[str, int]:
    """WRES headline cells (BME and White of wres5-8) whose two sides both have min_cell respondents
    (eligible, from the pandas figures), and how many of them the release shows."""
    eligible = shown = 0
    for measure in ("wres5", "wres6", "wres7", "wres8"):
        sides = [("bme_white", side, measure) for side in ("BME", "White")]
        if all(computed.get(key, (0, 0))[1] >= min_cell for key in sides):
            eligible += 2
            shown += sum(1 for key in sides if published.get(key) is not None)
    return {"headline_cells_eligible": eligible, "headline_cells_shown": shown}


# --- serving ----------------------------------------------------------------------------------------

def serve_timings(url: str) -> dict[str, Any]:
    engine = engine_for(url)
    figures: dict[str, Any] = {}
    started = time.perf_counter()
    with engine.connect() as connection:
        report = wave_indicators(connection, WAVE, "bme_white")
    figures["serve_cold_ms"] = round(1000 * (time.perf_counter() - started), 1)
    json.dumps(report.to_json())
    per_by: dict[str, float] = {}
    for by in BY_CHOICES:
        times = []
        for _ in range(SERVE_REPEATS):
            started = time.perf_counter()
            with engine.connect() as connection:  # a request takes a pooled connection, as the app does
                report = wave_indicators(connection, WAVE, by)
                json.dumps(report.to_json())
            times.append(time.perf_counter() - started)
        per_by[by] = round(1000 * statistics.median(times), 1)
    figures["serve_warm_ms"] = per_by["bme_white"]
    figures["serve_warm_ms_by"] = per_by
    return figures


def overview_timings(settings: Settings, folder: Path) -> dict[str, float]:
    """`GET /edi/waves/{wave}` (the dashboard overview page) through the app, signed in as an EDI lead."""
    import dataclasses

    from dashboard import EMAIL, PASSWORD, sign_in, timings  # bench/dashboard.py
    from litestar.testing import TestClient

    from survey_app.accounts import add_account
    from survey_app.app import create_app

    with engine_for(settings.database_url).begin() as connection:
        add_account(connection, EMAIL, "edi", ["bench-ics"], PASSWORD)
    web = dataclasses.replace(settings, key_file=None, session_folder=folder / "sessions")
    with TestClient(create_app(web)) as client:
        sign_in(client)

        def overview() -> None:
            response = client.get(f"/edi/waves/{WAVE}")
            assert response.status_code == 200 and "Workforce Race Equality Standard indicators" in response.text

        return timings(overview, SERVE_REPEATS)


# --- running ----------------------------------------------------------------------------------------

def database(url_or_none: str | None, folder: str) -> Iterator[str]:
    if not url_or_none:
        yield f"sqlite:///{folder}/bench.db"
        return
    name = f"bench_{secrets.token_hex(4)}"
    admin = create_engine(normalise_url(url_or_none), isolation_level="AUTOCOMMIT")
    with admin.connect() as connection:
        connection.execute(text(f'CREATE DATABASE "{name}"'))
    try:
        yield make_url(normalise_url(url_or_none)).set(database=name).render_as_string(hide_password=False)
    finally:
        engine_for.cache_clear()
        with admin.connect() as connection:
            connection.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()


def run(responses: int, url_or_none: str | None, seed: int, part_format: int) -> dict[str, Any]:
    with tempfile.TemporaryDirectory() as folder:
        kek, case = Path(folder) / "kek.key", Path(folder) / "case.key"
        write_secret_file(kek)
        write_secret_file(case)
        for url in database(url_or_none, folder):
            settings = Settings(database_url=url, key_file=kek, case_key_file=case)
            figures: dict[str, Any] = {"responses": responses, "database": make_url(url).get_backend_name()}
            # Filled in a child process, so this process's peak memory is the release's own.
            with ProcessPoolExecutor(max_workers=1, mp_context=multiprocessing.get_context("spawn")) as filler:
                figures.update(filler.submit(fill_wave, settings, responses, seed, part_format).result())
            release_figures, answers, instrument = timed_release(settings)
            figures.update(release_figures)
            figures["release_peak_memory_mib"] = round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, 1)
            computed, pandas_times = pandas_figures(answers, instrument, settings.white_codes)
            figures.update(pandas_times)
            pandas_total = pandas_times["pandas_frame_seconds"] + pandas_times["pandas_groupby_seconds"]
            figures["pandas_seconds"] = round(pandas_total, 3)
            figures["ratio_release_to_pandas"] = round(figures["indicator_seconds"] / pandas_total, 2)
            figures["ratio_release_to_pandas_groupby"] = round(
                figures["indicator_seconds"] / max(pandas_times["pandas_groupby_seconds"], 1e-9), 2
            )
            del answers
            published = published_wres(url)
            figures.update(compare_figures(published, computed))
            figures.update(headline_cells(published, computed, settings.min_cell))
            figures.update(serve_timings(url))
            figures["overview_in_process"] = overview_timings(settings, Path(folder))
            figures["peak_memory_mib"] = round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, 1)
            figures["goals_met"] = {
                "indicator_under_2_s": figures["indicator_seconds"] < GOALS["indicator_seconds"],
                "serve_under_100_ms": figures["serve_warm_ms"] < GOALS["serve_warm_ms"],
                "overview_page_under_100_ms": figures["overview_in_process"]["median_ms"] < GOALS["serve_warm_ms"],
            }
            engine_for(url).dispose()
    return figures


def main() -> None:
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--responses", type=int, default=1_000_000)
    parser.add_argument("--database-url", help="a PostgreSQL server URL; a fresh database is made on it and dropped after")
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--format", choices=["text", "json"], default="text")
    parser.add_argument(
        "--parts",
        choices=["records", "json"],
        default="records",
        help="closed-answer part format: records (waves opened now) or json (waves opened before records)",
    )
    args = parser.parse_args()
    figures = run(args.responses, args.database_url, args.seed, COLUMNAR_FORMAT if args.parts == "records" else JSON_FORMAT)
    if args.format == "json":
        print(json.dumps(figures, indent=2))
        return
    for key, value in figures.items():
        print(f"{key:>34}: {value}")


if __name__ == "__main__":
    main()
