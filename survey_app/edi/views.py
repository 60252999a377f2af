"""What the EDI pages show, built from `IndicatorReport`s (the release's published tables) only.

Everything here formats figures that `survey_app.indicators.wave_indicators` returned; nothing is
computed from answers or parts, and a withheld group yields its wording and no number: not in a
table cell, a chart, an interval, a gap nor a trend.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from markupsafe import Markup, escape

from analysis.indicators import MEASURES, WRES
from analysis.wres import Comparison, Figure, PooledGap, question_changed
from questionnaires import Instrument
from survey_app.breakdowns import BME, WHITE
from survey_app.edi.benchmarks import POPULATIONS, Benchmark, all_wres_benchmarks, sources, wres_benchmarks
from survey_app.edi.charts import Bar, bar_chart
from survey_app.edi.plain import difference_sentence, difference_verdict, direction, p_words
from survey_app.indicators import (
    BY_CHOICES,
    POOLED_TEMPORARY,
    TOTAL_TABLE,
    COMPLEMENTARY_WORDING,
    IndicatorReport,
    IndicatorResult,
    figure_wording,
    has_wording,
)

WRES_MEASURES = tuple(measure.name for measure in WRES)
WRES_NUMBERS = {name: name.removeprefix("wres") for name in WRES_MEASURES}
BY_TITLES = {
    "bme_white": "BME and White staff",
    "ethnic_heading": "Ethnic group heading",
    "ethnic_category": "Ethnic group",
    "worker_type": "Way of working",
    "occupation_heading": "Occupation group",
    "organisation": "Organisation",
}
BY_PHRASES = {
    "bme_white": "BME and White staff",
    "ethnic_heading": "ethnic group heading",
    "ethnic_category": "ethnic group",
    "worker_type": "way of working",
    "occupation_heading": "occupation group",
    "organisation": "organisation",
}
DASH = Markup('<span aria-hidden="true">–</span><span class="nhsuk-u-visually-hidden">not shown</span>')
NOT_COMPARED = Markup('<span aria-hidden="true">–</span><span class="nhsuk-u-visually-hidden">not compared</span>')


def measure_title(measure: str) -> str:
    """"Indicator 5: Harassment ..." for WRES, the label alone for a companion item."""
    label = MEASURES[measure].label
    return f"Indicator {WRES_NUMBERS[measure]}: {label}" if measure in WRES_NUMBERS else label


def available_breakdowns(instrument: Instrument) -> list[str]:
    """The breakdowns a wave of this instrument publishes (as `survey_app.breakdowns` builds them)."""
    present = {q.breakdown for q in instrument.questions.values() if q.breakdown and q.options}
    ethnicity = next((q for q in instrument.questions.values() if q.breakdown == "ethnic_category" and q.options), None)
    occupation = next((q for q in instrument.questions.values() if q.breakdown == "occupation" and q.options), None)
    found = []
    if ethnicity is not None:
        found.append("bme_white")
        if ethnicity.quasi_identifier in instrument.hierarchies:
            found.append("ethnic_heading")
        found.append("ethnic_category")
    if "worker_type" in present:
        found.append("worker_type")
    if occupation is not None and occupation.quasi_identifier in instrument.hierarchies:
        found.append("occupation_heading")
    if "organisation" in present:
        found.append("organisation")
    return [by for by in found if by in BY_CHOICES]


# --- formatting ---------------------------------------------------------------------------------

def pct(value: float | None) -> str:
    return "–" if value is None else f"{value:.1f}%"


def interval(shown: Figure) -> str:
    if shown.ci_low is None or shown.ci_high is None:
        return "–"
    return f"{shown.ci_low:.1f}% to {shown.ci_high:.1f}%"


def gap_text(value: float | None) -> str:
    """"+3.2", "-1.0"; a gap that rounds to nothing is "+0.0", never "-0.0"."""
    return "–" if value is None else f"{(round(value, 1) or 0.0):+.1f}"


p_text = p_words


def significance_text(comparison: Comparison) -> str:
    if comparison.significant is None or comparison.p_value is None:
        return "Not tested (no variation)"
    return ("Yes" if comparison.significant else "No") + f" ({p_text(comparison.p_value)})"


def withheld_tag(wording: str) -> Markup:
    return Markup('<strong class="nhsuk-tag nhsuk-tag--grey app-withheld">{}</strong>').format(wording)


# --- tables and charts of one breakdown ------------------------------------------------------------

@dataclass
class Block:
    """A chart and the table of the same figures, for one measure by one breakdown."""

    id: str
    title: str
    chart: Markup
    caption: str
    head: list[dict[str, Any]]
    rows: list[list[dict[str, Any]]]
    notes: list[str] = field(default_factory=list)


def _label(shown: Figure) -> str:
    return shown.group


def _kind(shown: Figure, reference: str | None) -> str:
    if shown.table == TOTAL_TABLE:
        return "total"
    if reference is not None and shown.group == reference:
        return "reference"
    return "group"


def _bar(shown: Figure, reference: str | None, label: str | None = None, wording: str | None = None) -> Bar:
    if shown.withheld:
        return Bar(label or _label(shown), withheld=True, kind=_kind(shown, reference), note=wording)
    return Bar(
        label or _label(shown),
        shown.percent,
        shown.ci_low,
        shown.ci_high,
        kind=_kind(shown, reference),
        note=None if shown.percent is not None else "no responses",
    )


def breakable(text: str, longest: int = 18) -> Markup:
    """Escaped text with a line-break opportunity inside any word longer than `longest` characters, so a
    long unbroken group label (an organisation name, say) wraps instead of widening the page."""
    words = []
    for word in text.split(" "):
        pieces = [escape(word[i : i + longest]) for i in range(0, len(word), longest)] or [escape(word)]
        words.append(Markup("<wbr>").join(pieces))
    return Markup(" ").join(words)


def _figure_cells(shown: Figure, wording: str, label: str | None = None) -> list[dict[str, Any]]:
    name = breakable(label or _label(shown))
    if shown.held_from_previous:
        name_cell: dict[str, Any] = {
            "html": Markup('{} <span class="nhsuk-body-s">(unchanged since an earlier release)</span>').format(name)
        }
    else:
        name_cell = {"html": name}
    if shown.withheld:
        return [name_cell, {"html": withheld_tag(figure_wording(shown, wording))}, {"html": DASH}, {"html": DASH}]
    return [
        name_cell,
        {"text": pct(shown.percent), "format": "numeric"},
        {"text": interval(shown)},
        {"text": f"{shown.count:,} of {shown.base:,}", "format": "numeric"},
    ]


def _comparison_cells(
    shown: Figure, comparison: Comparison | None, reference: str | None, wording: str
) -> list[dict[str, Any]]:
    if comparison is None:
        if reference is not None and shown.group == reference and shown.table != TOTAL_TABLE:
            return [{"text": "Reference group"}, {"html": NOT_COMPARED}, {"html": NOT_COMPARED}]
        return [{"html": NOT_COMPARED}, {"html": NOT_COMPARED}, {"html": NOT_COMPARED}]
    if not comparison.available:
        if comparison.reason == "withheld":
            if shown.withheld:
                return [{"html": DASH}, {"html": DASH}, {"html": DASH}]
            return [
                {"text": f"No comparison: {comparison.reference} {has_wording(wording)}"},
                {"html": NOT_COMPARED},
                {"html": NOT_COMPARED},
            ]
        return [{"html": NOT_COMPARED}, {"html": NOT_COMPARED}, {"html": NOT_COMPARED}]
    return [
        {"text": gap_text(comparison.gap), "format": "numeric"},
        {"text": "–" if comparison.ratio is None else f"{comparison.ratio:.2f}", "format": "numeric"},
        {"text": significance_text(comparison)},
    ]


def _head(reference: str | None) -> list[dict[str, Any]]:
    head: list[dict[str, Any]] = [
        {"text": "Group"},
        {"text": "Percentage", "format": "numeric"},
        {"text": "95% interval"},
        {"text": "Yes of those answering", "format": "numeric"},
    ]
    if reference is not None:
        head += [
            {"text": "Gap (points)", "format": "numeric"},
            {"text": "Ratio", "format": "numeric"},
            {"text": "Significant difference"},
        ]
    return head


def _pooled_row(pooled: PooledGap, reference: str, wording: str) -> tuple[list[dict[str, Any]], Bar, str | None]:
    if pooled.available and pooled.temporary is not None:
        cells = _figure_cells(pooled.temporary, wording, POOLED_TEMPORARY)
        cells += _comparison_cells(pooled.temporary, pooled.comparison, reference, wording)
        return cells, _bar(pooled.temporary, reference, POOLED_TEMPORARY, figure_wording(pooled.temporary, wording)), None
    reason = (
        f"Temporary staff together are not shown: a way-of-working group has {wording}."
        if pooled.reason == "withheld"
        else "Temporary staff together are not shown: a way-of-working group was not published."
    )
    cells = [{"text": POOLED_TEMPORARY}, {"text": "Not available"}, {"html": DASH}, {"html": DASH}]
    cells += [{"html": NOT_COMPARED}, {"html": NOT_COMPARED}, {"html": NOT_COMPARED}]
    return cells, Bar(POOLED_TEMPORARY, note="not available"), reason


def breakdown_block(
    report: IndicatorReport,
    result: IndicatorResult,
    *,
    id_prefix: str,
    include_total: bool = True,
    benchmarks: Sequence[Benchmark] = (),
) -> Block:
    """The chart and table of one measure by the report's breakdown (and the pooled temporary row)."""
    wording = report.withheld_wording
    reference = report.reference
    bars: list[Bar] = []
    rows: list[list[dict[str, Any]]] = []
    notes: list[str] = []
    for group in result.groups:
        shown = group.figure
        if shown.table == TOTAL_TABLE and not include_total:
            continue
        bars.append(_bar(shown, reference, wording=report.wording_for(shown)))
        cells = _figure_cells(shown, wording)
        if reference is not None:
            compared = group.comparison
            reason = report.comparison_wording(result, compared) if compared is not None else wording
            cells += _comparison_cells(shown, compared, reference, reason)
        rows.append(cells)
    if result.pooled is not None and reference is not None:
        cells, bar, reason = _pooled_row(result.pooled, reference, wording)
        rows.append(cells)
        bars.append(bar)
        if reason:
            notes.append(reason)
    for benchmark in benchmarks:
        for group, value in ((BME, benchmark.bme), (WHITE, benchmark.white)):
            if value is not None:
                bars.append(Bar(f"{group}, {benchmark.caption} (published)", value, kind="benchmark"))
    by_title = BY_TITLES.get(report.by, report.by)
    by_phrase = BY_PHRASES.get(report.by, report.by)
    title = f"{measure_title(result.measure)}, by {by_phrase}"
    summary = "Percentage of each group, with the 95% interval."
    if benchmarks:
        summary += " Grey bars are published benchmarks."
    chart = bar_chart(f"{id_prefix}-{result.measure}-{report.by}-chart", title, bars, wording, summary)
    if any(group.figure.withheld for group in result.groups):
        notes.append(
            f"Groups with {wording} are not shown, and nor is any figure that would let them be worked out: "
            f"a group marked “{COMPLEMENTARY_WORDING}” is withheld for that reason."
        )
    return Block(
        id=f"{id_prefix}-{result.measure}-{report.by}",
        title=by_title,
        chart=chart,
        caption=f"{measure_title(result.measure)}, by {by_phrase} (release {report.release})"
        + (f"; gaps and ratios against {reference}" if reference is not None else ""),
        head=_head(reference),
        rows=rows,
        notes=notes,
    )


