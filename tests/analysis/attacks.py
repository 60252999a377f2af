"""An attacker's tools, written independently of analysis/disclosure.py.

`exactly_recoverable` treats every withheld cell as an unknown, every shown figure as a constant,
and asks a linear programme for the least and greatest value each unknown can take given the
relations and that counts are non-negative. A cell whose least and greatest values agree (and are
not zero) is disclosed.
"""

from __future__ import annotations

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
