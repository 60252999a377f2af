"""k-anonymous microdata by global full-domain recoding with record suppression.

Every quasi-identifier has a generalisation hierarchy (level 0 = the raw answer, the top level =
"*", i.e. the column withheld). A *node* of the generalisation lattice picks one level per
quasi-identifier and recodes the whole column to that level: global recoding, never local
recoding (different levels for different records of one attribute), which published attacks have
exploited to re-identify records.

A node is *acceptable* when, after withholding every record that sits in an unsafe equivalence
class, at most `max_suppression` of the records are withheld. A class is unsafe when it has fewer
than k members, or (one-sided l-diversity, for each declared boolean sensitive column) when every
one of its members has the sensitive value true: publishing it would tell anyone who can place a
person in the class that this person, e.g., reported the experience.

Acceptability is monotone: a record in a safe class stays in a safe class at any coarser node
(classes only merge; a merged class is at least as large and keeps its member with the value
false). So the acceptable nodes form an up-set of the lattice, which the search exploits.

Information loss (lower is better), in this order:
1. weighted height: sum over attributes of weight * level / top level. It depends on the node only,
   so a caller keeps one attribute (ethnicity) as fine as possible by giving it a weight above its
   top level times the sum of the other weights (one step of it then costs more than withholding
   every other attribute, so the ethnicity level is minimised first);
2. discernibility: sum of squared kept class sizes + n * records withheld;
3. the levels themselves, lexicographically, so the choice is deterministic.

Search (exact for this loss): every node starts *unknown*. Repeatedly take the unknown node of least
weighted height that could still beat the best acceptable node found so far, build a chain from it
to the top (one attribute up at a time, the least generalised one first, so the chain runs through
the middle of the lattice where tags reach far), and binary-search the chain for its first
acceptable node. Each evaluated node tags, by monotonicity, all nodes above it acceptable or all
nodes below it unacceptable, and only unknown nodes are evaluated. When no unknown node of low
enough loss remains, the best is known; tied nodes are compared by discernibility.

A node is evaluated on the distinct quasi-identifier rows (weighted by their counts) rather than on
the records: per-level codes are looked up once, the node's class key is a mixed-radix int64, and
class sizes come from np.unique + np.bincount (or from np.bincount alone when the key space is small).

Missing answers (code `MISSING`) are a value of their own that generalises only to itself at every
level below the top, where it becomes "*" like everything else: "not answered" is itself
information about a person, and merging it into a real group would misstate that group.
"""

from __future__ import annotations

import json
import math
import time
from collections import Counter
from collections.abc import Hashable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np

MISSING = -1
"""Code of a quasi-identifier that was not answered, in the records given to `k_anonymise`."""

SUPPRESSED_LABEL = "*"
MAX_LATTICE_NODES = 2_000_000
_UNKNOWN, _ACCEPTABLE, _UNACCEPTABLE = 0, 1, 2
_MAX_KEY_SPACE = 1 << 62


class NotAnonymisableError(ValueError):
    """Not even withholding every quasi-identifier gives an acceptable release."""