def benchmark_table(benchmarks: Sequence[Benchmark]) -> tuple[list[dict[str, Any]], list[list[dict[str, Any]]]]:
    head = [
        {"text": "Published figure"},
        {"text": "BME", "format": "numeric"},
        {"text": "White", "format": "numeric"},
        {"text": "Gap (points)", "format": "numeric"},
    ]
    rows = []
    for benchmark in benchmarks:
        gap = None if benchmark.bme is None or benchmark.white is None else benchmark.bme - benchmark.white
        rows.append(
            [
                {"text": f"{benchmark.name} {benchmark.year}"},
                {"text": pct(benchmark.bme), "format": "numeric"},
                {"text": pct(benchmark.white), "format": "numeric"},
                {"text": gap_text(gap), "format": "numeric"},
            ]
        )
    return head, rows


# --- the overview ---------------------------------------------------------------------------------

@dataclass
class IndicatorSummary:
    measure: str
    title: str
    label: str
    block: Block
    sentence: str
    benchmarks: tuple[Benchmark, ...]
    benchmark_head: list[dict[str, Any]]
    benchmark_rows: list[list[dict[str, Any]]]
    benchmark_note: str | None


def _group(result: IndicatorResult, table: str, group: str) -> tuple[Figure, Comparison | None] | None:
    for one in result.groups:
        if (one.figure.table, one.figure.group) == (table, group):
            return one.figure, one.comparison
    return None


