"""WRES staff-survey indicators 5-8 as derived measures, counted in the release like any question.

| indicator | yes | base |
|---|---|---|
| wres5 | q14a in 2..5 | q14a answered |
| wres6 | q14b or q14c in 2..5 (a person counts once) | q14b or q14c answered |
| wres7 | q15 = 1 | q15 in {1, 2} ("Don't know" excluded) |
| wres8 | q16b = 1 | q16b answered |

Each derived measure has codes (1 = yes, 2 = no), so it goes through the same joint disclosure
control as every question.
"""

from __future__ import annotations

from collections.abc import Mapping

import numpy as np

from analysis.tables import Column

YES, NO = 1, 2
AT_LEAST_ONCE = (2, 3, 4, 5)


def _chosen_any(column: Column, codes: tuple[int, ...]) -> np.ndarray:
    indices = [j for j, code in enumerate(column.codes) if code in codes]
    return column.chosen[:, indices].any(axis=1)


def _flag(name: str, yes: np.ndarray, base: np.ndarray) -> Column:
    chosen = np.stack([yes & base, ~yes & base], axis=1)
    return Column(name, (YES, NO), chosen)


def wres_measures(columns: Mapping[str, Column]) -> list[Column]:
    """The indicators whose questions this wave asked."""
    measures = []
    if "q14a" in columns:
        q14a = columns["q14a"]
        measures.append(_flag("wres5", _chosen_any(q14a, AT_LEAST_ONCE), q14a.answered))
    if "q14b" in columns and "q14c" in columns:
        q14b, q14c = columns["q14b"], columns["q14c"]
        experienced = _chosen_any(q14b, AT_LEAST_ONCE) | _chosen_any(q14c, AT_LEAST_ONCE)
        measures.append(_flag("wres6", experienced, q14b.answered | q14c.answered))
    if "q15" in columns:
        q15 = columns["q15"]
        measures.append(_flag("wres7", _chosen_any(q15, (1,)), _chosen_any(q15, (1, 2))))
    if "q16b" in columns:
        q16b = columns["q16b"]
        measures.append(_flag("wres8", _chosen_any(q16b, (1,)), q16b.answered))
    return measures
