"""The EDI dashboard, its exports and the board report: `/edi/waves/{wave}/...`.

EDI leads (and administrators) of the wave's organisation only: anyone else signed in gets 403 for
the role and 404 for another organisation's wave; anonymous visitors are sent to sign in. Every
figure comes from `wave_indicators` / `wave_trends` (the release's published tables), and every
view and export is written to the audit log.
"""

from __future__ import annotations

from typing import Any

from litestar import Controller, Request, Response, get
from litestar.exceptions import NotFoundException
from litestar.params import FromPath, FromQuery
from litestar.response import Redirect, Template
from sqlalchemy import Connection

from analysis.indicators import MEASURES
from survey_app.audit import record_audit
from survey_app.edi import board, plain, theme_summary, trends, views
from survey_app.exporting import EXPORT_FORMATS, themes_export, wave_indicator_export
from survey_app.indicators import (
    BY_CHOICES,
    IndicatorError,
    IndicatorReport,
    wave_indicators,
    wave_trends,
)
from survey_app.staff.access import current_member, requires_staff, wave_for
from survey_app.staff.controller import STAFF_EXCEPTION_HANDLERS
from survey_app.wave_names import WaveName, wave_name
from survey_app.waves import WaveSummary, wave_instrument

EDI_ROLES = ("edi", "admin")
# Themes carry redacted quotes and key phrases: free text, which administrators never see (DESIGN.md).
QUOTE_ROLES = ("edi",)
NO_RELEASE = "no release yet"


def _not_found(request: Request[Any, Any, Any], error: NotFoundException) -> Response[Any]:
    return Template(
        "staff/message.html",
        context={"title": "Page not found", "message": error.detail or "There is no such page."},
        status_code=404,
    )


class BadBreakdown(Exception):
    pass


def _bad_breakdown(request: Request[Any, Any, Any], error: BadBreakdown) -> Response[Any]:
    return Template(
        "staff/message.html",
        context={"title": "There is no such breakdown", "message": str(error)},
        status_code=400,
    )


def eligible_headcount(wave: WaveSummary) -> int | None:
    """The eligible headcount an administrator entered for the wave (`survey-app wave headcount`)."""
    return wave.eligible_headcount


def report_for(db: Connection, request: Request[Any, Any, Any], wave: WaveSummary, by: str) -> IndicatorReport:
    settings = request.app.state.settings
    return wave_indicators(
        db,
        wave.slug,
        by,
        white_codes=settings.white_codes,
        eligible_headcount=eligible_headcount(wave),
        min_cell=settings.min_cell,
    )


def latest_themes_for(db: Connection, request: Request[Any, Any, Any], wave_id: str) -> dict[str, Any] | None:
    """The wave's stored themes, opened with the web process's case key; None without themes or key."""
    from survey_app.ftsu.intake import web_case_secret
    from survey_app.themes import latest_themes

    case_secret = web_case_secret(request.app.state.settings)
    return latest_themes(db, wave_id, case_secret) if case_secret is not None else None


def _check_by(by: str) -> str:
    if by not in BY_CHOICES:
        raise BadBreakdown(f"Choose a breakdown from: {', '.join(BY_CHOICES)}.")
    return by


def named(db: Connection, wave: WaveSummary) -> WaveName:
    """The wave as people name it: organisation, survey title, dates."""
    return wave_name(wave, wave_instrument(db, wave.id))


def _unavailable(member: Any, wave: WaveSummary, error: IndicatorError, name: WaveName) -> Template:
    if NO_RELEASE in str(error):
        message = (
            "Nothing has been published for this wave yet. Results appear after the daily release, "
            "once enough people have responded."
        )
    else:
        message = "This survey does not ask the questions these results need."
    return Template(
        "edi/unavailable.html",
        context={"member": member, "wave": wave, "name": name, "message": message},
    )