@dataclass(frozen=True, eq=False)
class GeneralisationHierarchy:
    """One quasi-identifier's hierarchy: level_maps[L][raw index] = label index at level L.

    Level 0 is the raw value (the identity map); the top level has the single label "*". Each level
    must be a coarsening of the one below (a label determines its label one level up). level_names
    optionally names the levels for reports (e.g. "ethnic_heading"), one name per level.
    """

    name: str
    level_maps: tuple[np.ndarray, ...]
    level_labels: tuple[tuple[str, ...], ...]
    missing_label: str = "Not answered"
    level_names: tuple[str, ...] = ()

    def __post_init__(self) -> None:
        raw_count = len(self.level_labels[0]) if self.level_labels else 0
        if len(self.level_maps) < 2 or len(self.level_maps) != len(self.level_labels) or raw_count == 0:
            raise ValueError(f"hierarchy {self.name!r} needs a raw level and a top level, with labels for each")
        if len(self.level_maps) > 127:
            raise ValueError(f"hierarchy {self.name!r} has more than 126 levels")
        for level, (mapping, labels) in enumerate(zip(self.level_maps, self.level_labels)):
            if mapping.shape != (raw_count,) or not np.issubdtype(mapping.dtype, np.integer):
                raise ValueError(f"hierarchy {self.name!r} level {level}: needs one integer label per raw value")
            if raw_count and (mapping.min() < 0 or mapping.max() >= len(labels)):
                raise ValueError(f"hierarchy {self.name!r} level {level}: label index out of range")
        if self.level_names and len(self.level_names) != len(self.level_maps):
            raise ValueError(f"hierarchy {self.name!r}: level_names needs one name per level")
        if not np.array_equal(self.level_maps[0], np.arange(raw_count)):
            raise ValueError(f"hierarchy {self.name!r}: level 0 must be the raw values themselves")
        if len(self.level_labels[-1]) != 1:
            raise ValueError(f"hierarchy {self.name!r}: the top level must map everything to one value")
        for level in range(self.height):
            # Without this, "coarser" would not be a partial order and the search's pruning would be wrong.
            pairs = np.unique(np.stack([self.level_maps[level], self.level_maps[level + 1]]), axis=1)
            if len(np.unique(pairs[0])) != pairs.shape[1]:
                raise ValueError(f"hierarchy {self.name!r}: level {level + 1} splits a group of level {level}")

    @property
    def height(self) -> int:
        """Index of the top level ("*")."""
        return len(self.level_maps) - 1

    @property
    def raw_count(self) -> int:
        return len(self.level_labels[0])

    def level_name(self, level: int) -> str:
        if self.level_names:
            return self.level_names[level]
        return "raw" if level == 0 else SUPPRESSED_LABEL if level == self.height else f"level {level}"

    @classmethod
    def from_generalisation_rows(
        cls,
        name: str,
        rows: Sequence[Sequence[str]],
        missing_label: str = "Not answered",
        level_names: Sequence[str] | None = None,
    ) -> GeneralisationHierarchy:
        """From rows of `raw value, level 1 label, level 2 label, ...` (ARX's hierarchy CSV layout).

        A top level "*" is added when the last column still has more than one value. level_names,
        when given, names the levels above the raw one that the rows hold ("raw" and "*" are added).
        """
        table = [tuple(str(cell) for cell in row) for row in rows]
        if not table or any(len(row) != len(table[0]) for row in table):
            raise ValueError(f"hierarchy {name!r}: rows must be non-empty and of equal length")
        if len({row[0] for row in table}) != len(table):
            raise ValueError(f"hierarchy {name!r}: a raw value appears twice")
        columns = list(zip(*table))
        if len(set(columns[-1])) > 1 or len(columns) == 1:
            columns.append(tuple(SUPPRESSED_LABEL for _ in table))
        names: tuple[str, ...] = ()
        if level_names is not None:
            if len(level_names) != len(table[0]) - 1:
                raise ValueError(f"hierarchy {name!r}: level_names needs one name per generalised column")
            names = ("raw", *level_names, SUPPRESSED_LABEL)[: len(columns)]
        maps, labels = [], []
        for column in columns:
            index: dict[str, int] = {}
            maps.append(np.array([index.setdefault(value, len(index)) for value in column], dtype=np.int64))
            labels.append(tuple(index))
        return cls(name, tuple(maps), tuple(labels), missing_label, names)

    @classmethod
    def from_code_labels(
        cls,
        name: str,
        codes: Mapping[int, Sequence[str]],
        missing_label: str = "Not answered",
        level_names: Sequence[str] | None = None,
    ) -> GeneralisationHierarchy:
        """From option codes with their labels one level up, two up, ... (the instruments' layout)."""
        rows = [(str(code), *labels) for code, labels in sorted(codes.items())]
        return cls.from_generalisation_rows(name, rows, missing_label, level_names)

    def encode(self, values: Iterable[Hashable]) -> np.ndarray:
        """Raw values (compared as text) to raw indices; None and "" become MISSING."""
        index = {label: position for position, label in enumerate(self.level_labels[0])}
        codes = []
        for value in values:
            if value is None or value == "":
                codes.append(MISSING)
            elif str(value) in index:
                codes.append(index[str(value)])
            else:
                raise ValueError(f"hierarchy {self.name!r} has no raw value {value!r}")
        return np.array(codes, dtype=np.int64)

    def lookup(self, level: int) -> np.ndarray:
        """Label index at `level` for raw index 0..raw_count-1 and, at position raw_count, for MISSING."""
        missing = len(self.level_labels[level]) if level < self.height else 0
        return np.append(self.level_maps[level], missing)

    def labels(self, level: int) -> tuple[str, ...]:
        """Label text for each index that `lookup(level)` can give."""
        if level < self.height:
            return (*self.level_labels[level], self.missing_label)
        return self.level_labels[level]


