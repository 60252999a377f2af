"""Urgent flags: words in a concern that suggest a risk to life, self-harm or immediate danger.

A phrase detector, not a classifier: it is meant to put a concern at the top of a Freedom to Speak
Up guardian's inbox, where a person reads it, so it prefers a false alarm to a miss. It is
negation-aware enough to leave out the obvious false positives ("I have never felt suicidal",
"I am not going to hurt myself", "I hurt myself lifting a patient") and no more: phrases that carry
their own negation ("I don't want to live any more") are never discounted.

Framework-free: plain `re`, no data files.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

SELF_HARM = "self_harm"
HARM_TO_OTHERS = "harm_to_others"
IMMEDIATE_DANGER = "immediate_danger"
PATIENT_SAFETY = "patient_safety"

CATEGORY_LABELS = {
    SELF_HARM: "Suicide or self-harm",
    HARM_TO_OTHERS: "Threat of violence to someone",
    IMMEDIATE_DANGER: "Someone may be in danger now",
    PATIENT_SAFETY: "Risk to a patient's life",
}

# Words that, shortly before a phrase and in the same clause, deny it.
NEGATORS = frozenset(
    """not no never nobody none neither nor without hardly cannot cant dont doesnt didnt
    wont wouldnt isnt aint arent wasnt werent havent hasnt hadnt shouldnt couldnt""".split()
)
NEGATION_WINDOW = 4  # words looked at before a phrase

# Clauses end at punctuation and at "but", which usually turns the sentence round.
_CLAUSE_BREAK = re.compile(r"[.!?;:,\n\u2013\u2014]+|\s-\s|\bbut\b|\bhowever\b", re.IGNORECASE)
_WORD = re.compile(r"[a-z]+(?:'[a-z]+)?")


@dataclass(frozen=True)
class _Pattern:
    category: str
    regex: re.Pattern[str]
    # False when the phrase carries its own negation ("don't want to live"): never discounted.
    negatable: bool = True


def _p(category: str, pattern: str, negatable: bool = True) -> _Pattern:
    return _Pattern(category, re.compile(rf"\b(?:{pattern})\b", re.IGNORECASE), negatable)


_I = r"(?:i|i'm|im|i've|ive|i'd|id|i'll|ill)"
_WILL = r"(?:will|would|could|might|may|is going to|are going to|was going to|were going to|going to|gonna|is about to|are about to)"
_HARM_VERB = r"(?:kill|hurt|harm|stab|attack|beat|shoot|strangle|punch|hit)"

PATTERNS: tuple[_Pattern, ...] = (
    # Suicide and self-harm.
    _p(SELF_HARM, r"kill(?:ed|ing|s)? myself|killing me(?:self)? off"),
    _p(SELF_HARM, r"end(?:ed|ing|s)? (?:it all|my (?:own )?life|things|everything)"),
    _p(SELF_HARM, r"take (?:my (?:own )?life|my own)|taking my (?:own )?life"),
    _p(SELF_HARM, r"suicidal|suicide(?! (?:prevention|awareness|training|policy|policies|risk assessments?|audit|lead|team))"),
    _p(SELF_HARM, r"self[- ]?harm(?:ed|ing|s)?"),
    # "I hurt myself lifting a patient" is an injury at work, not self-harm.
    _p(
        SELF_HARM,
        r"(?:hurt|harm|cut|cutting|harming|hurting|burn|burning) myself"
        r"(?! (?:lifting|moving|carrying|turning|handling|pushing|pulling|on|at work|when|while|in a fall|falling|slipping))",
    ),
    _p(SELF_HARM, r"overdos(?:e|ed|ing)"),
    _p(SELF_HARM, r"want(?:ed|s)? to die|wish(?:ed)? i (?:was|were) dead|better off dead|better off without me"),
    _p(SELF_HARM, r"(?:don't|dont|do not|no longer|never) want to (?:live|be alive|be here|wake up)", negatable=False),
    _p(SELF_HARM, r"no (?:point|reason) (?:in )?(?:living|to live|being alive|going on)", negatable=False),
    _p(SELF_HARM, r"(?:can't|cant|cannot|can not) (?:go on|carry on|take (?:it|this) any ?more|cope any ?more)", negatable=False),
    # Threats and violence.
    _p(HARM_TO_OTHERS, rf"threat(?:en|ens|ened|ening)? to {_HARM_VERB}"),
    _p(HARM_TO_OTHERS, rf"(?:going to|gonna|will|would|wants? to|wanted to|said (?:he|she|they)(?:'d| would| will)) {_HARM_VERB} (?:me|him|her|them|someone|somebody|a colleague|a patient|us)"),
    _p(HARM_TO_OTHERS, r"(?:has|had|have|with|carrying|carries|brought|pulled) a (?:knife|gun|weapon|blade)"),
    _p(HARM_TO_OTHERS, r"physically (?:attacked|assaulted)|assaulted me|(?:strangled|choked) me"),
    # Danger now.
    _p(IMMEDIATE_DANGER, r"not safe|(?:don't|dont|do not|didn't|didnt|did not) feel safe", negatable=False),
    _p(IMMEDIATE_DANGER, r"(?:in|immediate|imminent|serious) danger"),
    _p(IMMEDIATE_DANGER, r"(?:afraid|scared|frightened|fear(?:ful|ed)?) for (?:my|our|his|her|their) (?:life|lives|safety)"),
    _p(IMMEDIATE_DANGER, r"at risk of (?:serious )?(?:harm|death|dying|being (?:hurt|harmed|killed))"),
    # Patients' lives.
    _p(PATIENT_SAFETY, rf"(?:patient|patients|someone|somebody|a baby|babies|people|residents?) {_WILL} die"),
    _p(PATIENT_SAFETY, r"(?:patient|patients|someone|somebody|a baby|people) (?:nearly|almost) died"),
    _p(PATIENT_SAFETY, rf"{_WILL} (?:kill|harm) (?:a |the )?(?:patient|patients|someone|somebody|a baby)"),
    _p(PATIENT_SAFETY, r"risk to (?:life|lives)|life[- ]threatening|(?:patient|patients) (?:is|are) in danger"),
)


@dataclass(frozen=True)
class UrgentSignal:
    """One phrase that flags a text: its category and the words as written."""

    category: str
    phrase: str

    @property
    def label(self) -> str:
        return CATEGORY_LABELS[self.category]


def _normalise(text: str) -> str:
    # Curly apostrophes and quotes as straight ones, so "don’t" reads as "don't".
    return text.replace("\u2019", "'").replace("\u2018", "'").replace("\u02bc", "'")


def _negated(before: str) -> bool:
    words = [word.replace("'", "") for word in _WORD.findall(before.lower())][-NEGATION_WINDOW:]
    return any(word in NEGATORS for word in words)


def _clauses(text: str) -> list[str]:
    return [clause for clause in _CLAUSE_BREAK.split(text) if clause.strip()]


def urgent_signals(text: str) -> list[UrgentSignal]:
    """Every phrase in `text` that suggests a risk to life, self-harm or danger, in order, once each."""
    found: dict[tuple[str, str], UrgentSignal] = {}
    for clause in _clauses(_normalise(text)):
        for pattern in PATTERNS:
            for match in pattern.regex.finditer(clause):
                if pattern.negatable and _negated(clause[: match.start()]):
                    continue
                phrase = " ".join(match.group(0).split())
                found.setdefault((pattern.category, phrase.lower()), UrgentSignal(pattern.category, phrase))
    return list(found.values())


def is_urgent(text: str) -> bool:
    return bool(urgent_signals(text))


def urgent_categories(texts: list[str]) -> list[str]:
    """The categories flagged in any of `texts`, in the order of CATEGORY_LABELS."""
    seen = {signal.category for text in texts for signal in urgent_signals(text)}
    return [category for category in CATEGORY_LABELS if category in seen]