class EdiController(Controller):
    path = "/edi"
    include_in_schema = False
    guards = [requires_staff]
    opt = {"roles": EDI_ROLES}
    exception_handlers = {**STAFF_EXCEPTION_HANDLERS, NotFoundException: _not_found, BadBreakdown: _bad_breakdown}

    @get("/waves/{wave:str}", sync_to_thread=True)
    def overview(self, request: Request[Any, Any, Any], wave: FromPath[str]) -> Response[Any]:
        """The four WRES indicators as BME vs White with the gap, the benchmarks and the trend; a
        survey without the WRES questions (lived experience) has its themes as its results."""
        summary = wave_for(request, wave)
        member = current_member(request)
        with request.app.state.engine.begin() as db:
            name = named(db, summary)
            if not name.has_indicators:
                return Redirect(name.results_path)
            try:
                report = report_for(db, request, summary, "bme_white")
            except IndicatorError as error:
                return _unavailable(member, summary, error, name)
            trend = wave_trends(db, summary.slug, "bme_white")
            breakdowns = views.available_breakdowns(wave_instrument(db, summary.id))
            record_audit(db, member.email, "edi.view_wave", wave=summary.slug, release=report.release)
        head, rows = views.summary_table(report)
        return Template(
            "edi/overview.html",
            context={
                "member": member,
                "wave": summary,
                "name": name,
                "report": report,
                "summary_head": head,
                "summary_rows": rows,
                "indicators": views.wres_summaries(report),
                "trends": trends.trend_tables(trend, views.WRES_MEASURES, report.withheld_wording),
                "trend_waves": len(trend.waves),
                "trend_note": trends.significance_note(),
                "breakdowns": [(by, views.BY_TITLES[by], views.BY_PHRASES[by]) for by in breakdowns],
                "formats": EXPORT_FORMATS,
            },
        )

    @get("/waves/{wave:str}/themes", sync_to_thread=True, opt={"roles": QUOTE_ROLES})
    def themes(self, request: Request[Any, Any, Any], wave: FromPath[str]) -> Template:
        """Themes of the wave's released testimonies, as the release job stored them (sealed)."""
        summary = wave_for(request, wave)
        member = current_member(request)
        with request.app.state.engine.begin() as db:
            name = named(db, summary)
            theme_set = latest_themes_for(db, request, summary.id)
            record_audit(db, member.email, "edi.view_themes", wave=summary.slug, computed_on=(theme_set or {}).get("computed_on"))
        return Template(
            "edi/themes.html",
            context={
                "member": member,
                "wave": summary,
                "name": name,
                "summary_head": theme_summary.HEAD,
                "summary_rows": theme_summary.themes_summary(theme_set) if theme_set else None,
                "theme_set": theme_set,
                "min_cell": theme_set["min_cell"] if theme_set else request.app.state.settings.min_cell,
                "attribute_titles": {"ethnic_heading": "By ethnic group", "worker_type": "By way of working"},
                "formats": EXPORT_FORMATS,
            },
        )

    @get("/waves/{wave:str}/themes.csv", sync_to_thread=True, opt={"roles": QUOTE_ROLES})
    def themes_csv(self, request: Request[Any, Any, Any], wave: FromPath[str]) -> Response[bytes]:
        """The themes (counts, shares by group, key phrases, quotes) as CSV, cells escaped."""
        return self._themes_export(request, wave, "csv")

    @get("/waves/{wave:str}/themes.xlsx", sync_to_thread=True, opt={"roles": QUOTE_ROLES})
    def themes_xlsx(self, request: Request[Any, Any, Any], wave: FromPath[str]) -> Response[bytes]:
        """The themes as XLSX, escaped like CSV."""
        return self._themes_export(request, wave, "xlsx")

    def _themes_export(self, request: Request[Any, Any, Any], wave: str, output_format: str) -> Response[bytes]:
        summary = wave_for(request, wave)
        member = current_member(request)
        with request.app.state.engine.begin() as db:
            theme_set = latest_themes_for(db, request, summary.id)
            if theme_set is None:
                raise NotFoundException("This wave has no themes yet.")
            export = themes_export(theme_set, output_format)
            record_audit(
                db, member.email, "edi.export", wave=summary.slug, what="themes", format=output_format,
                computed_on=theme_set["computed_on"], rows=export.rows,
            )
        return Response(
            export.content,
            media_type=export.media_type,
            headers={"Content-Disposition": f'attachment; filename="{export.filename}"'},
        )

    @get("/waves/{wave:str}/measures", sync_to_thread=True)
    def measures(self, request: Request[Any, Any, Any], wave: FromPath[str]) -> Template:
        """Every measure of the release: WRES 5-8 and the companion items."""
        summary = wave_for(request, wave)
        member = current_member(request)
        with request.app.state.engine.begin() as db:
            name = named(db, summary)
            try:
                report = report_for(db, request, summary, "bme_white")
            except IndicatorError as error:
                return _unavailable(member, summary, error, name)
            record_audit(db, member.email, "edi.view_measures", wave=summary.slug, release=report.release)
        head, rows = views.measures_table(report, summary.slug)
        return Template(
            "edi/measures.html",
            context={"member": member, "wave": summary, "name": name, "report": report, "head": head, "rows": rows},
        )

    @get("/waves/{wave:str}/indicators/{measure:str}", sync_to_thread=True)
    def indicator(self, request: Request[Any, Any, Any], wave: FromPath[str], measure: FromPath[str]) -> Template:
        """One measure by every breakdown the wave publishes, and across waves."""
        summary = wave_for(request, wave)
        member = current_member(request)
        if measure not in MEASURES:
            raise NotFoundException("There is no such indicator.")
        blocks = []
        report = None
        with request.app.state.engine.begin() as db:
            name = named(db, summary)
            for by in views.available_breakdowns(wave_instrument(db, summary.id)):
                try:
                    one = report_for(db, request, summary, by)
                except IndicatorError as error:
                    if NO_RELEASE in str(error):
                        return _unavailable(member, summary, error, name)
                    continue  # a breakdown this release did not publish
                report = report or one
                result = next((r for r in one.indicators if r.measure == measure), None)
                if result is None:
                    raise NotFoundException("This wave does not report that indicator.")
                blocks.append(views.breakdown_block(one, result, id_prefix="indicator"))
            if report is None:
                raise NotFoundException("This wave does not report that indicator.")
            trend = wave_trends(db, summary.slug, "bme_white")
            record_audit(db, member.email, "edi.view_indicator", wave=summary.slug, measure=measure, release=report.release)
        benchmarks = views.wres_benchmarks(measure)
        head, rows = views.benchmark_table(benchmarks)
        return Template(
            "edi/indicator.html",
            context={
                "member": member,
                "wave": summary,
                "name": name,
                "report": report,
                "measure": measure,
                "direction": plain.direction(measure),
                "title": views.measure_title(measure),
                "is_wres": measure in views.WRES_NUMBERS,
                "blocks": blocks,
                "benchmarks": benchmarks,
                "benchmark_head": head,
                "benchmark_rows": rows,
                "benchmark_note": views.benchmark_note(measure, report.instrument_version, benchmarks),
                "trends": trends.trend_tables(trend, [measure], report.withheld_wording),
                "trend_waves": len(trend.waves),
                "trend_note": trends.significance_note(),
            },
        )

    @get("/waves/{wave:str}/report", sync_to_thread=True)
    def board_report(self, request: Request[Any, Any, Any], wave: FromPath[str]) -> Template:
        """A printable report for the board: a one-page summary of the four indicators in plain words,
        then each indicator by BME/White, ethnic heading and way of working, with the benchmarks and a
        methods note."""
        summary = wave_for(request, wave)
        member = current_member(request)
        with request.app.state.engine.begin() as db:
            name = named(db, summary)
            try:
                report = report_for(db, request, summary, "bme_white")
            except IndicatorError as error:
                return _unavailable(member, summary, error, name)
            trend = wave_trends(db, summary.slug, "bme_white")
            breakdowns = views.available_breakdowns(wave_instrument(db, summary.id))
            extra: dict[str, IndicatorReport] = {}
            for by in ("ethnic_heading", "worker_type"):
                if by in breakdowns:
                    try:
                        extra[by] = report_for(db, request, summary, by)
                    except IndicatorError:
                        continue
            record_audit(db, member.email, "edi.view_report", wave=summary.slug, release=report.release)
        sections = []
        for indicator in views.wres_summaries(report, id_prefix="report"):
            blocks = [indicator.block]
            for by, other in extra.items():
                result = next((r for r in other.indicators if r.measure == indicator.measure), None)
                if result is not None:
                    blocks.append(views.breakdown_block(other, result, id_prefix="report", include_total=False))
            sections.append((indicator, blocks))
        return Template(
            "edi/report.html",
            context={
                "member": member,
                "wave": summary,
                "name": name,
                "report": report,
                "summary_head": board.HEAD,
                "summary_rows": board.summary_rows(report, trend),
                "previous": trends.previous_wave(trend, summary.slug),
                "guide": plain.GUIDE,
                "sections": sections,
                "methods": views.methods(report.min_cell),
            },
        )

    @get("/waves/{wave:str}/export.csv", sync_to_thread=True)
    def export_csv(
        self, request: Request[Any, Any, Any], wave: FromPath[str], by: FromQuery[str] = "bme_white"
    ) -> Response[bytes]:
        """The indicator table (every indicator x group) as CSV, cells escaped for spreadsheets."""
        return self._export(request, wave, by, "csv")

    @get("/waves/{wave:str}/export.xlsx", sync_to_thread=True)
    def export_xlsx(
        self, request: Request[Any, Any, Any], wave: FromPath[str], by: FromQuery[str] = "bme_white"
    ) -> Response[bytes]:
        """The indicator table as XLSX, every text cell a string, escaped like CSV."""
        return self._export(request, wave, by, "xlsx")

    def _export(self, request: Request[Any, Any, Any], wave: str, by: str, output_format: str) -> Response[Any]:
        summary = wave_for(request, wave)
        member = current_member(request)
        _check_by(by)
        settings = request.app.state.settings
        with request.app.state.engine.begin() as db:
            try:
                report, export = wave_indicator_export(
                    db, summary.slug, by, output_format, white_codes=settings.white_codes, min_cell=settings.min_cell
                )
            except IndicatorError as error:
                if NO_RELEASE in str(error):
                    return _unavailable(member, summary, error, named(db, summary))
                raise NotFoundException(f"This wave has no figures by {views.BY_PHRASES[by]}.") from None
            record_audit(
                db,
                member.email,
                "edi.export",
                wave=summary.slug,
                by=by,
                format=output_format,
                release=report.release,
                rows=export.rows,
            )
        return Response(
            export.content,
            media_type=export.media_type,
            headers={"Content-Disposition": f'attachment; filename="{export.filename}"'},
        )
