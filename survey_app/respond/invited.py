"""The respondent pages of an invited wave: a code on the landing page, a ballot on every page after.

Start with a code spends it and gives the visit a ballot (survey_app/invitations/ballots.py); every
later page, a saved draft and Submit carry that ballot. A form that reaches any later step without a
ballot of this wave (a token this server did not issue, or none) goes back to the landing page with
its answers kept, to enter a code: nothing is stored without one. Back to the landing page from the
first question keeps the ballot, so Start again does not ask for (and use up) the code twice.
"""

from __future__ import annotations

from typing import Any

from litestar import Request
from litestar.datastructures import FormMultiDict
from litestar.response import Template

from survey_app.ftsu.intake import web_case_secret
from survey_app.invitations.ballots import InvitationRefused, spend_for_ballot
from survey_app.ratelimit import ALLOWED, Decision
from survey_app.respond import pages
from survey_app.respond.form_state import INVITATION_FIELD, FormState, prune_hidden
from survey_app.submissions import VisitTokens
from survey_app.waves import PublishedWave

CODE_NEEDED_AGAIN = (
    "Enter the code from your invitation to carry on. Your answers so far are kept"
)


async def ballot_or_landing(
    request: Request[Any, Any, Any], published: PublishedWave, form: FormMultiDict, state: FormState, starting: bool
) -> str | Template:
    """The visit's ballot; or the landing page, with what went wrong and the answers so far."""
    tokens: VisitTokens = request.app.state.visit_tokens
    ballot = tokens.ballot(published.id, state.submission)
    if ballot is not None:
        return ballot
    settings = request.app.state.settings
    raw = prune_hidden(published.instrument, state.raw)
    typed = form.get(INVITATION_FIELD)
    if not starting:
        return pages.landing(published, settings, raw, None, state.drafted, invitation_error=CODE_NEEDED_AGAIN)
    try:
        return await spend_for_ballot(request.app.state.engine, web_case_secret(settings), tokens, published.id, typed)
    except InvitationRefused as refusal:
        return pages.landing(
            published,
            settings,
            raw,
            None,
            state.drafted,
            invitation_error=refusal.message,
            invitation_value=typed if isinstance(typed, str) else "",
        )


async def budget_for(request: Request[Any, Any, Any], published: PublishedWave) -> Decision:
    """An open wave's submissions take a place in its open-link budget; an invited wave's are bounded
    by its codes instead (one response per code), so a flood on another wave never slows them."""
    if published.invited:
        return ALLOWED
    decision: Decision = await request.app.state.open_link_budget.admit(published.id)
    return decision
