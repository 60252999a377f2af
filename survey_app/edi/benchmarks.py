"""Published WRES benchmarks shown beside a wave's results.

The figures are product data: the package ships its own copy (`survey_app/data/wres_benchmarks.csv`)
and reads it from there, never from a path outside the package. Columns: population, year,
wres_indicator, group (BME / White), percent, source. Every row names the publication it was taken
from (a test keeps it so): a board paper must be able to cite each figure.

The file holds the London Workforce Race Strategy's tables (London region 2017-2018, England 2018,
the London Ambulance Service case study; kept whole, because the demo and the tests reproduce the
London 2018 figures) and the more recent national figures found in NHS England's later WRES data
analysis reports. Only a figure published for both BME and White staff is added: a benchmark with one
side missing has no gap to compare.

For each indicator the dashboard shows, for London region and England, the latest year that
population has figures for *that indicator*, so the years can differ between indicators (each
figure carries its year). They come from the national staff survey and are whole-population
figures, so they carry no interval.
"""

from __future__ import annotations

import csv
import io
import re
from dataclasses import dataclass
from functools import lru_cache
from importlib import resources

LONDON = "London region"
ENGLAND = "England (national)"
POPULATIONS = ((LONDON, "London"), (ENGLAND, "England"))
COLUMNS = ("population", "year", "wres_indicator", "group", "percent", "source")
_YEAR = re.compile(r"^(\d{4})")


@dataclass(frozen=True)
class Benchmark:
    population: str  # as in the file, e.g. "London region"
    name: str  # short, e.g. "London"
    year: str
    measure: str  # wres5 .. wres8
    bme: float | None
    white: float | None
    source: str = ""

    @property
    def caption(self) -> str:
        return f"{self.name} {self.year}"

    @property
    def gap(self) -> float | None:
        return None if self.bme is None or self.white is None else self.bme - self.white


def benchmarks_text() -> str:
    return resources.files("survey_app").joinpath("data/wres_benchmarks.csv").read_text(encoding="utf-8")


@lru_cache(maxsize=1)
def benchmark_rows() -> tuple[dict[str, str], ...]:
    return tuple(csv.DictReader(io.StringIO(benchmarks_text())))


def _year_key(year: str) -> tuple[int, str]:
    match = _YEAR.match(year)
    return (int(match.group(1)) if match else -1, year)


def latest_year(population: str, indicator: str) -> str | None:
    """The latest year `population` has a figure for WRES `indicator` ("5" .. "8")."""
    years = {row["year"] for row in benchmark_rows() if row["population"] == population and row["wres_indicator"] == indicator}
    return max(years, key=_year_key) if years else None


@lru_cache(maxsize=8)
def wres_benchmarks(measure: str) -> tuple[Benchmark, ...]:
    """London and England figures for one WRES measure ("wres5" .. "wres8"), each of its latest year."""
    if not measure.startswith("wres"):
        return ()
    indicator = measure.removeprefix("wres")
    found = []
    for population, name in POPULATIONS:
        year = latest_year(population, indicator)
        if year is None:
            continue
        rows = [
            row
            for row in benchmark_rows()
            if row["population"] == population and row["year"] == year and row["wres_indicator"] == indicator
        ]
        values = {row["group"]: float(row["percent"]) for row in rows}
        source = "; ".join(sorted({row["source"] for row in rows}))
        found.append(Benchmark(population, name, year, measure, values.get("BME"), values.get("White"), source))
    return tuple(found)


def sources(benchmarks: tuple[Benchmark, ...] | list[Benchmark]) -> list[str]:
    """The distinct publications behind some benchmarks, in order of first appearance."""
    seen: dict[str, None] = {}
    for benchmark in benchmarks:
        for source in benchmark.source.split("; "):
            if source:
                seen.setdefault(source, None)
    return list(seen)


def all_wres_benchmarks() -> list[Benchmark]:
    """Every benchmark shown for indicators 5 to 8."""
    return [benchmark for number in "5678" for benchmark in wres_benchmarks(f"wres{number}")]
