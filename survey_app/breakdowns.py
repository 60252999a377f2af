"""The fixed list of breakdowns of a release, built from a wave's instrument.

Each ethnic category and heading, White vs BME, worker type, occupation heading, organisation (for
regional waves), and ethnic heading x worker type; "Not stated" is its own group everywhere. The
relations between them (a heading is the sum of its categories, ...) go to disclosure control.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from itertools import chain
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


def _labelled(name: str, labels_by_code: dict[int, str], column: Column) -> Breakdown:
    """Groups from a single-choice column: each code's label, "Not stated" for no answer."""
    groups = list(dict.fromkeys(labels_by_code.values())) + [NOT_STATED]
    index = {label: i for i, label in enumerate(groups)}
    not_stated = index[NOT_STATED]
    # group of each code position of the column, then "Not stated" for position -1 (no answer)
    group_of_position = np.array(
        [index[labels_by_code[code]] if code in labels_by_code else not_stated for code in column.codes] + [not_stated],
        dtype=np.int64,
    )
    assert column.index is not None
    return Breakdown(name, tuple(groups), group_of_position[column.index])


def _single_column(
    question: Question, answers: Sequence[dict[str, Any]], columns: Mapping[str, Column] | None
) -> Column:
    """The question's column: the one already built if it is there, else read from the answers."""
    column = columns.get(question.id) if columns is not None else None
    if column is None or column.index is None:
        column = Column.single(question.id, [o.code for o in question.options], [a.get(question.id) for a in answers])
    return column


def build_breakdowns(
    instrument: Instrument,
    answers: Sequence[dict[str, Any]],
    white_codes: Sequence[int],
    columns: Mapping[str, Column] | None = None,
) -> tuple[list[Breakdown], list[Relation]]:
    """The fixed breakdowns and their relations. `columns` (from `build_columns`) saves reading the
    breakdown questions from the answers again."""
    breakdowns: list[Breakdown] = []
    relations: list[Relation] = []
    ethnicity = _question_with(instrument, "ethnic_category")
    heading: Breakdown | None = None
    if ethnicity is not None:
        ethnicity_column = _single_column(ethnicity, answers, columns)
        categories = {o.code: o.label for o in ethnicity.options}
        category = _labelled("ethnic_category", categories, ethnicity_column)
        breakdowns.append(category)
        hierarchy = instrument.hierarchies.get(ethnicity.quasi_identifier or "")
        if hierarchy is not None:
            headings = {code: hierarchy.codes[code][0] for code in categories}
            heading = _labelled("ethnic_heading", headings, ethnicity_column)
            breakdowns.append(heading)
            parent = {categories[code]: headings[code] for code in categories} | {NOT_STATED: NOT_STATED}
            relations += hierarchy_relations("ethnic_category", "ethnic_heading", parent)
        white = set(white_codes)
        bme_white = {code: WHITE if code in white else BME for code in categories}
        breakdowns.append(_labelled("bme_white", bme_white, ethnicity_column))
        parent = {categories[code]: bme_white[code] for code in categories} | {NOT_STATED: NOT_STATED}
        relations += hierarchy_relations("ethnic_category", "bme_white", parent)
    worker = _question_with(instrument, "worker_type")
    worker_type: Breakdown | None = None
    if worker is not None:
        worker_type = _labelled(
            "worker_type", {o.code: o.label for o in worker.options}, _single_column(worker, answers, columns)
        )
        breakdowns.append(worker_type)
    occupation = _question_with(instrument, "occupation")
    if occupation is not None and occupation.quasi_identifier in instrument.hierarchies:
        hierarchy = instrument.hierarchies[occupation.quasi_identifier]
        labels = {o.code: hierarchy.codes[o.code][0] for o in occupation.options}
        breakdowns.append(_labelled("occupation_heading", labels, _single_column(occupation, answers, columns)))
    organisation = _question_with(instrument, "organisation")
    if organisation is not None:
        breakdowns.append(
            _labelled(
                "organisation",
                {o.code: o.label for o in organisation.options},
                _single_column(organisation, answers, columns),
            )
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
    questions = [
        question
        for question in instrument.questions.values()
        if not (question.is_free_text or not question.options or question.id in instrument.testimony_attributes)
    ]
    singles = _single_choice_columns([q for q in questions if q.type != "multiple"], answers)
    columns: dict[str, Column] = {}
    for question in questions:
        codes = [option.code for option in question.options]
        if question.type == "multiple":
            columns[question.id] = Column.multiple(question.id, codes, [a.get(question.id) for a in answers])
        else:
            columns[question.id] = singles[question.id]
    return columns


def _single_choice_columns(questions: Sequence[Question], answers: Sequence[dict[str, Any]]) -> dict[str, Column]:
    """Every single-choice column, reading each response once.

    Reading a response's answers while it is in the processor's cache, rather than one question at a
    time across every response, is what makes a million responses affordable. Each answer goes
    through the same dictionary lookup as `Column.single` (a value equal to an option code is that
    code, anything else is no answer), here a lookup shared by all questions: a value that is some
    other question's code is then no answer for this one.
    """
    ids = [question.id for question in questions]
    canonical: dict[Any, int] = {}
    for question in questions:
        for code in question.codes:
            canonical[code] = code
    if not answers or not ids or not canonical:
        return {q.id: Column.single(q.id, [o.code for o in q.options], [a.get(q.id) for a in answers]) for q in questions}
    absent = min(canonical.values()) - 1  # no question's code
    highest = max(canonical.values())
    dtype = np.int16 if -(2**15) <= absent and highest < 2**15 else np.int64
    fill = [absent] * len(ids)
    try:
        flat = np.fromiter(
            chain.from_iterable(map(canonical.get, map(answer.get, ids), fill) for answer in answers),
            dtype=dtype,
            count=len(answers) * len(ids),
        )
    except TypeError:  # an unhashable answer (a list where one code belongs): fail as Column.single does
        return {q.id: Column.single(q.id, [o.code for o in q.options], [a.get(q.id) for a in answers]) for q in questions}
    values = flat.reshape(len(answers), len(ids))
    return {
        question.id: Column.from_values(question.id, [o.code for o in question.options], values[:, j])
        for j, question in enumerate(questions)
    }
