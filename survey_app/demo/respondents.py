"""Synthetic closed answers for the demo: WRES London 2018 figures, with the gaps the strategy describes.

The closed answers reproduce the published WRES London 2018 figures (../shared/data/wres_benchmarks.csv,
population "London region", year 2018), with the gaps between ethnic groups the London Workforce Race
Strategy describes and temporary workers a few points worse again, so that dashboards built on the
demo show the pattern the product exists to reveal.
"""


from __future__ import annotations

import random
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

from questionnaires import Instrument, Question

# WRES London region 2018 (wres_benchmarks.csv), percent: indicator -> (BME, White).
WRES_LONDON_2018: dict[int, tuple[float, float]] = {
    5: (31.7, 32.8),
    6: (30.9, 27.8),
    7: (65.8, 83.3),
    8: (16.4, 8.4),
}
# Temporary workers fare worse again (strategy recommendation 13): percentage points added.
TEMPORARY_WORKER_SHIFT: dict[int, float] = {5: 2.0, 6: 4.0, 7: -5.0, 8: 3.0}
# The BME category hides differences between groups (the strategy's point). Offsets in points,
# chosen so that their average over the London mix below stays close to zero.
HEADING_SHIFT: dict[str, dict[int, float]] = {
    "Black / African / Caribbean / Black British": {5: 2.0, 6: 3.0, 7: -5.0, 8: 3.0},
    "Asian / Asian British": {5: -2.0, 6: -3.0, 7: 5.0, 8: -3.0},
    "Mixed / multiple ethnic groups": {5: 0.0, 6: 2.0, 7: -2.0, 8: 1.0},
}

# NHS staff survey 2025 ethnicity codes, weighted roughly like the London NHS workforce (about 45% BME).
LONDON_ETHNICITY_WEIGHTS: dict[int, float] = {
    1: 37.0, 2: 3.0, 3: 0.2, 4: 14.8,  # White
    5: 1.2, 6: 0.8, 7: 0.8, 8: 0.7,  # Mixed
    9: 7.0, 10: 2.0, 11: 1.5, 12: 1.0, 13: 5.0, 14: 3.0,  # Asian
    15: 12.0, 16: 6.0, 17: 2.0,  # Black
    18: 0.5, 19: 1.5,  # Other
}
# Many temporary workers are from a BME background (recommendation 13): BME codes weigh this much more.
TEMPORARY_BME_WEIGHT = 1.6
ETHNICITY_NOT_STATED = 0.04
SKIP_OPTIONAL = 0.03  # share of optional questions a respondent leaves blank


@dataclass(frozen=True)
class Respondent:
    ethnicity: int | None  # national code, None when not stated
    heading: str  # ethnic heading, or "Not stated"
    group: str  # "BME", "White" or "Not stated"
    temporary: bool
    # How positively this person sees their organisation; drives the agree/disagree scales.
    outlook: float


class Quota:
    """Yes/no draws whose count of yeses never strays more than one from the sum of their chances.

    Each draw is still a yes with its own chance (the running total starts at a random point, and
    respondents arrive in random order), but independent coin flips would let a demo of 200
    responses show a small published gap (indicator 6 is about three points) the wrong way round.
    """

    def __init__(self, rng: random.Random) -> None:
        self.total = rng.random()

    def draw(self, percent: float) -> bool:
        before = int(self.total)
        self.total += max(0.0, min(100.0, percent)) / 100
        return int(self.total) > before


def _indicator_percent(indicator: int, respondent: Respondent) -> float:
    bme, white = WRES_LONDON_2018[indicator]
    base = {"BME": bme, "White": white}.get(respondent.group, (bme + white) / 2)
    base += HEADING_SHIFT.get(respondent.heading, {}).get(indicator, 0.0)
    if respondent.temporary:
        base += TEMPORARY_WORKER_SHIFT[indicator]
    return base