@dataclass(frozen=True, eq=False)
class KAnonymityResult:
    """A release: generalised records of the kept rows, which rows were withheld, and its figures."""

    attributes: tuple[str, ...]
    levels: dict[str, int]
    level_names: dict[str, str]  # attribute -> name of its chosen level
    generalised: np.ndarray  # (kept, q) label indices at the chosen levels, see column_labels
    column_labels: tuple[tuple[str, ...], ...]
    kept_indices: np.ndarray
    suppressed_indices: np.ndarray
    k: int
    k_achieved: int  # smallest kept class
    l_diverse: bool  # no kept class has every member true in a sensitive column
    information_loss: float  # weighted height
    discernibility: int
    classes: int
    average_class_size: float  # C_avg = (kept / classes) / k
    max_risk: float  # prosecutor risk 1 / class size, highest over kept records
    mean_risk: float  # and its mean over kept records
    nodes_evaluated: int
    lattice_size: int
    runtime_seconds: float

    @property
    def suppressed(self) -> int:
        return len(self.suppressed_indices)

    def labelled_records(self) -> list[tuple[str, ...]]:
        """The kept records as label text, in the order of kept_indices."""
        columns = [np.array(labels, dtype=object)[self.generalised[:, c]] for c, labels in enumerate(self.column_labels)]
        return list(zip(*columns)) if columns else []


def _mixed_radix_keys(columns: Sequence[np.ndarray], radices: Sequence[int], length: int) -> tuple[np.ndarray, int]:
    """One int64 key per row that is equal exactly when all columns are; and the key space size.

    When the product of radices would overflow int64, the key so far is renumbered densely first.
    """
    keys = np.zeros(length, dtype=np.int64)
    space = 1
    for column, radix in zip(columns, radices):
        if radix == 1:
            continue  # a withheld column ("*") does not split anything
        if space * radix > _MAX_KEY_SPACE:
            uniques, keys = np.unique(keys, return_inverse=True)
            space = len(uniques)
        keys = keys * radix + column
        space *= radix
    return keys, space


@dataclass(frozen=True)
class _Classes:
    distinct_to_class: np.ndarray
    sizes: np.ndarray
    unsafe: np.ndarray  # per class: withheld (too small, or every member sensitive)


class _ClassCounter:
    """Equivalence classes of any node, computed on the distinct quasi-identifier rows."""

    def __init__(
        self, records: np.ndarray, hierarchies: Sequence[GeneralisationHierarchy], sensitive: np.ndarray, k: int
    ) -> None:
        n = records.shape[0]
        self.k = k
        self.n = n
        # MISSING moves to raw_count so that it indexes the last entry of every lookup.
        self.shifted = np.where(records == MISSING, np.array([h.raw_count for h in hierarchies]), records)
        raw_keys, _ = _mixed_radix_keys(list(self.shifted.T), [h.raw_count + 1 for h in hierarchies], n)
        _, first, self.record_to_distinct, counts = np.unique(
            raw_keys, return_index=True, return_inverse=True, return_counts=True
        )
        self.distinct = len(first)
        self.counts = counts.astype(np.float64)  # bincount weights are float64 anyway; exact below 2**53
        self.true_counts = [
            np.bincount(self.record_to_distinct, weights=sensitive[:, s].astype(np.float64), minlength=self.distinct)
            for s in range(sensitive.shape[1])
        ]
        distinct_rows = self.shifted[first]
        self.codes = [
            [h.lookup(level)[distinct_rows[:, c]] for level in range(h.height + 1)] for c, h in enumerate(hierarchies)
        ]
        self.radices = [[len(h.labels(level)) for level in range(h.height + 1)] for h in hierarchies]

    def _keys(self, node: Sequence[int]) -> tuple[np.ndarray, int]:
        columns = [self.codes[c][level] for c, level in enumerate(node)]
        radices = [self.radices[c][level] for c, level in enumerate(node)]
        return _mixed_radix_keys(columns, radices, self.distinct)

    def _unsafe(self, class_of: np.ndarray, sizes: np.ndarray, space: int) -> np.ndarray:
        unsafe = sizes < self.k
        for true_counts in self.true_counts:
            unsafe |= np.bincount(class_of, weights=true_counts, minlength=space) == sizes
        return unsafe

    def outcome(self, node: Sequence[int]) -> tuple[int, int]:
        """(records withheld, discernibility) at this node."""
        keys, space = self._keys(node)
        if space <= 4 * self.distinct + 4096:
            # Small key space: the keys index the classes directly, no sort needed (empty slots have
            # size 0, are "unsafe" but withhold nobody).
            class_of = keys
        else:
            _, class_of = np.unique(keys, return_inverse=True)
            space = int(class_of.max()) + 1
        sizes = np.bincount(class_of, weights=self.counts, minlength=space)
        unsafe = self._unsafe(class_of, sizes, space)
        suppressed = int(sizes[unsafe].sum())
        kept = sizes[~unsafe]
        return suppressed, int(np.dot(kept, kept)) + self.n * suppressed

    def classes(self, node: Sequence[int]) -> _Classes:
        keys, _ = self._keys(node)
        _, class_of = np.unique(keys, return_inverse=True)
        space = int(class_of.max()) + 1
        sizes = np.bincount(class_of, weights=self.counts, minlength=space)
        return _Classes(class_of, sizes.astype(np.int64), self._unsafe(class_of, sizes, space))


