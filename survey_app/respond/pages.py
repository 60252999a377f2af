"""Respondent pages as templates: each function takes plain data and returns a Template response."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from litestar.response import Template
from litestar.status_codes import (
    HTTP_200_OK,
    HTTP_429_TOO_MANY_REQUESTS,
)

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
from survey_app.respond import quote_check
from survey_app.respond.form_state import (
    ACTION_FIELD,
    RawAnswers,
    CHANGE_PREFIX,
    CHECK,
    RETURN_FIELD,
    SEEN_FIELD,
    START,
    STEP_FIELD,
    SUBMISSION_FIELD,
    DRAFTED_FIELD,
    INVITATION_FIELD,
    hidden_fields,
)
from survey_app.respond.views import (
    error_list,
    paragraphs,
    progress,
    question_groups,
    summary_sections,
)
from survey_app.waves import PublishedWave


def _common(wave: PublishedWave | None) -> dict[str, Any]:
    """What the layout needs on every survey page: the kit's, then the form's field names."""
    return {
        **pagekit.base_context(wave),
        # Testimonies can be about abuse: the lived-experience survey can be left in one tap.
        "exit_this_page": wave is not None and wave.instrument.concern_when is not None,
        "fields": {
            "step": STEP_FIELD,
            "action": ACTION_FIELD,
            "return": RETURN_FIELD,
            "seen": SEEN_FIELD,
            "change_prefix": CHANGE_PREFIX,
        },
    }


def _carried(hidden: list[tuple[str, str]], submission: str | None, drafted: bool = False) -> list[tuple[str, str]]:
    """Hidden fields of a respondent form: the answers, then the visit's token (none before Start, which
    issues it), and whether the visit has a saved draft (which submitting deletes)."""
    carried = [*hidden, (SUBMISSION_FIELD, submission)] if submission else list(hidden)
    return [*carried, (DRAFTED_FIELD, "1")] if drafted else carried


def landing(
    wave: PublishedWave,
    settings: Settings,
    raw: dict[str, tuple[str, ...]] | None = None,
    submission: str | None = None,
    drafted: bool = False,
    invitation_error: str | None = None,
    invitation_value: str = "",
) -> Template:
    """The landing page. On an invited wave a visit without a ballot (`submission`) is asked for its
    code: `invitation_value` fills the box (from the link, or as typed), `invitation_error` says what
    to fix (survey_app/respond/invited.py)."""
    instrument = wave.instrument
    asks_for_code = wave.invited and not submission
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
            "hidden": _carried(hidden_fields(raw or {}), submission, drafted),
            "invitation": {
                "name": INVITATION_FIELD,
                "value": invitation_value,
                "error": invitation_error,
            } if asks_for_code else None,
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


def question_page(wave: PublishedWave, shown: ShowPage, submission: str | None = None, drafted: bool = False) -> Template:
    instrument = wave.instrument
    page_question_ids = {question.id for question in shown_questions(instrument, shown.page, shown.raw)}
    # On the consent page the respondent checks the quote, and may edit the answers it comes from there.
    checks = quote_check.checks(instrument, shown.raw, page_question_ids, wave.organisation_terms)
    edited_here = page_question_ids | {check.question_id for check in checks}
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
            "hidden": _carried(hidden_fields(shown.raw, exclude=edited_here), submission, drafted),
            "quote_checks": checks,
            "quote_fields": {
                "remove": quote_check.REMOVE_FIELD,
                "previewed": quote_check.PREVIEWED_FIELD,
                "fingerprint": quote_check.fingerprint(instrument, shown.raw) if checks else "",
            },
        },
        status_code=HTTP_200_OK,
    )


def check_answers(
    wave: PublishedWave,
    shown: ShowCheck,
    submission: str | None = None,
    retry_after: int | None = None,
    drafted: bool = False,
) -> Template:
    """Check your answers; with `retry_after`, the wave is over its open-link budget: 429, answers kept."""
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
            "hidden": _carried(hidden_fields(shown.raw), submission, drafted),
        },
        status_code=HTTP_200_OK if retry_after is None else HTTP_429_TOO_MANY_REQUESTS,
        headers={"Retry-After": str(retry_after)} if retry_after is not None else None,
    )


def outcome_page(
    wave: PublishedWave, settings: Settings, outcome: Outcome, submission: str | None = None, drafted: bool = False
) -> Template:
    """The page for anything but a submission or a save (which the controller stores first)."""
    if isinstance(outcome, ShowPage):
        return question_page(wave, outcome, submission, drafted)
    if isinstance(outcome, ShowCheck):
        return check_answers(wave, outcome, submission, drafted=drafted)
    if isinstance(outcome, ShowLanding):
        return landing(wave, settings, outcome.raw, submission, drafted)
    raise TypeError(f"no page for {type(outcome).__name__}")


def confirmation(
    wave: PublishedWave,
    settings: Settings,
    receipt: Receipt | None = None,
    urgent: bool = False,
    help_first: bool = False,
    already_sent: bool = False,
) -> Template:
    """The end of a journey; with the receipt of a shared concern, shown this once and never again
    (`already_sent`: the same visit's Submit came again, from a reload or Back, and stored nothing)."""
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
            "already_sent": already_sent,
            "drop_hours": settings.ftsu_drop_hours,
            "reply_days": settings.ftsu_reply_days,
        },
        status_code=HTTP_200_OK,
    )


def saved(
    wave: PublishedWave, settings: Settings, code: str, step: str, raw: RawAnswers, submission: str
) -> Template:
    """The resume code, shown once; "Continue now" carries the answers back to the page they were on."""
    return Template(
        template_name="respond/saved.html",
        context={
            **_common(wave),
            "instrument": wave.instrument,
            "code": code,
            "draft_days": settings.draft_days,
            "step": step,
            "hidden": _carried(hidden_fields(raw), submission, drafted=True),
        },
        status_code=HTTP_200_OK,
    )


def resume_form(
    wave: PublishedWave, error: str | None = None, typed: str = "", status_code: int = HTTP_200_OK,
    retry_after: int | None = None,
) -> Template:
    """Where a respondent types their resume code (GET, or after a wrong code)."""
    return Template(
        template_name="respond/resume.html",
        context={**_common(wave), "instrument": wave.instrument, "error": error, "has_errors": bool(error), "typed": typed},
        status_code=status_code,
        headers={"Retry-After": str(retry_after)} if retry_after else None,
    )
