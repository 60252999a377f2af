"""Routes for respondents at /s/{wave}: thin handlers over form_state, flow and pages.

GET shows the landing page and the privacy notice. Everything else is one POST endpoint: the form
says which page it came from and which button was pressed, and carries every answer so far, so
the server keeps nothing between requests and the URL never holds an answer. A POST that another
website made the browser send is refused before its body is read (survey_app/cross_site.py); an
open wave takes at most its open-link budget of submissions a minute (survey_app/open_link.py).
"""

from __future__ import annotations

from typing import Any

import anyio
from litestar import Controller, Request, get, post
from litestar.datastructures import FormMultiDict
from litestar.exceptions import ClientException
from litestar.params import FromPath, FromQuery
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
from survey_app.pagekit.errors import refuse_cross_site, respondent_exception_handlers
from survey_app.respond import invited, pages, quote_check
from survey_app.respond.drafting import forget_draft, save_or_refuse
from survey_app.respond.flow import SaveDraft, ShowCheck, Submit, advance, refuse_sharing
from survey_app.respond.form_state import START, START_ACTION, prune_hidden, read_form_state
from survey_app.spent_visits import SpentVisits
from survey_app.submissions import VisitTokens
from survey_app.waves import PublishedWave


find_open_wave = pagekit.find_open_wave


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


def _visit_tokens(request: Request[Any, Any, Any]) -> VisitTokens:
    tokens: VisitTokens = request.app.state.visit_tokens
    return tokens


OVER_BUDGET = (
    "Too many answers are arriving for this survey at the moment, so yours have not been sent yet. "
    "Wait {seconds} seconds, then press Submit again: your answers are kept on this page."
)


class RespondentController(Controller):
    path = "/s"
    include_in_schema = False
    exception_handlers = respondent_exception_handlers

    @get("/{wave:str}")
    async def landing(
        self, request: Request[Any, Any, Any], wave: FromPath[str], code: FromQuery[str | None] = None
    ) -> Template:
        """The landing page; an invitation's link carries its code, which is shown and not spent (a
        mail or SMS app fetching the link for a preview must not use it up)."""
        published = await find_open_wave(request, wave)
        if published is None:
            return pagekit.closed()
        typed = code[:64] if published.invited and code else ""
        return pages.landing(published, _settings(request), invitation_value=typed)

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

    @post("/{wave:str}", status_code=200, guards=[refuse_cross_site])
    async def answer(self, request: Request[Any, Any, Any], wave: FromPath[str]) -> Template:
        published = await find_open_wave(request, wave)
        if published is None:
            return pagekit.closed(answers_lost=True)
        form = await read_form(request)
        # Words ticked for removal on the consent page leave the answer before anything else reads it.
        state = quote_check.remove_words(published.instrument, form, read_form_state(published.instrument, form))
        # The visit's token: Start always issues a new one; later pages keep the carried token only if
        # this server issued it for this wave, else issue a new one. A value that another site chose is
        # never adopted (survey_app/submissions.py).
        starting = state.step == START and state.action == START_ACTION
        if published.invited:
            # An invited wave: the visit must hold a ballot, which Start gives for a code (survey_app/invitations).
            ballot = await invited.ballot_or_landing(request, published, form, state, starting)
            if isinstance(ballot, Template):
                return ballot
            token = ballot
        else:
            token = _visit_tokens(request).accept(published.id, None if starting else state.submission)
        outcome = quote_check.second_look(published.instrument, form, state) or advance(published.instrument, state)
        if isinstance(outcome, SaveDraft):
            return await save_or_refuse(request, published, outcome, token)
        if not isinstance(outcome, Submit):
            return pages.outcome_page(published, _settings(request), outcome, token, state.drafted)
        settings = _settings(request)
        # Sharing a concern with the guardian needs the case key, for its receipt (survey_app/ftsu).
        case_secret = web_case_secret(settings) if concern_is_shared(published.instrument, outcome.answers) else None
        try:
            receipt = receipt_for(published, outcome.answers, case_secret, token)
        except SharingUnavailable as refusal:
            refusal_page = refuse_sharing(published.instrument, state, str(refusal))
            return pages.outcome_page(published, settings, refusal_page, token)
        # A visit submits once: a reload of the thank-you page (or Back to it) stores nothing more and
        # never shows the receipt again, which the next person at a shared computer could read.
        spent = _visit_tokens(request).spent_hash(token)
        spent_visits: SpentVisits = request.app.state.spent_visits
        if not await anyio.to_thread.run_sync(spent_visits.spend, published.id, spent):
            return pages.confirmation(published, settings, receipt=None, urgent=False, help_first=False, already_sent=True)
        budget = await invited.budget_for(request, published)
        if not budget.allowed:
            await anyio.to_thread.run_sync(spent_visits.unspend, published.id, spent)
            # Over the wave's open-link budget: nothing stored, the answers stay in the form.
            waiting = ShowCheck(prune_hidden(published.instrument, state.raw), error=OVER_BUDGET.format(seconds=budget.retry_after))
            return pages.check_answers(published, waiting, token, retry_after=budget.retry_after)
        if receipt is None:
            # Sent twice (a double tap, a reload of the thank-you page): the same token and answers, kept once.
            stored = await request.app.state.inbox_writer.submit(published, outcome.answers, token)
        else:
            stored = await anyio.to_thread.run_sync(
                ftsu_intake.store,
                request.app.state.engine,
                published,
                outcome.answers,
                case_secret,
                receipt,
                token,
            )
        if not stored:
            request.app.state.published_waves.forget(wave)
            return pagekit.closed(answers_lost=True)
        if state.drafted:
            # Sent: the visit's saved draft is no longer needed (survey_app/drafts.py).
            await forget_draft(settings, request.app.state.engine, token)
        urgent = receipt is not None and concern_is_urgent(published.instrument, outcome.answers)
        # Words that suggest a risk to life put "Get help now" first on the page, whatever was shared.
        help_first = any(
            is_urgent(value) for qid, value in outcome.answers.items()
            if isinstance(value, str) and qid in published.instrument.questions
        )
        return pages.confirmation(published, settings, receipt=receipt, urgent=urgent, help_first=help_first)