class _Lattice:
    """All nodes at or above `lower`, their weighted height and what is known of their acceptability."""

    def __init__(self, lower: Sequence[int], heights: Sequence[int], weights: np.ndarray) -> None:
        self.lower = np.array(lower, dtype=np.int64)
        self.heights = np.array(heights, dtype=np.int64)
        spans = self.heights - self.lower + 1
        size = math.prod(int(s) for s in spans)
        if size > MAX_LATTICE_NODES:
            raise ValueError(f"the generalisation lattice has {size} nodes (limit {MAX_LATTICE_NODES}): raise min_levels")
        grids = np.meshgrid(*[np.arange(lo, h + 1) for lo, h in zip(lower, heights)], indexing="ij")
        self.nodes = np.stack([grid.ravel() for grid in grids], axis=1).astype(np.int8).reshape(size, len(lower))
        self.strides = np.array([math.prod(int(s) for s in spans[c + 1 :]) for c in range(len(spans))], dtype=np.int64)
        self.step_loss = weights / self.heights
        self.loss = self.nodes.astype(np.float64) @ self.step_loss
        self.state = np.full(size, _UNKNOWN, dtype=np.int8)

    def index(self, node: Sequence[int]) -> int:
        return int(np.dot(np.asarray(node) - self.lower, self.strides))

    def tag(self, i: int, acceptable: bool) -> None:
        node = self.nodes[i]
        if acceptable:
            self.state[np.all(self.nodes >= node, axis=1)] = _ACCEPTABLE
        else:
            self.state[np.all(self.nodes <= node, axis=1)] = _UNACCEPTABLE

    def chain_from(self, i: int) -> list[int]:
        """Node i, then one attribute up at a time to the top: least generalised (relative) first."""
        node = [int(level) for level in self.nodes[i]]
        chain = [i]
        heights = [int(h) for h in self.heights]
        while True:
            open_attributes = [c for c in range(len(node)) if node[c] < heights[c]]
            if not open_attributes:
                return chain
            c = min(open_attributes, key=lambda a: (node[a] / heights[a], self.step_loss[a], a))
            node[c] += 1
            chain.append(self.index(node))


def _least_loss_node(
    lattice: _Lattice, counter: _ClassCounter, budget: int, tolerance: float
) -> tuple[int | None, int]:
    """Index of the acceptable node of least (weighted height, discernibility, levels); nodes evaluated."""
    outcomes: dict[int, tuple[int, int]] = {}
    best = math.inf

    def evaluate(i: int) -> tuple[int, int]:
        if i not in outcomes:
            outcomes[i] = counter.outcome(lattice.nodes[i])
        return outcomes[i]

    def classify(i: int) -> None:
        nonlocal best
        acceptable = evaluate(i)[0] <= budget
        lattice.tag(i, acceptable)
        if acceptable:
            best = min(best, float(lattice.loss[i]))

    while True:
        # Only nodes that could still beat (or tie) the best acceptable node matter.
        open_nodes = np.flatnonzero((lattice.state == _UNKNOWN) & (lattice.loss <= best + tolerance))
        if not len(open_nodes):
            break
        start = int(open_nodes[np.argmin(lattice.loss[open_nodes])])
        chain = lattice.chain_from(start)
        below, above = 0, len(chain)  # chain[:below] unacceptable, chain[above:] acceptable
        while below < above:
            middle = (below + above) // 2
            if lattice.state[chain[middle]] == _UNKNOWN:
                classify(chain[middle])
            if lattice.state[chain[middle]] == _ACCEPTABLE:
                above = middle
            else:
                below = middle + 1
        if lattice.state[start] == _UNKNOWN:
            # Cannot happen while acceptability is monotone; guarantees progress all the same.
            classify(start)

    if math.isinf(best):
        return None, len(outcomes)
    tied = np.flatnonzero((lattice.state == _ACCEPTABLE) & (np.abs(lattice.loss - best) <= tolerance))
    chosen = min((int(i) for i in tied), key=lambda i: (evaluate(i)[1], tuple(int(v) for v in lattice.nodes[i])))
    return chosen, len(outcomes)


