"""The release job: opens a wave's sealed parts and publishes only what cannot identify anyone.

Three things are published, each through `analysis/`: safe aggregate tables (joint disclosure
control), k-anonymous microdata (global recoding), and testimony batches (shuffled, at least k a
batch, attributes k-anonymous within the batch). After a closed wave's retention period the final
release is made and the wave's keys are destroyed.
"""

from __future__ import annotations

import datetime as dt
import json
import logging
import os
import secrets
from collections import Counter
from collections.abc import Mapping
from dataclasses import asdict, dataclass, field
from typing import Any

import numpy as np
from sqlalchemy import Connection, Engine, delete, func, insert, select, update

from analysis.indicators import indicator_measures
from analysis.kanonymity import (
    MISSING,
    GeneralisationHierarchy,
    NotAnonymisableError,
    k_anonymise,
)
from analysis.tables import Column, publish_tables
from analysis.tables import PublishedCell as Cell
from questionnaires import Instrument
from survey_app.breakdowns import build_breakdowns
from survey_app.closed_parts import ClosedPartLayout
from survey_app.config import Settings
from survey_app.keys import WaveKeyStore
from survey_app.mixer import open_closed_parts, part_context
from survey_app.sealing import WaveKeys, open_with_key, seal_with_key
from survey_app.storage.models import (
    ClosedAnswerPart,
    InboxItem,
    MixedSubmission,
    PublishedCell,
    PublishedMicrodata,
    Release,
    TestimonyBatch,
    TestimonyPart,
    Wave,
    random_id,
)
from survey_app.waves import instrument_from_definition

# Microdata columns besides the quasi-identifiers: the questions the WRES reports read.
REPORTED_QUESTIONS = ("q14a", "q14b", "q14c", "q15", "q16b")
# Ethnicity is the point of these reports: generalising it costs ten times any other attribute.
QUASI_IDENTIFIER_WEIGHTS = {"ethnicity": 10.0}


class ReleaseError(Exception):
    pass


@dataclass
class MicrodataReport:
    published: bool
    reason: str | None = None
    records: int = 0
    records_suppressed: int = 0
    k: int = 0
    k_achieved: int = 0
    l_diverse: bool = False
    levels: dict[str, str] = field(default_factory=dict)
    level_numbers: dict[str, int] = field(default_factory=dict)
    discernibility: int = 0
    average_class_size: float = 0.0
    classes: int = 0
    highest_prosecutor_risk: float = 0.0
    mean_prosecutor_risk: float = 0.0


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
        if self.keys_destroyed:
            lines.append("  retention ended: the wave's keys are destroyed; its sealed parts can no longer be read")
        return "\n".join(lines)


PreviousRelease = tuple[int, dict[tuple[str, str, str], Cell], dict[tuple[str, str, str], int], dict[str, int]]


def _state_context(wave_id: str) -> bytes:
    return part_context("release_state", wave_id)


def _previous_release(connection: Connection, wave_id: str, keys: WaveKeys) -> PreviousRelease:
    latest = connection.execute(
        select(Release.id, Release.number, Release.report, Release.sealed_state)
        .where(Release.wave_id == wave_id)
        .order_by(Release.number.desc())
        .limit(1)
    ).first()
    if latest is None:
        return 0, {}, {}, {}
    rows = connection.execute(select(PublishedCell).where(PublishedCell.release_id == latest.id))
    cells = {}
    for row in rows:
        cell = Cell(
            row.table_name,
            row.group_label,
            row.measure,
            row.base,
            tuple(json.loads(row.counts)) if row.counts else None,
            row.withheld,
            row.held_from_previous,
        )
        cells[cell.key] = cell
    levels = json.loads(latest.report).get("microdata", {}).get("level_numbers", {})
    bases: dict[tuple[str, str, str], int] = {}
    if latest.sealed_state is not None:
        state = json.loads(open_with_key(keys.data_key, bytes(latest.sealed_state), _state_context(wave_id)))
        bases = {(table, group, measure): base for table, group, measure, base in state}
    return latest.number, cells, bases, levels


