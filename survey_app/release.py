"""The release job: opens a wave's sealed parts and publishes only what cannot identify anyone.

Three things are published, each through `analysis/`: safe aggregate tables (joint disclosure
control), k-anonymous microdata (global recoding), and testimony batches (shuffled, at least k a
batch, attributes k-anonymous within the batch). After a closed wave's retention period the final
release is made and the wave's keys are destroyed.

A wave is released again and again while it is open, and a motivated intruder keeps every release.
So each kind of output is safe not only on its own but *compared with every earlier release of the
wave*:

- **Tables.** A shown figure changes only once its base has grown by at least `MIN_CELL` since it
  was last shown (or first withheld), and a withheld cell's range, given the relations of this and
  every earlier release, spans at least `MIN_CELL` (`analysis/tables.py`, `analysis/intervals.py`).
  Which figure protects a small one is chosen by cost, keeping the BME/White headline whenever a
  safe pattern allows (`survey_app/breakdowns.py`); each withheld cell stores its true reason where
  giving it narrows no small group (see WITHHELD_REASONS below).
  Breakdown questions themselves (ethnic group, worker type, occupation, organisation) are not
  published as measures: their answer counts are the breakdowns' group sizes, which disclosure
  control decides, and counting them again inside every group would publish those sizes unprotected.
- **Microdata: a growing superset.** The first release publishes the least-loss k-anonymous,
  l-diverse global recoding of every record (at most 2% of records withheld in small classes).
  Each later release republishes every record published before, recoded to the new levels (which can
  only be coarser, so the earlier rows are a coarsening of the new ones' multiset), and adds records
  not yet published only as whole classes: at the new levels, the unpublished records of one
  equivalence class are added together, and only when they are at least k and do not all share a
  sensitive answer; the rest wait for a later release. Hence the difference of any two releases
  (recoded to the later one's levels) is a union of such classes: every difference is itself
  k-anonymous and l-diverse, and with one, eleven or twelve newcomers no comparison isolates fewer
  than k of them. Records are matched to the earlier release by their published values only (rows
  are interchangeable when identical), never by any identifier: parts carry none. Publishing only
  at close would also hold, but would leave open waves without microdata for no gain in safety.
- **Testimonies and themes.** Testimonies leave in batches of at least k; themes are computed from
  redacted text only, and a theme's figures follow the same growth rule as a table's cells
  (`survey_app/themes.py`).
"""

from __future__ import annotations

import datetime as dt
import json
import logging
import secrets
from dataclasses import asdict, dataclass, field
from typing import Any

from sqlalchemy import Connection, Engine, delete, func, insert, select, update

from analysis.indicators import indicator_measures
from analysis.intervals import Publication
from analysis.kanonymity import k_anonymous_attributes
from analysis.tables import publications, publish_tables
from analysis.tables import PublishedCell as Cell
from questionnaires import Instrument
from survey_app.breakdowns import HEADLINE, REASON_SCOPES, build_breakdowns, suppression_cost
from survey_app.closed_parts import ClosedPartLayout
from survey_app.config import Settings
from survey_app.keys import WaveKeyStore
from survey_app.microdata import MicrodataReport, PreviousMicrodata
from survey_app.microdata import publish_microdata as _microdata
from survey_app.mixer import open_closed_parts, part_context
from survey_app.invitations import counts as invitation_counts
from survey_app.open_link import refused_over_budget
from survey_app.sealing import WaveKeys, open_with_key, seal_with_key
from survey_app.storage.models import (
    ClosedAnswerPart,
    InboxItem,
    MixedSubmission,
    Invitation,
    SpentInvitation,
    PublishedCell,
    PublishedMicrodata,
    Release,
    TestimonyBatch,
    TestimonyPart,
    Wave,
    random_id,
)
from survey_app.access import ACCESS_INVITED
from survey_app.waves import instrument_from_definition

# WITHHELD_REASONS. What a withheld cell stores is the reason it is published with (`analysis.disclosure.suppress`):
# "primary" (fewer than MIN_CELL responses), "complementary" (withheld so that a smaller group cannot
# be worked out) or "withheld" (no reason given). A reason is a bound on the cell's own count
# (below MIN_CELL, or not), so disclosure control protects every small group against a reader who
# reads it as well as one who does not: a primary cell still ranges over all of [0, MIN_CELL - 1]
# given every figure of the wave's releases and every reason they gave. Reasons are given on the
# widest of `REASON_SCOPES` (all tables; the headline tables; ...) where that holds, and nowhere
# else ("withheld"); they never cause a figure to be withheld. Releases made before reasons were
# published stored "withheld" for every withheld cell.


