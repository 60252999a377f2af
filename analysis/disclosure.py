"""Disclosure control for the tables of one release, done jointly.

Every published figure rests on at least `min_cell` respondents. Cells are tied together by
linear relations (a breakdown's groups add up to its total; a heading is the sum of its categories;
a cross-table's rows add up to the margins). A withheld cell must not be recoverable from shown
figures through any of them, alone or combined, nor narrowed to a small range, so:

1. primary suppression withholds every cell whose base is below `min_cell`;
2. complementary suppression withholds further cells until no relation has exactly one withheld
   member (the cheapest case of recovery by subtraction), and no relation whose parent is shown
   hides children adding up to fewer than `min_cell` (each of them would lie in that small range);
3. an exact check then solves the whole linear system of relations over the withheld cells and,
   while any withheld cell is still uniquely determined, withholds another member of a relation
   that contains it;
4. interval protection (`analysis/intervals.py`): a linear programme over every relation of this
   release *and of the wave's earlier releases* finds each withheld cell's least and greatest
   possible value; while one ranges over fewer than `min_cell`, another cell linked to it is withheld.
   It does so for a reader who ignores why cells are withheld, and, where an earlier release of the
   wave published reasons, for one who reads them too (analysis/intervals.py, `labelled`).
5. reasons: each withheld cell is returned with the reason to publish. PRIMARY ("fewer than
   `min_cell` responses") tells a reader its count is in [0, min_cell - 1]; COMPLEMENTARY ("withheld
   so that a smaller group cannot be worked out") that it is `min_cell` or more. A reason is a
   function of the cell's own count alone, so it tells exactly that bound; but bounds combine with
   the relations (White and BME shown, total = White + BME + NS: a complementary total and a primary
   NS are fine; a primary A and a complementary B with A + B = 15 known put A in [0, 4]). So the
   reasons are published only where, read with everything the wave has published, they leave every
   primary cell its whole range [0, min_cell - 1] (nothing beyond "fewer than min_cell") and every
   other withheld cell at least `min_cell` wide; elsewhere a withheld cell is WITHHELD, with no reason
   (shown as "withheld to protect a small group", true of both). Publishing reasons never withholds
   anything more. Like the pattern itself, which cells carry a reason depends on the counts, and the
   audits do not model that choice (nor does tau-ARGUS model its pattern): a reader who reruns the
   algorithm over every table consistent with what is published could in principle learn from it.

Which cell is withheld to protect another is the cheapest by a cost function (by default the cell's
base: the least information lost); a caller may weigh cells otherwise, e.g. keep a headline figure
shown whenever another choice protects as well.

An empty group (base 0) is withheld like any small one, but never counts as protection for
another: who is not in a group is often common knowledge (no one in the trust is "Any other Black
background"), so a reader may take its zero as known.

Suppression is decided per measure (each question's base differs), over all breakdowns at once.

Between releases a shown cell whose base grew by fewer than `min_cell` keeps its earlier figures
("stale", or held). Its current value is then a secret too (the difference would describe the
newcomers), so stale cells count as unknowns in steps 2 to 4, though they are not withheld
themselves; a reader knows such a count lies less than `min_cell` above the shown figure.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass

import numpy as np

from analysis.intervals import Interval, IntervalAudit, Publication

PRIMARY = "primary"
COMPLEMENTARY = "complementary"
WITHHELD = "withheld"  # published without a reason (see `suppress`)


@dataclass(frozen=True, order=True)
class Cell:
    """One group of one breakdown table, e.g. Cell("ethnic_heading", "Asian / Asian British")."""

    table: str
    group: str


@dataclass(frozen=True)
class Relation:
    """parent = sum(children), for every count published about these cells."""

    parent: Cell
    children: tuple[Cell, ...]

    @property
    def members(self) -> tuple[Cell, ...]:
        return (self.parent, *self.children)


def total_relation(total: Cell, table: str, groups: Iterable[str]) -> Relation:
    return Relation(total, tuple(Cell(table, group) for group in groups))


def hierarchy_relations(
    fine_table: str, coarse_table: str, parent_of: Mapping[str, str]
) -> list[Relation]:
    """A coarse group is the sum of the fine groups that generalise to it."""
    children: dict[str, list[Cell]] = {}
    for fine, coarse in parent_of.items():
        children.setdefault(coarse, []).append(Cell(fine_table, fine))
    return [Relation(Cell(coarse_table, coarse), tuple(cells)) for coarse, cells in sorted(children.items())]


def cross_relations(
    cross_table: str, row_table: str, rows: Sequence[str], column_table: str, columns: Sequence[str]
) -> list[Relation]:
    """Each row of a two-way table adds up to its row margin, each column to its column margin."""
    def cell(row: str, column: str) -> Cell:
        return Cell(cross_table, f"{row} | {column}")

    relations = [Relation(Cell(row_table, row), tuple(cell(row, c) for c in columns)) for row in rows]
    relations += [Relation(Cell(column_table, column), tuple(cell(r, column) for r in rows)) for column in columns]
    return relations


Cost = Callable[[Cell], float]
"""What withholding a cell loses; the cheapest cell that protects is withheld. Default: its base."""


def _by_cost(cost: Cost) -> Callable[[Cell], tuple[float, Cell]]:
    return lambda cell: (cost(cell), cell)


class _Stuck(Exception):
    """Every cell that could protect a withheld one is a cell the caller asked to keep shown."""


def _complete_simple(
    withheld: dict[Cell, str],
    stale: frozenset[Cell],
    bases: Mapping[Cell, int],
    relations: Sequence[Relation],
    min_cell: int,
    cost: Cost,
    keep: frozenset[Cell] = frozenset(),
    label: str = COMPLEMENTARY,
) -> None:
    """Withhold more until no relation has exactly one unknown (withheld or stale) member, and no
    relation with a shown parent hides non-empty children that add up to fewer than min_cell.

    The cheapest shown member protects (a child before its parent at equal cost: with the default
    cost, the base, a parent always costs more than a shown child). Raises _Stuck when only cells
    in `keep` could."""
    def order(cell: Cell) -> tuple[float, bool, Cell]:
        return (cost(cell), cell in parents, cell)

    parents: set[Cell] = set()
    changed = True
    while changed:
        changed = False
        for relation in relations:
            members = [cell for cell in relation.members if cell in bases]
            # An empty group protects nothing: that no one is in it is often common knowledge.
            hidden = [cell for cell in members if (cell in withheld or cell in stale) and bases[cell] > 0]
            shown = [cell for cell in members if cell not in withheld and cell not in stale]
            if not hidden or not shown:
                continue
            parent_shown = relation.parent in bases and relation.parent in shown
            small_sum = (
                parent_shown
                and not any(cell in stale for cell in hidden)
                and sum(bases[cell] for cell in hidden) < min_cell
            )
            if len(hidden) != 1 and not small_sum:
                continue
            children = [cell for cell in shown if cell != relation.parent and bases[cell] > 0]
            if not children and small_sum:
                continue  # nothing below the parent protects; the interval check decides
            if children:
                options = children + [cell for cell in shown if cell == relation.parent and bases[cell] > 0]
            else:
                options = shown
            options = [cell for cell in options if cell not in keep]
            if not options:
                raise _Stuck(relation.parent)
            parents.clear()
            parents.add(relation.parent)
            choice = min(options, key=order)
            withheld[choice] = label
            changed = True


def _reduced_row_echelon(matrix: np.ndarray) -> np.ndarray:
    """Gauss-Jordan elimination; coefficients here are small integers, so a tolerance suffices."""
    reduced = matrix.astype(float).copy()
    rows, columns = reduced.shape
    pivot_row = 0
    for column in range(columns - 1):
        if pivot_row == rows:
            break
        pivot = pivot_row + int(np.argmax(np.abs(reduced[pivot_row:, column])))
        if abs(reduced[pivot, column]) < 1e-9:
            continue
        reduced[[pivot_row, pivot]] = reduced[[pivot, pivot_row]]
        reduced[pivot_row] /= reduced[pivot_row, column]
        others = np.arange(rows) != pivot_row
        reduced[others] -= np.outer(reduced[others, column], reduced[pivot_row])
        pivot_row += 1
    reduced[np.abs(reduced) < 1e-9] = 0.0
    return reduced[:pivot_row]


def determined_cells(
    withheld: Iterable[Cell], bases: Mapping[Cell, int], relations: Sequence[Relation]
) -> list[Cell]:
    """Withheld cells with a count above zero whose value follows from the shown figures.

    The relations over withheld cells form a linear system whose constants come from shown cells.
    A cell is determined when the reduced system pins it down on its own, or when counts being
    non-negative does: an equation whose unknowns all carry the same sign and whose constant is
    zero makes every one of them zero, which may in turn pin down others.
    """
    unknowns = sorted(cell for cell in withheld if cell in bases)
    # Empty groups count as known (see _complete_simple); they may pin down their neighbours.
    known_zero: set[Cell] = {cell for cell in unknowns if bases[cell] == 0}
    while True:
        free = [cell for cell in unknowns if cell not in known_zero]
        index = {cell: i for i, cell in enumerate(free)}
        rows = []
        for relation in relations:
            row = np.zeros(len(free) + 1)
            for sign, cells in ((1.0, relation.children), (-1.0, (relation.parent,))):
                for cell in cells:
                    if cell not in bases or cell in known_zero:
                        continue
                    if cell in index:
                        row[index[cell]] += sign
                    else:
                        row[-1] -= sign * bases[cell]
            if row[:-1].any():
                rows.append(row)
        if not rows:
            return []
        original = np.array(rows)
        reduced = _reduced_row_echelon(original)
        determined: list[Cell] = []
        new_zeros: set[Cell] = set()
        # Elimination can mix signs, so the relations as written are read for zeros too.
        for row in (*original, *reduced):
            coefficients, constant = row[:-1], row[-1]
            involved = np.nonzero(coefficients)[0]
            same_sign = (coefficients[involved] > 0).all() or (coefficients[involved] < 0).all()
            if len(involved) == 1:
                cell = free[involved[0]]
                if bases[cell] > 0 and cell not in determined:
                    determined.append(cell)
                else:
                    new_zeros.add(cell)
            elif same_sign and abs(constant) < 1e-9:
                new_zeros.update(free[i] for i in involved)
        if determined:
            return determined
        if not new_zeros - known_zero:
            return []
        known_zero |= new_zeros


# How many candidate complements to try, cheapest first, before settling for the best of them.
COMPLEMENT_TRIES = 8


def _linked_candidates(
    target: Cell,
    unknown: set[Cell],
    bases: Mapping[Cell, int],
    relations: Sequence[Relation],
    cost: Cost,
    include_stale: frozenset[Cell] = frozenset(),
    keep: frozenset[Cell] = frozenset(),
) -> list[Cell]:
    """Shown cells of every relation linked to the target through unknown cells, cheapest first.

    (A heading and a White/BME group are both sums of the same categories, so the cell that
    protects one may sit only in the other's relation.)
    """
    linked = {target}
    frontier = [target]
    while frontier:
        cell = frontier.pop()
        for relation in relations:
            if cell in relation.members:
                for member in relation.members:
                    if member in unknown and member not in linked and member in bases:
                        linked.add(member)
                        frontier.append(member)
    return sorted(
        {
            member
            for relation in relations
            if linked & set(relation.members)
            for member in relation.members
            if member in bases
            and bases[member] > 0
            and (member not in unknown or member in include_stale)
            and member not in keep
        },
        key=_by_cost(cost),
    )


def _complement_for(
    target: Cell,
    withheld: Mapping[Cell, str],
    stale: frozenset[Cell],
    bases: Mapping[Cell, int],
    relations: Sequence[Relation],
    cost: Cost,
    keep: frozenset[Cell] = frozenset(),
) -> Cell | None:
    """A shown cell whose withholding leaves `target` undetermined, preferring cheap ones."""
    unknown = set(withheld) | stale
    candidates = _linked_candidates(target, unknown, bases, relations, cost, keep=keep)
    if not candidates:
        return None
    for candidate in candidates[:COMPLEMENT_TRIES]:
        if target not in determined_cells(unknown | {candidate}, bases, relations):
            return candidate
    return candidates[0]


@dataclass(frozen=True)
class History:
    """What the wave's earlier releases published about this measure, oldest first, and how a
    stale cell's current figure is shown (its held value)."""

    earlier: Sequence[Publication] = ()
    held: Mapping[Cell, int] | None = None


def _publication(
    withheld: Mapping[Cell, str], stale: frozenset[Cell], bases: Mapping[Cell, int], held: Mapping[Cell, int]
) -> Publication:
    return Publication(
        shown={cell: base for cell, base in bases.items() if cell not in withheld and cell not in stale},
        held={cell: held[cell] for cell in stale if cell in held},
        withheld=frozenset(cell for cell in withheld if cell in bases)
        | frozenset(cell for cell in stale if cell not in held),
        known_zero=frozenset(cell for cell in withheld if cell in bases and bases[cell] == 0),
        below=frozenset(cell for cell, reason in withheld.items() if cell in bases and reason == PRIMARY),
        above=frozenset(cell for cell, reason in withheld.items() if cell in bases and reason == COMPLEMENTARY),
    )


class _Readers:
    """The interval audits of two readers: one who ignores why cells are withheld, one who reads it
    (see analysis/intervals.py). A cell is protected only when it is against both."""

    def __init__(self, audits: Sequence[IntervalAudit]) -> None:
        self.audits = audits
        self.verified: list[set[Cell]] = [set() for _ in audits]

    def narrowest(self, targets: Sequence[Cell], verified: list[set[Cell]] | None = None) -> tuple[Cell, Interval] | None:
        verified = verified if verified is not None else self.verified
        for audit, seen in zip(self.audits, verified):
            narrow = audit.narrowest(targets, seen)
            if narrow is not None:
                return narrow
        return None

    def slack(self, cell: Cell) -> float:
        return min(audit.slack(cell) for audit in self.audits)


def _audit(
    withheld: Mapping[Cell, str],
    stale: frozenset[Cell],
    bases: Mapping[Cell, int],
    relations: Sequence[Relation],
    min_cell: int,
    history: History,
) -> _Readers:
    current = _publication(withheld, stale, bases, history.held or {})
    audits = []
    # A reader of reasons differs from one who ignores them only where some release gave reasons.
    readers = (False, True) if any(p.below or p.above for p in (*history.earlier, current)) else (False,)
    for labelled in readers:
        audit = IntervalAudit(current, relations, min_cell, history.earlier, labelled=labelled)
        if history.earlier and not audit.check_feasible():
            # Earlier releases contradict what is known now (they cannot, unless a release was edited):
            # check this release on its own rather than trust them.
            logging.getLogger("analysis.disclosure").warning("earlier releases are inconsistent; checked alone")
            audit = IntervalAudit(current, relations, min_cell, labelled=labelled)
        audits.append(audit)
    return _Readers(audits)


def _widening_complement(
    target: Cell,
    withheld: Mapping[Cell, str],
    stale: frozenset[Cell],
    bases: Mapping[Cell, int],
    relations: Sequence[Relation],
    min_cell: int,
    history: History,
    cost: Cost,
    keep: frozenset[Cell] = frozenset(),
    label: str = COMPLEMENTARY,
) -> Cell | None:
    """The cheapest linked cell whose withholding widens `target` as required (for both readers);
    else the one that widens it most (the next round goes on from there)."""
    candidates = _linked_candidates(target, set(withheld) | stale, bases, relations, cost, stale, keep)
    best: tuple[float, Cell] | None = None
    for candidate in candidates[:COMPLEMENT_TRIES]:
        trial = {**withheld, candidate: label}
        slack = _audit(trial, stale - {candidate}, bases, relations, min_cell, history).slack(target)
        if slack >= 0:
            return candidate
        if best is None or slack > best[0]:
            best = (slack, candidate)
    return best[1] if best is not None else None


def suppress(
    bases: Mapping[Cell, int],
    relations: Sequence[Relation],
    min_cell: int,
    stale: Iterable[Cell] = (),
    still_withheld: Iterable[Cell] = (),
    *,
    history: History | None = None,
    cost: Cost | None = None,
    keep: Iterable[Cell] = (),
    reason_scopes: Sequence[frozenset[str] | None] = (None,),
) -> dict[Cell, str]:
    """Decide which cells to withhold; returns each withheld cell with the reason to publish.

    `still_withheld`: cells withheld last time whose base has not grown by `min_cell` since; showing
    them now would let the earlier release's relations recover what it withheld.
    `history`: the wave's earlier publications of this measure and the held figures of stale cells,
    for interval protection across releases. `cost`: what withholding a cell loses (default: its base).
    `keep`: cells to keep shown if any safe pattern allows (a headline pair): when the cheapest
    pattern withholds one of them, suppression is run again with them never chosen as complements,
    and that pattern is used unless it leaves a withheld cell unprotected.

    Reasons: the pattern is searched for with no reason published for the current release (and,
    where earlier releases gave reasons, against a reader of those). Then true reasons, PRIMARY
    (base below `min_cell`) and COMPLEMENTARY (withheld to protect another), are given on the cells
    of the first of `reason_scopes` (sets of table names, None: every table) in which, read with
    everything else, they leave every small group at least min_cell - 1 wide (all of [0, min_cell - 1]
    for a cell published as primary); elsewhere a withheld cell is WITHHELD (no reason). So giving
    reasons never withholds anything more, and never narrows a small group.
    """
    cost = cost or (lambda cell: float(bases[cell]))
    history = history or History()
    stale, still = frozenset(stale), frozenset(still_withheld)
    kept = frozenset(cell for cell in keep if cell in bases and bases[cell] >= min_cell and cell not in still)
    pattern = _suppress(bases, relations, min_cell, stale, still, history, cost, frozenset(), strict=False)
    if kept & set(pattern):
        # The cheapest pattern withholds a kept cell: look for one that keeps them all (it may cost
        # more elsewhere: that is the point of keeping them).
        try:
            pattern = _suppress(bases, relations, min_cell, stale, still, history, cost, kept, strict=True)
        except _Stuck:
            pass
    return _with_reasons(pattern, stale, bases, relations, min_cell, history, reason_scopes)


def _with_reasons(
    pattern: dict[Cell, str],
    stale: frozenset[Cell],
    bases: Mapping[Cell, int],
    relations: Sequence[Relation],
    min_cell: int,
    history: History,
    scopes: Sequence[frozenset[str] | None],
) -> dict[Cell, str]:
    """The pattern with true reasons on the cells of the widest scope (a set of tables, None: all) in
    which a reader of reasons can narrow no small group by them, WITHHELD elsewhere (see the module
    docstring, step 5). With no reason given, the pattern is safe already."""
    truth = {cell: PRIMARY if bases.get(cell, 0) < min_cell else COMPLEMENTARY for cell in pattern}
    small = frozenset(cell for cell, reason in truth.items() if reason == PRIMARY)
    stale_cells = frozenset(cell for cell in stale if cell not in pattern)
    relevant = [r for r in relations if any(cell in bases for cell in r.members)]
    targets = sorted(cell for cell in small if cell in bases and bases[cell] > 0)
    for scope in scopes:
        reasons = {
            cell: reason if scope is None or cell.table in scope else WITHHELD for cell, reason in truth.items()
        }
        if all(reason == WITHHELD for reason in reasons.values()):
            continue
        current = _publication(reasons, stale_cells, bases, history.held or {})
        audit = IntervalAudit(current, relevant, min_cell, history.earlier, labelled=True, small=small)
        if history.earlier and not audit.check_feasible():
            break
        if not targets or audit.narrowest(targets) is None:
            return reasons
    return dict(pattern)


def _suppress(
    bases: Mapping[Cell, int],
    relations: Sequence[Relation],
    min_cell: int,
    stale: Iterable[Cell],
    still_withheld: frozenset[Cell],
    history: History,
    cost: Cost,
    keep: frozenset[Cell],
    strict: bool,
) -> dict[Cell, str]:
    """One pass of `suppress`. `strict`: raise _Stuck rather than return a pattern that leaves a
    withheld cell unprotected (only cells in `keep`, or nothing, could protect it)."""
    primary = complementary = WITHHELD  # reasons are decided afterwards (`_with_reasons`)
    withheld: dict[Cell, str] = {cell: primary for cell, base in bases.items() if base < min_cell}
    for cell in still_withheld:
        withheld.setdefault(cell, complementary)
    stale_cells = frozenset(cell for cell in stale if cell not in withheld)
    relevant = [r for r in relations if any(cell in bases for cell in r.members)]
    order = _by_cost(cost)
    verified: list[set[Cell]] = [set(), set()]  # withholding more only widens ranges: a wide cell stays wide
    while True:
        _complete_simple(withheld, stale_cells, bases, relevant, min_cell, cost, keep, complementary)
        exposed = determined_cells(set(withheld) | stale_cells, bases, relevant)
        if exposed:
            choice = _complement_for(exposed[0], withheld, stale_cells, bases, relevant, cost, keep)
            if choice is None:  # everything around it is withheld already; nothing more to hide
                if strict:
                    raise _Stuck(exposed[0])
                return withheld
            withheld[choice] = complementary
            continue
        targets = sorted((cell for cell in withheld if cell in bases and bases[cell] > 0), key=order)
        if not targets:
            return withheld
        narrow = _audit(withheld, stale_cells, bases, relevant, min_cell, history).narrowest(targets, verified)
        if narrow is None:
            return withheld
        choice = _widening_complement(
            narrow[0], withheld, stale_cells, bases, relevant, min_cell, history, cost, keep, complementary
        )
        if choice is None:  # nothing left to withhold around it
            if strict:
                raise _Stuck(narrow[0])
            logging.getLogger("analysis.disclosure").warning("cannot widen %s beyond %s", narrow[0], narrow[1])
            return withheld
        withheld[choice] = complementary
        stale_cells = stale_cells - {choice}
