"""The fixed list of breakdowns of a release, built from a wave's instrument.

Each ethnic category and heading, White vs BME, worker type, occupation heading, organisation (for
regional waves), and ethnic heading x worker type; "Not stated" is its own group everywhere. The
relations between them (a heading is the sum of its categories, ...) go to disclosure control.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np

from analysis.disclosure import Relation, cross_relations, hierarchy_relations, total_relation
from analysis.tables import TOTAL, Breakdown, Column
from questionnaires import Instrument, Question

NOT_STATED = "Not stated"
WHITE, BME = "White", "BME"


def _question_with(instrument: Instrument, breakdown: str) -> Question | None:
    for question in instrument.questions.values():
        if question.breakdown == breakdown and question.options:
            return question
    return None


def _labelled(name: str, labels_by_code: dict[int, str], answers: Sequence[dict[str, Any]], question_id: str) -> Breakdown:
    groups = list(dict.fromkeys(labels_by_code.values())) + [NOT_STATED]
    index = {label: i for i, label in enumerate(groups)}
    not_stated = index[NOT_STATED]
    membership = np.fromiter(
        (index[labels_by_code[a[question_id]]] if a.get(question_id) in labels_by_code else not_stated for a in answers),
        dtype=np.int64,
        count=len(answers),
    )
    return Breakdown(name, tuple(groups), membership)


def build_breakdowns(
    instrument: Instrument, answers: Sequence[dict[str, Any]], white_codes: Sequence[int]
) -> tuple[list[Breakdown], list[Relation]]:
    breakdowns: list[Breakdown] = []
    relations: list[Relation] = []
    ethnicity = _question_with(instrument, "ethnic_category")
    heading: Breakdown | None = None
    if ethnicity is not None:
        categories = {o.code: o.label for o in ethnicity.options}
        category = _labelled("ethnic_category", categories, answers, ethnicity.id)
        breakdowns.append(category)
        hierarchy = instrument.hierarchies.get(ethnicity.quasi_identifier or "")
        if hierarchy is not None:
            headings = {code: hierarchy.codes[code][0] for code in categories}
            heading = _labelled("ethnic_heading", headings, answers, ethnicity.id)
            breakdowns.append(heading)
            parent = {categories[code]: headings[code] for code in categories} | {NOT_STATED: NOT_STATED}
            relations += hierarchy_relations("ethnic_category", "ethnic_heading", parent)
        white = set(white_codes)
        bme_white = {code: WHITE if code in white else BME for code in categories}
        breakdowns.append(_labelled("bme_white", bme_white, answers, ethnicity.id))
        parent = {categories[code]: bme_white[code] for code in categories} | {NOT_STATED: NOT_STATED}
        relations += hierarchy_relations("ethnic_category", "bme_white", parent)
    worker = _question_with(instrument, "worker_type")
    worker_type: Breakdown | None = None
    if worker is not None:
        worker_type = _labelled("worker_type", {o.code: o.label for o in worker.options}, answers, worker.id)
        breakdowns.append(worker_type)
    occupation = _question_with(instrument, "occupation")
    if occupation is not None and occupation.quasi_identifier in instrument.hierarchies:
        hierarchy = instrument.hierarchies[occupation.quasi_identifier]
        labels = {o.code: hierarchy.codes[o.code][0] for o in occupation.options}
        breakdowns.append(_labelled("occupation_heading", labels, answers, occupation.id))
    organisation = _question_with(instrument, "organisation")
    if organisation is not None:
        breakdowns.append(
            _labelled("organisation", {o.code: o.label for o in organisation.options}, answers, organisation.id)
        )
    if heading is not None and worker_type is not None:
        columns = len(worker_type.groups)
        cross = Breakdown(
            "ethnic_heading_x_worker_type",
            tuple(f"{h} | {w}" for h in heading.groups for w in worker_type.groups),
            heading.membership * columns + worker_type.membership,
        )
        breakdowns.append(cross)
        relations += cross_relations(
            cross.name, "ethnic_heading", heading.groups, "worker_type", worker_type.groups
        )
    for breakdown in breakdowns:
        relations.append(total_relation(TOTAL, breakdown.name, breakdown.groups))
    return breakdowns, relations


def build_columns(instrument: Instrument, answers: Sequence[dict[str, Any]]) -> dict[str, Column]:
    """A column per closed question that a closed-answer part can carry."""
    columns: dict[str, Column] = {}
    for question in instrument.questions.values():
        if question.is_free_text or not question.options or question.id in instrument.testimony_attributes:
            continue
        codes = [option.code for option in question.options]
        values = [a.get(question.id) for a in answers]
        if question.type == "multiple":
            columns[question.id] = Column.multiple(question.id, codes, values)
        else:
            columns[question.id] = Column.single(question.id, codes, values)
    return columns
