"""WRES indicators of a wave, read from its latest release's published cells only.

One function, `wave_indicators`, is what the CLI (`survey-app indicators`), the dashboard, exports
and the JSON API all call: it never opens a sealed part and never sees an answer, so whatever it
returns has passed the release's joint disclosure control. Withheld cells stay withheld: they carry
no figure, and no percentage, interval, gap or pooled figure is formed from them (`analysis.wres`).

Comparisons shown beside each group (gap in points, ratio, pooled two-proportion z-test):

- `bme_white`: BME against White (the WRES gap);
- `ethnic_category`, `ethnic_heading`: every group with no White member against White (the White
  group of the `bme_white` table), so the differences between ethnic groups show;
- `worker_type`: every temporary type against bank alongside a substantive post, plus one pooled
  row for all temporary staff (only when every temporary group is shown);
- other tables: none.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import Connection, select

from analysis.indicators import MEASURES, WRES
from analysis.wres import (
    Comparison,
    Figure,
    IndicatorCell,
    PooledGap,
    TrendSeries,
    WaveCells,
    compare,
    figure,
    pooled_gap,
    response_rate,
    trends,
)
from questionnaires import Instrument
from survey_app.breakdowns import BME, NOT_STATED, WHITE
from survey_app.storage.models import Organisation, PublishedCell, Release, Wave
from survey_app.waves import instrument_from_definition

BY_CHOICES = ("ethnic_category", "ethnic_heading", "bme_white", "worker_type", "occupation_heading", "organisation")
TOTAL_TABLE = "total"
DEFAULT_WHITE_CODES = (1, 2, 3, 4)
TEMPORARY_LABEL = "Temporary"  # the worker_type hierarchy's label for temporary ways of working
POOLED_TEMPORARY = "Temporary staff (all temporary types)"
CSV_COLUMNS = (
    "wave",
    "release",
    "measure",
    "indicator",
    "table",
    "group",
    "count",
    "base",
    "percent",
    "ci_low",
    "ci_high",
    "compared_with",
    "gap_points",
    "ratio",
    "p_value",
    "significant",
    "note",
)


class IndicatorError(Exception):
    """The report cannot be made (unknown wave, nothing released, unknown breakdown)."""


def withheld_wording(min_cell: int) -> str:
    return f"fewer than {min_cell} responses"


# A withheld cell is shown with the reason its release published (survey_app/release.py): "fewer
# than N responses" only when that is true, and this when it is withheld to protect another group.
COMPLEMENTARY_WORDING = "withheld so that a smaller group cannot be worked out"
# For a cell published without a reason (releases before reasons were published, or a measure for
# which no pattern was safe against a reader of reasons): true of either reason.
NO_REASON_WORDING = "withheld to protect a small group"


def has_wording(wording: str) -> str:
    """A withheld group's wording after its name: "has fewer than 11 responses", "is withheld so ..."."""
    return f"is {wording}" if wording.startswith("withheld") else f"has {wording}"


def figure_wording(shown: Figure, primary: str) -> str:
    """What to say of a withheld figure; `primary` is the report's "fewer than N responses"."""
    if shown.reason == "complementary":
        return COMPLEMENTARY_WORDING
    if shown.reason is None or shown.reason == "primary":
        return primary
    return NO_REASON_WORDING


@dataclass(frozen=True)
class GroupResult:
    figure: Figure
    comparison: Comparison | None = None


@dataclass(frozen=True)
class IndicatorResult:
    measure: str
    label: str
    wres: bool
    groups: tuple[GroupResult, ...]
    pooled: PooledGap | None = None


