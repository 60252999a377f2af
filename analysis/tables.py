"""Aggregate tables of a release: counts of every answer code per breakdown group, at full detail,
passed jointly through disclosure control.

Inputs are plain arrays: a `Column` per measure (a question, or a derived indicator flag) and a
`Breakdown` per table (each respondent's group). Counting is vectorised: respondents are first
sorted into "atoms" (the distinct combinations of their groups across every breakdown, a few
thousand at most), each measure is counted per atom in one pass over the respondents, and every
breakdown's groups are then sums of atoms. A 1,000,000-response wave is counted in well under a
second.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from itertools import chain, repeat

import numpy as np

from analysis.disclosure import COMPLEMENTARY, PRIMARY, Cell, History, Relation, suppress
from analysis.intervals import Publication

TOTAL = Cell("total", "All respondents")
# Largest code range counted through a lookup table; wider ranges use a sorted search.
LOOKUP_LIMIT = 1 << 20


def code_positions(codes: Sequence[int], values: np.ndarray) -> np.ndarray:
    """Position in `codes` of each value (an integer array), -1 for a value that is not a code."""
    values = np.asarray(values)
    positions = np.full(len(values), -1, dtype=np.int64)
    if not len(codes) or not len(values):
        return positions
    code_array = np.asarray(codes, dtype=np.int64)
    low, high = int(min(code_array.min(), values.min())), int(max(code_array.max(), values.max()))
    if high - low < LOOKUP_LIMIT:
        lookup = np.full(high - low + 1, -1, dtype=np.int64)
        lookup[code_array - low] = np.arange(len(code_array))
        return lookup[values.astype(np.int64) - low]
    order = np.argsort(code_array)
    sorted_codes = code_array[order]
    at = np.clip(np.searchsorted(sorted_codes, values), 0, len(sorted_codes) - 1)
    found = sorted_codes[at] == values
    positions[found] = order[at[found]]
    return positions


class Column:
    """One measure. `chosen[i, j]` is True when respondent i chose code `codes[j]`.

    A single-choice column may be given as `index` instead: the position in `codes` of respondent
    i's code, -1 when they chose none. It is then counted in one pass, and `chosen` is only built
    if someone asks for it.
    """

    __slots__ = ("name", "codes", "_chosen", "_index")

    def __init__(
        self, name: str, codes: Sequence[int], chosen: np.ndarray | None = None, index: np.ndarray | None = None
    ) -> None:
        if chosen is None and index is None:
            raise ValueError(f"column {name!r} needs `chosen` or `index`")
        self.name = name
        self.codes = tuple(codes)
        self._chosen = chosen
        if index is not None:
            index = np.asarray(index)
            # A narrower signed integer index is kept as it is: a million respondents' positions in
            # int16 are a quarter of the memory, and of the memory traffic, of int64.
            if index.dtype.kind != "i":
                index = index.astype(np.int64)
        self._index = index

    def __repr__(self) -> str:
        return f"Column({self.name!r}, codes={self.codes}, respondents={len(self)})"

    def __len__(self) -> int:
        return len(self._index) if self._index is not None else len(self._chosen)  # type: ignore[arg-type]

    @property
    def chosen(self) -> np.ndarray:
        if self._chosen is None:
            assert self._index is not None
            chosen = np.zeros((len(self._index), len(self.codes)), dtype=bool)
            rows = np.nonzero(self._index >= 0)[0]
            chosen[rows, self._index[rows]] = True
            self._chosen = chosen
        return self._chosen

    @property
    def index(self) -> np.ndarray | None:
        """Each respondent's code position (-1: none), for a single-choice column; None otherwise."""
        return self._index

    @property
    def answered(self) -> np.ndarray:
        if self._index is not None:
            return self._index >= 0
        return self.chosen.any(axis=1)

    def values(self, rows: np.ndarray | None = None) -> list[int | list[int] | None]:
        """Each respondent's answer (of `rows`, or all): a code (single choice), a list of codes
        (multiple), or None."""
        if self._index is not None:
            index = self._index if rows is None else self._index[rows]
            return np.asarray([*self.codes, None], dtype=object)[index].tolist()
        codes = np.asarray(self.codes, dtype=object)
        chosen = self.chosen if rows is None else self.chosen[rows]
        return [codes[row].tolist() or None for row in chosen]

    def chosen_any(self, codes: Iterable[int]) -> np.ndarray:
        """True for respondents who chose any of `codes`."""
        wanted = set(codes)
        positions = [j for j, code in enumerate(self.codes) if code in wanted]
        if self._index is not None:
            lookup = np.zeros(len(self.codes) + 1, dtype=bool)
            lookup[np.asarray(positions, dtype=np.int64) + 1] = True
            return lookup[self._index + 1]
        return self.chosen[:, positions].any(axis=1)

    @classmethod
    def single(cls, name: str, codes: Sequence[int], values: Sequence[int | None]) -> Column:
        """From one code (or None) per respondent; anything that is not one of `codes` counts as no answer."""
        code_index = {code: j for j, code in enumerate(codes)}
        # dict.get over the values in C: the same lookup as before, without a Python-level loop.
        index = np.fromiter(map(code_index.get, values, repeat(-1)), dtype=np.int64, count=len(values))
        return cls(name, tuple(codes), index=index)

    @classmethod
    def from_values(cls, name: str, codes: Sequence[int], values: np.ndarray) -> Column:
        """From an integer array of answers; a value that is not one of `codes` counts as no answer."""
        return cls(name, tuple(codes), index=code_positions(codes, values))

    @classmethod
    def multiple(cls, name: str, codes: Sequence[int], values: Sequence[Sequence[int] | None]) -> Column:
        code_index = {code: j for j, code in enumerate(codes)}
        n = len(values)
        chosen = np.zeros((n, len(codes)), dtype=bool)
        picked = [v or () for v in values]
        lengths = np.fromiter(map(len, picked), dtype=np.int64, count=n)
        total = int(lengths.sum())
        if total:
            positions = np.fromiter(
                map(code_index.get, chain.from_iterable(picked), repeat(-1)), dtype=np.int64, count=total
            )
            rows = np.repeat(np.arange(n), lengths)
            known = positions >= 0
            chosen[rows[known], positions[known]] = True
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
    withheld: str | None = None  # the reason published: "primary", "complementary", or "withheld" (none)
    held_from_previous: bool = False

    @property
    def key(self) -> tuple[str, str, str]:
        return (self.table, self.group, self.measure)


