"""How far a reader can narrow a withheld cell, given everything a wave has published.

Withholding a cell is not enough if the published figures pin it into a small range: a withheld
count known to lie in [0, 2] discloses almost as much as the count itself. Statistical offices
protect an *interval* (tau-ARGUS and sdcTable call it a protection level); so do we: a withheld
cell is protected when the least and greatest values it can take, given every published relation,
differ by at least `min_cell`.

What a reader knows, and this module uses, for one measure of one wave over its releases:

- every release's relations (a parent is the sum of its children), with shown figures as constants;
- counts are non-negative, and an empty group is known to be empty (see `analysis/disclosure.py`);
- a wave only grows between releases, so each cell's count never falls from one release to the next;
- a figure "held from an earlier release" (the growth rule in `analysis/tables.py`) is shown
  because its count has changed, but by fewer than `min_cell`: its count lies in [v + 1, v + min_cell - 1];
- a cell shown again after a run of releases in which it was withheld has grown by at least
  `min_cell` since the first release of that run (unless it was entering that run from a held figure,
  whose reference is the shown one);
- why each withheld cell is withheld, when the release says so: "fewer than `min_cell` responses"
  (primary) puts its count in [0, min_cell - 1]; "withheld so that a smaller group cannot be worked
  out" (complementary) puts it at `min_cell` or more.

A reader told the reasons knows more, so an audit that reads them (`labelled=True`, with `small`
the cells truly below min_cell) asks this of the small groups: each must range over min_cell - 1, all
of [0, min_cell - 1] for one published as primary (the figures add nothing to what its reason
says). A complementary cell is no small group, and to that reader it may be
narrowed by its small neighbour's bound alone (White and BME shown, "Not stated" primary: the total
lies within min_cell - 1 of their sum); anything that would narrow a small group through it shows
in the small group's own range, which is checked over the same joint constraints. Disclosure
control runs both audits, with and without the reasons: a reader who ignores the reasons still
finds every withheld cell, complementary ones included, ranging over at least `min_cell`.

The feasible range of a cell is found by two linear programmes (scipy's HiGHS): minimise and maximise
the cell over all releases' unknowns at once. An LP relaxes integrality, so its range can only be
wider than the integer one; both ends are rounded inwards to whole numbers. Integer programmes
would be exact but slow, and on the tables published here (sums over a hierarchy and two-way margins)
the LP's vertices are whole numbers.

Every solution found is remembered, so a cell that two solutions already showed to range widely
needs no LP of its own. The audit starts from a few solutions with random objectives (vertices of
the feasible set, where counts sit at their extremes), which settle most withheld cells at once;
only the rest get LPs of their own. The random objectives only decide which cells need an LP, never
a cell's range, so the outcome does not depend on them.

Releases that published exactly the same figures for a measure are taken as one: treating their
unknowns as equal can only narrow ranges, so the check stays on the safe side, and a wave released
daily without news adds no work.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

import numpy as np
import scipy.sparse as sp
from scipy.optimize import linprog

if TYPE_CHECKING:
    from analysis.disclosure import Cell, Relation

# A whole number closer than this to an LP's end is taken as that number.
TOLERANCE = 1e-6
# LPs with random objectives an audit starts with (see the module docstring).
EXPLORE_ROUNDS = 6


@dataclass(frozen=True)
class Publication:
    """What one release published about one measure, as a reader sees it."""

    shown: Mapping[Cell, int]
    """Figures shown as counted in that release."""
    held: Mapping[Cell, int] = field(default_factory=dict)
    """Figures held from an earlier release: the count has moved, by fewer than `min_cell`."""
    withheld: frozenset[Cell] = frozenset()
    known_zero: frozenset[Cell] = frozenset()
    """Withheld cells a reader may take as empty (only the current release says which)."""
    below: frozenset[Cell] = frozenset()
    """Withheld cells published as "fewer than min_cell responses" (primary)."""
    above: frozenset[Cell] = frozenset()
    """Withheld cells published as withheld to protect another (complementary): min_cell or more."""

    def cells(self) -> set[Cell]:
        return set(self.shown) | set(self.held) | set(self.withheld)

    def signature(self) -> tuple:
        return (
            tuple(sorted(self.shown.items())),
            tuple(sorted(self.held.items())),
            tuple(sorted(self.withheld)),
            tuple(sorted(self.below)),
            tuple(sorted(self.above)),
        )


def collapse(history: Iterable[Publication]) -> list[Publication]:
    """Consecutive publications with the same figures, taken as one (see the module docstring)."""
    kept: list[Publication] = []
    for publication in history:
        if kept and kept[-1].signature() == publication.signature():
            continue
        kept.append(publication)
    return kept


@dataclass(frozen=True)
class Interval:
    low: float
    high: float  # math.inf when nothing bounds the cell from above

    @property
    def width(self) -> float:
        return self.high - self.low


class IntervalAudit:
    """The linear programme of one measure: every release's unknowns, the latest one last.

    Build it for a candidate publication of the current release; ask `narrowest` for a cell whose
    range is narrower than `min_cell`, or `interval` for one cell's range.
    """

    def __init__(
        self,
        current: Publication,
        relations: Sequence[Relation],
        min_cell: int,
        history: Sequence[Publication] = (),
        labelled: bool = False,
        small: frozenset[Cell] | None = None,
    ) -> None:
        self.min_cell = min_cell
        self.epochs = [*collapse(history), current]
        zero = current.known_zero
        self.index: dict[tuple[int, Cell], int] = {}
        lower: list[float] = []
        upper: list[float | None] = []
        required: list[float] = []
        last = len(self.epochs) - 1
        for e, publication in enumerate(self.epochs):
            for cell in sorted(publication.cells()):
                if cell in zero or cell in publication.shown:
                    continue
                self.index[(e, cell)] = len(lower)
                required.append(float(min_cell))
                if cell in publication.held:
                    value = publication.held[cell]
                    lower.append(value + 1.0)
                    upper.append(value + min_cell - 1.0)
                elif labelled and cell in publication.below:
                    lower.append(0.0)
                    upper.append(min_cell - 1.0)
                elif labelled and cell in publication.above:
                    lower.append(float(min_cell))
                    upper.append(None)
                else:
                    lower.append(0.0)
                    upper.append(None)
                if e == last and small is not None and cell not in publication.held:
                    # all of [0, min_cell - 1] for a small group; nothing for a large one (see above)
                    required[-1] = min_cell - 1.0 if cell in small else 0.0
        self.size = len(lower)
        self._required = np.array(required, dtype=float)
        self._bounds = list(zip(lower, upper))
        equal_rows, equal_constants = self._relation_rows(relations, zero)
        less_rows, less_constants = self._growth_rows(zero)
        self._a_eq, self._b_eq = self._matrix(equal_rows), np.array(equal_constants, dtype=float)
        self._a_ub, self._b_ub = self._matrix(less_rows), np.array(less_constants, dtype=float)
        self._seen_low = np.full(self.size, math.inf)
        self._seen_high = np.full(self.size, -math.inf)
        self._feasible = True
        self.solves = 0

    # --- building ----------------------------------------------------------------------------------

    def _value(self, e: int, cell: Cell, zero: frozenset[Cell]) -> tuple[int | None, float]:
        """(variable index, None) or (None, known value) of a cell in epoch e."""
        if cell in zero:
            return None, 0.0
        publication = self.epochs[e]
        if cell in publication.shown:
            return None, float(publication.shown[cell])
        return self.index[(e, cell)], 0.0

    def _relation_rows(
        self, relations: Sequence[Relation], zero: frozenset[Cell]
    ) -> tuple[list[dict[int, float]], list[float]]:
        rows, constants = [], []
        for e, publication in enumerate(self.epochs):
            present = publication.cells()
            for relation in relations:
                row: dict[int, float] = {}
                constant = 0.0
                for sign, cells in ((1.0, relation.children), (-1.0, (relation.parent,))):
                    for cell in cells:
                        if cell not in present:
                            continue
                        variable, value = self._value(e, cell, zero)
                        if variable is None:
                            constant -= sign * value
                        else:
                            row[variable] = row.get(variable, 0.0) + sign
                row = {v: c for v, c in row.items() if c}
                if row:
                    rows.append(row)
                    constants.append(constant)
        return rows, constants

    def _growth_rows(self, zero: frozenset[Cell]) -> tuple[list[dict[int, float]], list[float]]:
        """Counts never fall between releases; a cell shown after a withheld run grew by min_cell."""
        rows: list[dict[int, float]] = []
        constants: list[float] = []

        def less_or_equal(left: tuple[int | None, float], right: tuple[int | None, float], gap: float) -> None:
            # left + gap <= right
            row: dict[int, float] = {}
            constant = -gap
            if left[0] is None:
                constant -= left[1]
            else:
                row[left[0]] = row.get(left[0], 0.0) + 1.0
            if right[0] is None:
                constant += right[1]
            else:
                row[right[0]] = row.get(right[0], 0.0) - 1.0
            row = {v: c for v, c in row.items() if c}
            if row:
                rows.append(row)
                constants.append(constant)
            elif constant < -TOLERANCE:
                self._feasible = False  # published figures contradict each other: checked as infeasible

        members = [publication.cells() for publication in self.epochs]
        for cell in sorted(set().union(*members)):
            present = [e for e, cells in enumerate(members) if cell in cells]
            for before, after in zip(present, present[1:]):
                less_or_equal(self._value(before, cell, zero), self._value(after, cell, zero), 0.0)
            run_start: int | None = None
            for position, e in enumerate(present):
                publication = self.epochs[e]
                if cell in publication.withheld:
                    if run_start is None:
                        earlier = self.epochs[present[position - 1]] if position else None
                        # Entering from a held figure: the reference is that shown figure (no news).
                        run_start = -1 if earlier is not None and cell in earlier.held else e
                    continue
                if cell in publication.shown and run_start is not None and run_start >= 0:
                    less_or_equal(self._value(run_start, cell, zero), self._value(e, cell, zero), float(self.min_cell))
                run_start = None
        return rows, constants

    def _matrix(self, rows: list[dict[int, float]]) -> sp.csr_matrix | None:
        if not rows:
            return None
        data, row_index, column_index = [], [], []
        for r, row in enumerate(rows):
            for column, coefficient in row.items():
                row_index.append(r)
                column_index.append(column)
                data.append(coefficient)
        return sp.csr_matrix((data, (row_index, column_index)), shape=(len(rows), self.size))

    # --- solving -----------------------------------------------------------------------------------

    def _solve(self, variable: int, sign: float) -> tuple[float | None, bool]:
        """Least (sign 1) or greatest (sign -1) value of a variable: (value, bounded)."""
        objective = np.zeros(self.size)
        objective[variable] = sign
        result = self._objective(objective)
        if result is None:
            return None, self._feasible
        return float(result[variable]), True

    def _objective(self, objective: np.ndarray) -> np.ndarray | None:
        """The solution minimising `objective`, remembered; None when unbounded or infeasible."""
        self.solves += 1
        result = linprog(
            objective,
            A_ub=self._a_ub,
            b_ub=self._b_ub if self._a_ub is not None else None,
            A_eq=self._a_eq,
            b_eq=self._b_eq if self._a_eq is not None else None,
            bounds=self._bounds,
            method="highs",
        )
        if result.status == 3:  # unbounded
            return None
        if result.status != 0:
            self._feasible = False
            return None
        solution = np.asarray(result.x)
        np.minimum(self._seen_low, solution, out=self._seen_low)
        np.maximum(self._seen_high, solution, out=self._seen_high)
        return solution

    @property
    def feasible(self) -> bool:
        return self._feasible

    def check_feasible(self) -> bool:
        """Solve once with no objective: False when the published figures contradict each other."""
        if self.size:
            self._objective(np.zeros(self.size))
        return self._feasible

    def explore(self, rounds: int, targets: Iterable[Cell]) -> None:
        """Up to `rounds` LPs pushing the targets not yet seen wide up (then down) together, with
        random weights (see the module docstring)."""
        last = len(self.epochs) - 1
        variables = np.array(
            [self.index[(last, cell)] for cell in targets if (last, cell) in self.index and self.required(cell) > 0],
            dtype=np.int64,
        )
        rng = np.random.default_rng(len(variables))
        for round_ in range(rounds):
            open_ = variables[self._seen_high[variables] - self._seen_low[variables] < self._required[variables] - TOLERANCE]
            if not len(open_):
                return
            objective = np.zeros(self.size)
            objective[open_] = rng.uniform(0.5, 1.5, size=len(open_)) * (-1.0 if round_ % 2 == 0 else 1.0)
            if self._objective(objective) is None:
                return

    def interval(self, cell: Cell) -> Interval:
        """The range of a withheld (or held) cell of the current release."""
        variable = self.index.get((len(self.epochs) - 1, cell))
        if variable is None:
            return Interval(0.0, 0.0)
        high, bounded = self._solve(variable, -1.0)
        if not self._feasible:
            return Interval(0.0, 0.0)
        low, _ = self._solve(variable, 1.0)
        if not self._feasible or low is None:
            return Interval(0.0, 0.0)
        low = math.ceil(low - TOLERANCE)
        return Interval(low, math.floor(high + TOLERANCE) if bounded and high is not None else math.inf)

    def required(self, cell: Cell) -> float:
        """How wide the cell's range must be: min_cell, or min_cell - 1 for a cell published as primary
        to a reader who reads reasons (all of [0, min_cell - 1])."""
        variable = self.index.get((len(self.epochs) - 1, cell))
        return float(self.min_cell) if variable is None else float(self._required[variable])

    def slack(self, cell: Cell) -> float:
        """How much wider than required the cell's range is (negative: too narrow)."""
        return self.interval(cell).width - self.required(cell)

    def wide(self, cell: Cell) -> bool:
        """Whether solutions found so far already show the cell ranging as widely as required."""
        variable = self.index.get((len(self.epochs) - 1, cell))
        return (
            variable is not None
            and self._seen_high[variable] - self._seen_low[variable] >= self._required[variable] - TOLERANCE
        )

    def narrowest(self, targets: Sequence[Cell], verified: set[Cell] | None = None) -> tuple[Cell, Interval] | None:
        """The first target (in the order given) whose range is narrower than required, with its range.

        Targets found wide are added to `verified` (withholding more only widens ranges, so a caller
        checking again after withholding more may skip them)."""
        verified = verified if verified is not None else set()
        pending = [cell for cell in targets if cell not in verified]
        self.explore(EXPLORE_ROUNDS if len(pending) > EXPLORE_ROUNDS else 0, pending)
        for cell in pending:
            if (len(self.epochs) - 1, cell) not in self.index or self.required(cell) <= 0:
                continue
            if not self.wide(cell):
                variable = self.index[(len(self.epochs) - 1, cell)]
                high, bounded = self._solve(variable, -1.0)  # often enough with the lows already seen
                if not self._feasible:
                    return cell, Interval(0.0, 0.0)
                if bounded and high is not None and not self.wide(cell):
                    low, _ = self._solve(variable, 1.0)
                    if not self._feasible or low is None:
                        return cell, Interval(0.0, 0.0)
                    found = Interval(math.ceil(low - TOLERANCE), math.floor(high + TOLERANCE))
                    if found.width < self.required(cell):
                        return cell, found
            verified.add(cell)
        return None
