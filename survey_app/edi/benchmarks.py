"""Published WRES benchmarks shown beside a wave's results.

The figures are product data: the package ships its own copy (`survey_app/data/wres_benchmarks.csv`,
from the London Workforce Race Strategy, NHS England and NHS Improvement London, 2020) and reads it
from there, never from a path outside the package. Columns: population, year, wres_indicator,
group (BME / White), percent.

The dashboard shows the London region and England figures of the latest year both are published for
(2018 in the shipped file). They come from the national staff survey and are whole-population
figures, so they carry no interval.
"""

from __future__ import annotations

import csv
import io
from dataclasses import dataclass
from functools import lru_cache
from importlib import resources

LONDON = "London region"
ENGLAND = "England (national)"
POPULATIONS = ((LONDON, "London"), (ENGLAND, "England"))
SOURCE = "WRES staff survey figures, London Workforce Race Strategy (NHS England and NHS Improvement London, 2020)"


@dataclass(frozen=True)
class Benchmark:
    population: str  # as in the file, e.g. "London region"
    name: str  # short, e.g. "London"
    year: str
    measure: str  # wres5 .. wres8
    bme: float | None
    white: float | None

    @property
    def caption(self) -> str:
        return f"{self.name} {self.year}"


def benchmarks_text() -> str:
    return resources.files("survey_app").joinpath("data/wres_benchmarks.csv").read_text(encoding="utf-8")


@lru_cache(maxsize=1)
def _rows() -> tuple[dict[str, str], ...]:
    return tuple(csv.DictReader(io.StringIO(benchmarks_text())))


def latest_year() -> str | None:
    """The latest year with figures for both London and England."""
    years: dict[str, set[str]] = {}
    for row in _rows():
        years.setdefault(row["population"], set()).add(row["year"])
    common = years.get(LONDON, set()) & years.get(ENGLAND, set())
    return max(common, key=lambda year: (len(year), year)) if common else None


@lru_cache(maxsize=8)
def wres_benchmarks(measure: str) -> tuple[Benchmark, ...]:
    """London and England figures of the latest common year for one WRES measure ("wres5" .. "wres8")."""
    year = latest_year()
    if year is None or not measure.startswith("wres"):
        return ()
    indicator = measure.removeprefix("wres")
    found = []
    for population, name in POPULATIONS:
        values = {
            row["group"]: float(row["percent"])
            for row in _rows()
            if row["population"] == population and row["year"] == year and row["wres_indicator"] == indicator
        }
        if values:
            found.append(Benchmark(population, name, year, measure, values.get("BME"), values.get("White")))
    return tuple(found)