@dataclass
class IndicatorReport:
    wave: str
    organisation: str
    instrument_id: str
    instrument_version: str
    release: int
    released_on: str
    by: str
    min_cell: int
    responses: int | None
    reference: str | None
    indicators: list[IndicatorResult] = field(default_factory=list)
    eligible_headcount: int | None = None
    # An invited wave's codes at this release (survey_app/invitations); None for an open wave.
    invitations_issued: int | None = None
    invitations_used: int | None = None

    @property
    def response_rate(self) -> float | None:
        if self.responses is None:
            return None
        return response_rate(self.responses, self.eligible_headcount)

    @property
    def invitation_response_rate(self) -> float | None:
        """Codes used as a percentage of codes issued: an invited wave's response rate. (Not responses
        over codes: paper returns imported into the wave come without codes.)"""
        if self.invitations_used is None or not self.invitations_issued:
            return None
        return response_rate(self.invitations_used, self.invitations_issued)

    @property
    def withheld_wording(self) -> str:
        return withheld_wording(self.min_cell)

    def wording_for(self, shown: Figure) -> str:
        """Why this withheld figure is withheld, in plain words."""
        return figure_wording(shown, self.withheld_wording)

    def comparison_wording(self, result: IndicatorResult, comparison: Comparison, group: str | None = None) -> str:
        """Why a comparison of `group` with its reference is unavailable: the wording of whichever
        side is withheld (the reference, unless `group` is given and withheld itself)."""
        for name in (group, comparison.reference):
            for one in result.groups:
                if name is not None and one.figure.group == name and one.figure.withheld:
                    return self.wording_for(one.figure)
        return self.withheld_wording

    def to_json(self) -> dict[str, Any]:
        """Plain JSON: withheld groups have `"withheld": true` and null for every number."""
        return {
            "wave": self.wave,
            "organisation": self.organisation,
            "instrument": self.instrument_id,
            "instrument_version": self.instrument_version,
            "release": self.release,
            "released_on": self.released_on,
            "by": self.by,
            "min_cell": self.min_cell,
            "withheld_wording": self.withheld_wording,
            "responses": self.responses,
            "eligible_headcount": self.eligible_headcount,
            "response_rate": _round(self.response_rate, 1),
            "invitations_issued": self.invitations_issued,
            "invitations_used": self.invitations_used,
            "invitation_response_rate": _round(self.invitation_response_rate, 1),
            "compared_with": self.reference,
            "indicators": [
                {
                    "measure": result.measure,
                    "label": result.label,
                    "wres": result.wres,
                    "groups": [
                        {
                            **_figure_json(group.figure, self.withheld_wording),
                            "comparison": _comparison_json(group.comparison),
                        }
                        for group in result.groups
                    ],
                    "temporary_vs_substantive": _pooled_json(result.pooled, self.withheld_wording),
                }
                for result in self.indicators
            ],
        }

    def rows(self) -> list[dict[str, Any]]:
        """One flat row per indicator and group (and pooled temporary row), for CSV and XLSX."""
        rows = []
        for result in self.indicators:
            for group in result.groups:
                rows.append(self._row(result, group.figure, group.comparison))
            if result.pooled is not None:
                pooled = result.pooled
                if pooled.available and pooled.temporary is not None:
                    rows.append(self._row(result, pooled.temporary, pooled.comparison))
                else:
                    rows.append(
                        {
                            **self._row_start(result, "worker_type", POOLED_TEMPORARY),
                            "compared_with": pooled.substantive_group,
                            "note": _pooled_unavailable(pooled, self.withheld_wording),
                        }
                    )
        return rows

    def _row_start(self, result: IndicatorResult, table: str, group: str) -> dict[str, Any]:
        return {
            "wave": self.wave,
            "release": self.release,
            "measure": result.measure,
            "indicator": result.label,
            "table": table,
            "group": group,
        }

    def _row(self, result: IndicatorResult, shown: Figure, comparison: Comparison | None) -> dict[str, Any]:
        row = self._row_start(result, shown.table, shown.group)
        if shown.withheld:
            row["note"] = self.wording_for(shown)
            return row
        row.update(
            count=shown.count,
            base=shown.base,
            percent=_round(shown.percent, 1),
            ci_low=_round(shown.ci_low, 1),
            ci_high=_round(shown.ci_high, 1),
        )
        notes = []
        if shown.held_from_previous:
            notes.append(f"unchanged since an earlier release until {self.min_cell} more respond")
        if comparison is not None:
            row["compared_with"] = comparison.reference
            if comparison.available:
                row.update(
                    gap_points=_round(comparison.gap, 1),
                    ratio=_round(comparison.ratio, 2),
                    p_value=_round_p(comparison.p_value),
                    significant=comparison.significant,
                )
            elif comparison.reason == "withheld":
                notes.append(f"no comparison: {comparison.reference} {has_wording(self.comparison_wording(result, comparison))}")
        row["note"] = "; ".join(notes) or None
        return row

    def describe(self) -> str:
        """Plain text, a block per indicator."""
        lines = [
            f"{self.wave} ({self.organisation}, {self.instrument_id} {self.instrument_version}): "
            f"release {self.release} of {self.released_on}, by {self.by}",
        ]
        if self.responses is not None:
            rate = self.response_rate
            lines.append(
                f"{self.responses} responses" + (f", response rate {rate:.1f}% of {self.eligible_headcount}" if rate is not None else "")
            )
        lines.append(
            f"No figures are shown for groups with {self.withheld_wording}, nor for groups {COMPLEMENTARY_WORDING}. "
            "CI: 95% Wilson interval."
        )
        if self.reference:
            lines.append(f"Gaps in percentage points against {self.reference}; * significant (two-proportion z-test, p < 0.05).")
        width = max([len(g.figure.group) for r in self.indicators for g in r.groups] + [len(POOLED_TEMPORARY), 5])
        width = min(width, 60)
        for result in self.indicators:
            lines.append("")
            lines.append(f"{result.measure}: {result.label}")
            lines.append(f"  {'group':<{width}}  {'count':>7}  {'base':>7}  {'%':>5}  {'95% CI':<13}  comparison")
            for group in result.groups:
                lines.append("  " + self._text_line(result, group.figure, group.comparison, width))
            pooled = result.pooled
            if pooled is not None:
                if pooled.available and pooled.temporary is not None:
                    lines.append("  " + self._text_line(result, pooled.temporary, pooled.comparison, width))
                else:
                    lines.append(f"  {POOLED_TEMPORARY[:width]:<{width}}  {_pooled_unavailable(pooled, self.withheld_wording)}")
        return "\n".join(lines)

    def _text_line(self, result: IndicatorResult, shown: Figure, comparison: Comparison | None, width: int) -> str:
        label = shown.group[:width]
        if shown.withheld:
            return f"{label:<{width}}  {self.wording_for(shown)}"
        percent = "-" if shown.percent is None else f"{shown.percent:.1f}"
        interval = "" if shown.ci_low is None else f"{shown.ci_low:.1f}-{shown.ci_high:.1f}"
        text = f"{label:<{width}}  {shown.count:>7}  {shown.base:>7}  {percent:>5}  {interval:<13}"
        if comparison is not None:
            if comparison.available and comparison.gap is not None:
                ratio = "" if comparison.ratio is None else f", ratio {comparison.ratio:.2f}"
                star = " *" if comparison.significant else ""
                text += f"  {comparison.gap:+.1f} pts vs {comparison.reference}{ratio}{star}"
            elif comparison.reason == "withheld":
                text += f"  no comparison: {comparison.reference} {has_wording(self.comparison_wording(result, comparison))}"
        if shown.held_from_previous:
            text += "  (unchanged since an earlier release)"
        return text.rstrip()


