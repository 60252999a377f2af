"""Vectorised counting: columns, atoms and publish_tables agree with counting respondent by respondent."""

from __future__ import annotations

import numpy as np
from hypothesis import given, settings
from hypothesis import strategies as st

from analysis.tables import Atoms, Breakdown, Column, code_positions, count_by_group, publish_tables

CODES = (1, 2, 3, 9)
ODD_VALUES = [None, 1, 2, 3, 9, 4, 0, -1, True, False, 1.0, 1.5, "1", 10**30]


def reference_single(codes: tuple[int, ...], values: list) -> np.ndarray:
    chosen = np.zeros((len(values), len(codes)), dtype=bool)
    for i, value in enumerate(values):
        for j, code in enumerate(codes):
            if value is not None and value == code and not isinstance(value, str):
                chosen[i, j] = True
                break
    return chosen


@settings(max_examples=200, deadline=None)
@given(st.lists(st.sampled_from(ODD_VALUES), max_size=60))
def test_single_reads_values_as_the_code_they_equal(values: list) -> None:
    column = Column.single("q", CODES, values)
    assert np.array_equal(column.chosen, reference_single(CODES, values))
    assert np.array_equal(column.answered, column.chosen.any(axis=1))
    assert column.index is not None and len(column) == len(values)


@settings(max_examples=200, deadline=None)
@given(st.lists(st.one_of(st.none(), st.lists(st.sampled_from([1, 2, 3, 9, 4, 7]), max_size=4)), max_size=40))
def test_multiple_marks_every_known_code(values: list) -> None:
    column = Column.multiple("q", CODES, values)
    expected = np.zeros((len(values), len(CODES)), dtype=bool)
    for i, picked in enumerate(values):
        for code in picked or ():
            if code in CODES:
                expected[i, CODES.index(code)] = True
    assert np.array_equal(column.chosen, expected)
    assert column.index is None


def test_code_positions_with_a_wide_range_of_codes() -> None:
    codes = (5, 10**9, -3)
    values = np.array([10**9, 5, 7, -3, 0, 10**9 + 1])
    assert code_positions(codes, values).tolist() == [1, 0, -1, 2, -1, -1]


def test_a_column_needs_chosen_or_index() -> None:
    import pytest

    with pytest.raises(ValueError):
        Column("q", CODES)


@st.composite
def data(draw: st.DrawFn) -> tuple[list[Column], list[Breakdown]]:
    n = draw(st.integers(0, 80))
    rng = np.random.default_rng(draw(st.integers(0, 2**32 - 1)))
    a = rng.integers(0, 4, n)
    b = rng.integers(0, 3, n)
    breakdowns = [
        Breakdown("a", ("a0", "a1", "a2", "a3"), a),
        Breakdown("b", ("b0", "b1", "b2"), b),
        Breakdown("ab", tuple(f"{i}|{j}" for i in range(4) for j in range(3)), a * 3 + b),
    ]
    single = Column.single("s", CODES, [None if v < 0 else CODES[v] for v in rng.integers(-1, 4, n).tolist()])
    multiple = Column("m", CODES, rng.random((n, len(CODES))) < 0.3)
    return [single, multiple], breakdowns


@settings(max_examples=100, deadline=None)
@given(data())
def test_atoms_count_as_respondent_by_respondent(example: tuple[list[Column], list[Breakdown]]) -> None:
    columns, breakdowns = example
    atoms = Atoms(breakdowns, len(breakdowns[0].membership))
    for column in columns:
        atom_bases, atom_counts = atoms.count_column(column)
        assert int(atom_bases.sum()) == int(column.answered.sum())
        for b, breakdown in enumerate(breakdowns):
            bases, counts = atoms.by_group(b, atom_bases, atom_counts)
            for g in range(len(breakdown.groups)):
                members = breakdown.membership == g
                assert bases[g] == int(column.answered[members].sum())
                assert counts[g].tolist() == column.chosen[members].sum(axis=0).tolist()
            assert np.array_equal(np.stack(count_by_group(column, breakdown)[1]), counts)


@settings(max_examples=30, deadline=None)
@given(data())
def test_publish_tables_figures_are_the_groups_counts(example: tuple[list[Column], list[Breakdown]]) -> None:
    columns, breakdowns = example
    cells, _, _ = publish_tables(columns, breakdowns, [], min_cell=1)
    by_key = {cell.key: cell for cell in cells}
    for column in columns:
        total = by_key[("total", "All respondents", column.name)]
        assert total.base == (int(column.answered.sum()) if total.withheld is None else None)
        for breakdown in breakdowns:
            for g, group in enumerate(breakdown.groups):
                cell = by_key[(breakdown.name, group, column.name)]
                members = breakdown.membership == g
                if cell.withheld is None:
                    assert cell.base == int(column.answered[members].sum())
                    assert list(cell.counts or ()) == column.chosen[members].sum(axis=0).tolist()
