"""k-anonymous microdata: hand-made cases, a brute-force comparison over whole tiny lattices, and Adult."""

from __future__ import annotations

import csv
import itertools
import math
from collections import Counter
from collections.abc import Sequence
from pathlib import Path

import numpy as np
import pytest
from hypothesis import HealthCheck, event, given, settings
from hypothesis import strategies as st

from analysis.kanonymity import (
    MISSING,
    GeneralisationHierarchy,
    NotAnonymisableError,
    check_k_anonymity,
    k_anonymise,
)

ADULT = Path(__file__).resolve().parents[2].parent / "shared" / "data" / "adult"

AGE = GeneralisationHierarchy.from_generalisation_rows(
    "age", [("20", "20-29"), ("25", "20-29"), ("30", "30-39"), ("35", "30-39")]
)
SEX = GeneralisationHierarchy.from_generalisation_rows("sex", [("M",), ("F",)])
ETHNICITY = GeneralisationHierarchy.from_code_labels(
    "ethnicity",
    {1: ("White", "White"), 2: ("White", "White"), 9: ("Asian", "BME"), 10: ("Asian", "BME"), 14: ("Black", "BME")},
)


def encode(rows: Sequence[Sequence[object]], hierarchies: Sequence[GeneralisationHierarchy]) -> np.ndarray:
    return np.stack([h.encode(row[c] for row in rows) for c, h in enumerate(hierarchies)], axis=1)


# --- the independent checker itself


def test_checker_counts_small_and_all_sensitive_classes() -> None:
    rows = [("a", "x"), ("a", "x"), ("b", "x")]
    assert not check_k_anonymity(rows, 2).ok
    assert check_k_anonymity(rows[:2], 2).ok
    everyone_reported = check_k_anonymity(rows[:2], 2, sensitive=[(True,), (True,)])
    assert not everyone_reported.ok and everyone_reported.classes_all_sensitive == 1
    assert check_k_anonymity(rows[:2], 2, sensitive=[(True,), (False,)]).ok


# --- hierarchies


def test_hierarchy_levels_and_missing_labels() -> None:
    assert AGE.height == 2 and SEX.height == 1 and ETHNICITY.height == 3
    assert AGE.labels(1) == ("20-29", "30-39", "Not answered")
    assert AGE.labels(2) == ("*",)
    assert list(ETHNICITY.encode([14, "1", None, ""])) == [4, 0, MISSING, MISSING]
    with pytest.raises(ValueError, match="no raw value"):
        ETHNICITY.encode([3])


def test_hierarchy_that_splits_a_group_is_rejected() -> None:
    with pytest.raises(ValueError, match="splits a group"):
        GeneralisationHierarchy.from_generalisation_rows("bad", [("a", "g1", "h1"), ("b", "g1", "h2")])


# --- hand-made cases with a known answer


def test_known_optimal_node() -> None:
    rows = [("20", "M"), ("25", "M"), ("30", "F"), ("35", "F")]
    result = k_anonymise(encode(rows, [AGE, SEX]), [AGE, SEX], k=2, max_suppression=0)
    # Raw ages are unique; bands keep sex, and withholding sex alone leaves every age unique.
    assert result.levels == {"age": 1, "sex": 0}
    assert result.labelled_records() == [("20-29", "M"), ("20-29", "M"), ("30-39", "F"), ("30-39", "F")]
    assert result.information_loss == pytest.approx(0.5)
    assert (result.k_achieved, result.classes, result.discernibility) == (2, 2, 8)
    assert result.average_class_size == pytest.approx(1.0)
    assert (result.max_risk, result.mean_risk) == (0.5, 0.5)
    assert result.suppressed == 0 and result.l_diverse


def test_weights_decide_between_equally_coarse_nodes() -> None:
    rows = [("20", "M"), ("20", "F"), ("30", "M"), ("30", "F")]
    records = encode(rows, [AGE, SEX])
    # (age raw, sex withheld) and (age withheld, sex raw) both cost 1.0 and have equal discernibility:
    # the tie goes to the lexicographically smaller levels; a weight moves the choice.
    assert k_anonymise(records, [AGE, SEX], k=2, max_suppression=0).levels == {"age": 0, "sex": 1}
    assert k_anonymise(records, [AGE, SEX], k=2, max_suppression=0, weights={"sex": 3}).levels == {"age": 2, "sex": 0}


