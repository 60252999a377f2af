"""The indicator spreadsheet for board papers: a formatted XLSX workbook built with openpyxl.

The CSV download is the machine-readable table (`IndicatorReport.rows()`); this workbook is what an
EDI lead pastes into a board paper, so it is laid out for people:

- **Summary** (when the BME/White figures are at hand): a row per measure, BME and White side by
  side (percentage, 95% interval, number answering), the gap, ratio and p-value with the verdict in
  words, the change since the previous survey, and the latest England and London benchmarks.
- **Figures**: every group of the chosen breakdown, one row each, with readable headers.
- **Charts**: for each measure a small table and a native Excel bar chart of it, with the 95%
  intervals as error bars; a withheld group is a labelled gap with no bar.
- **About**: the source, the release, the disclosure rules and how to read intervals, significance
  and direction.

Every sheet has a bold, frozen header row with filters and sized columns; percentages are stored
as fractions with a % number format, so a spreadsheet can compute with them. Every text cell goes
through `escape_cell` (no cell is ever a formula), and a withheld group carries its wording and no
number, exactly as the pages show it.
"""

from __future__ import annotations

import io
from collections.abc import Sequence
from typing import Any

from openpyxl import Workbook
from openpyxl.cell.cell import ILLEGAL_CHARACTERS_RE
from openpyxl.chart import BarChart, Reference
from openpyxl.chart.data_source import NumDataSource, NumRef
from openpyxl.chart.error_bar import ErrorBars
from openpyxl.styles import Alignment, Font, PatternFill
from openpyxl.utils import get_column_letter, quote_sheetname
from openpyxl.worksheet.worksheet import Worksheet

from analysis.wres import Comparison, Figure
from survey_app.breakdowns import BME, WHITE
from survey_app.edi.benchmarks import ENGLAND, LONDON, all_wres_benchmarks, sources
from survey_app.edi.plain import GUIDE, change_words, difference_verdict, direction
from survey_app.edi.trends import point_for
from survey_app.edi.views import BY_PHRASES, benchmark_of, measure_title
from survey_app.exporting import escape_cell
from survey_app.indicators import (
    COMPLEMENTARY_WORDING,
    POOLED_TEMPORARY,
    IndicatorReport,
    IndicatorResult,
    TrendReport,
    figure_wording,
)
from survey_app.wave_names import WaveName

PERCENT = "0.0%"
POINTS = "+0.0;-0.0;0.0"
RATIO = "0.00"
P_VALUE = '[<0.001]"< 0.001";0.000'
HEADER_FILL = PatternFill("solid", fgColor="D8DDE0")  # NHS pale grey
BOLD = Font(bold=True)
WRAP = Alignment(wrap_text=True, vertical="top")
CHART_WIDTH_CM = 17.0
ROW_CM = 0.53  # a default row's height


def _text(value: Any) -> Any:
    escaped = escape_cell(value)
    if isinstance(escaped, str):
        return ILLEGAL_CHARACTERS_RE.sub("", escaped) or None
    return escaped


def _fraction(percent: float | None) -> float | None:
    return None if percent is None else round(percent / 100.0, 6)


def _append(sheet: Worksheet, values: Sequence[Any], formats: Sequence[str | None] = ()) -> None:
    sheet.append([_text(value) for value in values])
    for column, number_format in enumerate(formats, start=1):
        if number_format:
            sheet.cell(row=sheet.max_row, column=column).number_format = number_format


def _header(sheet: Worksheet, titles: Sequence[str], row: int = 1) -> None:
    for column, title in enumerate(titles, start=1):
        cell = sheet.cell(row=row, column=column, value=_text(title))
        cell.font = BOLD
        cell.fill = HEADER_FILL
        cell.alignment = WRAP


def _finish_table(sheet: Worksheet, freeze: str = "A2", widest: int = 48) -> None:
    """Freeze the header row (and columns left of `freeze`), filter the table, size the columns."""
    sheet.freeze_panes = freeze
    sheet.auto_filter.ref = sheet.dimensions
    for index, column in enumerate(sheet.iter_cols(min_row=1, max_row=sheet.max_row), start=1):
        header = len(str(column[0].value or ""))
        body = max((len(str(cell.value)) for cell in column[1:] if cell.value is not None), default=0)
        width = max(min(body, widest), min(header, 24), 8) + 2
        sheet.column_dimensions[get_column_letter(index)].width = width


# --- Summary: BME and White side by side ------------------------------------------------------------

SUMMARY_HEADERS = (
    "Indicator", "Direction",
    "BME", "BME 95% interval from", "BME 95% interval to", "BME answering",
    "White", "White 95% interval from", "White 95% interval to", "White answering",
    "Gap (points, BME minus White)", "Ratio (BME / White)", "p-value", "Difference in words",
    "BME change since previous survey", "White change since previous survey",
    "England BME", "England White", "England year", "London BME", "London White", "London year", "Note",
)
SUMMARY_FORMATS = (
    None, None, PERCENT, PERCENT, PERCENT, None, PERCENT, PERCENT, PERCENT, None,
    POINTS, RATIO, P_VALUE, None, None, None, PERCENT, PERCENT, None, PERCENT, PERCENT, None, None,
)


