"""Signing in and out, and the staff home page listing the waves an account may see."""

from __future__ import annotations

import json
import time
from typing import Annotated, Any

import anyio
from litestar import Controller, Request, Response, get, post
from litestar.enums import RequestEncodingType
from litestar.exceptions import NotAuthorizedException, PermissionDeniedException
from litestar.params import Body, FromPath
from litestar.response import Redirect, Template
from sqlalchemy import select

from markupsafe import Markup

from survey_app.accounts import (
    LoginRefused,
    StaffMember,
    account_id_for,
    end_sessions,
    organisation_names,
    session_epoch,
    verify_login,
)
from survey_app.audit import record_audit
from survey_app.ftsu.intake import web_case_secret
from survey_app.ratelimit import GuessLimiter
from survey_app.staff import mfa
from survey_app.staff.access import CSRF_COOKIE, current_member, refuse_other_origins, requires_staff, wave_for
from survey_app.staff.session import rotate_session
from survey_app.storage.models import Account, Release
from survey_app.wave_names import named_waves

LOGIN_PATH = "/staff/login"
# Roles that read concerns or hold keys: never a staff page after the password alone.
MFA_ROLES = ("ftsu", "admin")


def _redirect_to_login(request: Request[Any, Any, Any], _: NotAuthorizedException) -> Response[Any]:
    return Redirect(LOGIN_PATH)


def _forbidden(request: Request[Any, Any, Any], error: PermissionDeniedException) -> Response[Any]:
    return Template("staff/message.html", context={"title": "You cannot see this page", "message": error.detail}, status_code=403)


STAFF_EXCEPTION_HANDLERS = {NotAuthorizedException: _redirect_to_login, PermissionDeniedException: _forbidden}


LOGIN_REFUSED = (
    "Enter a correct email address and password. If you have tried several times, wait a minute, then try again."
)
CODE_REFUSED = "Enter the 6-digit code from your authenticator app, or one of your recovery codes"
PENDING_MINUTES = 10


def _limiter(request: Request[Any, Any, Any]) -> GuessLimiter:
    limiter: GuessLimiter = request.app.state.staff_limiter
    return limiter


def _needs_second_factor(request: Request[Any, Any, Any], role: str, enrolled: bool) -> bool:
    return enrolled or role in MFA_ROLES or request.app.state.settings.staff_mfa == "required"


def _pending(request: Request[Any, Any, Any]) -> str | None:
    """The account that gave its password and still owes its second factor (for PENDING_MINUTES)."""
    session = request.session if request.scope.get("session") is not None else {}
    if session.get("pending") and time.time() - float(session.get("pending_since", 0)) < PENDING_MINUTES * 60:
        return str(session["pending"])
    return None


def _finish_sign_in(request: Request[Any, Any, Any], account_id: str, email: str) -> None:
    """A new session id, bound to the account's current epoch and to this CSRF cookie."""
    with request.app.state.engine.begin() as db:
        epoch = session_epoch(db, account_id)
        record_audit(db, email, "staff.login")
    now = time.time()
    rotate_session(request)
    request.set_session({"account_id": account_id, "epoch": epoch, "signed_in": now, "seen": now, "csrf": request.cookies.get(CSRF_COOKIE)})


