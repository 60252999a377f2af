"""Save and come back later: the respondent side of survey_app/drafts.py.

"Save and come back later" posts the page like any other button; the answers so far are sealed
under a key only the new resume code gives, and the page shows the code once. /s/{wave}/resume
takes the code back, opens the draft and returns the respondent to the page they left, with the
same visit token, so the draft and the final submission are one response. Wrong codes are limited
per locator like receipts (survey_app/ratelimit.GuessLimiter), never by a lock that a stranger
could trigger; the slow KDF runs in a worker thread, a few at a time.
"""

from __future__ import annotations

from typing import Any

import anyio
from litestar import Controller, Request, get, post
from litestar.exceptions import ClientException
from litestar.params import FromPath
from litestar.response import Template
from litestar.status_codes import HTTP_429_TOO_MANY_REQUESTS, HTTP_503_SERVICE_UNAVAILABLE
from sqlalchemy import Engine

from survey_app import drafts, pagekit
from survey_app.config import Settings
from survey_app.ftsu.intake import web_case_secret
from survey_app.pagekit.errors import refuse_cross_site, respondent_exception_handlers
from survey_app.ratelimit import GuessLimiter
from survey_app.respond import pages
from survey_app.respond.flow import SaveDraft, ShowCheck, ShowPage, is_shown, next_page
from survey_app.respond.form_state import CHECK, prune_hidden, typed_answers
from survey_app.submissions import VisitTokens
from survey_app.waves import PublishedWave

SAVING_UNAVAILABLE = "Saving is not available at the moment. You can carry on and submit your answers now."
NOT_FOUND = (
    "We could not find saved answers with this code. Check each word and the order of the words. "
    "Saved answers are deleted after {days} days, and when they are submitted."
)
TOO_MANY = "Too many codes have been tried for these saved answers just now. Wait {seconds} seconds, then try again."
# argon2id takes 64 MiB and a tenth of a second or more: a few at a time per process.
KDF_AT_ONCE = 2


def _kdf_slots(request: Request[Any, Any, Any]) -> anyio.CapacityLimiter:
    state = request.app.state
    if getattr(state, "draft_kdf_slots", None) is None:
        state.draft_kdf_slots = anyio.CapacityLimiter(KDF_AT_ONCE)
    slots: anyio.CapacityLimiter = state.draft_kdf_slots
    return slots


async def save_or_refuse(
    request: Request[Any, Any, Any], wave: PublishedWave, outcome: SaveDraft, token: str
) -> Template:
    settings: Settings = request.app.state.settings
    case_secret = web_case_secret(settings)
    if case_secret is None:
        # Without the case key no code could ever find the draft: say so and keep the answers here.
        if outcome.step == CHECK:
            return pages.check_answers(wave, ShowCheck(outcome.raw, error=SAVING_UNAVAILABLE), token)
        page = wave.instrument.page(outcome.step)
        return pages.question_page(wave, ShowPage(page, outcome.raw, {page.questions[0].id: SAVING_UNAVAILABLE}), token)
    content = drafts.DraftContent(outcome.step, outcome.raw, token)
    engine: Engine = request.app.state.engine
    code = await anyio.to_thread.run_sync(
        drafts.save_draft, engine, case_secret, wave.id, content, settings.draft_days, limiter=_kdf_slots(request)
    )
    return pages.saved(wave, settings, code.text, outcome.step, outcome.raw, token)


async def forget_draft(settings: Settings, engine: Engine, token: str) -> None:
    case_secret = web_case_secret(settings)
    if case_secret is not None:
        await anyio.to_thread.run_sync(drafts.forget_visit_draft, engine, case_secret, token)


def _where_they_were(wave: PublishedWave, content: drafts.DraftContent) -> ShowPage | ShowCheck:
    """The page the draft was saved on, if routing still shows it; else the first page still to do."""
    instrument = wave.instrument
    raw = prune_hidden(instrument, {qid: values for qid, values in content.raw.items() if qid in instrument.questions})
    if content.step == CHECK:
        return ShowCheck(raw)
    page_ids = [page.id for page in instrument.pages]
    if content.step in page_ids and is_shown(instrument.page(content.step), typed_answers(instrument, raw)):
        return ShowPage(instrument.page(content.step), raw)
    first = next_page(instrument, -1, raw)
    return ShowPage(first, raw) if first is not None else ShowCheck(raw)


class ResumeController(Controller):
    path = "/s"
    include_in_schema = False
    exception_handlers = respondent_exception_handlers

    @get("/{wave:str}/resume")
    async def resume_form(self, request: Request[Any, Any, Any], wave: FromPath[str]) -> Template:
        published = await pagekit.find_open_wave(request, wave)
        if published is None:
            return pagekit.closed()
        return pages.resume_form(published)

    @post("/{wave:str}/resume", status_code=200, guards=[refuse_cross_site])
    async def resume(self, request: Request[Any, Any, Any], wave: FromPath[str]) -> Template:
        published = await pagekit.find_open_wave(request, wave)
        if published is None:
            return pagekit.closed()
        try:
            form = await request.form()
        except UnicodeDecodeError:
            raise ClientException("form is not UTF-8") from None
        typed = next((value for value in form.getall("code", []) if isinstance(value, str)), "")[:500]
        try:
            code = drafts.parse_code(typed)
        except drafts.DraftCodeError as error:
            return pages.resume_form(published, str(error), typed)
        settings: Settings = request.app.state.settings
        case_secret = web_case_secret(settings)
        if case_secret is None:
            return pages.resume_form(published, SAVING_UNAVAILABLE, typed, HTTP_503_SERVICE_UNAVAILABLE)
        limiter: GuessLimiter = request.app.state.draft_limiter
        engine: Engine = request.app.state.engine
        locator = drafts.locator_hash(case_secret, published.id, code).hex()

        def look_up() -> tuple[int, drafts.DraftContent | None]:
            # Take a place first (atomic), then test: parallel guesses never pass the limit together.
            decision = limiter.attempt(locator)
            if not decision.allowed:
                return decision.retry_after, None
            with engine.connect() as connection:
                row = drafts.find_draft(connection, case_secret, published.id, code)
            content = drafts.open_draft(row, published.id, code)
            if content is not None:
                limiter.succeeded(locator)
            return 0, content

        wait, content = await anyio.to_thread.run_sync(look_up, limiter=_kdf_slots(request))
        if wait:
            return pages.resume_form(
                published, TOO_MANY.format(seconds=wait), typed, HTTP_429_TOO_MANY_REQUESTS, retry_after=wait
            )
        if content is None:
            return pages.resume_form(published, NOT_FOUND.format(days=settings.draft_days), typed)
        tokens: VisitTokens = request.app.state.visit_tokens
        # The same visit token as before the save, if this server issued it for this wave.
        token = tokens.accept(published.id, content.token)
        return pages.outcome_page(published, settings, _where_they_were(published, content), token, drafted=True)