def publications(cells: Iterable[PublishedCell]) -> dict[str, Publication]:
    """One release's published cells as a reader sees them, per measure (for interval protection)."""
    shown: dict[str, dict[Cell, int]] = {}
    held: dict[str, dict[Cell, int]] = {}
    withheld: dict[str, set[Cell]] = {}
    below: dict[str, set[Cell]] = {}
    above: dict[str, set[Cell]] = {}
    for cell in cells:
        at = Cell(cell.table, cell.group)
        shown.setdefault(cell.measure, {})
        if cell.withheld is not None or cell.base is None:
            withheld.setdefault(cell.measure, set()).add(at)
            # The reason as published; an older release stored none ("withheld"): no bound.
            if cell.withheld == PRIMARY:
                below.setdefault(cell.measure, set()).add(at)
            elif cell.withheld == COMPLEMENTARY:
                above.setdefault(cell.measure, set()).add(at)
        elif cell.held_from_previous:
            held.setdefault(cell.measure, {})[at] = cell.base
        else:
            shown[cell.measure][at] = cell.base
    return {
        measure: Publication(
            figures,
            held.get(measure, {}),
            frozenset(withheld.get(measure, ())),
            below=frozenset(below.get(measure, ())),
            above=frozenset(above.get(measure, ())),
        )
        for measure, figures in shown.items()
    }


@dataclass
class TablesReport:
    cells_published: int = 0
    cells_withheld_primary: int = 0
    cells_withheld_complementary: int = 0
    cells_held_from_previous: int = 0
    by_measure: dict[str, dict[str, int]] = field(default_factory=dict)