def _side(shown: Figure | None, wording: str) -> tuple[list[Any], str | None]:
    """[percent, low, high, base] of one side, and a note when it is withheld or not published."""
    if shown is None:
        return [None] * 4, "not published"
    if shown.withheld:
        return [None] * 4, figure_wording(shown, wording)
    return [_fraction(shown.percent), _fraction(shown.ci_low), _fraction(shown.ci_high), shown.base], None


def _pair(result: IndicatorResult, group: str) -> tuple[Figure | None, Comparison | None]:
    for one in result.groups:
        if (one.figure.table, one.figure.group) == ("bme_white", group):
            return one.figure, one.comparison
    return None, None


def _summary(sheet: Worksheet, report: IndicatorReport, trend: TrendReport | None) -> None:
    _header(sheet, SUMMARY_HEADERS)
    wording = report.withheld_wording
    for result in report.indicators:
        bme, comparison = _pair(result, BME)
        white, _ = _pair(result, WHITE)
        bme_values, bme_note = _side(bme, wording)
        white_values, white_note = _side(white, wording)
        notes = [f"{group}: {note}" for group, note in ((BME, bme_note), (WHITE, white_note)) if note]
        compared = comparison is not None and comparison.available
        changes = []
        for group in (BME, WHITE):
            if trend is None or len(trend.waves) < 2:
                changes.append("first survey")
            else:
                point, first = point_for(trend, result.measure, group, report.wave)
                changes.append(change_words(point, first, wording))
        benchmarks = []
        for population in (ENGLAND, LONDON):
            found = benchmark_of(result.measure, population)
            benchmarks += [_fraction(found.bme), _fraction(found.white), found.year] if found else [None, None, None]
        _append(
            sheet,
            [
                measure_title(result.measure), direction(result.measure), *bme_values, *white_values,
                round(comparison.gap, 1) if compared and comparison.gap is not None else None,
                round(comparison.ratio, 2) if compared and comparison.ratio is not None else None,
                comparison.p_value if compared else None,
                difference_verdict(comparison, result.measure),
                *changes, *benchmarks, "; ".join(notes) or None,
            ],
            SUMMARY_FORMATS,
        )
    _finish_table(sheet, freeze="B2")


# --- Figures: every group of the breakdown ----------------------------------------------------------

FIGURE_HEADERS = (
    "Indicator", "Direction", "Group", "Percentage", "95% interval from", "95% interval to",
    "Yes", "Answering", "Compared with", "Gap (points)", "Ratio", "p-value", "Significant difference",
    "Note", "Measure code",
)
FIGURE_FORMATS = (None, None, None, PERCENT, PERCENT, PERCENT, None, None, None, POINTS, RATIO, P_VALUE)


def _figures(sheet: Worksheet, report: IndicatorReport) -> None:
    _header(sheet, FIGURE_HEADERS)
    for row in report.rows():
        significant = row.get("significant")
        _append(
            sheet,
            [
                measure_title(row["measure"]), direction(row["measure"]), row["group"],
                _fraction(row.get("percent")), _fraction(row.get("ci_low")), _fraction(row.get("ci_high")),
                row.get("count"), row.get("base"), row.get("compared_with"), row.get("gap_points"),
                row.get("ratio"), row.get("p_value"),
                None if significant is None else ("Yes" if significant else "No"),
                row.get("note"), row["measure"],
            ],
            FIGURE_FORMATS,
        )
    _finish_table(sheet, freeze="D2")


# --- Charts: a native bar chart per measure ----------------------------------------------------------

CHART_HEADERS = ("Group", "Percentage", "Interval below (points)", "Interval above (points)")


def _chart_groups(report: IndicatorReport, result: IndicatorResult) -> list[tuple[str, Figure]]:
    groups = [(one.figure.group, one.figure) for one in result.groups]
    pooled = result.pooled
    if pooled is not None and pooled.available and pooled.temporary is not None:
        groups.append((POOLED_TEMPORARY, pooled.temporary))
    return groups