def test_suppression_budget_withholds_the_outlier_only_when_allowed() -> None:
    rows = [("20", "M")] * 5 + [("30", "F")] * 5 + [("35", "M")]
    records = encode(rows, [AGE, SEX])
    within = k_anonymise(records, [AGE, SEX], k=5, max_suppression=0.1)
    assert within.levels == {"age": 0, "sex": 0}
    assert list(within.suppressed_indices) == [10] and list(within.kept_indices) == list(range(10))
    assert within.discernibility == 25 + 25 + 11 * 1
    strict = k_anonymise(records, [AGE, SEX], k=5, max_suppression=0.05)  # floor(0.55) = 0 records
    assert strict.suppressed == 0
    assert strict.levels != {"age": 0, "sex": 0}
    assert check_k_anonymity(strict.labelled_records(), 5).ok


def test_min_levels_are_never_undercut() -> None:
    rows = [("20", "M"), ("25", "M"), ("30", "F"), ("35", "F")]
    records = encode(rows, [AGE, SEX])
    result = k_anonymise(records, [AGE, SEX], k=2, max_suppression=0, min_levels={"sex": 1})
    # Unconstrained the answer is (age 1, sex 0); sex withheld in the previous release stays withheld.
    assert result.levels == {"age": 1, "sex": 1}
    assert check_k_anonymity(result.labelled_records(), 2).ok


def test_class_where_everyone_reported_is_never_published() -> None:
    rows = [("20", "M")] * 4 + [("30", "F")] * 4
    reported = np.array([True] * 4 + [True, False, False, False])
    records = encode(rows, [AGE, SEX])
    plain = k_anonymise(records, [AGE, SEX], k=3, max_suppression=0)
    assert plain.levels == {"age": 0, "sex": 0}
    diverse = k_anonymise(records, [AGE, SEX], k=3, max_suppression=0, sensitive=reported)
    assert diverse.l_diverse
    # Every coarser node keeps the four who all reported together, until everything is one class.
    assert diverse.levels == {"age": 2, "sex": 1}
    flags = [(bool(reported[i]),) for i in diverse.kept_indices]
    assert check_k_anonymity(diverse.labelled_records(), 3, sensitive=flags).ok
    # With room to withhold them, the four who all reported are withheld instead of generalising.
    withheld = k_anonymise(records, [AGE, SEX], k=3, max_suppression=0.5, sensitive=reported)
    assert withheld.levels == {"age": 0, "sex": 0} and list(withheld.suppressed_indices) == [0, 1, 2, 3]


def test_missing_is_its_own_value_below_the_top() -> None:
    rows = [(1, "M"), (2, "M"), (None, "M"), (None, "M"), (9, "F"), (10, "F")]
    records = encode(rows, [ETHNICITY, SEX])
    result = k_anonymise(records, [ETHNICITY, SEX], k=2, max_suppression=0, weights={"ethnicity": 10})
    assert result.levels == {"ethnicity": 1, "sex": 0}
    assert result.labelled_records() == [
        ("White", "M"), ("White", "M"), ("Not answered", "M"), ("Not answered", "M"), ("Asian", "F"), ("Asian", "F")
    ]


def test_too_few_records_cannot_be_anonymised() -> None:
    with pytest.raises(NotAnonymisableError):
        k_anonymise(encode([("20", "M")] * 4, [AGE, SEX]), [AGE, SEX], k=5)
    with pytest.raises(NotAnonymisableError):  # even "*" for all is one class where everyone reported
        k_anonymise(encode([("20", "M")] * 5, [AGE, SEX]), [AGE, SEX], k=5, sensitive=np.ones(5, dtype=bool))


def test_heavy_weight_keeps_ethnicity_as_fine_as_any_acceptable_node_allows() -> None:
    rng = np.random.default_rng(7)
    hierarchies = [ETHNICITY, AGE, SEX]
    records = np.stack([rng.integers(0, h.raw_count, 60) for h in hierarchies], axis=1)
    result = k_anonymise(records, hierarchies, k=4, weights={"ethnicity": 100})
    finest = min(
        node[0]
        for node in itertools.product(*(range(h.height + 1) for h in hierarchies))
        if brute_force_outcome(records, hierarchies, node, 4, None)[0] <= math.floor(0.02 * 60)
    )
    assert result.levels["ethnicity"] == finest


# --- brute force over a whole (tiny) lattice, written apart from the search


def generalise(hierarchy: GeneralisationHierarchy, code: int, level: int) -> str:
    if code == MISSING:
        return hierarchy.missing_label if level < hierarchy.height else "*"
    return hierarchy.level_labels[level][int(hierarchy.level_maps[level][code])]


