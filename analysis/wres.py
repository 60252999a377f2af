"""WRES indicator results from published cells: percentages, intervals, gaps, trends.

Framework-free: the inputs are the release's published cells as plain `IndicatorCell`s (one per
breakdown group and derived measure, see `analysis.indicators`), never respondents' answers, so
everything here is computed from figures that passed disclosure control.

Rules:

- **Withheld cells yield no number anywhere.** A withheld cell has no base and no count; its
  `Figure` has `withheld=True` and `None` for every number, and any gap, ratio, test, pooled total
  or trend change that would involve it is `None` too (`available=False`). Nothing is ever derived
  from a withheld cell, not even by subtracting shown figures.
- **Percentage** = count / base x 100, with a **95% Wilson score interval** (no continuity
  correction; z = 1.959964).
- **Gap** = group percentage minus reference percentage, in percentage points (BME minus White;
  temporary minus substantive); **ratio** = group percentage / reference percentage (`None` when
  the reference is 0%).
- **Significance**: two-sided two-proportion z-test with the pooled proportion,
  z = (p1 - p2) / sqrt(p (1 - p) (1/n1 + 1/n2)), p = (x1 + x2) / (n1 + n2); significant when the
  p-value is below 0.05. When both groups are at 0% or both at 100% there is nothing to test
  (z and p are `None`, not significant). The test assumes the groups are disjoint samples; callers
  only compare disjoint groups (BME vs White, a temporary type vs substantive staff).
- **Temporary vs substantive** (a strategy target): the substantive group is bank alongside a
  substantive post; the temporary figure pools the temporary groups of the worker-type table
  (in-house bank only, agency, locum, fixed-term). It is computed only when every temporary group
  is shown: a pool of the shown groups alone would describe a different population, and a pool
  including a withheld group is never formed. Otherwise the result is marked unavailable.
- **Trends** across waves of one instrument and organisation: a series per measure and group, in
  the order the waves are given. A point is flagged `question_changed` when the wording of a
  question the measure reads changed between the previous wave of the series and this one. The
  changes are listed in `QUESTION_CHANGES` as (question, year of the first instrument with the new
  wording): q15 changed in 2025, so wres7 is flagged between a wave whose instrument version year is
  before 2025 and one whose year is 2025 or later (in either order). The year is the leading
  four digits of the instrument version ("2025.1" -> 2025); a version without one counts as a
  possible change and is flagged. Across a flagged point the series shows no change figure.
- **Significance of a change** between two consecutive waves: the same two-sided two-proportion
  z-test (pooled proportion, p < 0.05), treating the two waves as independent samples. Waves are
  separate anonymous surveys, so nobody can pair a person's two answers; someone who answered both
  makes the samples slightly dependent, which the test does not model. No test across a flagged
  point, a withheld or unpublished point, or a point with no responses.
- **Response rate** = responses / eligible headcount x 100, when a headcount is known.
"""

from __future__ import annotations

import math
import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from analysis.indicators import MEASURES

Z_95 = 1.959963984540054  # the 97.5th percentile of the standard normal distribution
ALPHA = 0.05
# (question, year of the first instrument version with the new wording)
QUESTION_CHANGES: tuple[tuple[str, int], ...] = (("q15", 2025),)
VERSION_YEAR = re.compile(r"^\s*(\d{4})")


@dataclass(frozen=True)
class IndicatorCell:
    """One published cell of a derived yes/no measure: `yes` is the count of code 1 (yes)."""

    table: str
    group: str
    measure: str
    base: int | None
    yes: int | None
    withheld: bool
    held_from_previous: bool = False
    reason: str | None = None  # why a withheld cell is withheld, as published ("primary", "complementary")

    def __post_init__(self) -> None:
        if self.withheld and (self.base is not None or self.yes is not None):
            raise ValueError(f"withheld cell {self.key} must carry no figures")
        if not self.withheld and (self.base is None or self.yes is None):
            raise ValueError(f"shown cell {self.key} needs a base and a count")

    @property
    def key(self) -> tuple[str, str, str]:
        return (self.table, self.group, self.measure)

    @classmethod
    def from_counts(
        cls,
        table: str,
        group: str,
        measure: str,
        base: int | None,
        counts: Sequence[int] | None,
        withheld: bool,
        held_from_previous: bool = False,
        reason: str | None = None,
    ) -> IndicatorCell:
        """From a published cell whose counts are per code (1 = yes, 2 = no)."""
        if withheld:
            return cls(table, group, measure, None, None, True, held_from_previous, reason)
        if base is None or counts is None:
            raise ValueError(f"shown cell {(table, group, measure)} needs a base and counts")
        return cls(table, group, measure, int(base), int(counts[0]), False, held_from_previous)


@dataclass(frozen=True)
class Figure:
    """Count, base, percentage and 95% Wilson interval (percent) of one group; None when withheld."""

    table: str
    group: str
    measure: str
    withheld: bool
    base: int | None = None
    count: int | None = None
    percent: float | None = None
    ci_low: float | None = None
    ci_high: float | None = None
    held_from_previous: bool = False
    reason: str | None = None  # of a withheld figure: "primary", "complementary", or None (not given)

    @property
    def shown(self) -> bool:
        return not self.withheld and self.base is not None and self.count is not None


