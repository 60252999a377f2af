"""Urgent flags: phrases that suggest a risk to life, self-harm or danger, and obvious non-matches."""

from __future__ import annotations

import pytest

from analysis.urgency import (
    HARM_TO_OTHERS,
    IMMEDIATE_DANGER,
    PATIENT_SAFETY,
    SELF_HARM,
    is_urgent,
    urgent_categories,
    urgent_signals,
)

FLAGGED = [
    ("Some nights I think about how I could kill myself after a shift.", SELF_HARM),
    ("I just want to end my life, I can't face another week of this.", SELF_HARM),
    ("I have been feeling suicidal since the investigation started.", SELF_HARM),
    ("I have started to self-harm again.", SELF_HARM),
    ("I self harm when I get home.", SELF_HARM),
    ("I want to hurt myself.", SELF_HARM),
    ("Honestly I don’t want to live any more.", SELF_HARM),
    ("There is no point in living like this.", SELF_HARM),
    ("I can't go on like this.", SELF_HARM),
    ("Sometimes I wish I was dead.", SELF_HARM),
    ("I took an overdose last month.", SELF_HARM),
    ("The charge nurse threatened to kill me in the car park.", HARM_TO_OTHERS),
    ("He said he is going to hurt me if I report it.", HARM_TO_OTHERS),
    ("A relative came onto the unit with a knife.", HARM_TO_OTHERS),
    ("I do not feel safe going back onto that ward.", IMMEDIATE_DANGER),
    ("The unit is not safe tonight, there is one nurse for 30 patients.", IMMEDIATE_DANGER),
    ("I am afraid for my life when he is on shift.", IMMEDIATE_DANGER),
    ("Staff are in danger every night.", IMMEDIATE_DANGER),
    ("If nothing changes a patient will die on this ward.", PATIENT_SAFETY),
    ("Someone is going to die because the alarms are switched off.", PATIENT_SAFETY),
    ("A patient nearly died because the pumps were not checked.", PATIENT_SAFETY),
    ("This is a risk to life.", PATIENT_SAFETY),
]

NOT_FLAGGED = [
    "I have never felt suicidal, but I have felt very low.",
    "I am not going to hurt myself, I just want someone to listen.",
    "I would never kill myself.",
    "I hurt myself lifting a patient without a hoist.",
    "We had suicide prevention training last year and it was good.",
    "The deadline is killing me.",
    "Nobody was in danger but it was handled badly.",
    "The patient did not die, thankfully.",
    "My manager talks over me in every meeting.",
    "I was overlooked for promotion again.",
    "I felt safe with my team but not with the agency.",
    "",
]


@pytest.mark.parametrize(("text", "category"), FLAGGED)
def test_phrases_that_suggest_risk_are_flagged(text: str, category: str) -> None:
    signals = urgent_signals(text)
    assert category in {signal.category for signal in signals}, (text, signals)
    assert is_urgent(text)


@pytest.mark.parametrize("text", NOT_FLAGGED)
def test_obvious_non_matches_are_not_flagged(text: str) -> None:
    assert urgent_signals(text) == [], text


def test_a_negation_in_another_clause_does_not_discount_a_phrase() -> None:
    assert is_urgent("Nobody listens to me. I want to kill myself.")
    assert is_urgent("It is not the rota, it is that I feel suicidal.")
    assert is_urgent("I'm not ok but I want to die.")


def test_the_phrase_is_reported_as_written_and_once() -> None:
    signals = urgent_signals("I want to KILL MYSELF. I want to kill myself.")
    assert [(s.category, s.phrase) for s in signals] == [(SELF_HARM, "KILL MYSELF")]
    assert signals[0].label == "Suicide or self-harm"


def test_categories_of_several_texts_come_in_a_fixed_order() -> None:
    texts = ["A patient will die.", "He threatened to stab me.", "I feel suicidal."]
    assert urgent_categories(texts) == [SELF_HARM, HARM_TO_OTHERS, PATIENT_SAFETY]
    assert urgent_categories(["Nothing urgent here."]) == []
