"""Staff accounts: argon2 passwords, lock-out after repeated failures, organisation scope."""

from __future__ import annotations

import datetime as dt
import re
import secrets
from dataclasses import dataclass

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError, VerifyMismatchError
from sqlalchemy import Connection, delete, insert, select, update

from survey_app.organisations import find_organisation
from survey_app.storage.models import (
    Account,
    AccountOrganisation,
    Organisation,
    random_id,
)

ROLES = ("edi", "ftsu", "admin")
ROLE_NAMES = {"edi": "EDI lead", "ftsu": "Freedom to Speak Up guardian", "admin": "Administrator"}
MAX_FAILED_LOGINS = 5
LOCK_MINUTES = 15
EMAIL_PATTERN = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")

_hasher = PasswordHasher()
# Verifying against this when the email is unknown keeps the answer time the same either way.
_DUMMY_HASH = _hasher.hash(secrets.token_urlsafe(16))


class AccountError(ValueError):
    pass


@dataclass(frozen=True)
class StaffMember:
    id: str
    email: str
    role: str
    organisation_ids: frozenset[str]

    @property
    def role_name(self) -> str:
        return ROLE_NAMES[self.role]


def _now() -> dt.datetime:
    return dt.datetime.now(dt.UTC)


def add_account(connection: Connection, email: str, role: str, organisation_slugs: list[str], password: str | None = None) -> str:
    """Create an account and return its password (generated when not given): shown once, stored hashed."""
    email = email.strip().lower()
    if not EMAIL_PATTERN.match(email):
        raise AccountError(f"{email!r} is not an email address")
    if role not in ROLES:
        raise AccountError(f"role must be one of {', '.join(ROLES)}")
    if not organisation_slugs:
        raise AccountError("an account needs at least one organisation (--org)")
    if connection.execute(select(Account.id).where(Account.email == email)).first():
        raise AccountError(f"an account for {email} already exists")
    organisations = []
    for slug in organisation_slugs:
        organisation = find_organisation(connection, slug)
        if organisation is None:
            raise AccountError(f"no organisation with slug {slug!r}")
        organisations.append(organisation.id)
    password = password or secrets.token_urlsafe(15)
    if len(password) < 12:
        raise AccountError("a password needs at least 12 characters")
    account_id = random_id()
    connection.execute(
        insert(Account).values(id=account_id, email=email, role=role, password_hash=_hasher.hash(password), active=True)
    )
    connection.execute(
        insert(AccountOrganisation), [{"account_id": account_id, "organisation_id": o} for o in organisations]
    )
    return password


def set_password(connection: Connection, email: str, password: str | None = None) -> str:
    password = password or secrets.token_urlsafe(15)
    result = connection.execute(
        update(Account)
        .where(Account.email == email.strip().lower())
        .values(password_hash=_hasher.hash(password), failed_logins=0, locked_until=None)
    )
    if result.rowcount == 0:
        raise AccountError(f"no account for {email}")
    return password


def staff_member(connection: Connection, account_id: str) -> StaffMember | None:
    row = connection.execute(
        select(Account.id, Account.email, Account.role).where(Account.id == account_id, Account.active.is_(True))
    ).first()
    if row is None:
        return None
    organisations = connection.execute(
        select(AccountOrganisation.organisation_id).where(AccountOrganisation.account_id == account_id)
    ).scalars()
    return StaffMember(row.id, row.email, row.role, frozenset(organisations))


class LoginRefused(Exception):
    """Wrong email or password, or the account is locked; the message never says which."""


def verify_login(connection: Connection, email: str, password: str) -> StaffMember:
    row = connection.execute(
        select(Account).where(Account.email == email.strip().lower(), Account.active.is_(True))
    ).first()
    if row is None:
        try:
            _hasher.verify(_DUMMY_HASH, password)
        except VerificationError:
            pass
        raise LoginRefused()
    locked_until = row.locked_until
    if locked_until is not None and locked_until.tzinfo is None:
        locked_until = locked_until.replace(tzinfo=dt.UTC)
    if locked_until is not None and locked_until > _now():
        raise LoginRefused()
    try:
        _hasher.verify(row.password_hash, password)
    except (VerifyMismatchError, VerificationError, InvalidHashError):
        failed = row.failed_logins + 1
        connection.execute(
            update(Account)
            .where(Account.id == row.id)
            .values(
                failed_logins=0 if failed >= MAX_FAILED_LOGINS else failed,
                locked_until=_now() + dt.timedelta(minutes=LOCK_MINUTES) if failed >= MAX_FAILED_LOGINS else None,
            )
        )
        raise LoginRefused() from None
    connection.execute(update(Account).where(Account.id == row.id).values(failed_logins=0, locked_until=None))
    member = staff_member(connection, row.id)
    assert member is not None
    return member


def organisation_names(connection: Connection, member: StaffMember) -> list[tuple[str, str]]:
    """(slug, name) of the organisations this member may see."""
    rows = connection.execute(
        select(Organisation.slug, Organisation.name)
        .where(Organisation.id.in_(member.organisation_ids))
        .order_by(Organisation.name)
    )
    return [(row.slug, row.name) for row in rows]


def remove_account(connection: Connection, email: str) -> None:
    account = connection.execute(select(Account.id).where(Account.email == email.strip().lower())).scalar()
    if account is None:
        raise AccountError(f"no account for {email}")
    connection.execute(delete(AccountOrganisation).where(AccountOrganisation.account_id == account))
    connection.execute(update(Account).where(Account.id == account).values(active=False))
