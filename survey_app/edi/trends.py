"""Results across the waves of one survey and organisation, for the EDI pages and the board report.

Built from a `TrendReport` (each wave's latest release, published cells only): a row per wave named
by its dates, BME and White with the change since the previous wave and whether that change is
likely to be real (the two-proportion z-test in `analysis.wres`). A withheld figure yields its
wording and no number, and no change is formed across it or across a reworded question.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from markupsafe import Markup

from analysis.wres import TrendPoint, TrendSeries
from survey_app.breakdowns import BME, WHITE
from survey_app.edi.views import DASH, measure_title, pct, withheld_tag
from survey_app.indicators import TrendReport, figure_wording
from survey_app.wave_names import first_upper, wave_dates

QUESTION_CHANGED = Markup(
    '<strong class="nhsuk-tag nhsuk-tag--orange">Question changed</strong> '
    "The question was reworded since the previous wave: no change is shown."
)


@dataclass
class TrendTable:
    measure: str
    title: str
    head: list[dict[str, Any]]
    rows: list[list[dict[str, Any]]]
    flagged: bool


def series(trend: TrendReport, measure: str, group: str) -> TrendSeries | None:
    for one in trend.series:
        if (one.measure, one.table, one.group) == (measure, "bme_white", group):
            return one
    return None


def wave_index(trend: TrendReport, wave: str) -> int | None:
    return next((index for index, one in enumerate(trend.waves) if one["wave"] == wave), None)


def point_for(trend: TrendReport, measure: str, group: str, wave: str) -> tuple[TrendPoint | None, bool]:
    """(the wave's point of a BME/White series, whether it is the first wave of the trend)."""
    index = wave_index(trend, wave)
    found = series(trend, measure, group)
    if index is None or found is None:
        return None, False
    return found.points[index], index == 0


def period(wave: dict[str, Any]) -> str:
    """A wave of the trend as people name it: its dates."""
    return first_upper(wave_dates(wave.get("opened_on"), wave.get("closed_on")))


def change_cell(point: TrendPoint) -> dict[str, Any]:
    """The change in points and, in words, whether it is likely to be real."""
    if point.change is None:
        return {"html": DASH}
    if point.change_significant is None:
        words = "not tested"
    else:
        words = "significant" if point.change_significant else "could be chance"
    return {"text": f"{point.change:+.1f} ({words})", "format": "numeric"}


def trend_tables(trend: TrendReport, measures: Sequence[str], wording: str) -> list[TrendTable]:
    """Per measure, a row per wave: BME and White with the change since the previous wave."""
    tables = []
    for measure in measures:
        bme, white = series(trend, measure, BME), series(trend, measure, WHITE)
        if bme is None and white is None:
            continue
        head = [
            {"text": "Survey"},
            {"text": "BME", "format": "numeric"},
            {"text": "BME change (points)", "format": "numeric"},
            {"text": "White", "format": "numeric"},
            {"text": "White change (points)", "format": "numeric"},
            {"text": "Note"},
        ]
        rows = []
        flagged = False
        for index, wave in enumerate(trend.waves):
            row: list[dict[str, Any]] = [{"text": period(wave)}]
            changed = False
            for one in (bme, white):
                point = one.points[index] if one is not None else None
                if point is None or point.figure is None:
                    row += [{"text": "Not published"}, {"html": DASH}]
                    continue
                changed = changed or point.question_changed
                if point.figure.withheld:
                    row += [{"html": withheld_tag(figure_wording(point.figure, wording))}, {"html": DASH}]
                else:
                    row += [{"text": pct(point.figure.percent), "format": "numeric"}, change_cell(point)]
            if changed:
                flagged = True
                row.append({"html": QUESTION_CHANGED})
            else:
                row.append({"text": "First wave" if index == 0 else ""})
            rows.append(row)
        tables.append(TrendTable(measure, measure_title(measure), head, rows, flagged))
    return tables


def significance_note() -> str:
    return (
        "A change is called significant when a two-sided two-proportion z-test of this survey against "
        "the previous one gives p < 0.05 (the surveys treated as independent samples); otherwise it "
        "could be chance."
    )


def previous_wave(trend: TrendReport, wave: str) -> str | None:
    """The dates of the survey before `wave` in the trend, as people name them; None for the first."""
    index = wave_index(trend, wave)
    if not index:
        return None
    return wave_dates(trend.waves[index - 1].get("opened_on"), trend.waves[index - 1].get("closed_on"))