class StaffController(Controller):
    path = "/staff"
    include_in_schema = False
    exception_handlers = STAFF_EXCEPTION_HANDLERS

    @get("/login")
    async def login_form(self) -> Template:
        return Template("staff/login.html", context={"errors": None})

    @post("/login", guards=[refuse_other_origins])
    async def login(
        self,
        request: Request[Any, Any, Any],
        data: Annotated[dict[str, str], Body(media_type=RequestEncodingType.URL_ENCODED)],
    ) -> Response[Any]:
        email, password = data.get("email", "").strip()[:254], data.get("password", "")[:1024]
        engine = request.app.state.engine
        limiter = _limiter(request)

        def attempt() -> tuple[StaffMember | None, bool]:
            with engine.begin() as db:
                try:
                    member = verify_login(db, email, password, limiter)
                except LoginRefused as refusal:
                    # Counted against an existing account; what was typed for an unknown one is never kept.
                    known = account_id_for(db, email)
                    record_audit(
                        db, email.lower() if known else "(no such account)", "staff.login_refused",
                        **({"waiting": True} if refusal.waiting and known else {}),
                    )
                    return None, False
                enrolled = db.execute(select(Account.mfa_secret).where(Account.id == member.id)).scalar() is not None
                return member, enrolled

        member, enrolled = await anyio.to_thread.run_sync(attempt) if email and password else (None, False)
        if member is None:
            return Template("staff/login.html", context={"errors": LOGIN_REFUSED, "email": email}, status_code=400)
        if not _needs_second_factor(request, member.role, enrolled):
            _finish_sign_in(request, member.id, member.email)
            return Redirect("/staff")
        rotate_session(request)
        request.set_session({"pending": member.id, "pending_since": time.time()})
        return Redirect("/staff/login/code" if enrolled else "/staff/login/enrol")

    @get("/login/code")
    async def code_form(self, request: Request[Any, Any, Any]) -> Response[Any]:
        if _pending(request) is None:
            return Redirect(LOGIN_PATH)
        return Template("staff/login_code.html", context={"errors": None})

    @post("/login/code", guards=[refuse_other_origins])
    async def code(
        self,
        request: Request[Any, Any, Any],
        data: Annotated[dict[str, str], Body(media_type=RequestEncodingType.URL_ENCODED)],
    ) -> Response[Any]:
        account_id = _pending(request)
        if account_id is None:
            return Redirect(LOGIN_PATH)
        typed = data.get("code", "").strip()[:64]
        case_secret = web_case_secret(request.app.state.settings)
        limiter = _limiter(request)

        def check() -> tuple[bool, str]:
            with request.app.state.engine.begin() as db:
                row = db.execute(select(Account.email, Account.mfa_secret).where(Account.id == account_id)).first()
                if row is None or row.mfa_secret is None or case_secret is None:
                    return False, ""
                if not limiter.attempt(f"code:{account_id}").allowed:
                    record_audit(db, row.email, "staff.code_refused", waiting=True)
                    return False, row.email
                secret = mfa.open_secret(case_secret, account_id, row.mfa_secret)
                step = mfa.matching_step(secret, typed) if secret else None
                if step is not None and mfa.accept_step(db, account_id, step):
                    limiter.succeeded(f"code:{account_id}")
                    return True, row.email
                if mfa.use_recovery_code(db, account_id, typed):
                    limiter.succeeded(f"code:{account_id}")
                    record_audit(db, row.email, "staff.recovery_code_used")
                    return True, row.email
                record_audit(db, row.email, "staff.code_refused")
                return False, row.email

        accepted, email = await anyio.to_thread.run_sync(check)
        if not accepted:
            return Template("staff/login_code.html", context={"errors": CODE_REFUSED}, status_code=400)
        _finish_sign_in(request, account_id, email)
        return Redirect("/staff")

    @get("/login/enrol")
    async def enrol_form(self, request: Request[Any, Any, Any]) -> Response[Any]:
        return self._enrol_page(request, None)

    def _enrol_page(self, request: Request[Any, Any, Any], errors: str | None) -> Response[Any]:
        account_id = _pending(request)
        if account_id is None:
            return Redirect(LOGIN_PATH)
        with request.app.state.engine.connect() as db:
            row = db.execute(select(Account.email, Account.mfa_secret).where(Account.id == account_id)).first()
        if row is None or row.mfa_secret is not None:
            return Redirect(LOGIN_PATH)
        secret = request.session.get("enrol_secret") or mfa.new_secret()
        request.session["enrol_secret"] = secret
        uri = mfa.provisioning_uri(secret, row.email)
        return Template(
            "staff/enrol.html",
            context={"errors": errors, "qr_svg": Markup(mfa.qr_svg(uri)), "secret": mfa.grouped(secret), "email": row.email},
            status_code=400 if errors else 200,
        )

    @post("/login/enrol", guards=[refuse_other_origins])
    async def enrol(
        self,
        request: Request[Any, Any, Any],
        data: Annotated[dict[str, str], Body(media_type=RequestEncodingType.URL_ENCODED)],
    ) -> Response[Any]:
        account_id = _pending(request)
        secret = request.session.get("enrol_secret") if account_id else None
        case_secret = web_case_secret(request.app.state.settings)
        if account_id is None or not secret or case_secret is None:
            return Redirect(LOGIN_PATH)
        step = mfa.matching_step(secret, data.get("code", ""))
        if step is None:
            return self._enrol_page(request, "Enter the 6-digit code your authenticator app shows for this account")
        with request.app.state.engine.begin() as db:
            email = db.execute(select(Account.email).where(Account.id == account_id)).scalar_one()
            codes = mfa.enrol(db, case_secret, account_id, secret, step)
            record_audit(db, email, "staff.mfa_enrolled")
        _finish_sign_in(request, account_id, email)
        return Template("staff/recovery_codes.html", context={"codes": codes})

    @post("/logout", guards=[requires_staff])
    async def logout(self, request: Request[Any, Any, Any]) -> Response[Any]:
        member = current_member(request)
        with request.app.state.engine.begin() as db:
            record_audit(db, member.email, "staff.logout")
        request.clear_session()
        return Redirect(LOGIN_PATH)

    @post("/sign-out-everywhere", guards=[requires_staff])
    async def sign_out_everywhere(self, request: Request[Any, Any, Any]) -> Response[Any]:
        """Every session of this account ends: on a lost phone, a shared computer left signed in."""
        member = current_member(request)
        with request.app.state.engine.begin() as db:
            end_sessions(db, member.id)
            record_audit(db, member.email, "staff.sign_out_everywhere")
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
