"""WRES staff-survey indicators 5-8 and their companion items, as derived measures counted in the
release like any question.

Every derived measure is a yes/no flag over one or more questions: a respondent is in the base
when they chose a base code of ANY of the measure's questions, and counts as "yes" when they chose
a yes code of ANY of them (so a person counts once however many of the questions apply). A
respondent who answered none of the questions, or only with codes outside the base ("Don't know",
"Not applicable", "I can't remember"), is in neither.

WRES indicators (NHS England's WRES technical guidance; codes of the NHS Staff Survey 2025):

| measure | yes | base |
|---|---|---|
| wres5 | q14a in 2..5 | q14a answered |
| wres6 | q14b or q14c in 2..5 (a person counts once) | q14b or q14c answered |
| wres7 | q15 = 1 | q15 in {1, 2} ("Don't know", 9, excluded) |
| wres8 | q16b = 1 | q16b answered |

Companion items (`COMPANIONS`; the agreement scale is 1 strongly disagree .. 5 strongly agree,
and "agree" means 4 or 5 with the whole scale, "neither" included, as the base, as the national
staff survey reports it):

| measure | yes | base |
|---|---|---|
| discrimination_public | q16a = 1 | q16a answered |
| violence_any | q13a, q13b or q13c in 2..5 (a person counts once) | q13a, q13b or q13c answered |
| harassment_reported | q14d in {1, 2} (I or a colleague reported it) | q14d in {1, 2, 3} ("Don't know" 4 and "Not applicable" 9 excluded) |
| raise_concerns_secure | q20a in {4, 5} | q20a answered |
| concerns_addressed | q20b in {4, 5} | q20b answered |
| respects_differences | q21 in {4, 5} | q21 answered |
| career_opportunities | q24b in {4, 5} | q24b answered |
| safe_to_speak_up | q25e in {4, 5} | q25e answered |
| speak_up_addressed | q25f in {4, 5} | q25f answered |
| tw_same_respect | tw_respect in {4, 5} | tw_respect answered |
| tw_shifts_fair | tw_fair_shifts in {4, 5} | tw_fair_shifts answered |
| tw_tasks_fair | tw_fair_tasks in {4, 5} | tw_fair_tasks answered |
| tw_training_access | tw_training in {4, 5} | tw_training answered |
| tw_had_induction | tw_induction in {1, 2} (yes, whether or not it gave what was needed) | tw_induction in {1, 2, 3} ("I can't remember", 4, excluded) |
| tw_risk_assessed | tw_risk_assessment = 1 (yes, up to date) | tw_risk_assessment in {1, 2, 3} ("Don't know", 9, excluded) |
| tw_referred | tw_referred_regulator = 1 | tw_referred_regulator in {1, 2} ("Not applicable", 9, excluded) |
| tw_blocked | tw_blocked_shifts = 1 | tw_blocked_shifts in {1, 2} ("Not applicable", 9, excluded) |

Direction: for the harassment, violence, discrimination, referral and blocking measures (wres5,
wres6, wres8, discrimination_public, violence_any, tw_referred, tw_blocked) a higher percentage is
worse (`Measure.higher_is_worse`); for every other measure a higher percentage is better. Reports
say so beside each figure, since a board reads "70%" very differently for the two kinds.

Violence is one measure, `violence_any`, like indicator 6: the release also publishes q13a, q13b
and q13c themselves, so the split by source is there without more derived measures (each measure
costs its own disclosure-control pass). A measure is derived only when the wave asked all of its
questions.

Each derived measure has codes (1 = yes, 2 = no), so it goes through the same joint disclosure
control as every question.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

import numpy as np

from analysis.tables import Column

YES, NO = 1, 2
AT_LEAST_ONCE = (2, 3, 4, 5)
AGREE = (4, 5)


@dataclass(frozen=True)
class Measure:
    """A derived yes/no measure. `base_codes` None: any answer to one of the questions."""

    name: str
    label: str
    questions: tuple[str, ...]
    yes_codes: tuple[int, ...]
    base_codes: tuple[int, ...] | None = None
    higher_is_worse: bool = False

    def __post_init__(self) -> None:
        # A yes is always in the base, so "yes to any question" implies "in the base".
        if self.base_codes is not None and not set(self.yes_codes) <= set(self.base_codes):
            raise ValueError(f"measure {self.name}: yes codes must be base codes")

    def applies(self, columns: Mapping[str, Column]) -> bool:
        return all(question in columns for question in self.questions)

    def column(self, columns: Mapping[str, Column]) -> Column:
        """Each respondent's best state over the questions (yes > in the base > neither), as a flag."""
        state = _state(columns[self.questions[0]], self.yes_codes, self.base_codes)
        for question in self.questions[1:]:
            np.maximum(state, _state(columns[question], self.yes_codes, self.base_codes), out=state)
        return Column(self.name, (YES, NO), index=_INDEX_OF_STATE[state])


