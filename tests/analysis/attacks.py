"""An attacker's tools, written independently of analysis/disclosure.py.

`exactly_recoverable` treats every withheld cell as an unknown, every shown figure as a constant,
and asks a linear programme for the least and greatest value each unknown can take given the
relations and that counts are non-negative. A cell whose least and greatest values agree (and are
not zero) is disclosed. `feasible_ranges` asks the same of every release of a wave at once: a
withheld cell whose range is narrower than MIN_CELL is disclosed too (an interval, not a number).
A release that says why a cell is withheld gives the reader more: "primary" (fewer than MIN_CELL)
bounds the cell to [0, MIN_CELL - 1], "complementary" (withheld to protect another) to MIN_CELL or
more; `feasible_ranges` reads those states too, and `labelled` turns a release's cells into them.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence

import numpy as np
from scipy.optimize import linprog

from analysis.disclosure import Cell, Relation


def exactly_recoverable(
    true_values: Mapping[Cell, int], shown: Mapping[Cell, int], relations: Sequence[Relation]
) -> list[tuple[Cell, int]]:
    unknown = sorted(cell for cell in true_values if cell not in shown)
    if not unknown:
        return []
    index = {cell: i for i, cell in enumerate(unknown)}
    rows, constants = [], []
    for relation in relations:
        row = np.zeros(len(unknown))
        constant = 0.0
        for sign, cells in ((1.0, relation.children), (-1.0, (relation.parent,))):
            for cell in cells:
                if cell not in true_values:
                    continue
                if cell in index:
                    row[index[cell]] += sign
                else:
                    constant -= sign * shown[cell]
        if row.any():
            rows.append(row)
            constants.append(constant)
    if not rows:
        return []
    a_eq, b_eq = np.array(rows), np.array(constants)
    disclosed = []
    for cell, i in index.items():
        objective = np.zeros(len(unknown))
        objective[i] = 1.0
        low = linprog(objective, A_eq=a_eq, b_eq=b_eq, bounds=(0, None), method="highs")
        high = linprog(-objective, A_eq=a_eq, b_eq=b_eq, bounds=(0, None), method="highs")
        if low.status == 0 and high.status == 0 and abs(low.fun + high.fun) < 1e-6 and low.fun > 0.5:
            disclosed.append((cell, round(low.fun)))
    return disclosed


def feasible_ranges(
    releases: Sequence[Mapping[Cell, tuple[str, int | None]]],
    relations: Sequence[Relation],
    min_cell: int,
    known_zero: Sequence[Cell] = (),
) -> dict[Cell, tuple[float, float]]:
    """The least and greatest value of each withheld cell of the *last* release, given every release.

    Each release maps a cell to ("shown", figure), ("held", figure: the count moved by fewer than
    min_cell since that figure was shown), ("withheld", None), or, when the release gave the reason,
    ("primary", None: fewer than min_cell) or ("complementary", None: min_cell or more). The reader also knows that counts
    are non-negative and never fall from one release to the next, and that `known_zero` cells are
    empty. Written independently of analysis/intervals.py: one dense LP, no shortcuts.
    """
    variables: dict[tuple[int, Cell], int] = {}
    bounds: list[tuple[float, float | None]] = []
    for r, release in enumerate(releases):
        for cell, (state, figure) in sorted(release.items()):
            if state == "shown" or cell in known_zero:
                continue
            variables[(r, cell)] = len(bounds)
            bounds.append(
                (figure + 1, figure + min_cell - 1) if state == "held"
                else (0, min_cell - 1) if state == "primary"
                else (min_cell, None) if state == "complementary"
                else (0, None)
            )

    def term(r: int, cell: Cell) -> tuple[int | None, float]:
        state, figure = releases[r][cell]
        if cell in known_zero:
            return None, 0.0
        return (None, float(figure)) if state == "shown" else (variables[(r, cell)], 0.0)

    equal, equal_b, less, less_b = [], [], [], []
    for r, release in enumerate(releases):
        for relation in relations:
            row, constant = np.zeros(len(bounds)), 0.0
            for sign, cells in ((1.0, relation.children), (-1.0, (relation.parent,))):
                for cell in cells:
                    if cell not in release:
                        continue
                    index, value = term(r, cell)
                    if index is None:
                        constant -= sign * value
                    else:
                        row[index] += sign
            if row.any():
                equal.append(row)
                equal_b.append(constant)
    for r in range(1, len(releases)):
        for cell in releases[r]:
            if cell not in releases[r - 1]:
                continue
            (before, before_value), (after, after_value) = term(r - 1, cell), term(r, cell)
            row, constant = np.zeros(len(bounds)), after_value - before_value
            if before is not None:
                row[before] += 1.0
            if after is not None:
                row[after] -= 1.0
            if row.any():
                less.append(row)
                less_b.append(constant)
    last = len(releases) - 1
    ranges = {}
    for (r, cell), index in variables.items():
        if r != last or releases[r][cell][0] not in ("withheld", "primary", "complementary"):
            continue
        objective = np.zeros(len(bounds))
        objective[index] = 1.0
        options = dict(
            A_eq=np.array(equal) if equal else None, b_eq=equal_b or None,
            A_ub=np.array(less) if less else None, b_ub=less_b or None,
            bounds=bounds, method="highs",
        )
        low = linprog(objective, **options)
        high = linprog(-objective, **options)
        assert low.status == 0, low.message
        ranges[cell] = (low.fun, math.inf if high.status == 3 else -high.fun)
    return ranges


def labelled(cells, measure: str | None = None) -> dict[Cell, tuple[str, int | None]]:  # type: ignore[no-untyped-def]
    """A release's published cells (analysis.tables.PublishedCell or stored rows) as a reader who
    reads why each withheld cell is withheld sees them."""
    states: dict[Cell, tuple[str, int | None]] = {}
    for c in cells:
        table = getattr(c, "table", None) or c.table_name
        group = getattr(c, "group", None) or c.group_label
        if measure is not None and c.measure != measure:
            continue
        if c.withheld:
            states[Cell(table, group)] = (c.withheld if c.withheld in ("primary", "complementary") else "withheld", None)
        else:
            states[Cell(table, group)] = ("held" if c.held_from_previous else "shown", c.base)
    return states