def benchmark_note(measure: str, instrument_version: str, benchmarks: Sequence[Benchmark]) -> str | None:
    """Says so when a question the measure reads was reworded between the benchmark year and this wave."""
    years = sorted({b.year for b in benchmarks if question_changed(measure, b.year, instrument_version)})
    if not years:
        return None
    named = " and ".join(years)
    return (
        f"The question behind this indicator was reworded after {named} (q15, in the 2025 survey): "
        f"compare with the {named} benchmarks with care."
    )


def wres_summaries(report: IndicatorReport, id_prefix: str = "overview") -> list[IndicatorSummary]:
    """The four WRES indicators of a bme_white report, each with its benchmarks."""
    summaries = []
    for result in report.indicators:
        if result.measure not in WRES_NUMBERS:
            continue
        benchmarks = wres_benchmarks(result.measure)
        found = _group(result, "bme_white", BME)
        sentence = (
            difference_sentence(
                found[1],
                result.measure,
                BME,
                report.comparison_wording(result, found[1], BME) if found[1] is not None else report.withheld_wording,
            )
            if found
            else ""
        )
        head, rows = benchmark_table(benchmarks)
        summaries.append(
            IndicatorSummary(
                measure=result.measure,
                title=measure_title(result.measure),
                label=result.label,
                block=breakdown_block(report, result, id_prefix=id_prefix, benchmarks=benchmarks),
                sentence=sentence,
                benchmarks=benchmarks,
                benchmark_head=head,
                benchmark_rows=rows,
                benchmark_note=benchmark_note(result.measure, report.instrument_version, benchmarks),
            )
        )
    return summaries