def _round(value: float | None, digits: int) -> float | None:
    return None if value is None else round(value, digits)


def _round_p(value: float | None) -> float | None:
    return None if value is None else float(f"{value:.4g}")


def _figure_json(shown: Figure, wording: str) -> dict[str, Any]:
    return {
        "table": shown.table,
        "group": shown.group,
        "withheld": shown.withheld,
        "withheld_reason": (shown.reason if shown.reason in ("primary", "complementary") else None)
        if shown.withheld
        else None,
        "note": figure_wording(shown, wording) if shown.withheld else None,
        "count": shown.count,
        "base": shown.base,
        "percent": _round(shown.percent, 3),
        "ci_low": _round(shown.ci_low, 3),
        "ci_high": _round(shown.ci_high, 3),
        "held_from_previous": shown.held_from_previous,
    }


def _comparison_json(comparison: Comparison | None) -> dict[str, Any] | None:
    if comparison is None:
        return None
    return {
        "compared_with": comparison.reference,
        "available": comparison.available,
        "withheld": comparison.reason == "withheld",
        "gap_points": _round(comparison.gap, 3),
        "ratio": _round(comparison.ratio, 4),
        "z": _round(comparison.z, 4),
        "p_value": _round_p(comparison.p_value),
        "significant": comparison.significant,
    }