class ClosedAnswerModel:
    """Draws a routed, valid set of closed answers for one instrument, one respondent at a time."""

    def __init__(self, instrument: Instrument, rng: random.Random) -> None:
        self.instrument = instrument
        self.rng = rng
        self.questions = list(instrument.questions.values())
        self.temporary = "tw_worker_type" in instrument.questions
        ethnicity = instrument.hierarchies.get("ethnicity")
        self.ethnic_levels: Mapping[int, tuple[str, ...]] = ethnicity.codes if ethnicity else {}
        # One quota per indicator and group, so each group's rate lands on its published figure.
        self.quotas: dict[tuple[int, str, bool], Quota] = {}
        self.specific: dict[str, Callable[[Question, Respondent, dict[str, Any]], Any]] = {
            "q13a": lambda q, r, a: self._frequency(q, 0.14 + (0.03 if r.temporary else 0.0)),
            "q13b": lambda q, r, a: self._frequency(q, 0.01),
            "q13c": lambda q, r, a: self._frequency(q, 0.02),
            "q13d": lambda q, r, a: self._reported(q, a, ("q13a", "q13b", "q13c")),
            "q14a": lambda q, r, a: self._frequency(q, 1.0 if self._indicator(5, r) else 0.0),
            "q14d": lambda q, r, a: self._reported(q, a, ("q14a", "q14b", "q14c")),
            "q15": self._fair_progression,
            "q16a": lambda q, r, a: 1 if self.rng.random() < (0.12 if r.group == "BME" else 0.06) else 2,
            "q16b": lambda q, r, a: 1 if self._indicator(8, r) else 2,
            "q16c": self._discrimination_grounds,
            "q17a": lambda q, r, a: self._frequency(q, 0.08),
            "q17b": lambda q, r, a: self._frequency(q, 0.04),
            "q28": lambda q, r, a: r.ethnicity,
            # Recruited from outside the UK: far more common among BME staff in London.
            "q34b": lambda q, r, a: self._weighted(
                q, {1: 35, 2: 63, 9: 2} if r.group == "BME" else {1: 9, 2: 89, 9: 2}
            ),
            "tw_reasons": self._temporary_reasons,
            "tw_referred_regulator": lambda q, r, a: self._weighted(
                q, {1: 5, 2: 92, 9: 3} if r.group == "BME" else {1: 2, 2: 96, 9: 2}
            ),
            "tw_blocked_shifts": lambda q, r, a: self._weighted(
                q, {1: 8, 2: 89, 9: 3} if r.group == "BME" else {1: 4, 2: 94, 9: 2}
            ),
        }

    # One respondent ------------------------------------------------------------------------

    def respondent(self) -> Respondent:
        rng = self.rng
        temporary = self.temporary
        ethnicity: int | None = None
        if self.ethnic_levels and rng.random() >= ETHNICITY_NOT_STATED:
            codes = [code for code in LONDON_ETHNICITY_WEIGHTS if code in self.ethnic_levels]
            weights = [
                LONDON_ETHNICITY_WEIGHTS[code]
                * (TEMPORARY_BME_WEIGHT if temporary and self.ethnic_levels[code][-1] == "BME" else 1.0)
                for code in codes
            ]
            ethnicity = rng.choices(codes, weights)[0]
        heading, group = self.ethnic_levels[ethnicity] if ethnicity is not None else ("Not stated", "Not stated")
        outlook = rng.gauss(0.0, 1.0) - (0.35 if group == "BME" else 0.0) - (0.3 if temporary else 0.0)
        return Respondent(ethnicity, heading, group, temporary, outlook)

    def answers(self) -> dict[str, Any]:
        respondent = self.respondent()
        staff_harassment = self._staff_harassment(respondent)
        answers: dict[str, Any] = {}
        value: Any
        for question in self.questions:
            if not question.is_shown(answers):
                continue
            if question.is_free_text:
                value = self._comment(question)
            elif not question.codes:  # an organisation question with no members filled in
                continue
            elif question.id in staff_harassment:
                value = staff_harassment[question.id]
            elif not question.required and question.id != "q28" and self.rng.random() < SKIP_OPTIONAL:
                continue
            elif question.id in self.specific:
                value = self.specific[question.id](question, respondent, answers)
            else:
                value = self._generic(question, respondent)
            if value is not None:
                answers[question.id] = value if question.is_free_text else self._valid(question, value)
        return answers

    # Indicators ----------------------------------------------------------------------------

    def _indicator(self, indicator: int, respondent: Respondent) -> bool:
        key = (indicator, respondent.group, respondent.temporary)
        if key not in self.quotas:
            self.quotas[key] = Quota(self.rng)
        return self.quotas[key].draw(_indicator_percent(indicator, respondent))

    def _staff_harassment(self, respondent: Respondent) -> dict[str, int | None]:
        """q14b and q14c together (indicator 6 counts a person once): from a manager, colleagues or both."""
        questions = self.instrument.questions
        if "q14b" not in questions or "q14c" not in questions:
            return {}
        if self._indicator(6, respondent):
            source = self.rng.choices(["manager", "colleagues", "both"], [30, 45, 25])[0]
            manager = self._frequency(questions["q14b"], 1.0 if source != "colleagues" else 0.0)
            colleagues = self._frequency(questions["q14c"], 1.0 if source != "manager" else 0.0)
            return {"q14b": manager, "q14c": colleagues}
        # Someone who experienced nothing may still leave one of the two blank.
        blank = self.rng.random() < SKIP_OPTIONAL
        return {"q14b": 1, "q14c": None if blank else 1}

    def _fair_progression(self, question: Question, respondent: Respondent, answers: dict[str, Any]) -> int:
        if self.rng.random() < 0.28:  # "Don't know": excluded from indicator 7's base
            return 9
        return 1 if self._indicator(7, respondent) else 2

    def _discrimination_grounds(
        self, question: Question, respondent: Respondent, answers: dict[str, Any]
    ) -> list[int]:
        race_share = 0.8 if respondent.group == "BME" else 0.15
        others = {1: 0.25, 2: 0.12, 7: 0.08, 8: 0.2, 9: 0.05, 10: 0.1}
        chosen = [6] if self.rng.random() < race_share else []
        chosen += [code for code, share in others.items() if self.rng.random() < share]
        return chosen or [10]

    def _temporary_reasons(self, question: Question, respondent: Respondent, answers: dict[str, Any]) -> list[int]:
        excluded = 0.22 if respondent.group == "BME" else 0.08
        shares = {1: 0.45, 2: 0.25, 3: 0.4, 4: 0.1, 5: 0.15, 6: excluded, 7: 0.05}
        chosen = [code for code, share in shares.items() if self.rng.random() < share]
        return chosen or [1]

    def _comment(self, question: Question) -> str | None:
        """A short free-text comment from a few respondents (required text always gets one)."""
        if question.required or self.rng.random() < COMMENT_SHARE:
            return self.rng.choice(TEMPORARY_WORKER_COMMENTS if self.temporary else STAFF_COMMENTS)
        return None

    # Shapes of answer ----------------------------------------------------------------------

    def _frequency(self, question: Question, experienced: float) -> int:
        """Never (1), or once experienced, mostly 1-2 and rarely more than 10."""
        if self.rng.random() >= experienced:
            return 1
        return self.rng.choices([2, 3, 4, 5], [55, 25, 12, 8])[0]

    def _reported(self, question: Question, answers: dict[str, Any], sources: tuple[str, ...]) -> int:
        if not any(isinstance(answers.get(s), int) and answers[s] > 1 for s in sources):
            return self._weighted(question, {9: 92, 4: 5, 3: 3})
        return self._weighted(question, {1: 45, 2: 15, 3: 33, 4: 7})

    def _agreement(self, question: Question, respondent: Respondent) -> int:
        codes = question.codes
        if 9 in codes and self.rng.random() < 0.06:  # "Not applicable"
            return 9
        # A latent score around a mildly positive centre, cut into the five points of the scale.
        score = 0.7 * respondent.outlook + self.rng.gauss(0.35, 0.75)
        cuts = (-1.3, -0.5, 0.1, 1.1)
        return 1 + sum(score > cut for cut in cuts)

    def _generic(self, question: Question, respondent: Respondent) -> Any:
        labels = [option.label for option in question.options]
        if question.type == "multiple":
            plain = sorted(question.codes - question.exclusive) or sorted(question.codes)
            return self.rng.sample(plain, k=min(len(plain), self.rng.choice([1, 1, 2])))
        if labels[:1] == ["Strongly disagree"]:
            return self._agreement(question, respondent)
        if labels[:1] == ["Never"]:
            return self._frequency(question, 0.1)
        weights = BACKGROUND_WEIGHTS.get(question.id)
        if question.id == "q35" and respondent.temporary:
            weights = TEMPORARY_OCCUPATION_WEIGHTS
        if question.id == "q31b" and respondent.group == "BME":
            weights = {1: 62, 2: 25, 3: 13}  # fewer adjustments made for BME staff
        return self._weighted(question, weights or {})

    def _weighted(self, question: Question, weights: Mapping[int, float]) -> int:
        usable = {code: weight for code, weight in weights.items() if code in question.codes and weight > 0}
        if not usable:  # a question the demo does not know: any option
            return self.rng.choice(sorted(question.codes))
        return self.rng.choices(list(usable), list(usable.values()))[0]

    def _valid(self, question: Question, value: Any) -> Any:
        """Keep a drawn value within the wave's definition, which may be older than this module."""
        if question.type == "multiple":
            chosen = sorted({code for code in value if code in question.codes})
            exclusive = [code for code in chosen if code in question.exclusive]
            if exclusive and len(chosen) > 1:
                plain = [code for code in chosen if code not in question.exclusive]
                chosen = plain or exclusive[:1]
            return chosen or [self.rng.choice(sorted(question.codes - question.exclusive or question.codes))]
        if value not in question.codes:
            return self.rng.choice(sorted(question.codes))
        return value


