"""The sealed document of an FTSU case: everything but the columns a query needs.

A case's texts, attributes, categories, notes and reply thread are one JSON document sealed under
the organisation's case key and bound to the case's id, so a row copied onto another case does not open.
"""


from __future__ import annotations

import json
from dataclasses import asdict, dataclass, field
from typing import Any

from analysis.kanonymity import k_anonymous_attributes
from analysis.urgency import urgent_categories
from questionnaires import Instrument
from survey_app.ftsu.redacting import OrganisationTerms, redact_text
from survey_app.keys import organisation_case_key
from survey_app.sealing import open_with_key, seal_with_key


@dataclass
class CaseContent:
    """Everything about a case except its query columns; sealed as one JSON document."""

    # Question id -> {"redacted": text, "original": text (only if the guardian may read it)}.
    texts: dict[str, dict[str, str]]
    # The coarse attributes and choices the respondent gave (topics, ethnic heading, worker type, ...).
    attributes: dict[str, Any]
    unredacted_allowed: bool
    respondent_urgent: bool
    # Urgency categories (analysis/urgency.py) found in the respondent's words.
    detected: list[str] = field(default_factory=list)
    # Topic codes (the instrument's `topics` options), first those the respondent chose.
    themes: list[int] = field(default_factory=list)
    categories: list[str] = field(default_factory=list)
    detriment: str | None = None
    # Guardians' private notes: {"seq", "by", "on", "text"}.
    notes: list[dict[str, Any]] = field(default_factory=list)
    # Messages: {"seq", "from": "guardian", "by", "on", "text"} or {"seq", "from": "respondent",
    # "text": {"redacted", "original"?}}; a respondent's message has no date.
    thread: list[dict[str, Any]] = field(default_factory=list)
    speak_up_again: str | None = None
    next_seq: int = 1

    def encode(self) -> bytes:
        return json.dumps(asdict(self), separators=(",", ":"), ensure_ascii=False, sort_keys=True).encode()

    @classmethod
    def decode(cls, data: bytes) -> CaseContent:
        return cls(**json.loads(data))

    def take_seq(self) -> int:
        seq = self.next_seq
        self.next_seq += 1
        return seq

    def all_respondent_words(self) -> list[str]:
        words = [text.get("original", text["redacted"]) for text in self.texts.values()]
        for message in self.thread:
            if message["from"] == "respondent":
                words.append(message["text"].get("original", message["text"]["redacted"]))
        return words


def case_context(case_id: str) -> bytes:
    return f"ftsu_case:{case_id}".encode()


def seal_content(case_secret: bytes, organisation_id: str, case_id: str, content: CaseContent) -> bytes:
    return seal_with_key(organisation_case_key(case_secret, organisation_id), content.encode(), case_context(case_id))


def open_content(case_secret: bytes, organisation_id: str, case_id: str, sealed: bytes) -> CaseContent:
    key = organisation_case_key(case_secret, organisation_id)
    return CaseContent.decode(open_with_key(key, bytes(sealed), case_context(case_id)))


def guarded_text(text: str, terms: OrganisationTerms, allowed: bool) -> dict[str, str]:
    """A text as stored for the guardian: redacted always, as written only if the respondent allowed it."""
    kept = {"redacted": redact_text(text, terms)}
    if allowed:
        kept["original"] = text
    return kept


# The respondent's explicit choice (consent page) to show the guardian their coarse attributes.
SHOW_ATTRIBUTES = "show_attributes"


def identifying_attributes(instrument: Instrument) -> set[str]:
    """The concern's attributes that describe the person (ethnic heading, worker type): those the
    instrument marks as quasi-identifiers."""
    return {q.id for q in instrument.questions.values() if q.quasi_identifier and q.id in instrument.testimony_attributes}


def protect_attributes(
    attributes: list[dict[str, Any]], identifying: set[str], min_cell: int, arrived_alone: bool
) -> None:
    """What a guardian may see of the person behind each concern of one drop (one organisation), in
    place. The "About you" page promises these are "only shown alongside your testimony when enough
    other people gave the same answer": so an attribute stays only when at least `min_cell` concerns
    of the drop share it, or when the respondent explicitly chose to show it to the guardian. A
    concern that arrived alone (urgent) carries none: with one concern in its delivery, any attribute
    would point at its author, whatever they chose."""
    if arrived_alone:
        for one in attributes:
            for key in identifying & set(one):
                del one[key]
        return
    k_anonymous_attributes(
        attributes, identifying, min_cell, keep=[one.get(SHOW_ATTRIBUTES) == 1 for one in attributes]
    )


def content_from_concern(concern: dict[str, Any], terms: OrganisationTerms) -> CaseContent:
    """A new case's content from a concern part as the mixer (or the web process) sealed it."""
    attributes = dict(concern.get("attributes", {}))
    allowed = attributes.get("share_unredacted") == 1
    texts = {question_id: guarded_text(text, terms, allowed) for question_id, text in concern["texts"].items()}
    topics = attributes.get("topics") or []
    return CaseContent(
        texts=texts,
        attributes=attributes,
        unredacted_allowed=allowed,
        respondent_urgent=attributes.get("urgent") == 1,
        detected=urgent_categories(list(concern["texts"].values())),
        themes=[int(code) for code in topics] if isinstance(topics, list) else [],
    )
