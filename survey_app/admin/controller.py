"""Administrators in the browser: organisations' headcounts, waves (headcount, close), staff accounts
(add, disable, new password, reset second factor). Every form is a POST with the session-bound CSRF
token, and every change is in the audit log, as from the CLI.

What is not here, on purpose: opening a wave and releasing results need the key-encryption key, which
the web process never holds (DESIGN.md); they stay with the CLI and the worker (which releases every
open wave on its schedule). Nothing here shows an answer or a word of free text.
"""

from __future__ import annotations

from typing import Any

import anyio
from litestar import Controller, Request, get, post
from litestar.exceptions import NotFoundException
from litestar.params import FromPath
from litestar.response import Template
from sqlalchemy import select

from survey_app.accounts import ROLE_NAMES, ROLES, AccountError, add_account, disable_account, set_password
from survey_app.audit import record_audit
from survey_app.organisations import OrganisationError, set_headcount
from survey_app.staff import mfa
from survey_app.staff.access import current_member, requires_staff
from survey_app.staff.controller import STAFF_EXCEPTION_HANDLERS
from survey_app.storage.models import Account, AccountOrganisation, Organisation, Wave
from survey_app.invitations import counts as invitation_counts
from survey_app.access import ACCESS_INVITED
from survey_app.waves import WaveError, close_wave, set_eligible_headcount


def _overview(connection: Any, organisation_ids: frozenset[str]) -> dict[str, Any]:
    organisations = connection.execute(
        select(Organisation.slug, Organisation.name, Organisation.headcount)
        .where(Organisation.id.in_(organisation_ids)).order_by(Organisation.name)
    ).all()
    rows = connection.execute(
        select(
            Wave.id, Wave.slug, Wave.instrument_id, Wave.status, Wave.opened_on, Wave.closed_on, Wave.eligible_headcount,
            Wave.access, Organisation.name,
        )
        .join(Organisation, Organisation.id == Wave.organisation_id)
        .where(Wave.organisation_id.in_(organisation_ids)).order_by(Wave.status.desc(), Wave.opened_on.desc())
    ).all()
    # An invited wave shows how many of its codes are issued and used (survey_app/invitations).
    waves = [
        {**row._mapping, "invitations": invitation_counts(connection, row.id) if row.access == ACCESS_INVITED else None}
        for row in rows
    ]
    account_ids = connection.execute(
        select(AccountOrganisation.account_id).where(AccountOrganisation.organisation_id.in_(organisation_ids)).distinct()
    ).scalars().all()
    accounts = connection.execute(
        select(Account.id, Account.email, Account.role, Account.active, Account.mfa_secret.isnot(None).label("enrolled"))
        .where(Account.id.in_(account_ids)).order_by(Account.email)
    ).all()
    return {"organisations": organisations, "waves": waves, "accounts": accounts}