def _microdata(
    instrument: Instrument,
    columns: Mapping[str, Column],
    count: int,
    k: int,
    min_levels: dict[str, int],
) -> tuple[MicrodataReport, dict[str, Any] | None]:
    quasi = [
        q
        for q in instrument.questions.values()
        if q.options
        and not q.is_free_text
        and q.id not in instrument.testimony_attributes
        and (q.quasi_identifier in instrument.hierarchies or q.breakdown == "organisation")
    ]
    if not quasi:
        return MicrodataReport(published=False, reason="this instrument has no quasi-identifiers"), None
    hierarchies = []
    for question in quasi:
        hierarchy = instrument.hierarchies.get(question.quasi_identifier or "")
        codes = {o.code: list(hierarchy.codes[o.code]) if hierarchy else [] for o in question.options}
        hierarchies.append(GeneralisationHierarchy.from_code_labels(question.quasi_identifier or question.breakdown or question.id, codes))
    records = np.stack(
        [_raw_indices(h, columns[q.id]) for h, q in zip(hierarchies, quasi)], axis=1
    ) if count else np.zeros((0, len(quasi)), dtype=np.int64)
    sensitive_questions = [q for q in instrument.questions.values() if q.sensitive_codes]
    sensitive = np.zeros((count, len(sensitive_questions)), dtype=bool)
    for j, question in enumerate(sensitive_questions):
        if question.id in columns:
            sensitive[:, j] = columns[question.id].chosen_any(question.sensitive_codes)
    try:
        result = k_anonymise(
            records,
            hierarchies,
            k,
            sensitive=sensitive,
            weights={h.name: QUASI_IDENTIFIER_WEIGHTS.get(h.name, 1.0) for h in hierarchies},
            min_levels={name: level for name, level in min_levels.items() if name in {h.name for h in hierarchies}},
        )
    except NotAnonymisableError as error:
        return MicrodataReport(published=False, reason=str(error), records=count, k=k), None
    reported = [q for q in instrument.questions.values() if q.id in REPORTED_QUESTIONS or q.sensitive_codes]
    # Rows in a random order: the order the parts were read in says nothing, but keep it that way.
    order = _secret_permutation(len(result.kept_indices))
    kept = result.kept_indices[order]
    labels = [
        np.asarray(names, dtype=object)[result.generalised[order, c]].tolist()
        for c, names in enumerate(result.column_labels)
    ]
    answers = [columns[q.id].values(kept) if q.id in columns else [None] * len(kept) for q in reported]
    rows = list(zip(*labels, *answers))  # stored as JSON, where a tuple is a list
    headings = [q.id for q in quasi] + [q.id for q in reported]
    report = MicrodataReport(
        published=True,
        records=count,
        records_suppressed=result.suppressed,
        k=k,
        k_achieved=result.k_achieved,
        l_diverse=result.l_diverse,
        levels={name: _level_name(instrument, name, level) for name, level in result.levels.items()},
        level_numbers=dict(result.levels),
        discernibility=result.discernibility,
        average_class_size=result.average_class_size,
        classes=result.classes,
        highest_prosecutor_risk=result.max_risk,
        mean_prosecutor_risk=result.mean_risk,
    )
    return report, {"columns": headings, "rows": rows, "levels": dict(result.levels)}


def _raw_indices(hierarchy: GeneralisationHierarchy, column: Column) -> np.ndarray:
    """Each respondent's raw index in the hierarchy (MISSING when they did not answer)."""
    if column.index is None:
        return hierarchy.encode(column.values())
    return np.append(hierarchy.encode(column.codes), MISSING)[column.index]


def _secret_permutation(length: int) -> np.ndarray:
    """A uniformly random order drawn from the operating system's secure generator."""
    return np.argsort(np.frombuffer(os.urandom(8 * length), dtype=np.uint64), kind="stable")


def _level_name(instrument: Instrument, hierarchy: str, level: int) -> str:
    """'code' for the raw answer, the instrument's level names above it, 'withheld' at the top."""
    names = ["code", *(instrument.hierarchies[hierarchy].levels if hierarchy in instrument.hierarchies else ())]
    return names[level] if level < len(names) else "withheld"


def _k_anonymous_attributes(testimonies: list[dict[str, Any]], identifying: set[str], k: int) -> None:
    """Within one batch, drop identifying attributes until every combination is shared by k testimonies."""
    while True:
        combos = Counter(_combo(t, identifying) for t in testimonies)
        small = [t for t in testimonies if _combo(t, identifying) and combos[_combo(t, identifying)] < k]
        if not small:
            return
        for testimony in small:
            # Drop the attribute whose value is rarest in the batch first.
            present = [key for key in testimony["attributes"] if key in identifying]
            rarest = min(
                present,
                key=lambda key: sum(1 for t in testimonies if t["attributes"].get(key) == testimony["attributes"][key]),
            )
            del testimony["attributes"][rarest]


def _combo(testimony: dict[str, Any], identifying: set[str]) -> tuple[tuple[str, str], ...]:
    return tuple(sorted((key, json.dumps(value)) for key, value in testimony["attributes"].items() if key in identifying))


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
        _k_anonymous_attributes(batch, identifying, k)
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


def release_wave(engine: Engine, wave_id: str, keys: WaveKeys, settings: Settings, final: bool = False) -> ReleaseReport:
    with engine.connect() as connection:
        wave = connection.execute(select(Wave).where(Wave.id == wave_id)).one()
        if wave.keys_destroyed:
            raise ReleaseError(f"wave {wave.slug} has been retired: its keys are destroyed, so no later release is possible")
        instrument = instrument_from_definition(wave_id, wave.definition)
        layout = ClosedPartLayout.of(instrument)
        records = open_closed_parts(connection, wave_id, keys, layout)
        number, previous_cells, previous_bases, previous_levels = _previous_release(connection, wave_id, keys)
    responses = len(records)
    columns = layout.columns(records)
    measures = list(columns.values()) + indicator_measures(columns)
    breakdowns, relations = build_breakdowns(instrument, columns, responses, settings.white_codes)
    cells, tables, reference_bases = publish_tables(
        measures, breakdowns, relations, settings.min_cell, previous_cells, previous_bases
    )
    sealed_state = seal_with_key(
        keys.data_key,
        json.dumps([[*key, base] for key, base in reference_bases.items()]).encode(),
        _state_context(wave_id),
    )
    microdata_report, microdata = _microdata(instrument, columns, responses, settings.k_anonymity, previous_levels)
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
    key_store.destroy(wave_id)
    with engine.begin() as connection:
        for table in (InboxItem, ClosedAnswerPart, TestimonyPart, TestimonyBatch, MixedSubmission):
            connection.execute(delete(table).where(table.wave_id == wave_id))
        connection.execute(update(Wave).where(Wave.id == wave_id).values(keys_destroyed=True))
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