def _charts(sheet: Worksheet, report: IndicatorReport) -> int:
    """A small table and a bar chart for each measure, one under another; returns the number of charts."""
    wording = report.withheld_wording
    row = 1
    count = 0
    title = sheet.title
    for result in report.indicators:
        groups = _chart_groups(report, result)
        heading = sheet.cell(row=row, column=1, value=_text(f"{measure_title(result.measure)} ({direction(result.measure).lower()})"))
        heading.font = Font(bold=True, size=12)
        _header(sheet, CHART_HEADERS, row=row + 1)
        first = row + 2
        for offset, (label, shown) in enumerate(groups):
            current = first + offset
            if shown.withheld or shown.percent is None:
                note = figure_wording(shown, wording) if shown.withheld else "no responses"
                values: list[Any] = [f"{label} ({note})", None, None, None]
            else:
                low = shown.percent - (shown.ci_low if shown.ci_low is not None else shown.percent)
                high = (shown.ci_high if shown.ci_high is not None else shown.percent) - shown.percent
                values = [label, _fraction(shown.percent), _fraction(low), _fraction(high)]
            for column, value in enumerate(values, start=1):
                cell = sheet.cell(row=current, column=column, value=_text(value))
                if column > 1:
                    cell.number_format = PERCENT
        last = first + len(groups) - 1
        chart = BarChart()
        chart.type = "bar"
        chart.title = measure_title(result.measure)
        chart.legend = None
        chart.y_axis.scaling.min = 0
        chart.y_axis.scaling.max = 1
        chart.y_axis.numFmt = "0%"
        chart.y_axis.majorGridlines = None
        chart.x_axis.scaling.orientation = "maxMin"  # groups read top to bottom, as in the table
        chart.x_axis.delete = False  # openpyxl 3.1 otherwise hides both axes in Excel
        chart.y_axis.delete = False
        chart.add_data(Reference(sheet, min_col=2, min_row=first - 1, max_row=last), titles_from_data=True)
        chart.set_categories(Reference(sheet, min_col=1, min_row=first, max_row=last))
        below = NumDataSource(numRef=NumRef(f=f"{quote_sheetname(title)}!$C${first}:$C${last}"))
        above = NumDataSource(numRef=NumRef(f=f"{quote_sheetname(title)}!$D${first}:$D${last}"))
        chart.series[0].errBars = ErrorBars(errBarType="both", errValType="cust", minus=below, plus=above, noEndCap=False)
        chart.width = CHART_WIDTH_CM
        chart.height = max(6.0, 2.5 + 0.75 * len(groups))
        sheet.add_chart(chart, f"F{row}")
        count += 1
        row += max(len(groups) + 3, int(chart.height / ROW_CM) + 2)
    sheet.column_dimensions["A"].width = 48
    for letter in "BCD":
        sheet.column_dimensions[letter].width = 14
    return count


# --- About ---------------------------------------------------------------------------------------------

def _about(sheet: Worksheet, report: IndicatorReport, name: WaveName | None, has_summary: bool) -> None:
    _header(sheet, ("About these figures", ""))
    rate = report.response_rate
    rows: list[tuple[str, Any]] = [
        ("Organisation", report.organisation),
        ("Survey", name.survey if name else report.instrument_id),
        ("Survey dates", name.dates if name else ""),
        ("Results from", f"Release {report.release} of {report.released_on}"),
        ("Wave reference", f"{report.wave} ({report.instrument_id}, version {report.instrument_version})"),
        ("Breakdown", BY_PHRASES.get(report.by, report.by)),
        ("Responses", report.responses),
        (
            "Response rate",
            f"{rate:.1f}% of {report.eligible_headcount:,} eligible staff"
            if rate is not None and report.eligible_headcount
            else "Not known: no eligible headcount was entered for this survey",
        ),
        (
            "Withheld groups",
            f"Every figure rests on at least {report.min_cell} responses. A group marked \u201c{report.withheld_wording}\u201d "
            "carries no figures, and nor does any figure that would let it be worked out: a group marked "
            f"\u201c{COMPLEMENTARY_WORDING}\u201d is withheld for that reason.",
        ),
        *GUIDE,
        (
            "Statistics",
            "95% Wilson score intervals. Gaps are in percentage points, group minus reference; the ratio is "
            "group percentage over reference percentage. Differences and changes use a two-sided "
            "two-proportion z-test with pooled proportion, significant when p < 0.05.",
        ),
        (
            "Benchmarks",
            "The latest published figure of each population for each indicator (years can differ): "
            + "; ".join(sources(all_wres_benchmarks())),
        ),
        (
            "Sheets",
            ("Summary: BME and White side by side with the gap and benchmarks. " if has_summary else "")
            + "Figures: every group of the breakdown. Charts: a chart per measure with its table.",
        ),
    ]
    for key, value in rows:
        _append(sheet, [key, value])
    sheet.freeze_panes = "A2"
    sheet.column_dimensions["A"].width = 26
    sheet.column_dimensions["B"].width = 110
    for cells in sheet.iter_rows(min_row=2):
        cells[0].font = BOLD
        for cell in cells:
            cell.alignment = WRAP


def indicator_workbook(
    report: IndicatorReport,
    *,
    headline: IndicatorReport | None = None,
    trend: TrendReport | None = None,
    name: WaveName | None = None,
) -> bytes:
    """The workbook of `report` (one breakdown); `headline` is the same release by bme_white, for the
    Summary sheet (`report` itself when it is by bme_white); `trend` gives the change since the last
    survey; `name` the wave's plain name."""
    if headline is None and report.by == "bme_white":
        headline = report
    workbook = Workbook()
    default = workbook.active
    if headline is not None:
        _summary(workbook.create_sheet("Summary"), headline, trend)
    _figures(workbook.create_sheet(f"Figures by {BY_PHRASES.get(report.by, report.by)}"[:31]), report)
    _charts(workbook.create_sheet("Charts"), report)
    _about(workbook.create_sheet("About"), report, name, headline is not None)
    workbook.remove(default)
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()

