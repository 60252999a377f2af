"""Aggregate tables of a release: counts of every answer code per breakdown group, at full detail,
passed jointly through disclosure control.

Inputs are plain arrays: a `Column` per measure (a question, or a derived indicator flag) and a
`Breakdown` per table (each respondent's group). Counting is vectorised, so a 100,000-response wave
is counted in well under a second.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field

import numpy as np

from analysis.disclosure import Cell, Relation, suppress

TOTAL = Cell("total", "All respondents")


@dataclass(frozen=True)
class Column:
    """One measure. `chosen[i, j]` is True when respondent i chose code `codes[j]`."""

    name: str
    codes: tuple[int, ...]
    chosen: np.ndarray  # bool, shape (n, len(codes))

    @property
    def answered(self) -> np.ndarray:
        return self.chosen.any(axis=1)

    @classmethod
    def single(cls, name: str, codes: Sequence[int], values: Sequence[int | None]) -> Column:
        """From one code (or None) per respondent."""
        code_index = {code: j for j, code in enumerate(codes)}
        index = np.fromiter((code_index.get(v, -1) if v is not None else -1 for v in values), dtype=np.int64)
        chosen = np.zeros((len(index), len(codes)), dtype=bool)
        rows = np.nonzero(index >= 0)[0]
        chosen[rows, index[rows]] = True
        return cls(name, tuple(codes), chosen)

    @classmethod
    def multiple(cls, name: str, codes: Sequence[int], values: Sequence[Sequence[int] | None]) -> Column:
        code_index = {code: j for j, code in enumerate(codes)}
        chosen = np.zeros((len(values), len(codes)), dtype=bool)
        for i, picked in enumerate(values):
            for code in picked or ():
                if code in code_index:
                    chosen[i, code_index[code]] = True
        return cls(name, tuple(codes), chosen)


@dataclass(frozen=True)
class Breakdown:
    """A table: each respondent's group index into `groups` (every respondent is in exactly one)."""

    name: str
    groups: tuple[str, ...]
    membership: np.ndarray  # int, shape (n,)

    def cells(self) -> list[Cell]:
        return [Cell(self.name, group) for group in self.groups]


@dataclass(frozen=True)
class PublishedCell:
    table: str
    group: str
    measure: str
    base: int | None  # None when withheld: a withheld base is never stored
    counts: tuple[int, ...] | None  # per code of the measure, None when withheld
    withheld: str | None = None  # "primary" or "complementary"
    held_from_previous: bool = False

    @property
    def key(self) -> tuple[str, str, str]:
        return (self.table, self.group, self.measure)


@dataclass
class TablesReport:
    cells_published: int = 0
    cells_withheld_primary: int = 0
    cells_withheld_complementary: int = 0
    cells_held_from_previous: int = 0
    by_measure: dict[str, dict[str, int]] = field(default_factory=dict)


def count_by_group(column: Column, breakdown: Breakdown) -> tuple[np.ndarray, np.ndarray]:
    """(bases per group, counts per group and code)."""
    groups = len(breakdown.groups)
    membership = breakdown.membership
    bases = np.bincount(membership[column.answered], minlength=groups)
    counts = np.empty((groups, len(column.codes)), dtype=np.int64)
    for j in range(len(column.codes)):
        counts[:, j] = np.bincount(membership[column.chosen[:, j]], minlength=groups)
    return bases, counts


def publish_tables(
    columns: Sequence[Column],
    breakdowns: Sequence[Breakdown],
    relations: Sequence[Relation],
    min_cell: int,
    previous: Mapping[tuple[str, str, str], PublishedCell] | None = None,
    previous_bases: Mapping[tuple[str, str, str], int] | None = None,
) -> tuple[list[PublishedCell], TablesReport, dict[tuple[str, str, str], int]]:
    """Count every measure for the total and every breakdown, then withhold jointly.

    `previous` is the last release's cells and `previous_bases` their reference bases (kept sealed
    by the caller: the base when a figure was last shown, or when it was first withheld): a shown
    cell whose base has changed by fewer than `min_cell` respondents since is published unchanged,
    and a withheld one stays withheld, so comparing two releases never isolates a newcomer.
    Returns the cells, the report, and the reference bases to keep for the next release.
    """
    previous = previous or {}
    previous_bases = previous_bases or {}
    true_bases: dict[tuple[str, str, str], int] = {}
    report = TablesReport()
    published: list[PublishedCell] = []
    for column in columns:
        bases: dict[Cell, int] = {TOTAL: int(column.answered.sum())}
        counts: dict[Cell, np.ndarray] = {TOTAL: column.chosen.sum(axis=0)}
        for breakdown in breakdowns:
            group_bases, group_counts = count_by_group(column, breakdown)
            for g, cell in enumerate(breakdown.cells()):
                bases[cell] = int(group_bases[g])
                counts[cell] = group_counts[g]
        stale, still_withheld = set(), set()
        for cell, base in bases.items():
            key = (cell.table, cell.group, column.name)
            true_bases[key] = base
            earlier, earlier_base = previous.get(key), previous_bases.get(key)
            if earlier is None or earlier_base is None:
                continue
            grown = abs(base - earlier_base) >= min_cell
            if earlier.withheld is not None and not grown:
                still_withheld.add(cell)
            elif earlier.withheld is None and base != earlier_base and not grown:
                stale.add(cell)
        withheld = suppress(bases, relations, min_cell, stale, still_withheld)
        for cell, base in bases.items():
            key = (cell.table, cell.group, column.name)
            if cell in stale or cell in still_withheld:
                # Growth is measured from when the figure was last shown, or first withheld.
                true_bases[key] = previous_bases[key]
        tally = {"published": 0, "primary": 0, "complementary": 0}
        for cell, base in bases.items():
            reason = withheld.get(cell)
            if reason is not None:
                published.append(PublishedCell(cell.table, cell.group, column.name, None, None, reason))
                tally[reason] += 1
                continue
            earlier = previous.get((cell.table, cell.group, column.name))
            if cell in stale and earlier is not None:
                published.append(
                    PublishedCell(cell.table, cell.group, column.name, earlier.base, earlier.counts, None, True)
                )
                report.cells_held_from_previous += 1
            else:
                published.append(
                    PublishedCell(cell.table, cell.group, column.name, base, tuple(int(c) for c in counts[cell]))
                )
            tally["published"] += 1
        report.by_measure[column.name] = tally
        report.cells_published += tally["published"]
        report.cells_withheld_primary += tally["primary"]
        report.cells_withheld_complementary += tally["complementary"]
    return published, report, true_bases