WRES = (
    Measure(
        "wres5", "Harassment, bullying or abuse from patients, relatives or the public", ("q14a",), AT_LEAST_ONCE,
        higher_is_worse=True,
    ),
    Measure("wres6", "Harassment, bullying or abuse from staff", ("q14b", "q14c"), AT_LEAST_ONCE, higher_is_worse=True),
    Measure(
        "wres7",
        "Believing the organisation provides equal opportunities for career progression or promotion",
        ("q15",),
        (1,),
        (1, 2),
    ),
    Measure(
        "wres8", "Discrimination at work from a manager, team leader or other colleagues", ("q16b",), (1,),
        higher_is_worse=True,
    ),
)

COMPANIONS = (
    Measure(
        "discrimination_public", "Discrimination from patients, relatives or the public", ("q16a",), (1,),
        higher_is_worse=True,
    ),
    Measure(
        "violence_any",
        "Physical violence from patients, relatives, the public, managers or colleagues",
        ("q13a", "q13b", "q13c"),
        AT_LEAST_ONCE,
        higher_is_worse=True,
    ),
    Measure(
        "harassment_reported",
        "The last harassment, bullying or abuse was reported (by them or a colleague)",
        ("q14d",),
        (1, 2),
        (1, 2, 3),
    ),
    Measure("raise_concerns_secure", "Would feel secure raising concerns about unsafe clinical practice", ("q20a",), AGREE),
    Measure("concerns_addressed", "Confident the organisation would address a concern about unsafe practice", ("q20b",), AGREE),
    Measure("respects_differences", "The organisation respects individual differences", ("q21",), AGREE),
    Measure("career_opportunities", "Opportunities to develop their career in this organisation", ("q24b",), AGREE),
    Measure("safe_to_speak_up", "Feel safe to speak up about anything that concerns them", ("q25e",), AGREE),
    Measure("speak_up_addressed", "Confident the organisation would address a concern they spoke up about", ("q25f",), AGREE),
    Measure("tw_same_respect", "Treated with the same respect as permanent staff", ("tw_respect",), AGREE),
    Measure("tw_shifts_fair", "Shifts are offered fairly to everyone, whatever their background", ("tw_fair_shifts",), AGREE),
    Measure("tw_tasks_fair", "Tasks are shared fairly between temporary and permanent staff", ("tw_fair_tasks",), AGREE),
    Measure("tw_training_access", "The same access to training as permanent staff", ("tw_training",), AGREE),
    Measure("tw_had_induction", "Had an induction", ("tw_induction",), (1, 2), (1, 2, 3)),
    Measure("tw_risk_assessed", "Have an up-to-date health and safety risk assessment", ("tw_risk_assessment",), (1,), (1, 2, 3)),
    Measure(
        "tw_referred", "Referred to a professional regulator in the last 12 months", ("tw_referred_regulator",), (1,), (1, 2),
        higher_is_worse=True,
    ),
    Measure(
        "tw_blocked",
        "Stopped from booking or working shifts after a concern was raised about them",
        ("tw_blocked_shifts",),
        (1,),
        (1, 2),
        higher_is_worse=True,
    ),
)

MEASURES: dict[str, Measure] = {measure.name: measure for measure in (*WRES, *COMPANIONS)}


_NEITHER, _IN_BASE, _YES = 0, 1, 2
# Position in (YES, NO) of each state; -1 (no answer) for a respondent outside the base.
_INDEX_OF_STATE = np.array([-1, 1, 0], dtype=np.int8)


def _state(column: Column, yes_codes: tuple[int, ...], base_codes: tuple[int, ...] | None) -> np.ndarray:
    """Each respondent's state for one question: `_YES`, `_IN_BASE` (but not yes) or `_NEITHER`."""
    def state_of(code: int) -> int:
        if code in yes_codes:
            return _YES
        return _IN_BASE if base_codes is None or code in base_codes else _NEITHER

    if column.index is not None:
        # The last entry is for position -1: no answer.
        table = np.array([state_of(code) for code in column.codes] + [_NEITHER], dtype=np.int8)
        return table[column.index]
    in_base = column.answered if base_codes is None else column.chosen_any(base_codes)
    return np.where(column.chosen_any(yes_codes), _YES, np.where(in_base, _IN_BASE, _NEITHER)).astype(np.int8)


def wres_measures(columns: Mapping[str, Column]) -> list[Column]:
    """The WRES indicators whose questions this wave asked."""
    return [measure.column(columns) for measure in WRES if measure.applies(columns)]


def companion_measures(columns: Mapping[str, Column]) -> list[Column]:
    """The companion items whose questions this wave asked."""
    return [measure.column(columns) for measure in COMPANIONS if measure.applies(columns)]


def indicator_measures(columns: Mapping[str, Column]) -> list[Column]:
    """Every derived measure the release publishes: the WRES indicators, then the companions."""
    return wres_measures(columns) + companion_measures(columns)
