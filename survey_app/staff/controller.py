"""Signing in and out, and the staff home page listing the waves an account may see."""

from __future__ import annotations

import json
from typing import Annotated, Any

import anyio
from litestar import Controller, Request, Response, get, post
from litestar.enums import RequestEncodingType
from litestar.exceptions import NotAuthorizedException, PermissionDeniedException
from litestar.params import Body, FromPath
from litestar.response import Redirect, Template
from sqlalchemy import select

from survey_app.accounts import LoginRefused, organisation_names, verify_login
from survey_app.audit import record_audit
from survey_app.staff.access import current_member, requires_staff, wave_for
from survey_app.storage.models import Release
from survey_app.wave_names import named_waves

LOGIN_PATH = "/staff/login"


def _redirect_to_login(request: Request[Any, Any, Any], _: NotAuthorizedException) -> Response[Any]:
    return Redirect(LOGIN_PATH)


def _forbidden(request: Request[Any, Any, Any], error: PermissionDeniedException) -> Response[Any]:
    return Template("staff/message.html", context={"title": "You cannot see this page", "message": error.detail}, status_code=403)


STAFF_EXCEPTION_HANDLERS = {NotAuthorizedException: _redirect_to_login, PermissionDeniedException: _forbidden}


class StaffController(Controller):
    path = "/staff"
    include_in_schema = False
    exception_handlers = STAFF_EXCEPTION_HANDLERS

    @get("/login")
    async def login_form(self) -> Template:
        return Template("staff/login.html", context={"errors": None})

    @post("/login")
    async def login(
        self,
        request: Request[Any, Any, Any],
        data: Annotated[dict[str, str], Body(media_type=RequestEncodingType.URL_ENCODED)],
    ) -> Response[Any]:
        email, password = data.get("email", "").strip(), data.get("password", "")
        engine = request.app.state.engine

        def attempt() -> Any:
            with engine.begin() as db:
                try:
                    member = verify_login(db, email, password)
                except LoginRefused:
                    record_audit(db, email.lower() or "(blank)", "staff.login_refused")
                    return None
                record_audit(db, member.email, "staff.login")
                return member

        member = await anyio.to_thread.run_sync(attempt) if email and password else None
        if member is None:
            return Template(
                "staff/login.html",
                context={
                    "errors": "Enter a correct email address and password. After 5 wrong attempts the "
                    "account is locked for 15 minutes.",
                    "email": email,
                },
                status_code=400,
            )
        request.clear_session()
        request.set_session({"account_id": member.id})
        return Redirect("/staff")

    @post("/logout", guards=[requires_staff])
    async def logout(self, request: Request[Any, Any, Any]) -> Response[Any]:
        member = current_member(request)
        with request.app.state.engine.begin() as db:
            record_audit(db, member.email, "staff.logout")
        request.clear_session()
        return Redirect(LOGIN_PATH)

    @get("", guards=[requires_staff])
    async def home(self, request: Request[Any, Any, Any]) -> Template:
        member = current_member(request)
        with request.app.state.engine.connect() as db:
            rows = named_waves(db, list(member.organisation_ids))  # organisation, survey title, dates
            organisations = organisation_names(db, member)
        return Template(
            "staff/home.html",
            context={"member": member, "waves": rows, "organisations": organisations},
        )


class AdminController(Controller):
    """What administrators see of a wave: the release reports (no free text, no answers)."""

    path = "/admin"
    include_in_schema = False
    exception_handlers = STAFF_EXCEPTION_HANDLERS
    guards = [requires_staff]
    opt = {"roles": ("admin",)}

    @get("/waves/{wave:str}/releases")
    async def releases(self, request: Request[Any, Any, Any], wave: FromPath[str]) -> Template:
        summary = wave_for(request, wave)
        member = current_member(request)
        with request.app.state.engine.begin() as db:
            rows = db.execute(
                select(Release.number, Release.released_on, Release.final, Release.report)
                .where(Release.wave_id == summary.id)
                .order_by(Release.number.desc())
            ).all()
            record_audit(db, member.email, "admin.view_releases", wave=wave)
        reports = [(row.number, row.released_on, row.final, json.loads(row.report)) for row in rows]
        return Template("staff/releases.html", context={"member": member, "wave": summary, "reports": reports})