def _pooled_json(pooled: PooledGap | None, wording: str) -> dict[str, Any] | None:
    if pooled is None:
        return None
    return {
        "temporary_groups": list(pooled.temporary_groups),
        "substantive_group": pooled.substantive_group,
        "available": pooled.available,
        "reason": None if pooled.available else _pooled_unavailable(pooled, wording),
        "temporary": _figure_json(pooled.temporary, wording) if pooled.temporary is not None else None,
        "comparison": _comparison_json(pooled.comparison),
    }


def _pooled_unavailable(pooled: PooledGap, wording: str) -> str:
    if pooled.reason == "withheld":
        return f"not available: a worker-type group has {wording}"
    return "not available: a worker-type group was not published"


# --- reading the published tables ---------------------------------------------------------------

@dataclass(frozen=True)
class _Wave:
    id: str
    slug: str
    organisation: str
    organisation_id: str
    instrument_id: str
    instrument_version: str
    definition: str
    eligible_headcount: int | None


def _find_wave(connection: Connection, wave_slug: str) -> _Wave:
    row = connection.execute(
        select(
            Wave.id,
            Wave.slug,
            Organisation.name,
            Wave.organisation_id,
            Wave.instrument_id,
            Wave.instrument_version,
            Wave.definition,
            Wave.eligible_headcount,
        )
        .join(Organisation, Organisation.id == Wave.organisation_id)
        .where(Wave.slug == wave_slug)
    ).first()
    if row is None:
        raise IndicatorError(f"no wave {wave_slug!r}")
    return _Wave(*row)


def _latest_release(connection: Connection, wave_id: str) -> Any:
    return connection.execute(
        select(Release.id, Release.number, Release.released_on, Release.report)
        .where(Release.wave_id == wave_id)
        .order_by(Release.number.desc())
        .limit(1)
    ).first()


def _cells(connection: Connection, release_id: str, tables: Sequence[str]) -> list[IndicatorCell]:
    rows = connection.execute(
        select(
            PublishedCell.table_name,
            PublishedCell.group_label,
            PublishedCell.measure,
            PublishedCell.base,
            PublishedCell.counts,
            PublishedCell.withheld,
            PublishedCell.held_from_previous,
        )
        .where(
            PublishedCell.release_id == release_id,
            PublishedCell.measure.in_(list(MEASURES)),
            PublishedCell.table_name.in_(list(tables)),
        )
        .order_by(PublishedCell.id)
    )
    return [
        IndicatorCell.from_counts(
            row.table_name,
            row.group_label,
            row.measure,
            row.base,
            json.loads(row.counts) if row.counts is not None else None,
            row.withheld is not None,
            bool(row.held_from_previous),
            row.withheld,
        )
        for row in rows
    ]


