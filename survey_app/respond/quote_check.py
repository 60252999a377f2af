"""The respondent checks what redaction kept, before agreeing to be quoted or to share a concern.

No redactor finds every name. On the page that asks for consent (`QUOTE_CONSENT_QUESTION`), each of the
respondent's free-text answers is shown as it would be quoted, with every kept word that might still be a
name marked (`analysis.redaction.review.possible_names`). The respondent can tick words to remove, or edit
the text itself, in the same form: no JavaScript, no cookie, the answers travel in the form as always.

A removal or an edit changes the answer itself, so the release, the themes and the guardian all see the
corrected text. When the words changed since the preview was drawn (a fingerprint of the previewed texts
travels in the form), Continue shows the page again with the new preview instead of moving on, so that
nobody agrees to a quote they have not seen.
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Mapping
import dataclasses
from dataclasses import dataclass
from typing import Any

from analysis.redaction import redact
from analysis.redaction.review import possible_names
from questionnaires import Instrument
from survey_app.respond.flow import ShowPage
from survey_app.respond.form_state import CONTINUE, FormState, FormValues, RawAnswers
from survey_app.respond.views import question_view

# The question that asks whether a testimony may be quoted: its page previews the quote.
QUOTE_CONSENT_QUESTION = "consent_quote"
REMOVE_FIELD = "_remove"
PREVIEWED_FIELD = "_previewed"
REMOVED = "[REMOVED]"


@dataclass(frozen=True)
class QuoteCheck:
    """One free-text answer as it would be quoted, with the words worth a second look."""

    question_id: str
    label: str
    text: str  # the answer as written: what the edit box holds
    edit: dict[str, Any]  # the edit box: the question's own text input (character count, no autocomplete)
    parts: tuple[tuple[str, bool], ...]  # the redacted text in pieces, True where a word might be a name
    words: tuple[str, ...]  # distinct marked words, in order of first appearance


def _text(raw: Mapping[str, Any], question_id: str) -> str | None:
    value = raw.get(question_id)
    text = value[0] if isinstance(value, tuple) and value else value  # form values arrive as tuples
    return text if isinstance(text, str) and text.strip() else None


def checks(
    instrument: Instrument, raw: Mapping[str, Any], page_question_ids: set[str], organisation_terms: Any
) -> list[QuoteCheck]:
    """The quote previews of the consent page; none on any other page."""
    if QUOTE_CONSENT_QUESTION not in page_question_ids:
        return []
    out = []
    for question in instrument.free_text_questions():
        text = _text(raw, question.id)
        if text is None:
            continue
        redacted = redact(text, organisation_terms).text
        marks = possible_names(redacted)
        parts: list[tuple[str, bool]] = []
        pos = 0
        for start, end in marks:
            parts.append((redacted[pos:start], False))
            parts.append((redacted[start:end], True))
            pos = end
        parts.append((redacted[pos:], False))
        words = tuple(dict.fromkeys(redacted[s:e] for s, e in marks))
        edit = question_view(question, (text,), {}, "s").params
        out.append(QuoteCheck(question.id, question.text, text, edit, tuple(p for p in parts if p[0]), words))
    return out


def fingerprint(instrument: Instrument, raw: Mapping[str, Any]) -> str:
    """A short digest of the free-text answers: did they change since the preview was drawn?"""
    digest = hashlib.sha256()
    for question in instrument.free_text_questions():
        digest.update(question.id.encode() + b"\0" + (_text(raw, question.id) or "").encode() + b"\0")
    return digest.hexdigest()[:16]


def remove_words(instrument: Instrument, form: FormValues, state: FormState) -> FormState:
    """The state with every ticked word ("question_id:word") replaced by [REMOVED] in that answer."""
    ticked = [v for v in form.getall(REMOVE_FIELD, []) if isinstance(v, str) and ":" in v]
    if not ticked:
        return state
    raw: RawAnswers = dict(state.raw)
    questions = instrument.questions
    for value in ticked:
        question_id, word = value.split(":", 1)
        question = questions.get(question_id)
        text = _text(raw, question_id)
        if question is None or not question.is_free_text or text is None or not word.strip():
            continue
        pattern = re.compile(rf"(?<![\w\[]){re.escape(word.strip())}(?![\w\]])")
        raw[question_id] = (pattern.sub(REMOVED, text),)
    return dataclasses.replace(state, raw=raw)


def second_look(instrument: Instrument, form: FormValues, state: FormState) -> ShowPage | None:
    """The consent page again when Continue was pressed on it with words changed since its preview."""
    if state.action != CONTINUE or state.step not in {p.id for p in instrument.pages}:
        return None
    page = instrument.page(state.step)
    if QUOTE_CONSENT_QUESTION not in {q.id for q in page.questions}:
        return None
    previewed = [v for v in form.getall(PREVIEWED_FIELD, []) if isinstance(v, str)]
    if not previewed or previewed[0] == fingerprint(instrument, state.raw):
        return None
    return ShowPage(page, state.raw, {}, state.return_to_check, state.seen)
