"""Disclosure control: minimum cells, complementary suppression, and the attacks it must defeat."""

from __future__ import annotations

from itertools import combinations

import numpy as np
from hypothesis import given, settings, strategies as st

from analysis.disclosure import (
    COMPLEMENTARY,
    PRIMARY,
    Cell,
    cross_relations,
    hierarchy_relations,
    suppress,
    total_relation,
)
from analysis.tables import TOTAL, Breakdown, Column, publish_tables

from tests.analysis.attacks import exactly_recoverable

MIN_CELL = 11


def _one_table(sizes: dict[str, int]):  # type: ignore[no-untyped-def]
    bases = {Cell("eth", g): n for g, n in sizes.items()}
    bases[TOTAL] = sum(sizes.values())
    return bases, [total_relation(TOTAL, "eth", sizes)]


def test_small_cells_are_withheld_and_protected_from_subtraction() -> None:
    bases, relations = _one_table({"A": 50, "B": 5, "C": 40, "D": 30})
    withheld = suppress(bases, relations, MIN_CELL)
    assert withheld[Cell("eth", "B")] == PRIMARY
    # Total minus the others would give B, so one more cell (the smallest, D) is withheld too.
    assert withheld[Cell("eth", "D")] == COMPLEMENTARY
    assert len(withheld) == 2


def test_nothing_is_withheld_when_every_cell_is_large() -> None:
    bases, relations = _one_table({"A": 50, "B": 11, "C": 40})
    assert suppress(bases, relations, MIN_CELL) == {}


def test_a_heading_and_its_categories_cannot_be_subtracted() -> None:
    bases = {
        TOTAL: 100,
        Cell("category", "Indian"): 30, Cell("category", "Pakistani"): 4, Cell("category", "Chinese"): 16,
        Cell("category", "African"): 50,
        Cell("heading", "Asian"): 50, Cell("heading", "Black"): 50,
    }
    relations = [
        total_relation(TOTAL, "category", ["Indian", "Pakistani", "Chinese", "African"]),
        total_relation(TOTAL, "heading", ["Asian", "Black"]),
        *hierarchy_relations("category", "heading",
                             {"Indian": "Asian", "Pakistani": "Asian", "Chinese": "Asian", "African": "Black"}),
    ]
    withheld = suppress(bases, relations, MIN_CELL)
    shown = {cell: base for cell, base in bases.items() if cell not in withheld}
    assert exactly_recoverable(bases, shown, relations) == []


def test_cross_tables_are_protected_across_both_margins() -> None:
    rows, columns = ["White", "BME"], ["Bank", "Agency", "Locum"]
    sizes = {("White", "Bank"): 40, ("White", "Agency"): 3, ("White", "Locum"): 20,
             ("BME", "Bank"): 35, ("BME", "Agency"): 25, ("BME", "Locum"): 30}
    bases = {Cell("x", f"{r} | {c}"): n for (r, c), n in sizes.items()}
    for r in rows:
        bases[Cell("eth", r)] = sum(n for (rr, _), n in sizes.items() if rr == r)
    for c in columns:
        bases[Cell("worker", c)] = sum(n for (_, cc), n in sizes.items() if cc == c)
    bases[TOTAL] = sum(sizes.values())
    relations = [*cross_relations("x", "eth", rows, "worker", columns),
                 total_relation(TOTAL, "eth", rows), total_relation(TOTAL, "worker", columns)]
    withheld = suppress(bases, relations, MIN_CELL)
    assert Cell("x", "White | Agency") in withheld
    shown = {cell: base for cell, base in bases.items() if cell not in withheld}
    assert exactly_recoverable(bases, shown, relations) == []


def _population(draw: st.DrawFn) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    n = draw(st.integers(0, 300))
    categories = draw(st.integers(2, 7))
    weights = np.array(draw(st.lists(st.floats(0.01, 1), min_size=categories + 1, max_size=categories + 1)))
    seed = draw(st.integers(0, 2**32 - 1))
    rng = np.random.default_rng(seed)
    category = rng.choice(categories + 1, size=n, p=weights / weights.sum())  # last = not stated
    worker = rng.choice(3, size=n)
    answer = rng.choice([0, 1, 2, 3], size=n, p=[0.1, 0.3, 0.3, 0.3])  # 0 = not answered
    heading_of = np.array(draw(st.lists(st.integers(0, 2), min_size=categories, max_size=categories)) + [3])
    return category, heading_of, worker, answer