def _per_attribute(
    value: Sequence[float] | Mapping[str, float] | None, names: Sequence[str], default: float, what: str
) -> list[float]:
    if value is None:
        return [default] * len(names)
    if isinstance(value, Mapping):
        unknown = set(value) - set(names)
        if unknown:
            raise ValueError(f"{what} names unknown attributes {sorted(unknown)}")
        return [float(value.get(name, default)) for name in names]
    if len(value) != len(names):
        raise ValueError(f"{what} needs one value per quasi-identifier")
    return [float(v) for v in value]


def k_anonymise(
    records: np.ndarray,
    hierarchies: Sequence[GeneralisationHierarchy],
    k: int = 11,
    *,
    sensitive: np.ndarray | None = None,
    max_suppression: float = 0.02,
    weights: Sequence[float] | Mapping[str, float] | None = None,
    min_levels: Sequence[int] | Mapping[str, int] | None = None,
) -> KAnonymityResult:
    """The least-loss k-anonymous (and one-sided l-diverse) global recoding of `records`.

    records: (n, q) raw indices into each hierarchy's level 0, MISSING where not answered.
    sensitive: (n, s) booleans; no published class may have every member true in a column (the
        caller decides what "not answered" counts as; False is "did not report").
    max_suppression: share of records that may be withheld (whole records, from unsafe classes).
    weights: per attribute (default 1), multiplies its level / top level in the loss; must be >= 0.
    min_levels: per attribute, the lowest level allowed (the previous release's levels in a wave).
    Raises NotAnonymisableError when no node is acceptable (e.g. fewer than k records).
    """
    started = time.perf_counter()
    records = np.asarray(records)
    names = tuple(h.name for h in hierarchies)
    if records.ndim != 2 or records.shape[1] != len(hierarchies) or not hierarchies:
        raise ValueError("records must be an (n, q) array with one hierarchy per column")
    if not np.issubdtype(records.dtype, np.integer):
        raise ValueError("records must hold integer codes")
    for c, hierarchy in enumerate(hierarchies):
        column = records[:, c]
        if column.size and (column.min() < MISSING or column.max() >= hierarchy.raw_count):
            raise ValueError(f"column {hierarchy.name!r} has codes outside its hierarchy")
    if k < 1:
        raise ValueError("k must be at least 1")
    if not 0 <= max_suppression < 1:
        raise ValueError("max_suppression must be in [0, 1)")
    n = records.shape[0]
    flags = np.zeros((n, 0), dtype=bool) if sensitive is None else np.asarray(sensitive, dtype=bool)
    if flags.ndim == 1:
        flags = flags[:, None]
    if flags.shape[0] != n:
        raise ValueError("sensitive needs one row per record")
    weight_values = np.array(_per_attribute(weights, names, 1.0, "weights"))
    if not np.all(np.isfinite(weight_values)) or np.any(weight_values < 0):
        raise ValueError("weights must be finite and non-negative")
    lower = [int(level) for level in _per_attribute(min_levels, names, 0, "min_levels")]
    if any(not 0 <= level <= h.height for level, h in zip(lower, hierarchies)):
        raise ValueError("min_levels must lie between 0 and each hierarchy's top level")
    if n == 0:
        raise NotAnonymisableError("there are no records")

    budget = math.floor(max_suppression * n + 1e-9)
    counter = _ClassCounter(records, hierarchies, flags, k)
    lattice = _Lattice(lower, [h.height for h in hierarchies], weight_values)
    tolerance = 1e-9 * (1.0 + float(weight_values.sum()))
    chosen, nodes_evaluated = _least_loss_node(lattice, counter, budget, tolerance)
    if chosen is None:
        raise NotAnonymisableError(
            f"no generalisation gives {k}-anonymity within {budget} withheld records of {n}"
        )
    node = [int(level) for level in lattice.nodes[chosen]]

    classes = counter.classes(node)
    record_class = classes.distinct_to_class[counter.record_to_distinct]
    withheld = classes.unsafe[record_class]
    kept_indices = np.flatnonzero(~withheld)
    suppressed_indices = np.flatnonzero(withheld)
    generalised = np.stack(
        [h.lookup(level)[counter.shifted[kept_indices, c]] for c, (h, level) in enumerate(zip(hierarchies, node))],
        axis=1,
    )
    kept_sizes = classes.sizes[~classes.unsafe & (classes.sizes > 0)]
    kept = int(kept_sizes.sum())
    l_diverse = all(
        np.all(np.bincount(record_class[kept_indices], weights=flags[kept_indices, s], minlength=len(classes.sizes))
               [~classes.unsafe] < classes.sizes[~classes.unsafe])
        for s in range(flags.shape[1])
    )
    return KAnonymityResult(
        attributes=names,
        levels=dict(zip(names, node)),
        level_names={h.name: h.level_name(level) for h, level in zip(hierarchies, node)},
        generalised=generalised,
        column_labels=tuple(h.labels(level) for h, level in zip(hierarchies, node)),
        kept_indices=kept_indices,
        suppressed_indices=suppressed_indices,
        k=k,
        k_achieved=int(kept_sizes.min()),
        l_diverse=bool(l_diverse),
        information_loss=float(lattice.loss[chosen]),
        discernibility=int(np.dot(kept_sizes, kept_sizes)) + n * len(suppressed_indices),
        classes=len(kept_sizes),
        average_class_size=kept / len(kept_sizes) / k,
        max_risk=1.0 / float(kept_sizes.min()),
        mean_risk=len(kept_sizes) / kept,  # each class contributes size * (1 / size)
        nodes_evaluated=nodes_evaluated,
        lattice_size=len(lattice.nodes),
        runtime_seconds=time.perf_counter() - started,
    )


