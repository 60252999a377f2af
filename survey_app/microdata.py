"""k-anonymous microdata of a release, published as a growing superset across a wave's releases.

The rule and why it holds are set out in `survey_app/release.py` (module docstring, "Microdata").
Here: the first release publishes the least-loss k-anonymous, l-diverse global recoding
(`analysis/kanonymity.py`); each later one republishes every earlier row at the new (never finer)
levels and adds unpublished records only as whole classes of at least k that do not all share a
sensitive answer. Earlier rows are matched to records by value, never by any identifier.
"""

from __future__ import annotations

import os
from collections import Counter
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from analysis.kanonymity import (
    MISSING,
    GeneralisationHierarchy,
    NotAnonymisableError,
    k_anonymise,
)
from analysis.tables import Column
from questionnaires import Instrument

# Microdata columns besides the quasi-identifiers: the questions the WRES reports read.
REPORTED_QUESTIONS = ("q14a", "q14b", "q14c", "q15", "q16b")
# Ethnicity is the point of these reports: generalising it costs ten times any other attribute.
QUASI_IDENTIFIER_WEIGHTS = {"ethnicity": 10.0}
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
    # Records published for the first time in this release; records_suppressed counts those not
    # published yet (a later release adds them once k of their class are waiting, see above).
    records_added: int = 0


@dataclass(frozen=True)
class PreviousMicrodata:
    columns: list[str]
    rows: list[list[Any]]
    levels: dict[str, int]


def _hashable(value: Any) -> Any:
    return tuple(value) if isinstance(value, list) else value


def _labels_at(hierarchy: GeneralisationHierarchy, raw: np.ndarray, level: int) -> np.ndarray:
    """Each record's label text at a level (raw indices, MISSING where not answered)."""
    names = np.asarray(hierarchy.labels(level), dtype=object)
    return names[hierarchy.lookup(level)[np.where(raw == MISSING, hierarchy.raw_count, raw)]]


def publish_microdata(
    instrument: Instrument,
    columns: Mapping[str, Column],
    count: int,
    k: int,
    previous: PreviousMicrodata | None,
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
    names = {h.name for h in hierarchies}
    min_levels = {name: level for name, level in (previous.levels if previous else {}).items() if name in names}
    try:
        result = k_anonymise(
            records,
            hierarchies,
            k,
            sensitive=sensitive,
            weights={h.name: QUASI_IDENTIFIER_WEIGHTS.get(h.name, 1.0) for h in hierarchies},
            min_levels=min_levels,
        )
    except NotAnonymisableError as error:
        return MicrodataReport(published=False, reason=str(error), records=count, k=k), None
    reported = [q for q in instrument.questions.values() if q.id in REPORTED_QUESTIONS or q.sensitive_codes]
    headings = [q.id for q in quasi] + [q.id for q in reported]
    answers = [columns[q.id].values() if q.id in columns else [None] * count for q in reported]
    levels = dict(result.levels)
    labels = [_labels_at(h, records[:, c], levels[h.name]).tolist() for c, h in enumerate(hierarchies)]
    if previous is None:
        chosen = result.kept_indices
        added = len(chosen)
    else:
        if previous.columns != headings:
            return MicrodataReport(published=False, reason="the earlier microdata has other columns", records=count, k=k), None
        found = _published_before(hierarchies, records, answers, previous)
        if found is None:
            return MicrodataReport(
                published=False, reason="the earlier microdata does not match this wave's records", records=count, k=k
            ), None
        addable = _whole_new_classes(labels, sensitive, np.setdiff1d(np.arange(count), found), k)
        chosen = np.sort(np.concatenate([found, addable]))
        added = len(addable)
    # Rows in a random order: the order the parts were read in says nothing, but keep it that way.
    kept = chosen[_secret_permutation(len(chosen))]
    rows = [[column[i] for column in labels] + [column[i] for column in answers] for i in kept.tolist()]
    sizes = np.array(list(Counter(tuple(row[: len(quasi)]) for row in rows).values()) or [0])
    report = MicrodataReport(
        published=True,
        records=count,
        records_suppressed=count - len(chosen),
        k=k,
        k_achieved=int(sizes.min()),
        l_diverse=_l_diverse(labels, sensitive, chosen),
        levels={name: _level_name(instrument, name, level) for name, level in levels.items()},
        level_numbers=levels,
        discernibility=int(np.dot(sizes, sizes)) + count * (count - len(chosen)),
        average_class_size=len(chosen) / len(sizes) / k if len(chosen) else 0.0,
        classes=len(sizes) if len(chosen) else 0,
        highest_prosecutor_risk=1.0 / float(sizes.min()) if len(chosen) else 0.0,
        mean_prosecutor_risk=len(sizes) / len(chosen) if len(chosen) else 0.0,
        records_added=added,
    )
    return report, {"columns": headings, "rows": rows, "levels": levels}


def _published_before(
    hierarchies: list[GeneralisationHierarchy],
    records: np.ndarray,
    answers: list[list[Any]],
    previous: PreviousMicrodata,
) -> np.ndarray | None:
    """Indices of records matching the earlier microdata's rows one for one (by value, at the earlier
    levels); None when some earlier row has no record left to match."""
    earlier = [
        _labels_at(h, records[:, c], previous.levels.get(h.name, 0)).tolist() for c, h in enumerate(hierarchies)
    ]
    waiting = Counter(tuple(_hashable(value) for value in row) for row in previous.rows)
    found = []
    for i, key in enumerate(zip(*earlier, *([_hashable(v) for v in column] for column in answers))):
        if waiting.get(key, 0) > 0:
            waiting[key] -= 1
            found.append(i)
    if sum(waiting.values()):
        return None
    return np.asarray(found, dtype=np.int64)


def _whole_new_classes(labels: list[list[str]], sensitive: np.ndarray, candidates: np.ndarray, k: int) -> np.ndarray:
    """Of records not yet published, those whose class (at the new levels) among them has at least k
    members and not all of them with a sensitive answer."""
    classes: dict[tuple[str, ...], list[int]] = {}
    for i in candidates.tolist():
        classes.setdefault(tuple(column[i] for column in labels), []).append(i)
    added = [
        members
        for members in classes.values()
        if len(members) >= k and not sensitive[members].all(axis=0).any()
    ]
    return np.asarray(sorted(i for members in added for i in members), dtype=np.int64)


def _l_diverse(labels: list[list[str]], sensitive: np.ndarray, chosen: np.ndarray) -> bool:
    classes: dict[tuple[str, ...], list[int]] = {}
    for i in chosen.tolist():
        classes.setdefault(tuple(column[i] for column in labels), []).append(i)
    return not any(sensitive[members].all(axis=0).any() for members in classes.values() if sensitive.shape[1])


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
