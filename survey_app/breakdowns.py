"""The fixed list of breakdowns of a release, built from a wave's instrument.

Each ethnic category and heading, White vs BME, worker type, occupation heading, organisation (for
regional waves), and ethnic heading x worker type; "Not stated" is its own group everywhere. The
relations between them (a heading is the sum of its categories, ...) go to disclosure control.

Which cell disclosure control withholds to protect a small one is decided by `suppression_cost` and
`HEADLINE`. The headline pair (BME and White) is kept shown whenever a safe pattern allows
(`analysis.disclosure.suppress`: when the cheapest pattern withholds either, a pattern that never
chooses them is searched for). Otherwise the cost is the cell's base, the respondents a reader
loses, which already makes "Not stated" groups and fine categories cheap and headings dear. Before,
a small "Not stated" group (its cell sits in total = White + BME + Not stated) was protected by
withholding BME, the smaller of the pair, and the headline disappeared although each side had
dozens of respondents; now the total is withheld instead.

Tiered and weighted costs (headline > headings > other breakdowns > totals, fine categories > Not
stated) were tried and measured: they showed the headline too, but withheld more of everything
else, because a cheap cell that protects badly needs further cells withheld after it. WRES cells
shown by bench/indicators.py (3-organisation regional wave, 356 cells; the headline 8 of 8 in each):
at 300 responses 60 (weights) and 44 (strict tiers) against 68 (base); at 500 responses 138 and 48
against 189 (base, the same as before this change). On the demo the base cost published as many
cells or more in every run (bench/headline.py).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import numpy as np

from analysis.disclosure import (
    Cell,
    Relation,
    cross_relations,
    hierarchy_relations,
    total_relation,
)
from analysis.tables import TOTAL, Breakdown, Column
from questionnaires import Instrument, Question

NOT_STATED = "Not stated"
WHITE, BME = "White", "BME"
HEADLINE = (Cell("bme_white", BME), Cell("bme_white", WHITE))
# Where withheld cells carry their true reason ("fewer than 11 responses" or "withheld so that a
# smaller group cannot be worked out"), widest first: the first in which the reasons narrow no
# small group is used (analysis.disclosure.suppress); elsewhere a withheld cell has no reason.
REASON_SCOPES: tuple[frozenset[str] | None, ...] = (
    None,
    frozenset({"total", "bme_white", "ethnic_heading", "worker_type", "occupation_heading", "organisation"}),
    frozenset({"total", "bme_white", "ethnic_heading"}),
    frozenset({"bme_white"}),
)


def suppression_cost(cell: Cell, base: int) -> float:
    """What withholding `cell` loses a WRES reader: its respondents (see the module docstring)."""
    return float(base)


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


def _single_column(question: Question, columns: Mapping[str, Column], count: int) -> Column:
    """The question's column; nobody answered a question that closed answers do not carry."""
    column = columns.get(question.id)
    if column is None or column.index is None:
        return Column(question.id, [o.code for o in question.options], index=np.full(count, -1, dtype=np.int64))
    return column


def build_breakdowns(
    instrument: Instrument, columns: Mapping[str, Column], count: int, white_codes: Sequence[int]
) -> tuple[list[Breakdown], list[Relation]]:
    """The fixed breakdowns of `count` respondents and their relations, from the answer columns."""
    breakdowns: list[Breakdown] = []
    relations: list[Relation] = []
    ethnicity = _question_with(instrument, "ethnic_category")
    heading: Breakdown | None = None
    if ethnicity is not None:
        ethnicity_column = _single_column(ethnicity, columns, count)
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
            "worker_type", {o.code: o.label for o in worker.options}, _single_column(worker, columns, count)
        )
        breakdowns.append(worker_type)
    occupation = _question_with(instrument, "occupation")
    if occupation is not None and occupation.quasi_identifier in instrument.hierarchies:
        hierarchy = instrument.hierarchies[occupation.quasi_identifier]
        labels = {o.code: hierarchy.codes[o.code][0] for o in occupation.options}
        breakdowns.append(_labelled("occupation_heading", labels, _single_column(occupation, columns, count)))
    organisation = _question_with(instrument, "organisation")
    if organisation is not None:
        breakdowns.append(
            _labelled(
                "organisation",
                {o.code: o.label for o in organisation.options},
                _single_column(organisation, columns, count),
            )
        )
    if heading is not None and worker_type is not None:
        width = len(worker_type.groups)
        cross = Breakdown(
            "ethnic_heading_x_worker_type",
            tuple(f"{h} | {w}" for h in heading.groups for w in worker_type.groups),
            heading.membership * width + worker_type.membership,
        )
        breakdowns.append(cross)
        relations += cross_relations(
            cross.name, "ethnic_heading", heading.groups, "worker_type", worker_type.groups
        )
    for breakdown in breakdowns:
        relations.append(total_relation(TOTAL, breakdown.name, breakdown.groups))
    return breakdowns, relations