@dataclass(frozen=True)
class Comparison:
    """`group` against `reference` for one measure; every number None unless both are shown."""

    measure: str
    group: str
    reference: str
    available: bool
    gap: float | None = None  # percentage points, group minus reference
    ratio: float | None = None  # group percentage / reference percentage
    z: float | None = None
    p_value: float | None = None
    significant: bool | None = None
    reason: str | None = None


@dataclass(frozen=True)
class PooledGap:
    """Temporary staff pooled over the temporary groups, against substantive staff."""

    measure: str
    temporary_groups: tuple[str, ...]
    substantive_group: str
    available: bool
    temporary: Figure | None = None
    comparison: Comparison | None = None
    reason: str | None = None


@dataclass(frozen=True)
class WaveCells:
    label: str
    instrument_version: str
    cells: Sequence[IndicatorCell]


@dataclass(frozen=True)
class TrendPoint:
    wave: str
    instrument_version: str
    figure: Figure | None  # None: the wave published nothing for this measure and group
    question_changed: bool = False  # a question the measure reads was reworded since the previous wave
    change: float | None = None  # points since the previous wave; None across a change or a withheld cell
    change_p_value: float | None = None  # two-proportion z-test of this wave against the previous one
    change_significant: bool | None = None  # None when there is no change figure or nothing to test


@dataclass(frozen=True)
class TrendSeries:
    measure: str
    table: str
    group: str
    points: tuple[TrendPoint, ...]


# --- statistics ------------------------------------------------------------------------------

def wilson_interval(count: int, base: int, z: float = Z_95) -> tuple[float, float]:
    """Wilson score interval for a proportion, as proportions (0..1)."""
    if base <= 0:
        raise ValueError("a Wilson interval needs a base of at least 1")
    if not 0 <= count <= base:
        raise ValueError(f"count {count} is not between 0 and the base {base}")
    p = count / base
    z2 = z * z
    denominator = 1 + z2 / base
    centre = (p + z2 / (2 * base)) / denominator
    half = z * math.sqrt(p * (1 - p) / base + z2 / (4 * base * base)) / denominator
    # At 0% and 100% the bound is exactly 0 or 1 (rounding would leave it a hair inside).
    low = 0.0 if count == 0 else max(0.0, centre - half)
    high = 1.0 if count == base else min(1.0, centre + half)
    return low, high


def two_proportion_z_test(x1: int, n1: int, x2: int, n2: int) -> tuple[float, float] | None:
    """(z, two-sided p-value) of the pooled two-proportion z-test; None when nothing varies."""
    if n1 <= 0 or n2 <= 0:
        raise ValueError("both groups need a base of at least 1")
    pooled = (x1 + x2) / (n1 + n2)
    variance = pooled * (1 - pooled) * (1 / n1 + 1 / n2)
    if variance <= 0:
        return None
    z = (x1 / n1 - x2 / n2) / math.sqrt(variance)
    return z, math.erfc(abs(z) / math.sqrt(2))


def response_rate(responses: int, eligible_headcount: int | None) -> float | None:
    """Responses as a percentage of the eligible headcount; None when no headcount is known."""
    if responses < 0:
        raise ValueError("responses cannot be negative")
    if eligible_headcount is None:
        return None
    if eligible_headcount <= 0:
        raise ValueError("the eligible headcount must be at least 1")
    return 100.0 * responses / eligible_headcount


# --- figures and comparisons ------------------------------------------------------------------

def figure(cell: IndicatorCell) -> Figure:
    if cell.withheld:
        return Figure(
            cell.table, cell.group, cell.measure, True, held_from_previous=cell.held_from_previous, reason=cell.reason
        )
    assert cell.base is not None and cell.yes is not None
    return _figure(cell.table, cell.group, cell.measure, cell.yes, cell.base, cell.held_from_previous)


def _figure(table: str, group: str, measure: str, count: int, base: int, held: bool = False) -> Figure:
    if base <= 0:  # nothing to show a percentage of (a shown cell always has a base of MIN_CELL or more)
        return Figure(table, group, measure, False, base, count, None, None, None, held)
    low, high = wilson_interval(count, base)
    return Figure(table, group, measure, False, base, count, 100.0 * count / base, 100.0 * low, 100.0 * high, held)


def compare(group: Figure, reference: Figure) -> Comparison:
    """Gap, ratio and pooled z-test of `group` against `reference` (disjoint groups)."""
    if group.measure != reference.measure:
        raise ValueError("a comparison is of one measure")
    if group.withheld or reference.withheld:
        return Comparison(group.measure, group.group, reference.group, False, reason="withheld")
    if group.percent is None or reference.percent is None:
        return Comparison(group.measure, group.group, reference.group, False, reason="no responses")
    assert group.count is not None and group.base is not None
    assert reference.count is not None and reference.base is not None
    test = two_proportion_z_test(group.count, group.base, reference.count, reference.base)
    z, p_value = test if test is not None else (None, None)
    return Comparison(
        group.measure,
        group.group,
        reference.group,
        True,
        gap=group.percent - reference.percent,
        ratio=group.percent / reference.percent if reference.percent > 0 else None,
        z=z,
        p_value=p_value,
        significant=p_value is not None and p_value < ALPHA,
    )