def benchmark_pair(benchmark: Benchmark | None, with_year: bool = True) -> str:
    """"24.9% / 20.7% (2024)": a published BME / White pair with its year."""
    if benchmark is None:
        return "–"
    pair = f"{pct(benchmark.bme)} / {pct(benchmark.white)}"
    return f"{pair} ({benchmark.year})" if with_year else pair


def benchmark_of(measure: str, population: str) -> Benchmark | None:
    return next((b for b in wres_benchmarks(measure) if b.population == population), None)


def summary_table(report: IndicatorReport, link: bool = True) -> tuple[list[dict[str, Any]], list[list[dict[str, Any]]]]:
    """One row per WRES indicator: direction, BME, White, gap, significance, and the benchmarks."""
    wording = report.withheld_wording
    head = [
        {"text": "Indicator"},
        {"text": "Direction"},
        {"text": "BME", "format": "numeric"},
        {"text": "White", "format": "numeric"},
        {"text": "Gap (points)", "format": "numeric"},
        {"text": "Significant difference"},
    ]
    head += [{"text": f"{name}: BME / White (year)", "format": "numeric"} for _, name in POPULATIONS]
    rows = []
    for result in report.indicators:
        if result.measure not in WRES_NUMBERS:
            continue
        name = f"Indicator {WRES_NUMBERS[result.measure]}"
        row: list[dict[str, Any]] = [
            {"html": Markup('<a href="#{}">{}</a>').format(result.measure, name)} if link else {"text": name},
            {"text": direction(result.measure)},
        ]
        comparison = None
        for group in (BME, WHITE):
            found = _group(result, "bme_white", group)
            if found is None:
                row.append({"text": "Not published"})
                continue
            shown, compared = found
            if group == BME:
                comparison = compared
            row.append(
                {"html": withheld_tag(figure_wording(shown, wording))}
                if shown.withheld
                else {"text": pct(shown.percent), "format": "numeric"}
            )
        if comparison is not None and comparison.available:
            verdict = difference_verdict(comparison, result.measure)
            p_value = p_words(comparison.p_value)
            row += [
                {"text": gap_text(comparison.gap), "format": "numeric"},
                {"text": f"{verdict} ({p_value})" if p_value else verdict},
            ]
        else:
            row += [{"html": DASH}, {"html": DASH}]
        for population, _ in POPULATIONS:
            row.append({"text": benchmark_pair(benchmark_of(result.measure, population)), "format": "numeric"})
        rows.append(row)
    return head, rows


