"""Who is signed in, and what they may see: every staff handler goes through these."""

from __future__ import annotations

import time
from typing import Any

from litestar import Request
from litestar.connection import ASGIConnection
from litestar.exceptions import (
    NotAuthorizedException,
    NotFoundException,
    PermissionDeniedException,
)
from litestar.handlers.base import BaseRouteHandler
from sqlalchemy import select

from survey_app.accounts import StaffMember, session_epoch, staff_member
from survey_app.cross_site import is_cross_site
from survey_app.staff.session import SESSION_HOURS
from survey_app.storage.models import Wave
from survey_app.waves import WaveSummary, find_wave


UNSAFE_METHODS = {"POST", "PUT", "PATCH", "DELETE"}
CSRF_COOKIE = "staff_csrf"


def session_is_current(session: dict[str, Any], epoch: int | None, idle_minutes: int, now: float | None = None) -> bool:
    """Signed in less than SESSION_HOURS ago, used within the idle time, and made in the account's
    current epoch (no password or second-factor change, no "sign out everywhere" since)."""
    moment = time.time() if now is None else now
    return (
        epoch is not None
        and session.get("epoch") == epoch
        and moment - float(session.get("signed_in", 0)) < SESSION_HOURS * 3600
        and moment - float(session.get("seen", 0)) < idle_minutes * 60
    )


def signed_in_member(connection: ASGIConnection[Any, Any, Any, Any]) -> StaffMember | None:
    session = connection.session if connection.scope.get("session") is not None else {}
    account_id = session.get("account_id")
    if not account_id:
        return None
    settings = connection.app.state.settings
    with connection.app.state.engine.connect() as db:
        if not session_is_current(session, session_epoch(db, account_id), settings.staff_idle_minutes):
            connection.clear_session()
            return None
        member = staff_member(db, account_id)
    session["seen"] = time.time()
    return member


def refuse_other_origins(connection: ASGIConnection[Any, Any, Any, Any], _handler: BaseRouteHandler) -> None:
    """Guard for staff POSTs: another site's form is refused, whatever cookies came with it."""
    if connection.scope.get("method") in UNSAFE_METHODS and is_cross_site(
        connection.headers, connection.app.state.settings.public_base_url
    ):
        raise PermissionDeniedException("This request came from another website")


def requires_staff(connection: ASGIConnection[Any, Any, Any, Any], handler: BaseRouteHandler) -> None:
    """Guard: a signed-in, active account whose role the handler allows (opt `roles`); on a POST, the
    CSRF cookie must be the one bound to this session at sign-in."""
    refuse_other_origins(connection, handler)
    member = signed_in_member(connection)
    if member is None:
        raise NotAuthorizedException("Sign in to see this page")
    if (
        connection.scope.get("method") in UNSAFE_METHODS
        and not handler.opt.get("exclude_from_csrf")
        and connection.cookies.get(CSRF_COOKIE) != connection.session.get("csrf")
    ):
        raise PermissionDeniedException("This form does not belong to your session. Reload the page and try again")
    connection.scope.setdefault("state", {})["staff_member"] = member
    roles = handler.opt.get("roles")
    if roles and member.role not in roles:
        raise PermissionDeniedException("Your account cannot see this page")


def current_member(request: Request[Any, Any, Any]) -> StaffMember:
    member: StaffMember = request.scope["state"]["staff_member"]
    return member


def wave_for(request: Request[Any, Any, Any], slug: str) -> WaveSummary:
    """The wave, if it belongs to one of the member's organisations; 404 otherwise (never 403:
    a 403 would confirm that another organisation's wave exists)."""
    member = current_member(request)
    with request.app.state.engine.connect() as db:
        wave = find_wave(db, slug)
        organisation_id = (
            db.execute(select(Wave.organisation_id).where(Wave.slug == slug)).scalar() if wave is not None else None
        )
    if wave is None or organisation_id not in member.organisation_ids:
        raise NotFoundException("No such survey wave")
    return wave