def figures_by_key(cells: Iterable[IndicatorCell]) -> dict[tuple[str, str, str], Figure]:
    return {cell.key: figure(cell) for cell in cells}


def bme_white_gap(
    cells: Iterable[IndicatorCell], measure: str, table: str = "bme_white", bme: str = "BME", white: str = "White"
) -> Comparison:
    """The BME-minus-White gap of one measure, from the bme_white table's cells."""
    figures = figures_by_key(cells)
    group, reference = figures.get((table, bme, measure)), figures.get((table, white, measure))
    if group is None or reference is None:
        return Comparison(measure, bme, white, False, reason="not published")
    return compare(group, reference)


def pooled_gap(
    cells: Iterable[IndicatorCell],
    measure: str,
    temporary_groups: Sequence[str],
    substantive_group: str,
    table: str = "worker_type",
    label: str = "Temporary staff",
) -> PooledGap:
    """Temporary (pooled over `temporary_groups`) against substantive staff for one measure.

    Only when the substantive group and EVERY temporary group are shown: never from a withheld cell.
    """
    figures = figures_by_key(cells)
    temporary_groups = tuple(temporary_groups)
    substantive = figures.get((table, substantive_group, measure))
    parts = [figures.get((table, group, measure)) for group in temporary_groups]

    def unavailable(reason: str) -> PooledGap:
        return PooledGap(measure, temporary_groups, substantive_group, False, reason=reason)

    if substantive is None or any(part is None for part in parts) or not temporary_groups:
        return unavailable("not published")
    if substantive.withheld or any(part.withheld for part in parts if part is not None):
        return unavailable("withheld")
    count = sum(part.count or 0 for part in parts if part is not None)
    base = sum(part.base or 0 for part in parts if part is not None)
    pooled = _figure(table, label, measure, count, base)
    return PooledGap(measure, temporary_groups, substantive_group, True, pooled, compare(pooled, substantive))


# --- trends -------------------------------------------------------------------------------------

def version_year(instrument_version: str) -> int | None:
    match = VERSION_YEAR.match(instrument_version or "")
    return int(match.group(1)) if match else None


def questions_of(measure: str) -> tuple[str, ...]:
    """The questions a measure reads: a derived measure's, or the question itself."""
    return MEASURES[measure].questions if measure in MEASURES else (measure,)


def question_changed(
    measure: str,
    earlier_version: str,
    later_version: str,
    changes: Sequence[tuple[str, int]] = QUESTION_CHANGES,
) -> bool:
    """Whether a question `measure` reads was reworded between two instrument versions (either order)."""
    read = set(questions_of(measure))
    relevant = [year for question, year in changes if question in read]
    if not relevant:
        return False
    first, second = version_year(earlier_version), version_year(later_version)
    if first is None or second is None:
        return True
    low, high = min(first, second), max(first, second)
    return any(low < year <= high for year in relevant)


def trends(
    waves: Sequence[WaveCells], changes: Sequence[tuple[str, int]] = QUESTION_CHANGES
) -> list[TrendSeries]:
    """A series per (measure, table, group) seen in any wave, with a point for every wave."""
    per_wave = [figures_by_key(wave.cells) for wave in waves]
    keys: dict[tuple[str, str, str], None] = {}
    for figures in per_wave:
        keys.update(dict.fromkeys(figures))
    series = []
    for table, group, measure in keys:
        points: list[TrendPoint] = []
        for index, (wave, figures) in enumerate(zip(waves, per_wave)):
            current = figures.get((table, group, measure))
            changed = False
            change = p_value = significant = None
            if index > 0:
                previous_wave = waves[index - 1]
                changed = question_changed(measure, previous_wave.instrument_version, wave.instrument_version, changes)
                previous = points[-1].figure
                if not changed and current is not None and previous is not None:
                    change, p_value, significant = _change(previous, current)
            points.append(
                TrendPoint(wave.label, wave.instrument_version, current, changed, change, p_value, significant)
            )
        series.append(TrendSeries(measure, table, group, tuple(points)))
    return series


def _change(previous: Figure, current: Figure) -> tuple[float | None, float | None, bool | None]:
    """(change in points, p-value, significant) from `previous` to `current`; all None unless both shown."""
    if current.percent is None or previous.percent is None:
        return None, None, None
    assert current.count is not None and current.base is not None
    assert previous.count is not None and previous.base is not None
    test = two_proportion_z_test(current.count, current.base, previous.count, previous.base)
    if test is None:  # both at 0% or both at 100%: no change to test
        return current.percent - previous.percent, None, None
    return current.percent - previous.percent, test[1], test[1] < ALPHA


def series_for(series: Iterable[TrendSeries], measure: str, table: str, group: str) -> TrendSeries | None:
    for one in series:
        if (one.measure, one.table, one.group) == (measure, table, group):
            return one
    return None

