"""What every export shares: cells safe to open in a spreadsheet, CSV writing, the export files.

Indicator exports come in two kinds: the CSV is the plain machine-readable table, the XLSX the
formatted workbook for board papers (`survey_app.edi.workbook`); both are written from the same
published figures by `wave_indicator_export`, which the CLI and the dashboard share.

A text cell that begins with `=`, `+`, `-` or `@` (or a tab or carriage return, which some
spreadsheets skip before reading a formula) is prefixed with a single quote, so a spreadsheet shows
it as text instead of running it as a formula ("CSV injection"). Group labels and organisation
names come from instrument files and administrators, so every text cell is escaped. Numbers the
application formats itself (ints and floats) are written as numbers: a negative gap stays a number.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy import Connection

from survey_app.indicators import CSV_COLUMNS, IndicatorError, IndicatorReport, TrendReport, wave_indicators, wave_trends

FORMULA_TRIGGERS = ("=", "+", "-", "@", "\t", "\r")


def escape_cell(value: Any) -> Any:
    """A value safe for a spreadsheet cell: text beginning with a formula trigger gets a leading quote."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, (int, float)):
        return value
    text = str(value)
    if text.startswith(FORMULA_TRIGGERS):
        return "'" + text
    return text


def csv_text(columns: Sequence[str], rows: Iterable[Mapping[str, Any]]) -> str:
    """CSV (header row, then one row per mapping), every cell through `escape_cell`."""
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\r\n")
    writer.writerow([escape_cell(column) for column in columns])
    for row in rows:
        writer.writerow([escape_cell(row.get(column)) for column in columns])
    return buffer.getvalue()


# --- formats ------------------------------------------------------------------------------------
# Every export (indicators, themes, microdata) is a table of columns and rows written by
# `export_bytes` in one of EXPORT_FORMATS: the web routes and `survey-app export` share it.

EXPORT_FORMATS = ("csv", "xlsx")
MEDIA_TYPES = {
    "csv": "text/csv",  # Litestar adds "; charset=utf-8" to every text/ type
    "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
}


def xlsx_bytes(
    columns: Sequence[str],
    rows: Iterable[Mapping[str, Any]],
    *,
    sheet: str = "Data",
    about: Sequence[tuple[str, Any]] = (),
) -> bytes:
    """An XLSX workbook: the table on its own sheet, then an "About" sheet of (field, value) pairs.

    Every cell goes through `escape_cell` as in CSV, and text is written as a string cell (never a
    formula: an escaped value begins with a quote). Characters XLSX cannot hold are dropped.
    """
    from openpyxl import Workbook
    from openpyxl.cell.cell import ILLEGAL_CHARACTERS_RE

    def cell(value: Any) -> Any:
        escaped = escape_cell(value)
        if isinstance(escaped, str):
            return ILLEGAL_CHARACTERS_RE.sub("", escaped) or None
        return escaped

    workbook = Workbook(write_only=True)
    table = workbook.create_sheet(_sheet_title(sheet))
    table.append([cell(column) for column in columns])
    for row in rows:
        table.append([cell(row.get(column)) for column in columns])
    if about:
        notes = workbook.create_sheet("About")
        for name, value in about:
            notes.append([cell(name), cell(value)])
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()


def _sheet_title(title: str) -> str:
    """Sheet names: at most 31 characters, none of []:*?/\\ ."""
    cleaned = "".join(" " if ch in "[]:*?/\\" else ch for ch in title).strip() or "Data"
    return cleaned[:31]


def export_bytes(
    output_format: str,
    columns: Sequence[str],
    rows: Iterable[Mapping[str, Any]],
    *,
    sheet: str = "Data",
    about: Sequence[tuple[str, Any]] = (),
) -> bytes:
    """The table in `output_format` (csv or xlsx); CSV carries the table only, UTF-8 with a BOM so
    that spreadsheets read accented names correctly."""
    if output_format == "csv":
        return ("\ufeff" + csv_text(columns, rows)).encode("utf-8")
    if output_format == "xlsx":
        return xlsx_bytes(columns, rows, sheet=sheet, about=about)
    raise ValueError(f"unknown export format {output_format!r}: choose one of {', '.join(EXPORT_FORMATS)}")


@dataclass(frozen=True)
class Export:
    filename: str
    media_type: str
    content: bytes
    rows: int


def indicator_export(
    report: IndicatorReport,
    output_format: str,
    *,
    headline: IndicatorReport | None = None,
    trend: TrendReport | None = None,
    name: Any = None,
) -> Export:
    """The indicator table of a report as a file: CSV is the plain machine-readable table
    (`report.rows()`, one row per indicator and group); XLSX is the formatted workbook for board papers
    (`survey_app.edi.workbook`), with the BME/White `headline` summary and the `trend` when given."""
    rows = report.rows()
    if output_format == "xlsx":
        from survey_app.edi.workbook import indicator_workbook  # it writes cells through escape_cell

        content = indicator_workbook(report, headline=headline, trend=trend, name=name)
    else:
        content = export_bytes(output_format, CSV_COLUMNS, rows)
    filename = f"{report.wave}-indicators-{report.by}-release-{report.release}.{output_format}"
    return Export(filename, MEDIA_TYPES[output_format], content, len(rows))


