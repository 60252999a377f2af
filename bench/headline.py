"""Benchmark: how often the WRES headline (BME and White side by side) is shown on demo data.

    .venv/bin/python bench/headline.py [--responses 200 100 300] [--seeds 1 2 3] [--format json]

For each number of responses and seed, a fresh SQLite database gets `survey-app demo`'s waves
(`run_demo`, the same synthetic respondents `make run` uses, 200 by default), is mixed and
released through the real path (`mix_round`, `release_wave`), and the release's `bme_white` cells
of every WRES and companion measure (`analysis.indicators.MEASURES`) are counted:

- **eligible**: a measure whose BME and White groups both have at least `MIN_CELL` respondents
  (the true bases, read from the release's sealed reference bases);
- **shown**: the BME and White cells of an eligible measure that are published;
- each withheld cell with the reason stored for it, and the release's count of every cell
  published and withheld (what keeping the headline costs elsewhere).

`--base-cost` measures the same data with complements chosen by base alone and no headline kept,
as releases chose them before cost-weighted suppression.

Disclosure control may still withhold an eligible headline when no safe pattern keeps it; the
figure to watch is shown / eligible.
"""

from __future__ import annotations

import argparse
import json
import sys
import tempfile
from collections import Counter
from pathlib import Path
from typing import Any

from sqlalchemy import select

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from analysis.indicators import MEASURES  # noqa: E402
from survey_app.config import Settings  # noqa: E402
from survey_app.demo import run_demo  # noqa: E402
from survey_app.keys import WaveKeyStore, read_secret_file, write_secret_file  # noqa: E402
from survey_app.mixer import mix_round  # noqa: E402
from survey_app.release import _previous_release, release_wave  # noqa: E402
from survey_app.storage.database import engine_for, upgrade  # noqa: E402
from survey_app.storage.models import PublishedCell, Release, Wave  # noqa: E402

SURVEYS = ("demo-nhs-staff-survey", "demo-bank-temporary-workers")
SIDES = ("BME", "White")


def headline_figures(responses: int, seed: int, folder: Path) -> dict[str, Any]:
    kek, case = folder / "kek.key", folder / "case.key"
    write_secret_file(kek)
    write_secret_file(case)
    settings = Settings(database_url=f"sqlite:///{folder}/demo.db", key_file=kek, case_key_file=None)
    upgrade(settings.database_url)
    engine = engine_for(settings.database_url)
    store = WaveKeyStore(kek)
    run_demo(engine, store, responses, "http://localhost", seed=seed)
    figures: dict[str, Any] = {}
    for slug in SURVEYS:
        with engine.connect() as connection:
            wave_id = connection.execute(select(Wave.id).where(Wave.slug == slug)).scalar_one()
        mix_round(engine, store, wave_id, read_secret_file(case, "case"), settings.mix_batch)
        keys = store.load(wave_id)
        report = release_wave(engine, wave_id, keys, settings)
        with engine.connect() as connection:
            true_bases = _previous_release(connection, wave_id, keys).bases
            rows = connection.execute(
                select(PublishedCell.group_label, PublishedCell.measure, PublishedCell.withheld)
                .join(Release, Release.id == PublishedCell.release_id)
                .where(Release.wave_id == wave_id, PublishedCell.table_name == "bme_white")
            ).all()
            stored = Counter(
                value
                for value in connection.execute(
                    select(PublishedCell.withheld)
                    .join(Release, Release.id == PublishedCell.release_id)
                    .where(Release.wave_id == wave_id, PublishedCell.withheld.is_not(None))
                ).scalars()
            )
        state = {(row.measure, row.group_label): row.withheld for row in rows}
        eligible = [
            measure
            for measure in MEASURES
            if all(true_bases.get(("bme_white", side, measure), 0) >= settings.min_cell for side in SIDES)
        ]
        shown = sum(1 for measure in eligible for side in SIDES if state.get((measure, side), "") is None)
        reasons = Counter(
            str(state[(measure, side)]) for measure in eligible for side in SIDES if state.get((measure, side)) is not None
        )
        lost = sorted({measure for measure in eligible for side in SIDES if state.get((measure, side)) is not None})
        figures[slug] = {
            "responses_released": report.responses,
            "headline_cells_eligible": 2 * len(eligible),
            "headline_cells_shown": shown,
            "eligible_headlines_lost": lost,
            "withheld_reasons": dict(reasons),
            "all_cells": {
                "published": report.cells_published,
                "withheld_primary": report.cells_withheld_primary,
                "withheld_complementary": report.cells_withheld_complementary,
                "withheld_by_stored_reason": dict(stored),
            },
        }
    engine.dispose()
    engine_for.cache_clear()
    return figures


def main() -> None:
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--responses", type=int, nargs="+", default=[200])
    parser.add_argument("--seeds", type=int, nargs="+", default=[2020])
    parser.add_argument("--format", choices=["text", "json"], default="text")
    parser.add_argument(
        "--base-cost",
        action="store_true",
        help="for comparison: choose complements by base alone and keep no headline (how releases chose before)",
    )
    args = parser.parse_args()
    if args.base_cost:
        from survey_app import release as release_module

        release_module.HEADLINE = ()  # type: ignore[misc]
        release_module.suppression_cost = lambda cell, base: float(base)  # type: ignore[assignment]
    runs = []
    for responses in args.responses:
        for seed in args.seeds:
            with tempfile.TemporaryDirectory() as folder:
                runs.append({"responses": responses, "seed": seed, **headline_figures(responses, seed, Path(folder))})
    totals = Counter()
    for run in runs:
        for slug in SURVEYS:
            totals["eligible"] += run[slug]["headline_cells_eligible"]
            totals["shown"] += run[slug]["headline_cells_shown"]
    result = {"runs": runs, "headline_cells_eligible": totals["eligible"], "headline_cells_shown": totals["shown"]}
    if args.format == "json":
        print(json.dumps(result, indent=2))
        return
    for run in runs:
        for slug in SURVEYS:
            figures = run[slug]
            print(
                f"{run['responses']:>5} responses, seed {run['seed']}, {slug}: "
                f"{figures['headline_cells_shown']}/{figures['headline_cells_eligible']} eligible headline cells shown; "
                f"lost: {', '.join(figures['eligible_headlines_lost']) or 'none'}; reasons {figures['withheld_reasons']}; "
                f"all cells {figures['all_cells']}"
            )
    print(f"total: {totals['shown']}/{totals['eligible']} eligible headline cells shown")


if __name__ == "__main__":
    main()