class Atoms:
    """Respondents grouped by their combination of groups across every breakdown.

    `inverse[i]` is respondent i's atom; `groups[b][a]` is atom a's group in breakdown b. Counting a
    measure per atom is one pass over the respondents; each breakdown then sums its atoms.
    """

    def __init__(self, breakdowns: Sequence[Breakdown], n: int) -> None:
        key = np.zeros(n, dtype=np.int64)
        size = 1
        for breakdown in breakdowns:
            width = max(len(breakdown.groups), 1)
            if size * width >= 1 << 40:
                key, size = _compress(key, size)
            key = key * width + breakdown.membership.astype(np.int64)
            size *= width
        self.inverse, count = _compress(key, size)
        first = np.zeros(count, dtype=np.int64)
        first[self.inverse] = np.arange(n)
        self.count = count
        self.groups = [breakdown.membership[first].astype(np.int64) for breakdown in breakdowns]
        self.widths = [len(breakdown.groups) for breakdown in breakdowns]

    def count_column(self, column: Column) -> tuple[np.ndarray, np.ndarray]:
        """(bases per atom, counts per atom and code)."""
        k = len(column.codes)
        index = column.index
        if index is not None:
            table = np.bincount(self.inverse * (k + 1) + (index + 1), minlength=self.count * (k + 1))
            table = table.reshape(self.count, k + 1)
            counts = table[:, 1:]
            return counts.sum(axis=1), counts
        chosen = column.chosen
        counts = np.empty((self.count, k), dtype=np.int64)
        for j in range(k):
            counts[:, j] = np.bincount(self.inverse[chosen[:, j]], minlength=self.count)
        bases = np.bincount(self.inverse[column.answered], minlength=self.count)
        return bases, counts

    def by_group(self, b: int, atom_bases: np.ndarray, atom_counts: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """(bases per group, counts per group and code) of breakdown `b` from per-atom figures."""
        both = np.column_stack([atom_bases, atom_counts])
        width, stride = self.widths[b], both.shape[1]
        slots = (self.groups[b][:, None] * stride + np.arange(stride)).ravel()
        # Weighted sums of whole numbers far below 2**53: exact in floating point.
        summed = np.bincount(slots, weights=both.ravel(), minlength=width * stride)
        summed = np.rint(summed).astype(np.int64).reshape(width, stride)
        return summed[:, 0], summed[:, 1:]


def _compress(key: np.ndarray, size: int) -> tuple[np.ndarray, int]:
    """Renumber keys 0..distinct-1 (in key order); returns the new keys and how many there are."""
    if len(key) == 0:
        return key, 0
    if size <= max(4 * len(key), 1 << 22):
        present = np.bincount(key, minlength=size) > 0
        numbers = np.cumsum(present) - 1
        return numbers[key], int(present.sum())
    distinct, inverse = np.unique(key, return_inverse=True)
    return inverse.astype(np.int64), len(distinct)


def count_by_group(column: Column, breakdown: Breakdown) -> tuple[np.ndarray, np.ndarray]:
    """(bases per group, counts per group and code)."""
    atoms = Atoms([breakdown], len(breakdown.membership))
    return atoms.by_group(0, *atoms.count_column(column))


def publish_tables(
    columns: Sequence[Column],
    breakdowns: Sequence[Breakdown],
    relations: Sequence[Relation],
    min_cell: int,
    previous: Mapping[tuple[str, str, str], PublishedCell] | None = None,
    previous_bases: Mapping[tuple[str, str, str], int] | None = None,
    *,
    history: Mapping[str, Sequence[Publication]] | None = None,
    cost: Callable[[Cell, int], float] | None = None,
    keep: Iterable[Cell] = (),
    reason_scopes: Sequence[frozenset[str] | None] = (None,),
) -> tuple[list[PublishedCell], TablesReport, dict[tuple[str, str, str], int]]:
    """Count every measure for the total and every breakdown, then withhold jointly.

    `previous` is the last release's cells and `previous_bases` their reference bases (kept sealed
    by the caller: the base when a figure was last shown, or when it was first withheld): a shown
    cell whose base has changed by fewer than `min_cell` respondents since is published unchanged,
    and a withheld one stays withheld, so comparing two releases never isolates a newcomer.
    `history`: per measure, what every earlier release of the wave published (`publications`),
    oldest first, so that withheld cells are protected as intervals across releases too.
    `cost`: what withholding a cell (with its base) loses; the cheapest protecting cell is withheld.
    `keep`: cells kept shown whenever a safe pattern allows (see `suppress`).
    `reason_scopes`: where withheld cells may carry their reason, widest first (see `suppress`).
    Returns the cells, the report, and the reference bases to keep for the next release.
    """
    previous = previous or {}
    previous_bases = previous_bases or {}
    history = history or {}
    keep = tuple(keep)
    decided: dict[tuple, dict[Cell, str]] = {}
    true_bases: dict[tuple[str, str, str], int] = {}
    report = TablesReport()
    published: list[PublishedCell] = []
    n = len(columns[0]) if columns else 0
    atoms = Atoms(breakdowns, n)
    cells_of = [breakdown.cells() for breakdown in breakdowns]
    for column in columns:
        atom_bases, atom_counts = atoms.count_column(column)
        bases: dict[Cell, int] = {TOTAL: int(atom_bases.sum())}
        counts: dict[Cell, np.ndarray] = {TOTAL: atom_counts.sum(axis=0)}
        for b, cells in enumerate(cells_of):
            group_bases, group_counts = atoms.by_group(b, atom_bases, atom_counts)
            for g, cell in enumerate(cells):
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
        held = {cell: previous[(cell.table, cell.group, column.name)].base for cell in stale}
        earlier = tuple(history.get(column.name, ()))
        # Measures with the same bases and the same past (an indicator and its one question) are
        # decided once.
        signature = (
            tuple(sorted(bases.items())),
            tuple(sorted(held.items())),
            tuple(sorted(still_withheld)),
            tuple(publication.signature() for publication in earlier),
        )
        if signature not in decided:
            decided[signature] = suppress(
                bases,
                relations,
                min_cell,
                stale,
                still_withheld,
                history=History(earlier, {cell: int(value) for cell, value in held.items() if value is not None}),
                cost=(lambda cell, bases=bases: cost(cell, bases[cell])) if cost is not None else None,
                keep=keep,
                reason_scopes=reason_scopes,
            )
        withheld = decided[signature]
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
                # Counted by what it is, whether or not its reason is published.
                tally["primary" if base < min_cell else "complementary"] += 1
                continue
            before = previous.get((cell.table, cell.group, column.name))
            if cell in stale and before is not None:
                published.append(
                    PublishedCell(cell.table, cell.group, column.name, before.base, before.counts, None, True)
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