class ReleaseError(Exception):
    pass


@dataclass
class ReleaseReport:
    wave: str
    release: int
    final: bool
    responses: int
    cells_published: int
    cells_withheld_primary: int
    cells_withheld_complementary: int
    cells_held_from_previous: int
    min_cell: int
    microdata: MicrodataReport
    testimonies_released: int = 0
    testimony_batches: int = 0
    testimonies_waiting: int = 0
    keys_destroyed: bool = False
    # Submissions the open link refused over OPEN_LINK_BUDGET, over the wave's life (survey_app/open_link.py).
    refused_over_budget: int = 0
    # Invited waves (survey_app/invitations): codes issued and used so far; None on an open wave.
    invitations_issued: int | None = None
    invitations_used: int | None = None

    def describe(self) -> str:
        m = self.microdata
        lines = [
            f"{self.wave}: release {self.release}{' (final)' if self.final else ''} of {self.responses} responses",
            f"  aggregate cells: {self.cells_published} published, {self.cells_withheld_primary} withheld "
            f"(fewer than {self.min_cell}), {self.cells_withheld_complementary} withheld to protect them, "
            f"{self.cells_held_from_previous} unchanged until {self.min_cell} more respond",
        ]
        if m.published:
            lines.append(
                f"  microdata: {m.records - m.records_suppressed} records, {m.records_suppressed} suppressed, "
                f"k={m.k_achieved} (required {m.k}), l-diverse={m.l_diverse}, levels "
                + ", ".join(f"{name}={label}" for name, label in m.levels.items())
            )
            lines.append(
                f"  information loss: discernibility {m.discernibility}, average class size {m.average_class_size:.2f}; "
                f"prosecutor risk highest {m.highest_prosecutor_risk:.3f}, mean {m.mean_prosecutor_risk:.3f}"
            )
        else:
            lines.append(f"  microdata: not published ({m.reason})")
        lines.append(
            f"  testimonies: {self.testimonies_released} released in {self.testimony_batches} batches, "
            f"{self.testimonies_waiting} waiting for a full batch"
        )
        if self.refused_over_budget:
            lines.append(f"  open link: {self.refused_over_budget} submissions refused over budget")
        if self.invitations_issued is not None:
            rate = f" ({100 * (self.invitations_used or 0) / self.invitations_issued:.1f}% of codes used)" if self.invitations_issued else ""
            lines.append(
                f"  invitations: {self.invitations_issued} issued, {self.invitations_used} used{rate}"
            )
        if self.keys_destroyed:
            lines.append("  retention ended: the wave's keys are destroyed; its sealed parts can no longer be read")
        return "\n".join(lines)


@dataclass(frozen=True)
class PreviousRelease:
    number: int = 0
    cells: dict[tuple[str, str, str], Cell] = field(default_factory=dict)
    bases: dict[tuple[str, str, str], int] = field(default_factory=dict)
    # Per measure, what every earlier release published, oldest first: a reader has all of it.
    history: dict[str, list[Publication]] = field(default_factory=dict)
    microdata: PreviousMicrodata | None = None


def _state_context(wave_id: str) -> bytes:
    return part_context("release_state", wave_id)


def _previous_release(connection: Connection, wave_id: str, keys: WaveKeys) -> PreviousRelease:
    releases = connection.execute(
        select(Release.id, Release.number, Release.sealed_state).where(Release.wave_id == wave_id).order_by(Release.number)
    ).all()
    if not releases:
        return PreviousRelease()
    latest = releases[-1]
    number_of = {release.id: release.number for release in releases}
    by_release: dict[str, list[Cell]] = {release.id: [] for release in releases}
    rows = connection.execute(
        select(PublishedCell).join(Release, Release.id == PublishedCell.release_id).where(Release.wave_id == wave_id)
    )
    for row in rows:
        by_release[row.release_id].append(
            Cell(
                row.table_name,
                row.group_label,
                row.measure,
                row.base,
                tuple(json.loads(row.counts)) if row.counts else None,
                row.withheld,
                row.held_from_previous,
            )
        )
    history: dict[str, list[Publication]] = {}
    for release_id in sorted(by_release, key=number_of.__getitem__):
        for measure, publication in publications(by_release[release_id]).items():
            history.setdefault(measure, []).append(publication)
    cells = {cell.key: cell for cell in by_release[latest.id]}
    bases: dict[tuple[str, str, str], int] = {}
    if latest.sealed_state is not None:
        state = json.loads(open_with_key(keys.data_key, bytes(latest.sealed_state), _state_context(wave_id)))
        bases = {(table, group, measure): base for table, group, measure, base in state}
    microdata = connection.execute(
        select(PublishedMicrodata.columns, PublishedMicrodata.rows, PublishedMicrodata.levels)
        .join(Release, Release.id == PublishedMicrodata.release_id)
        .where(Release.wave_id == wave_id)
        .order_by(Release.number.desc())
        .limit(1)
    ).first()
    previous_microdata = (
        PreviousMicrodata(json.loads(microdata.columns), json.loads(microdata.rows), json.loads(microdata.levels))
        if microdata is not None
        else None
    )
    return PreviousRelease(latest.number, cells, bases, history, previous_microdata)


