"""Routes for respondents at /s/{wave}: thin handlers over form_state, flow and pages.

GET shows the landing page and the privacy notice. Everything else is one POST endpoint: the form
says which page it came from and which button was pressed, and carries every answer so far, so
the server keeps nothing between requests and the URL never holds an answer.
"""

from __future__ import annotations

from typing import Any

import anyio
from litestar import Controller, Request, get, post
from litestar.datastructures import FormMultiDict
from litestar.exceptions import ClientException
from litestar.params import FromPath
from litestar.response import Template

from analysis.urgency import is_urgent
from survey_app import pagekit
from survey_app.config import Settings
from survey_app.ftsu import intake as ftsu_intake
from survey_app.ftsu.intake import (
    SharingUnavailable,
    concern_is_shared,
    concern_is_urgent,
    receipt_for,
    web_case_secret,
)
from survey_app.organisations import SLUG_PATTERN
from survey_app.pagekit.errors import respondent_exception_handlers
from survey_app.respond import pages
from survey_app.respond.flow import Submit, advance, refuse_sharing
from survey_app.respond.form_state import read_form_state
from survey_app.waves import PublishedWave


async def find_open_wave(request: Request[Any, Any, Any], slug: str) -> PublishedWave | None:
    if not SLUG_PATTERN.match(slug):
        return None  # could never have been opened; no need to ask the database
    # The cache may query the database: keep that off the event loop.
    return await anyio.to_thread.run_sync(request.app.state.published_waves.get, slug)


async def read_form(request: Request[Any, Any, Any]) -> FormMultiDict:
    # A body over the app's request_max_body_size raises RequestEntityTooLarge here, which the
    # controller's exception handlers turn into a page saying so.
    try:
        return await request.form()
    except UnicodeDecodeError:
        # A multipart part that is not UTF-8 was not sent by our form.
        raise ClientException("form is not UTF-8") from None


def _settings(request: Request[Any, Any, Any]) -> Settings:
    settings: Settings = request.app.state.settings
    return settings


class RespondentController(Controller):
    path = "/s"
    include_in_schema = False
    exception_handlers = respondent_exception_handlers

    @get("/{wave:str}")
    async def landing(self, request: Request[Any, Any, Any], wave: FromPath[str]) -> Template:
        published = await find_open_wave(request, wave)
        if published is None:
            return pagekit.closed()
        return pages.landing(published, _settings(request))

    @get("/{wave:str}/privacy")
    async def privacy(self, request: Request[Any, Any, Any], wave: FromPath[str]) -> Template:
        published = await find_open_wave(request, wave)
        if published is None:
            return pagekit.closed()
        return pages.privacy(published, _settings(request))

    @get(["/", "/{wave:str}/{rest:path}"], status_code=404)
    async def not_a_page(self) -> Template:
        """A mistyped or cut-short link: the same page as a closed survey, rather than a bare 404."""
        return pagekit.closed()

    @post("/{wave:str}", status_code=200)
    async def answer(self, request: Request[Any, Any, Any], wave: FromPath[str]) -> Template:
        published = await find_open_wave(request, wave)
        if published is None:
            return pagekit.closed(answers_lost=True)
        state = read_form_state(published.instrument, await read_form(request))
        outcome = advance(published.instrument, state)
        if not isinstance(outcome, Submit):
            return pages.outcome_page(published, _settings(request), outcome, state.submission)
        settings = _settings(request)
        # Sharing a concern with the guardian needs the case key, for its receipt (survey_app/ftsu).
        case_secret = web_case_secret(settings) if concern_is_shared(published.instrument, outcome.answers) else None
        try:
            receipt = receipt_for(published.instrument, outcome.answers, case_secret, state.submission)
        except SharingUnavailable as refusal:
            refusal_page = refuse_sharing(published.instrument, state, str(refusal))
            return pages.outcome_page(published, settings, refusal_page, state.submission)
        if receipt is None:
            # The visit's token: sent twice (a double tap, a reload of the thank-you page), kept once.
            stored = await request.app.state.inbox_writer.submit(published, outcome.answers, state.submission)
        else:
            stored = await anyio.to_thread.run_sync(
                ftsu_intake.store,
                request.app.state.engine,
                published,
                outcome.answers,
                case_secret,
                receipt,
                state.submission,
            )
        if not stored:
            request.app.state.published_waves.forget(wave)
            return pagekit.closed(answers_lost=True)
        urgent = receipt is not None and concern_is_urgent(published.instrument, outcome.answers)
        # Words that suggest a risk to life put "Get help now" first on the page, whatever was shared.
        help_first = any(
            is_urgent(value) for qid, value in outcome.answers.items()
            if isinstance(value, str) and qid in published.instrument.questions
        )
        return pages.confirmation(published, settings, receipt=receipt, urgent=urgent, help_first=help_first)