# Background questions, weighted roughly like NHS staff in London (national codes).
BACKGROUND_WEIGHTS: dict[str, dict[int, float]] = {
    "q27a": {1: 76, 2: 21, 3: 1, 4: 0.5, 9: 1.5},
    "q27b": {1: 96, 2: 1, 9: 3},
    "q27c": {1: 1, 2: 22, 3: 29, 4: 24, 5: 23, 6: 1},
    "q29": {1: 88, 2: 3, 3: 2, 4: 1, 5: 6},
    "q30": {1: 25, 2: 45, 3: 1, 4: 6, 5: 1, 6: 10, 7: 1, 8: 2, 9: 9},
    "q31a": {1: 24, 2: 76},
    "q31b": {1: 70, 2: 18, 3: 12},
    "q32a": {1: 44, 2: 56},
    "q32b": {1: 26, 2: 74},
    "q33": {1: 60, 2: 12, 3: 17, 4: 7, 5: 4},
    "q34a": {1: 10, 2: 20, 3: 24, 4: 20, 5: 11, 6: 15},
    "q35": {
        26: 20, 27: 4, 29: 3, 30: 3, 32: 3, 33: 3, 34: 12, 13: 5, 14: 5, 15: 2, 16: 2,
        1: 1.5, 2: 2, 3: 2, 4: 2, 5: 1, 9: 1.5, 10: 1, 11: 2.5, 12: 1, 19: 1,
        38: 11, 39: 5, 40: 4, 41: 3, 42: 3,
    },
    "tw_worker_type": {1: 40, 2: 25, 3: 8, 4: 20, 5: 7},
    "tw_duration": {1: 10, 2: 12, 3: 28, 4: 27, 5: 14, 6: 9},
    "tw_org_count": {1: 45, 2: 25, 3: 22, 4: 8},
    "tw_induction": {1: 38, 2: 27, 3: 30, 4: 5},
    "tw_risk_assessment": {1: 30, 2: 50, 3: 12, 9: 8},
}
COMMENT_SHARE = 0.15
# Placeholder-safe: no names of people, wards or teams.
TEMPORARY_WORKER_COMMENTS = (
    "Bank staff should get the same induction as permanent staff.",
    "Shifts seem to go to the same people every time; it is not clear how they are offered.",
    "Nobody learns our names. We are 'the bank nurse' for the whole shift.",
    "I would like access to the same training, even unpaid.",
    "Agency staff are blamed first when something goes wrong.",
    "Most of the ward is friendly, but we are never asked for our views.",
    "Please make it easier to raise a concern without losing shifts.",
    "Pay is the only reason I stay on the bank.",
)
STAFF_COMMENTS = (
    "Thank you for asking.",
    "Staffing levels make it hard to take breaks.",
    "Promotion feels like it depends on who you know.",
    "My team is supportive but senior leaders are distant.",
)

# Bank and agency work is mostly nursing, care assistants and doctors.
TEMPORARY_OCCUPATION_WEIGHTS: dict[int, float] = {
    26: 30, 27: 8, 30: 4, 33: 4, 34: 25, 14: 4, 16: 6, 15: 2, 19: 2, 38: 8, 40: 5, 42: 2,
}