def brute_force_outcome(
    records: np.ndarray,
    hierarchies: Sequence[GeneralisationHierarchy],
    node: Sequence[int],
    k: int,
    sensitive: np.ndarray | None,
) -> tuple[int, int]:
    """(records withheld, discernibility) at one node, with plain Python counting."""
    rows = [tuple(generalise(h, int(code), level) for h, code, level in zip(hierarchies, row, node)) for row in records]
    sizes = Counter(rows)
    unsafe = {row for row, size in sizes.items() if size < k}
    if sensitive is not None:
        for column in range(sensitive.shape[1]):
            reported = Counter(row for row, flag in zip(rows, sensitive[:, column]) if flag)
            unsafe |= {row for row, count in reported.items() if count == sizes[row]}
    withheld = sum(sizes[row] for row in unsafe)
    return withheld, sum(size * size for row, size in sizes.items() if row not in unsafe) + len(rows) * withheld


@st.composite
def hierarchies_strategy(draw: st.DrawFn, name: str) -> GeneralisationHierarchy:
    raw_count = draw(st.integers(1, 5))
    height = draw(st.integers(1, 3))
    maps = [np.arange(raw_count)]
    for level in range(1, height):
        groups_below = int(maps[-1].max()) + 1
        merge = draw(st.lists(st.integers(0, groups_below - 1), min_size=groups_below, max_size=groups_below))
        _, dense = np.unique(merge, return_inverse=True)  # merge groups; renumber densely
        maps.append(dense[maps[-1]])
    maps.append(np.zeros(raw_count, dtype=np.int64))
    labels = [tuple(f"{name}{level}.{g}" for g in range(int(m.max()) + 1)) for level, m in enumerate(maps)]
    labels[-1] = ("*",)
    return GeneralisationHierarchy(name, tuple(np.asarray(m, dtype=np.int64) for m in maps), tuple(labels))


@st.composite
def populations(draw: st.DrawFn) -> dict[str, object]:
    q = draw(st.integers(1, 3))
    hierarchies = [draw(hierarchies_strategy(f"a{c}")) for c in range(q)]
    n = draw(st.integers(1, 40))
    records = np.array(
        [[draw(st.integers(MISSING, h.raw_count - 1)) for h in hierarchies] for _ in range(n)], dtype=np.int64
    ).reshape(n, q)
    columns = draw(st.integers(0, 2))
    sensitive = np.array([[draw(st.booleans()) for _ in range(columns)] for _ in range(n)], dtype=bool).reshape(n, columns)
    return {
        "records": records,
        "hierarchies": hierarchies,
        "k": draw(st.integers(1, 5)),
        "sensitive": sensitive if columns else None,
        "max_suppression": draw(st.sampled_from([0.0, 0.02, 0.1, 0.3, 0.5])),
        "weights": [draw(st.sampled_from([0.0, 0.5, 1.0, 2.0, 3.0])) for _ in range(q)],
        "min_levels": [draw(st.integers(0, h.height)) for h in hierarchies],
    }


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(populations())
def test_release_is_anonymous_and_optimal_against_brute_force(case: dict[str, object]) -> None:
    records: np.ndarray = case["records"]  # type: ignore[assignment]
    hierarchies: list[GeneralisationHierarchy] = case["hierarchies"]  # type: ignore[assignment]
    k: int = case["k"]  # type: ignore[assignment]
    sensitive: np.ndarray | None = case["sensitive"]  # type: ignore[assignment]
    weights: list[float] = case["weights"]  # type: ignore[assignment]
    min_levels: list[int] = case["min_levels"]  # type: ignore[assignment]
    max_suppression: float = case["max_suppression"]  # type: ignore[assignment]
    n = len(records)
    budget = math.floor(max_suppression * n + 1e-9)

    acceptable = []
    for node in itertools.product(*(range(low, h.height + 1) for low, h in zip(min_levels, hierarchies))):
        withheld, discernibility = brute_force_outcome(records, hierarchies, node, k, sensitive)
        if withheld <= budget:
            acceptable.append((sum(w * level / h.height for w, level, h in zip(weights, node, hierarchies)), discernibility))

    event(f"lattice of {'<10' if len(acceptable) < 10 else '10+'} acceptable nodes")
    arguments = dict(sensitive=sensitive, max_suppression=max_suppression, weights=weights, min_levels=min_levels)
    if not acceptable:
        event("not anonymisable")
        with pytest.raises(NotAnonymisableError):
            k_anonymise(records, hierarchies, k, **arguments)  # type: ignore[arg-type]
        return
    result = k_anonymise(records, hierarchies, k, **arguments)  # type: ignore[arg-type]
    event(f"suppressed {'some' if result.suppressed else 'none'}; levels {'raw' if not any(result.levels.values()) else 'generalised'}")

    flags = None if sensitive is None else [tuple(sensitive[i]) for i in result.kept_indices]
    check = check_k_anonymity(result.labelled_records(), k, sensitive=flags)
    assert check.ok, check
    assert result.l_diverse and result.k_achieved == check.smallest_class >= k
    assert result.suppressed <= budget
    assert sorted([*result.kept_indices, *result.suppressed_indices]) == list(range(n))
    assert all(result.levels[h.name] >= low for h, low in zip(hierarchies, min_levels))
    node = tuple(result.levels[h.name] for h in hierarchies)
    # Published rows are exactly the kept records recoded at the chosen levels.
    assert result.labelled_records() == [
        tuple(generalise(h, int(records[i, c]), level) for c, (h, level) in enumerate(zip(hierarchies, node)))
        for i in result.kept_indices
    ]
    assert (result.suppressed, result.discernibility) == brute_force_outcome(records, hierarchies, node, k, sensitive)
    best_loss = min(loss for loss, _ in acceptable)
    assert result.information_loss == pytest.approx(best_loss, abs=1e-9)
    assert result.discernibility == min(dm for loss, dm in acceptable if abs(loss - best_loss) <= 1e-9)