@settings(max_examples=60, deadline=None)
@given(population=st.composite(_population)())
def test_property_no_small_cell_shown_and_no_withheld_cell_derivable(population) -> None:  # type: ignore[no-untyped-def]
    category, heading_of, worker, answer = population
    categories = int(heading_of.size)
    category_groups = tuple(f"c{i}" for i in range(categories - 1)) + ("Not stated",)
    heading_groups = ("h0", "h1", "h2", "Not stated")
    worker_groups = ("Bank", "Agency", "Locum")
    heading = heading_of[category]
    breakdowns = [
        Breakdown("category", category_groups, category),
        Breakdown("heading", heading_groups, heading),
        Breakdown("worker", worker_groups, worker),
        Breakdown("x", tuple(f"{h} | {w}" for h in heading_groups for w in worker_groups), heading * 3 + worker),
    ]
    relations = [
        *hierarchy_relations("category", "heading", {category_groups[i]: heading_groups[heading_of[i]] for i in range(categories)}),
        *cross_relations("x", "heading", heading_groups, "worker", worker_groups),
        *(total_relation(TOTAL, b.name, b.groups) for b in breakdowns),
    ]
    column = Column.single("q", (1, 2, 3), [int(a) if a else None for a in answer])
    published, _, _ = publish_tables([column], breakdowns, relations, MIN_CELL)
    true_bases = {}
    for b in breakdowns:
        counts = np.bincount(b.membership[answer > 0], minlength=len(b.groups))
        true_bases.update({Cell(b.name, g): int(counts[i]) for i, g in enumerate(b.groups)})
    true_bases[TOTAL] = int((answer > 0).sum())
    shown = {Cell(c.table, c.group): c.base for c in published if c.withheld is None}
    # No shown cell rests on fewer than MIN_CELL respondents, and shown figures are the true ones.
    for cell, base in shown.items():
        assert base is not None and base >= MIN_CELL
        assert base == true_bases[cell]
    # No withheld cell is derivable from the shown ones through any combination of relations.
    assert exactly_recoverable(true_bases, shown, relations) == []
    # Nor through any single breakdown and its total, the attack a reader would try first.
    for b in breakdowns:
        members = [Cell(b.name, g) for g in b.groups]
        # (An empty group may be deduced as empty: that reveals no one.)
        hidden = [cell for cell in members if cell not in shown and true_bases[cell] > 0]
        assert len(hidden) != 1 or TOTAL not in shown


def test_every_pair_of_tables_resists_differencing() -> None:
    rng = np.random.default_rng(11)
    n = 400
    category = rng.choice(8, size=n, p=[0.4, 0.2, 0.1, 0.1, 0.05, 0.05, 0.05, 0.05])
    heading_of = np.array([0, 0, 1, 1, 2, 2, 2, 3])
    worker = rng.choice(3, size=n, p=[0.6, 0.3, 0.1])
    heading = heading_of[category]
    breakdowns = {
        "category": Breakdown("category", tuple(f"c{i}" for i in range(8)), category),
        "heading": Breakdown("heading", ("h0", "h1", "h2", "h3"), heading),
        "worker": Breakdown("worker", ("w0", "w1", "w2"), worker),
        "x": Breakdown("x", tuple(f"h{h} | w{w}" for h in range(4) for w in range(3)), heading * 3 + worker),
    }
    relations = [
        *hierarchy_relations("category", "heading", {f"c{i}": f"h{heading_of[i]}" for i in range(8)}),
        *cross_relations("x", "heading", ["h0", "h1", "h2", "h3"], "worker", ["w0", "w1", "w2"]),
        *(total_relation(TOTAL, b.name, b.groups) for b in breakdowns.values()),
    ]
    column = Column.single("q", (1, 2), rng.choice([1, 2], size=n).tolist())
    published, report, _ = publish_tables([column], list(breakdowns.values()), relations, MIN_CELL)
    assert report.cells_withheld_primary > 0
    true = {}
    for b in breakdowns.values():
        counts = np.bincount(b.membership, minlength=len(b.groups))
        true.update({Cell(b.name, g): int(counts[i]) for i, g in enumerate(b.groups)})
    true[TOTAL] = n
    shown = {Cell(c.table, c.group): c.base for c in published if c.withheld is None}
    for first, second in combinations(breakdowns, 2):
        tables = {first, second, "total"}
        subset = {cell: v for cell, v in true.items() if cell.table in tables}
        pair_relations = [r for r in relations if all(c.table in tables for c in r.members)]
        assert exactly_recoverable(subset, {c: v for c, v in shown.items() if c in subset}, pair_relations) == []


def test_a_newcomer_is_not_revealed_by_comparing_two_releases() -> None:
    rng = np.random.default_rng(5)
    n = 200
    group = rng.choice(4, size=n, p=[0.5, 0.3, 0.15, 0.05])
    answers = rng.choice([1, 2, 3], size=n)
    relations = [total_relation(TOTAL, "g", ["g0", "g1", "g2", "g3"])]

    def release(groups: np.ndarray, values: np.ndarray, previous=None):  # type: ignore[no-untyped-def]
        cells, bases = previous or ({}, {})
        published, _, true_bases = publish_tables(
            [Column.single("q", (1, 2, 3), values.tolist())],
            [Breakdown("g", ("g0", "g1", "g2", "g3"), groups)],
            relations,
            MIN_CELL,
            cells,
            bases,
        )
        return {cell.key: cell for cell in published}, true_bases

    first = release(group, answers)
    assert any(cell.withheld for cell in first[0].values())
    second = release(np.append(group, 0), np.append(answers, 3), first)
    for key, cell in second[0].items():
        before = first[0][key]
        assert (cell.base, cell.counts, cell.withheld is None) == (before.base, before.counts, before.withheld is None), key
    # Once a group has grown by MIN_CELL, its figures move on.
    third = release(np.append(group, [0] * MIN_CELL), np.append(answers, [3] * MIN_CELL), second)
    assert third[0][("g", "g0", "q")].base == first[0][("g", "g0", "q")].base + MIN_CELL