def _ethnicity_groups_without_white(instrument: Instrument, white_codes: Sequence[int]) -> dict[str, set[str]]:
    """Per ethnic table, the groups none of whose members is White (comparable with White)."""
    white = set(white_codes)
    comparable: dict[str, set[str]] = {"ethnic_category": set(), "ethnic_heading": set()}
    for question in instrument.questions.values():
        if question.breakdown != "ethnic_category" or not question.options:
            continue
        hierarchy = instrument.hierarchies.get(question.quasi_identifier or "")
        heading_codes: dict[str, set[int]] = {}
        for option in question.options:
            if option.code not in white:
                comparable["ethnic_category"].add(option.label)
            if hierarchy is not None:
                heading_codes.setdefault(hierarchy.codes[option.code][0], set()).add(option.code)
        comparable["ethnic_heading"] = {heading for heading, codes in heading_codes.items() if not codes & white}
        break
    return comparable


def _worker_type_groups(instrument: Instrument) -> tuple[list[str], list[str]]:
    """(temporary groups, substantive groups) of the worker_type table, from the instrument's hierarchy."""
    for question in instrument.questions.values():
        if question.breakdown != "worker_type" or not question.options:
            continue
        hierarchy = instrument.hierarchies.get(question.quasi_identifier or "")
        if hierarchy is None:
            return [], []
        temporary = [o.label for o in question.options if hierarchy.codes[o.code][0] == TEMPORARY_LABEL]
        substantive = [o.label for o in question.options if hierarchy.codes[o.code][0] != TEMPORARY_LABEL]
        return temporary, substantive
    return [], []


def wave_indicators(
    connection: Connection,
    wave_slug: str,
    by: str,
    *,
    white_codes: Sequence[int] = DEFAULT_WHITE_CODES,
    eligible_headcount: int | None = None,
    min_cell: int | None = None,
) -> IndicatorReport:
    """The indicators (WRES 5-8, then companions) of a wave's latest release, by one breakdown.

    `min_cell` is only a fallback for the wording of withheld cells: the release's own report says
    which MIN_CELL its cells were withheld under. `white_codes` must be those the release used.
    `eligible_headcount` defaults to the one entered for the wave (`survey-app wave headcount`).
    """
    if by not in BY_CHOICES:
        raise IndicatorError(f"unknown breakdown {by!r}: choose one of {', '.join(BY_CHOICES)}")
    wave = _find_wave(connection, wave_slug)
    release = _latest_release(connection, wave.id)
    if release is None:
        raise IndicatorError(f"wave {wave_slug} has no release yet: run 'survey-app release --wave {wave_slug}'")
    instrument = instrument_from_definition(wave.id, wave.definition)
    tables = [TOTAL_TABLE, by]
    if by in ("ethnic_category", "ethnic_heading"):
        tables.append("bme_white")
    cells = _cells(connection, release.id, tables)
    report_data = json.loads(release.report or "{}")
    used_min_cell = int(report_data.get("min_cell") or min_cell or 11)
    if not any(cell.table == by for cell in cells):
        raise IndicatorError(
            f"wave {wave_slug} has no {by} breakdown: its instrument ({wave.instrument_id}) does not ask for it"
        )
    figures = {cell.key: figure(cell) for cell in cells}
    # Groups in published order (the breakdown's own order), the total first.
    order: dict[str, dict[tuple[str, str], None]] = {}
    for cell in sorted(cells, key=lambda c: c.table != TOTAL_TABLE):
        if cell.table in (TOTAL_TABLE, by):
            order.setdefault(cell.measure, {})[(cell.table, cell.group)] = None

    reference_group: str | None = None
    reference_table = by
    comparable: set[str] = set()
    temporary: list[str] = []
    substantive: list[str] = []
    if by == "bme_white":
        reference_group, comparable = WHITE, {BME}
    elif by in ("ethnic_category", "ethnic_heading"):
        reference_table, reference_group = "bme_white", WHITE
        comparable = _ethnicity_groups_without_white(instrument, white_codes)[by]
    elif by == "worker_type":
        temporary, substantive = _worker_type_groups(instrument)
        if len(substantive) == 1:
            reference_group, comparable = substantive[0], set(temporary)

    results = []
    wres_names = {measure.name for measure in WRES}
    for measure in MEASURES.values():
        if measure.name not in order:
            continue
        reference = figures.get((reference_table, reference_group, measure.name)) if reference_group else None
        groups = []
        for table, group in order[measure.name]:
            shown = figures[(table, group, measure.name)]
            comparison = None
            if reference is not None and table == by and group in comparable and group != NOT_STATED:
                comparison = compare(shown, reference)
            groups.append(GroupResult(shown, comparison))
        pooled = None
        if by == "worker_type" and reference_group is not None:
            pooled = pooled_gap(cells, measure.name, temporary, reference_group, label=POOLED_TEMPORARY)
        results.append(IndicatorResult(measure.name, measure.label, measure.name in wres_names, tuple(groups), pooled))
    return IndicatorReport(
        wave=wave.slug,
        organisation=wave.organisation,
        instrument_id=wave.instrument_id,
        instrument_version=wave.instrument_version,
        release=release.number,
        released_on=str(release.released_on),
        by=by,
        min_cell=used_min_cell,
        responses=report_data.get("responses"),
        reference=reference_group,
        indicators=results,
        eligible_headcount=eligible_headcount if eligible_headcount is not None else wave.eligible_headcount,
        invitations_issued=report_data.get("invitations_issued"),
        invitations_used=report_data.get("invitations_used"),
    )