# --- the Adult benchmark data


def load_adult() -> tuple[np.ndarray, list[GeneralisationHierarchy], np.ndarray]:
    if not ADULT.is_dir():
        pytest.skip(f"Adult data set not found at {ADULT} (shared/data/adult beside the repository)")
    with open(ADULT / "adult.csv", newline="") as handle:
        header, *rows = list(csv.reader(handle, delimiter=";"))
    names = [name for name in header if name != "salary-class"]
    hierarchies = []
    for name in names:
        with open(ADULT / f"adult_hierarchy_{name}.csv", newline="") as handle:
            hierarchies.append(GeneralisationHierarchy.from_generalisation_rows(name, list(csv.reader(handle, delimiter=";"))))
    records = np.stack([h.encode(row[header.index(h.name)] for row in rows) for h in hierarchies], axis=1)
    high_salary = np.array([row[header.index("salary-class")] == ">50K" for row in rows])
    return records, hierarchies, high_salary


def test_adult_k5_is_k_anonymous_within_two_percent() -> None:
    records, hierarchies, high_salary = load_adult()
    assert records.shape == (30162, 8)
    result = k_anonymise(records, hierarchies, k=5)
    assert check_k_anonymity(result.labelled_records(), 5).ok
    assert result.suppressed <= 0.02 * len(records)
    assert result.runtime_seconds < 5

    diverse = k_anonymise(records, hierarchies, k=5, sensitive=high_salary)
    flags = [(bool(high_salary[i]),) for i in diverse.kept_indices]
    assert check_k_anonymity(diverse.labelled_records(), 5, sensitive=flags).ok
    assert diverse.suppressed <= 0.02 * len(records)


def test_many_wide_columns_beyond_an_int64_key() -> None:
    # 300 ** 8 > 2 ** 62: the class key must be renumbered part-way instead of overflowing.
    wide = [GeneralisationHierarchy.from_generalisation_rows(f"c{c}", [(str(v),) for v in range(300)]) for c in range(8)]
    rng = np.random.default_rng(3)
    distinct = rng.integers(0, 300, size=(50, 8))
    records = np.repeat(distinct, 3, axis=0)
    result = k_anonymise(records, wide, k=3, max_suppression=0)
    assert set(result.levels.values()) == {0}
    assert (result.classes, result.k_achieved, result.discernibility) == (50, 3, 50 * 9)
    assert check_k_anonymity(result.labelled_records(), 3).ok


def test_level_names_are_reported() -> None:
    ethnicity = GeneralisationHierarchy.from_code_labels(
        "ethnicity", {1: ("White", "White"), 9: ("Asian", "BME"), 14: ("Black", "BME")}, level_names=("heading", "bme_white")
    )
    records = encode([(1,), (1,), (9,), (14,)], [ethnicity])
    result = k_anonymise(records, [ethnicity], k=2, max_suppression=0)
    assert result.levels == {"ethnicity": 2} and result.level_names == {"ethnicity": "bme_white"}
    assert k_anonymise(records, [ethnicity], k=4, max_suppression=0).level_names == {"ethnicity": "*"}
    assert AGE.level_name(0) == "raw" and AGE.level_name(1) == "level 1" and AGE.level_name(2) == "*"