@dataclass(frozen=True)
class AnonymityCheck:
    """What `check_k_anonymity` found; `ok` when every class has k members and none is all-sensitive."""

    k: int
    classes: int
    smallest_class: int
    classes_below_k: int
    classes_all_sensitive: int

    @property
    def ok(self) -> bool:
        return self.classes_below_k == 0 and self.classes_all_sensitive == 0


def check_k_anonymity(
    rows: Iterable[Sequence[Hashable]], k: int, sensitive: Iterable[Sequence[bool]] | None = None
) -> AnonymityCheck:
    """Independent check of published rows, deliberately naive: count identical rows with a Counter.

    sensitive: per row, one boolean per sensitive column; a class fails when all its members are true.
    """
    published = [tuple(row) for row in rows]
    sizes = Counter(published)
    all_sensitive: set[tuple[Hashable, ...]] = set()
    if sensitive is not None:
        flags = [tuple(bool(flag) for flag in row) for row in sensitive]
        if len(flags) != len(published):
            raise ValueError("sensitive needs one entry per row")
        for column in range(len(flags[0]) if flags else 0):
            true_counts = Counter(row for row, row_flags in zip(published, flags) if row_flags[column])
            all_sensitive |= {row for row, count in true_counts.items() if count == sizes[row]}
    return AnonymityCheck(
        k=k,
        classes=len(sizes),
        smallest_class=min(sizes.values(), default=0),
        classes_below_k=sum(1 for size in sizes.values() if size < k),
        classes_all_sensitive=len(all_sensitive),
    )


def k_anonymous_attributes(
    records: Sequence[dict[str, Any]],
    identifying: Iterable[str],
    k: int,
    keep: Sequence[bool] | None = None,
) -> None:
    """Within one group of records (a testimony batch, a drop of concerns), drop identifying
    attributes, in place, until every record's combination of them is shared by at least k records.

    Local suppression, the rarest value first: a record that is alone (or among fewer than k) with
    its combination loses the attribute whose value fewest records share, then the next, until its
    combination is common enough or empty. `keep[i]` True: record i keeps every attribute (its author
    chose to show them); it still counts towards the others' combinations.
    """
    names = set(identifying)
    fixed = list(keep) if keep is not None else [False] * len(records)

    def combo(record: dict[str, Any]) -> tuple[tuple[str, str], ...]:
        return tuple(sorted((key, json.dumps(value, sort_keys=True)) for key, value in record.items() if key in names))

    while True:
        combos = Counter(combo(record) for record in records)
        small = [
            record for record, kept in zip(records, fixed) if not kept and combo(record) and combos[combo(record)] < k
        ]
        if not small:
            return
        for record in small:
            present = [key for key in record if key in names]
            rarest = min(present, key=lambda key: (sum(1 for r in records if r.get(key) == record[key]), key))
            del record[rarest]
