"""From an invitation code to a ballot, for the web form and the API alike.

A ballot is a visit token (survey_app/submissions.py) with its ballot flag set: minted by this
server only after the transaction that spends the code has committed, and stored nowhere. Every
refusal says what to do, in words fit for a respondent; the API sends the same words as JSON.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass

import anyio.to_thread
from sqlalchemy import Engine

from survey_app.invitations.codes import CodeError, parse
from survey_app.invitations.ledger import Spend, spend
from survey_app.submissions import FLAG_BALLOT, VisitTokens

logger = logging.getLogger("survey_app.invitations")

UNKNOWN = (
    "We do not recognise that code. Check it against your invitation. If it is right, ask the person who "
    "gave you the invitation for a new code"
)
ALREADY_USED = (
    "That code has already been used: each invitation code can be used once. If you did not use it, ask "
    "the person who gave you the invitation for a new code"
)
UNAVAILABLE = "Invitation codes cannot be checked at the moment. Try again later: nothing has been used up"


@dataclass(frozen=True)
class InvitationRefused(Exception):
    """The code was missing, mistyped, unknown (403) or used before (409), or cannot be checked (503)."""

    status: int
    message: str


async def spend_for_ballot(
    engine: Engine, case_secret: bytes | None, tokens: VisitTokens, wave_id: str, typed: object
) -> str:
    """Spend the typed code (its own transaction) and return a new ballot; InvitationRefused otherwise."""
    try:
        code = parse(typed)
    except CodeError as error:
        raise InvitationRefused(403, str(error)) from None
    if case_secret is None or not tokens.shared:
        # Codes are hashed under the case key; without it no code can be checked (and a ballot
        # minted under a per-process key would not be recognised by the mixer).
        logger.error("an invited wave was asked to check a code, but this process has no case key (SURVEY_CASE_KEY_FILE)")
        raise InvitationRefused(503, UNAVAILABLE)
    outcome = await anyio.to_thread.run_sync(spend, engine, case_secret, wave_id, code)
    if outcome is Spend.USED:
        raise InvitationRefused(409, ALREADY_USED)
    if outcome is Spend.UNKNOWN:
        raise InvitationRefused(403, UNKNOWN)
    return tokens.issue(wave_id, FLAG_BALLOT)