# --- trends -------------------------------------------------------------------------------------

@dataclass
class TrendReport:
    by: str
    waves: list[dict[str, Any]]
    series: list[TrendSeries]

    def to_json(self) -> dict[str, Any]:
        return {
            "by": self.by,
            "waves": self.waves,
            "series": [
                {
                    "measure": one.measure,
                    "table": one.table,
                    "group": one.group,
                    "points": [
                        {
                            "wave": point.wave,
                            "instrument_version": point.instrument_version,
                            "published": point.figure is not None,
                            **(
                                {
                                    key: value
                                    for key, value in _figure_json(point.figure, "").items()
                                    if key not in ("table", "group", "note")
                                }
                                if point.figure is not None
                                else {}
                            ),
                            "question_changed": point.question_changed,
                            "change_points": _round(point.change, 3),
                            "change_p_value": _round_p(point.change_p_value),
                            "change_significant": point.change_significant,
                        }
                        for point in one.points
                    ],
                }
                for one in self.series
            ],
        }


def wave_trends(connection: Connection, wave_slug: str, by: str) -> TrendReport:
    """Every wave of this wave's instrument and organisation (oldest first), latest release of each.

    Each point's change since the previous wave carries a two-proportion z-test (`analysis.wres`)."""
    if by not in BY_CHOICES:
        raise IndicatorError(f"unknown breakdown {by!r}: choose one of {', '.join(BY_CHOICES)}")
    wave = _find_wave(connection, wave_slug)
    rows = connection.execute(
        select(Wave.id, Wave.slug, Wave.instrument_version, Wave.opened_on, Wave.closed_on)
        .where(Wave.organisation_id == wave.organisation_id, Wave.instrument_id == wave.instrument_id)
        .order_by(Wave.opened_on, Wave.slug)
    ).all()
    waves: list[WaveCells] = []
    described = []
    for row in rows:
        release = _latest_release(connection, row.id)
        if release is None:
            continue
        waves.append(WaveCells(row.slug, row.instrument_version, _cells(connection, release.id, [TOTAL_TABLE, by])))
        described.append(
            {
                "wave": row.slug,
                "instrument_version": row.instrument_version,
                "release": release.number,
                "opened_on": str(row.opened_on),
                "closed_on": None if row.closed_on is None else str(row.closed_on),
            }
        )
    return TrendReport(by, described, trends(waves))