class AdminPagesController(Controller):
    path = "/admin"
    include_in_schema = False
    exception_handlers = STAFF_EXCEPTION_HANDLERS
    guards = [requires_staff]
    opt = {"roles": ("admin",)}

    @get("")
    async def home(self, request: Request[Any, Any, Any]) -> Template:
        member = current_member(request)
        with request.app.state.engine.connect() as connection:
            view = _overview(connection, member.organisation_ids)
        organisations = [(o.slug, o.name) for o in view["organisations"]]
        return Template(
            "admin/home.html",
            context={"member": member, **view, "roles": [(r, ROLE_NAMES[r]) for r in ROLES], "organisation_choices": organisations,
                     "min_headcount": request.app.state.settings.min_org_headcount},
        )

    async def _act(self, request: Request[Any, Any, Any], action: str, work: Any, **detail: Any) -> Template:
        """Run one change in a transaction with its audit row; a refusal is shown, nothing half-done."""
        member = current_member(request)
        form = await request.form()

        def run() -> tuple[str | None, str | None]:
            try:
                with request.app.state.engine.begin() as connection:
                    message = work(connection, form, member)
                    record_audit(connection, member.email, f"admin.{action}", **detail)
                return message, None
            except NotFoundException:
                raise  # another organisation's thing: 404, as everywhere (it is a ValueError too)
            except (AccountError, OrganisationError, WaveError, ValueError) as error:
                return None, str(error)

        message, error = await anyio.to_thread.run_sync(run)
        return Template(
            "admin/done.html",
            context={"member": member, "message": message, "error": error},
            status_code=400 if error else 200,
        )

    @post("/organisations/{slug:str}/headcount")
    async def organisation_headcount(self, request: Request[Any, Any, Any], slug: FromPath[str]) -> Template:
        def work(connection: Any, form: Any, member: Any) -> str:
            _own_organisation(connection, slug, member)
            set_headcount(connection, slug, _number(form, "headcount"))
            return f"The headcount of {slug} is now {_number(form, 'headcount'):,}."

        return await self._act(request, "organisation_headcount", work, organisation=slug)

    @post("/waves/{slug:str}/headcount")
    async def wave_headcount(self, request: Request[Any, Any, Any], slug: FromPath[str]) -> Template:
        def work(connection: Any, form: Any, member: Any) -> str:
            _own_wave(connection, slug, member)
            set_eligible_headcount(connection, slug, _number(form, "headcount"))
            return f"The eligible headcount of {slug} is now {_number(form, 'headcount'):,}; response rates use it."

        return await self._act(request, "wave_headcount", work, wave=slug)

    @post("/waves/{slug:str}/close")
    async def close(self, request: Request[Any, Any, Any], slug: FromPath[str]) -> Template:
        def work(connection: Any, form: Any, member: Any) -> str:
            _own_wave(connection, slug, member)
            if form.get("confirm") != "yes":
                raise ValueError("Tick the box to confirm that the survey should close: it cannot be reopened")
            close_wave(connection, slug)
            return (
                f"{slug} is closed: it takes no more answers. Results already released stay. To release what "
                f"came in since the last daily release, an operator runs: survey-app release --wave {slug}"
            )

        response = await self._act(request, "close_wave", work, wave=slug)
        request.app.state.published_waves.forget(slug)
        return response

    @post("/accounts")
    async def add(self, request: Request[Any, Any, Any]) -> Template:
        def work(connection: Any, form: Any, member: Any) -> str:
            slugs = [value for value in form.getall("org", []) if isinstance(value, str)]
            for slug in slugs:
                _own_organisation(connection, slug, member)
            email = str(form.get("email", "")).strip().lower()
            password = add_account(connection, email, str(form.get("role", "")), slugs)
            return f"Added {email}. Their first password, shown once: {password}"

        return await self._act(request, "add_account", work)

    @post("/accounts/{account_id:str}/{change:str}")
    async def change(self, request: Request[Any, Any, Any], account_id: FromPath[str], change: FromPath[str]) -> Template:
        if change not in ("disable", "password", "reset-mfa"):
            raise NotFoundException("No such change")

        def work(connection: Any, form: Any, member: Any) -> str:
            email = _own_account(connection, account_id, member)
            if change == "disable":
                disable_account(connection, email)
                return f"{email} is disabled and every session it had has ended."
            if change == "password":
                return f"New password for {email}, shown once: {set_password(connection, email)}. Their sessions have ended."
            mfa.reset(connection, email)
            return f"{email} sets up two-step sign-in again at their next sign-in. Their sessions have ended."

        return await self._act(request, f"account_{change.replace('-', '_')}", work, account=account_id)


def _number(form: Any, name: str) -> int:
    try:
        value = int(str(form.get(name, "")).replace(",", "").strip())
    except ValueError:
        raise ValueError("Enter the headcount as a whole number, like 2400") from None
    if value < 1:
        raise ValueError("The headcount must be at least 1")
    return value


def _own_organisation(connection: Any, slug: str, member: Any) -> None:
    found = connection.execute(select(Organisation.id).where(Organisation.slug == slug)).scalar()
    if found is None or found not in member.organisation_ids:
        raise NotFoundException("No such organisation")


def _own_wave(connection: Any, slug: str, member: Any) -> None:
    found = connection.execute(select(Wave.organisation_id).where(Wave.slug == slug)).scalar()
    if found is None or found not in member.organisation_ids:
        raise NotFoundException("No such wave")


def _own_account(connection: Any, account_id: str, member: Any) -> str:
    """An account that shares an organisation with this administrator, and is not their own."""
    shared = connection.execute(
        select(AccountOrganisation.organisation_id).where(AccountOrganisation.account_id == account_id)
    ).scalars().all()
    email = connection.execute(select(Account.email).where(Account.id == account_id)).scalar()
    if email is None or not set(shared) & member.organisation_ids:
        raise NotFoundException("No such account")
    if account_id == member.id:
        raise ValueError("Ask another administrator to change your own account")
    return str(email)
