"""Who is signed in, and what they may see: every staff handler goes through these."""

from __future__ import annotations

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

from survey_app.accounts import StaffMember, staff_member
from survey_app.storage.models import Wave
from survey_app.waves import WaveSummary, find_wave


def signed_in_member(connection: ASGIConnection[Any, Any, Any, Any]) -> StaffMember | None:
    account_id = connection.session.get("account_id") if connection.scope.get("session") is not None else None
    if not account_id:
        return None
    with connection.app.state.engine.connect() as db:
        return staff_member(db, account_id)


def requires_staff(connection: ASGIConnection[Any, Any, Any, Any], handler: BaseRouteHandler) -> None:
    """Guard: a signed-in, active account whose role the handler allows (opt `roles`)."""
    member = signed_in_member(connection)
    if member is None:
        raise NotAuthorizedException("Sign in to see this page")
    roles = handler.opt.get("roles")
    if roles and member.role not in roles:
        raise PermissionDeniedException("Your account cannot see this page")
    connection.scope.setdefault("state", {})["staff_member"] = member


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