def _testimony_batches(
    connection: Connection, instrument: Instrument, wave_id: str, release_id: str, keys: WaveKeys, k: int
) -> tuple[int, int, int]:
    """Move testimony parts into shuffled sealed batches of k to 2k-1; returns (released, batches, waiting)."""
    rows = connection.execute(select(TestimonyPart.id, TestimonyPart.sealed).where(TestimonyPart.wave_id == wave_id)).all()
    if len(rows) < k:
        return 0, 0, len(rows)
    context = part_context("testimony", wave_id)
    testimonies = [json.loads(open_with_key(keys.data_key, bytes(row.sealed), context)) for row in rows]
    secrets.SystemRandom().shuffle(testimonies)
    identifying = {q.id for q in instrument.questions.values() if q.quasi_identifier and q.id in instrument.testimony_attributes}
    batches = len(testimonies) // k
    # Every testimony goes into a batch; sizes differ by at most one, each at least k.
    sizes = [len(testimonies) // batches + (1 if i < len(testimonies) % batches else 0) for i in range(batches)]
    start = 0
    batch_context = part_context("testimony_batch", wave_id)
    for size in sizes:
        batch = testimonies[start : start + size]
        start += size
        k_anonymous_attributes([testimony["attributes"] for testimony in batch], identifying, k)
        connection.execute(
            insert(TestimonyBatch).values(
                id=random_id(),
                wave_id=wave_id,
                release_id=release_id,
                sealed=seal_with_key(keys.data_key, json.dumps(batch).encode(), batch_context),
            )
        )
    connection.execute(delete(TestimonyPart).where(TestimonyPart.id.in_([row.id for row in rows])))
    return len(testimonies), batches, 0


def _breakdown_questions(instrument: Instrument) -> set[str]:
    """Questions whose answers define a breakdown's groups (see the module docstring)."""
    return {q.id for q in instrument.questions.values() if q.breakdown and q.options}


def release_wave(engine: Engine, wave_id: str, keys: WaveKeys, settings: Settings, final: bool = False) -> ReleaseReport:
    with engine.connect() as connection:
        wave = connection.execute(select(Wave).where(Wave.id == wave_id)).one()
        if wave.keys_destroyed:
            raise ReleaseError(f"wave {wave.slug} has been retired: its keys are destroyed, so no later release is possible")
        instrument = instrument_from_definition(wave_id, wave.definition)
        layout = ClosedPartLayout.of(instrument)
        records = open_closed_parts(connection, wave_id, keys, layout)
        previous = _previous_release(connection, wave_id, keys)
    responses = len(records)
    columns = layout.columns(records)
    breakdown_questions = _breakdown_questions(instrument)
    measures = [column for name, column in columns.items() if name not in breakdown_questions]
    measures += indicator_measures(columns)
    breakdowns, relations = build_breakdowns(instrument, columns, responses, settings.white_codes)
    cells, tables, reference_bases = publish_tables(
        measures,
        breakdowns,
        relations,
        settings.min_cell,
        previous.cells,
        previous.bases,
        history=previous.history,
        cost=suppression_cost,
        keep=HEADLINE,
        reason_scopes=REASON_SCOPES,
    )
    sealed_state = seal_with_key(
        keys.data_key,
        json.dumps([[*key, base] for key, base in reference_bases.items()]).encode(),
        _state_context(wave_id),
    )
    microdata_report, microdata = _microdata(instrument, columns, responses, settings.k_anonymity, previous.microdata)
    number = previous.number
    report = ReleaseReport(
        wave=wave.slug,
        release=number + 1,
        final=final,
        responses=responses,
        cells_published=tables.cells_published,
        cells_withheld_primary=tables.cells_withheld_primary,
        cells_withheld_complementary=tables.cells_withheld_complementary,
        cells_held_from_previous=tables.cells_held_from_previous,
        min_cell=settings.min_cell,
        microdata=microdata_report,
    )
    with engine.connect() as connection:
        report.refused_over_budget = refused_over_budget(connection, wave_id)
        if connection.execute(select(Wave.access).where(Wave.id == wave_id)).scalar_one() == ACCESS_INVITED:
            invited = invitation_counts(connection, wave_id)
            report.invitations_issued, report.invitations_used = invited.issued, invited.used
    release_id = random_id()
    with engine.begin() as connection:
        connection.execute(
            insert(Release).values(
                id=release_id,
                wave_id=wave_id,
                number=number + 1,
                released_on=dt.date.today(),
                final=final,
                report="{}",
                sealed_state=sealed_state,
            )
        )
        if cells:
            connection.execute(
                insert(PublishedCell),
                [
                    {
                        "release_id": release_id,
                        "table_name": cell.table,
                        "group_label": cell.group,
                        "measure": cell.measure,
                        "base": cell.base,
                        "counts": json.dumps(cell.counts) if cell.counts is not None else None,
                        "withheld": cell.withheld,
                        "held_from_previous": cell.held_from_previous,
                    }
                    for cell in cells
                ],
            )
        if microdata is not None:
            connection.execute(
                insert(PublishedMicrodata).values(
                    release_id=release_id,
                    levels=json.dumps(microdata["levels"]),
                    columns=json.dumps(microdata["columns"]),
                    rows=json.dumps(microdata["rows"]),
                )
            )
        released, batches, waiting = _testimony_batches(connection, instrument, wave_id, release_id, keys, settings.k_anonymity)
        report.testimonies_released, report.testimony_batches, report.testimonies_waiting = released, batches, waiting
        connection.execute(update(Release).where(Release.id == release_id).values(report=json.dumps(asdict(report))))
    if batches:
        _publish_themes(engine, wave_id, keys, settings)
    return report


def _publish_themes(engine: Engine, wave_id: str, keys: WaveKeys, settings: Settings) -> None:
    """Themes of every testimony released so far, stored sealed for the EDI view (survey_app/themes.py)."""
    if settings.case_key_file is None:
        logging.getLogger("survey_app.release").warning(
            "themes of wave %s not computed: SURVEY_CASE_KEY_FILE is not set", wave_id
        )
        return
    from survey_app.themes import compute_wave_themes

    compute_wave_themes(engine, wave_id, keys, settings)


def retire_wave(engine: Engine, wave_id: str, key_store: WaveKeyStore, settings: Settings) -> ReleaseReport:
    """Final release, then crypto-shredding: destroy the wave's keys and drop its sealed parts."""
    report = release_wave(engine, wave_id, key_store.load(wave_id), settings, final=True)
    # Marked retired first, then the key files go: killed in between, the worker's next round
    # finishes the shredding (survey_app/cli/responses.py), and never uses the keys meanwhile.
    with engine.begin() as connection:
        for table in (
            InboxItem, ClosedAnswerPart, TestimonyPart, TestimonyBatch, MixedSubmission, Invitation, SpentInvitation,
        ):
            connection.execute(delete(table).where(table.wave_id == wave_id))
        connection.execute(update(Wave).where(Wave.id == wave_id).values(keys_destroyed=True))
    key_store.destroy(wave_id)
    report.keys_destroyed = True
    return report


def retention_ended(closed_on: dt.date | None, retention_days: int, today: dt.date) -> bool:
    return closed_on is not None and today >= closed_on + dt.timedelta(days=retention_days)


def last_release_date(connection: Connection, wave_id: str) -> dt.date | None:
    return connection.execute(select(func.max(Release.released_on)).where(Release.wave_id == wave_id)).scalar_one()


@dataclass(frozen=True)
class Microdata:
    release: int
    columns: list[str]
    rows: list[list[Any]]
    levels: dict[str, int]


def latest_microdata(connection: Connection, wave_slug: str) -> Microdata | None:
    """The newest release's k-anonymous microdata of a wave, if any release published some."""
    row = connection.execute(
        select(Release.number, PublishedMicrodata.columns, PublishedMicrodata.rows, PublishedMicrodata.levels)
        .join(PublishedMicrodata, PublishedMicrodata.release_id == Release.id)
        .join(Wave, Wave.id == Release.wave_id)
        .where(Wave.slug == wave_slug)
        .order_by(Release.number.desc())
        .limit(1)
    ).first()
    if row is None:
        return None
    return Microdata(row.number, json.loads(row.columns), json.loads(row.rows), json.loads(row.levels))