def wave_indicator_export(
    connection: Connection,
    wave: str,
    by: str,
    output_format: str,
    *,
    white_codes: Sequence[int],
    min_cell: int,
) -> tuple[IndicatorReport, Export]:
    """What `survey-app export --what indicators` and the dashboard's downloads write: the report of
    the wave's latest release by `by`, as a file (raises IndicatorError as `wave_indicators` does)."""
    report = wave_indicators(connection, wave, by, white_codes=white_codes, min_cell=min_cell)
    if output_format != "xlsx":
        return report, indicator_export(report, output_format)
    from survey_app.wave_names import wave_name
    from survey_app.waves import find_wave, wave_instrument

    headline: IndicatorReport | None = report
    if by != "bme_white":
        try:
            headline = wave_indicators(connection, wave, "bme_white", white_codes=white_codes, min_cell=min_cell)
        except IndicatorError:
            headline = None  # an instrument without ethnicity has no BME/White summary
    trend = wave_trends(connection, wave, "bme_white") if headline is not None else None
    summary = find_wave(connection, wave)
    name = wave_name(summary, wave_instrument(connection, summary.id)) if summary is not None else None
    return report, indicator_export(report, output_format, headline=headline, trend=trend, name=name)


def microdata_export(
    wave: str, release: int, columns: Sequence[str], rows: Sequence[Sequence[Any]], levels: Mapping[str, int], output_format: str
) -> Export:
    """A release's k-anonymous microdata as a file (administrators only; the caller audits it)."""
    records = [dict(zip(columns, row)) for row in rows]
    about = [
        ("Wave", wave),
        ("Release", release),
        ("Records", len(records)),
        ("Generalisation", ", ".join(f"{name} level {level}" for name, level in levels.items())),
        ("Protection", "Every combination of the generalised columns is shared by at least k records; "
                       "no group in which everyone reported a sensitive experience."),
    ]
    content = export_bytes(output_format, list(columns), records, sheet="Microdata", about=about)
    return Export(f"{wave}-microdata-release-{release}.{output_format}", MEDIA_TYPES[output_format], content, len(records))


THEME_COLUMNS = (
    "wave", "computed_on", "theme", "kind", "breakdown", "group", "testimonies", "percent", "note", "key_phrases", "quote",
)


def theme_rows(theme_set: Mapping[str, Any]) -> list[dict[str, Any]]:
    """One row per theme (breakdown "all"), then a row per group of each breakdown and one per quote.

    A withheld theme or group has no number, only the note, exactly as the theme page shows it."""
    min_cell = theme_set["min_cell"]
    common = {"wave": theme_set["wave"], "computed_on": theme_set["computed_on"]}
    rows: list[dict[str, Any]] = []
    for theme in theme_set["themes"]:
        about = {**common, "theme": theme["label"], "kind": theme["kind"]}
        rows.append(
            {
                **about,
                "breakdown": "all",
                "group": "All testimonies in the theme",
                "testimonies": theme["count"],
                "note": f"fewer than {min_cell} testimonies" if theme["withheld"] else None,
                "key_phrases": "; ".join(theme["key_phrases"]),
            }
        )
        for breakdown, groups in theme["shares"].items():
            for group in groups:
                rows.append(
                    {
                        **about,
                        "breakdown": breakdown,
                        "group": group["group"],
                        "testimonies": group["count"],
                        "percent": group["percent"],
                        "note": "withheld: too few testimonies to show safely" if group["withheld"] else None,
                    }
                )
        rows += [{**about, "breakdown": "quote", "quote": quote} for quote in theme["quotes"]]
    return rows


def themes_export(theme_set: Mapping[str, Any], output_format: str) -> Export:
    """The themes of a wave's released testimonies as a file."""
    rows = theme_rows(theme_set)
    about = [
        ("Wave", theme_set["wave"]),
        ("Themes computed on", theme_set["computed_on"]),
        ("Testimonies", theme_set["testimonies"]),
        (
            "Withheld",
            f"Themes with fewer than {theme_set['min_cell']} testimonies are not listed; a group too small "
            "to show safely carries no number (note column).",
        ),
        ("Quotes", "Only from people who agreed to be quoted, with names, places and other details removed."),
    ]
    content = export_bytes(output_format, THEME_COLUMNS, rows, sheet="Themes", about=about)
    filename = f"{theme_set['wave']}-themes-{theme_set['computed_on']}.{output_format}"
    return Export(filename, MEDIA_TYPES[output_format], content, len(rows))
