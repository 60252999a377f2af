"""Respondent pages as templates: each function takes plain data and returns a Template response."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from litestar.response import Template
from litestar.status_codes import (
    HTTP_200_OK,
)

from analysis.redaction import redact
from survey_app import pagekit
from survey_app.config import Settings
from survey_app.ftsu.receipts import Receipt
from survey_app.respond.flow import (
    Outcome,
    ShowCheck,
    ShowLanding,
    ShowPage,
    shown_questions,
)
from survey_app.respond.form_state import (
    ACTION_FIELD,
    CHANGE_PREFIX,
    CHECK,
    RETURN_FIELD,
    SEEN_FIELD,
    START,
    STEP_FIELD,
    SUBMISSION_FIELD,
    hidden_fields,
)
from survey_app.respond.views import (
    error_list,
    paragraphs,
    progress,
    question_groups,
    summary_sections,
)
from survey_app.submissions import new_submission_token
from survey_app.waves import PublishedWave


def _common(wave: PublishedWave | None) -> dict[str, Any]:
    """What the layout needs on every survey page: the kit's, then the form's field names."""
    return {
        **pagekit.base_context(wave),
        "fields": {
            "step": STEP_FIELD,
            "action": ACTION_FIELD,
            "return": RETURN_FIELD,
            "seen": SEEN_FIELD,
            "change_prefix": CHANGE_PREFIX,
        },
    }


def _carried(hidden: list[tuple[str, str]], submission: str | None) -> list[tuple[str, str]]:
    """Hidden fields of a respondent form: the answers, then the visit's submission token."""
    return [*hidden, (SUBMISSION_FIELD, submission or new_submission_token())]


def landing(
    wave: PublishedWave,
    settings: Settings,
    raw: dict[str, tuple[str, ...]] | None = None,
    submission: str | None = None,
) -> Template:
    instrument = wave.instrument
    return Template(
        template_name="respond/landing.html",
        context={
            **_common(wave),
            "instrument": instrument,
            "intro": paragraphs(instrument.intro),
            "min_cell": settings.min_cell,
            "has_required": any(question.required for question in instrument.questions.values()),
            "has_free_text": bool(instrument.free_text_questions()),
            "step": START,
            "hidden": _carried(hidden_fields(raw or {}), submission),
        },
        status_code=HTTP_200_OK,
    )


def privacy(wave: PublishedWave, settings: Settings) -> Template:
    instrument = wave.instrument
    return Template(
        template_name="respond/privacy.html",
        context={
            **_common(wave),
            "instrument": instrument,
            "min_cell": settings.min_cell,
            "mix_batch": settings.mix_batch,
            "retention_days": settings.retention_days,
            "case_expiry_days": settings.ftsu_case_expiry_days,
            "has_free_text": bool(instrument.free_text_questions()),
            "shares_concerns": instrument.concern_when is not None,
        },
        status_code=HTTP_200_OK,
    )


# The question that asks whether a testimony may be quoted: its page previews the quote.
QUOTE_CONSENT_QUESTION = "consent_quote"


def quote_preview(wave: PublishedWave, raw: Mapping[str, Any], page_question_ids: set[str]) -> list[str]:
    """The respondent's own words as they would be quoted: redacted exactly as the release will."""
    if QUOTE_CONSENT_QUESTION not in page_question_ids:
        return []
    texts = []
    for question in wave.instrument.free_text_questions():
        value = raw.get(question.id)
        text = value[0] if isinstance(value, tuple) and value else value  # form values arrive as tuples
        if isinstance(text, str) and text.strip():
            texts.append(redact(text, wave.organisation_terms).text)
    return texts


def question_page(wave: PublishedWave, shown: ShowPage, submission: str | None = None) -> Template:
    instrument = wave.instrument
    page_question_ids = {question.id for question in shown_questions(instrument, shown.page, shown.raw)}
    return Template(
        template_name="respond/page.html",
        context={
            **_common(wave),
            "instrument": instrument,
            "page": shown.page,
            "intro": paragraphs(shown.page.intro),
            "progress": progress(instrument, shown.page, shown.raw),
            "groups": question_groups(instrument, shown.page, shown.raw, shown.errors),
            "error_list": error_list(instrument, shown.errors),
            "has_errors": bool(shown.errors),
            "step": shown.page.id,
            "return_to_check": shown.return_to_check,
            "seen": " ".join(sorted(shown.seen)),
            "hidden": _carried(hidden_fields(shown.raw, exclude=page_question_ids), submission),
            "quote_preview": quote_preview(wave, shown.raw, page_question_ids),
        },
        status_code=HTTP_200_OK,
    )


def check_answers(wave: PublishedWave, shown: ShowCheck, submission: str | None = None) -> Template:
    instrument = wave.instrument
    sections = summary_sections(instrument, shown.raw)
    return Template(
        template_name="respond/check.html",
        context={
            **_common(wave),
            "instrument": instrument,
            "sections": sections,
            "error": shown.error,
            "has_errors": shown.error is not None,
            "step": CHECK,
            "hidden": _carried(hidden_fields(shown.raw), submission),
        },
        status_code=HTTP_200_OK,
    )


def outcome_page(wave: PublishedWave, settings: Settings, outcome: Outcome, submission: str | None = None) -> Template:
    """The page for anything but a submission (which the controller stores first)."""
    if isinstance(outcome, ShowPage):
        return question_page(wave, outcome, submission)
    if isinstance(outcome, ShowCheck):
        return check_answers(wave, outcome, submission)
    if isinstance(outcome, ShowLanding):
        return landing(wave, settings, outcome.raw, submission)
    raise TypeError(f"no page for {type(outcome).__name__}")


def confirmation(
    wave: PublishedWave,
    settings: Settings,
    receipt: Receipt | None = None,
    urgent: bool = False,
    help_first: bool = False,
) -> Template:
    """The end of a journey; with the receipt of a shared concern, shown this once and never again."""
    return Template(
        template_name="respond/confirmation.html",
        context={
            **_common(wave),
            "instrument": wave.instrument,
            "min_cell": settings.min_cell,
            "mix_batch": settings.mix_batch,
            "has_free_text": bool(wave.instrument.free_text_questions()),
            "receipt": receipt,
            "urgent": urgent,
            "help_first": help_first,
            "drop_hours": settings.ftsu_drop_hours,
            "reply_days": settings.ftsu_reply_days,
        },
        status_code=HTTP_200_OK,
    )
