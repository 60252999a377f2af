"""The first page of the board report: the four WRES indicators in one table, in plain words.

A board reads one page. For each indicator it shows which way is good ("higher is worse" for
harassment and discrimination, "higher is better" for equal opportunities), BME and White staff,
the gap and whether it is likely to be real, the change since the organisation's previous survey of
the same kind (BME and White, each with its own test), and the latest published England and London
figures. Everything comes from the release's published cells (`IndicatorReport`, `TrendReport`): a
withheld group shows its wording and no number, and no gap or change is formed from it.
"""

from __future__ import annotations

from typing import Any

from markupsafe import Markup

from survey_app.breakdowns import BME, WHITE
from survey_app.edi.benchmarks import ENGLAND, LONDON
from survey_app.edi.plain import chance_words, change_words, difference_verdict, direction
from survey_app.edi.trends import point_for
from survey_app.edi.views import (
    WRES_NUMBERS,
    benchmark_of,
    benchmark_pair,
    gap_text,
    pct,
    withheld_tag,
)
from survey_app.indicators import IndicatorReport, IndicatorResult, TrendReport, figure_wording

HEAD = [
    {"text": "Indicator"},
    {"text": "BME", "format": "numeric"},
    {"text": "White", "format": "numeric"},
    {"text": "Gap, BME minus White"},
    {"text": "Change since the previous survey"},
    {"text": "England: BME / White", "format": "numeric"},
    {"text": "London: BME / White", "format": "numeric"},
]


def _figure_cell(result: IndicatorResult, group: str, wording: str) -> tuple[dict[str, Any], Any]:
    found = next((g for g in result.groups if (g.figure.table, g.figure.group) == ("bme_white", group)), None)
    if found is None:
        return {"text": "Not published"}, None
    if found.figure.withheld:
        return {"html": withheld_tag(figure_wording(found.figure, wording))}, found.comparison
    return {"text": pct(found.figure.percent), "format": "numeric"}, found.comparison


def _gap_cell(result: IndicatorResult, comparison: Any) -> dict[str, Any]:
    if comparison is None or not comparison.available or comparison.gap is None:
        return {"text": "Not compared: a group is not shown"}
    verdict = difference_verdict(comparison, result.measure)
    chance = chance_words(comparison.significant, comparison.p_value)
    return {"html": Markup("<strong>{} points</strong>: {}, {}").format(gap_text(comparison.gap), verdict.lower(), chance)}


def _change_cell(report: IndicatorReport, trend: TrendReport | None, measure: str) -> dict[str, Any]:
    if trend is None or len(trend.waves) < 2:
        return {"text": "First survey: no earlier results"}
    parts = []
    for group in (BME, WHITE):
        point, first = point_for(trend, measure, group, report.wave)
        parts.append(Markup("{}: {}").format(group, change_words(point, first, report.withheld_wording)))
    return {"html": Markup("<br>").join(parts)}


def summary_rows(report: IndicatorReport, trend: TrendReport | None) -> list[list[dict[str, Any]]]:
    """One row per WRES indicator of a bme_white report, in HEAD's columns."""
    rows = []
    for result in report.indicators:
        if result.measure not in WRES_NUMBERS:
            continue
        name = Markup('<a href="#{}">Indicator {}</a>: {}<br><span class="app-direction">{}</span>').format(
            result.measure, WRES_NUMBERS[result.measure], result.label, direction(result.measure)
        )
        bme, comparison = _figure_cell(result, BME, report.withheld_wording)
        white, _ = _figure_cell(result, WHITE, report.withheld_wording)
        rows.append(
            [
                {"html": name},
                bme,
                white,
                _gap_cell(result, comparison),
                _change_cell(report, trend, result.measure),
                {"text": benchmark_pair(benchmark_of(result.measure, ENGLAND)), "format": "numeric"},
                {"text": benchmark_pair(benchmark_of(result.measure, LONDON)), "format": "numeric"},
            ]
        )
    return rows