def measures_table(report: IndicatorReport, wave: str) -> tuple[list[dict[str, Any]], list[list[dict[str, Any]]]]:
    """Every measure of the release (WRES, then companions): all respondents, BME, White, gap."""
    wording = report.withheld_wording
    head = [
        {"text": "Measure"},
        {"text": "All respondents", "format": "numeric"},
        {"text": "BME", "format": "numeric"},
        {"text": "White", "format": "numeric"},
        {"text": "Gap (points)", "format": "numeric"},
    ]
    rows = []
    for result in report.indicators:
        href = f"/edi/waves/{wave}/indicators/{result.measure}"
        row: list[dict[str, Any]] = [{"html": Markup('<a href="{}">{}</a>').format(href, measure_title(result.measure))}]
        comparison = None
        for table, group in ((TOTAL_TABLE, None), ("bme_white", BME), ("bme_white", WHITE)):
            found = next(
                (g for g in result.groups if g.figure.table == table and (group is None or g.figure.group == group)),
                None,
            )
            if found is None:
                row.append({"text": "Not published"})
                continue
            if group == BME:
                comparison = found.comparison
            shown = found.figure
            row.append(
                {"html": withheld_tag(figure_wording(shown, wording))}
                if shown.withheld
                else {"text": pct(shown.percent), "format": "numeric"}
            )
        row.append(
            {"text": gap_text(comparison.gap), "format": "numeric"}
            if comparison is not None and comparison.available
            else {"html": DASH}
        )
        rows.append(row)
    return head, rows


def methods(min_cell: int) -> list[str]:
    return [
        f"Every figure shown rests on at least {min_cell} responses. Groups with fewer than {min_cell} "
        "responses are withheld, and so are other figures that would let a withheld one be worked out by "
        "subtraction (complementary suppression across all tables of the release). A withheld group is "
        f"marked \u201cfewer than {min_cell} responses\u201d whatever its size.",
        "Percentages are of those who answered the question; \u201cDon't know\u201d is excluded from "
        "indicator 7, and a person counts once in indicator 6 (managers or colleagues).",
        "95% intervals are Wilson score intervals.",
        "Gaps are in percentage points (group minus reference); the ratio is group percentage over reference "
        "percentage. A difference is called significant when a two-sided two-proportion z-test (pooled "
        "proportion) gives p < 0.05.",
        "Between releases a figure changes only once its group has grown by at least "
        f"{min_cell} responses; until then the earlier figure is shown and marked.",
        "Benchmarks are the latest published figure of each population for each indicator, so their "
        "years can differ: " + "; ".join(sources(all_wres_benchmarks())) + ".",
    ]

