"""Staff accounts: argon2 passwords, organisation scope, and sign-in that no one can lock.

Wrong attempts slow an account down; nothing locks it. Each attempt first takes a place with the
staff GuessLimiter (survey_app/ratelimit.py: atomic, in Redis when REDIS_URL is set), keyed by a hash
of the email typed, so three free tries, then waits of 2, 4 ... 64 seconds; an attempt while waiting
is refused without looking at the password. Unknown emails, wrong passwords and waiting attempts all
run exactly one argon2 verification and get the same answer, so neither the page nor its timing says
which happened. At the cap an attacker gets at most 86,400 / 64 = 1,350 guesses a day per account
(argon2id, ~50-150 ms each here), against a password of at least 12 characters and, for guardians and
administrators, a second factor.
"""

from __future__ import annotations

import hashlib
import re
import secrets
from dataclasses import dataclass

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError, VerifyMismatchError
from sqlalchemy import Connection, delete, insert, select, update

from survey_app.organisations import find_organisation
from survey_app.ratelimit import GuessLimiter
from survey_app.storage.models import (
    Account,
    AccountOrganisation,
    Organisation,
    random_id,
)

ROLES = ("edi", "ftsu", "admin")
ROLE_NAMES = {"edi": "EDI lead", "ftsu": "Freedom to Speak Up guardian", "admin": "Administrator"}
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
        # A new password ends every session of the account (survey_app/staff/session.py).
        .values(password_hash=_hasher.hash(password), session_epoch=Account.session_epoch + 1)
    )
    if result.rowcount == 0:
        raise AccountError(f"no account for {email}")
    return password


def end_sessions(connection: Connection, account_id: str) -> None:
    """Every session of the account stops working: "sign out everywhere", a new second factor."""
    connection.execute(update(Account).where(Account.id == account_id).values(session_epoch=Account.session_epoch + 1))


def disable_account(connection: Connection, email: str) -> None:
    """The account can no longer sign in, and its sessions end now."""
    result = connection.execute(
        update(Account)
        .where(Account.email == email.strip().lower())
        .values(active=False, session_epoch=Account.session_epoch + 1)
    )
    if result.rowcount == 0:
        raise AccountError(f"no account for {email}")


def session_epoch(connection: Connection, account_id: str) -> int | None:
    """The account's session epoch, or None if it is not active."""
    return connection.execute(
        select(Account.session_epoch).where(Account.id == account_id, Account.active.is_(True))
    ).scalar()


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
    """Wrong email or password, or the account must wait; the page never says which (`waiting` is
    for the audit log only)."""

    def __init__(self, waiting: bool = False) -> None:
        super().__init__("sign-in refused")
        self.waiting = waiting


def limiter_key(email: str) -> str:
    """What the sign-in limiter counts under: a hash of the email as typed (normalised), so unknown
    emails wait exactly like real ones."""
    return hashlib.sha256(b"staff sign-in\x00" + email.strip().lower().encode()).hexdigest()


def verify_login(connection: Connection, email: str, password: str, limiter: GuessLimiter) -> StaffMember:
    """The member whose password this is, or LoginRefused: one argon2 verification whatever happens."""
    row = connection.execute(
        select(Account.id, Account.password_hash).where(Account.email == email.strip().lower(), Account.active.is_(True))
    ).first()
    key = limiter_key(email)
    decision = limiter.attempt(key)
    if row is None or not decision.allowed:
        try:
            _hasher.verify(_DUMMY_HASH, password)
        except VerificationError:
            pass
        raise LoginRefused(waiting=not decision.allowed)
    try:
        _hasher.verify(row.password_hash, password)
    except (VerifyMismatchError, VerificationError, InvalidHashError):
        raise LoginRefused() from None
    limiter.succeeded(key)
    member = staff_member(connection, row.id)
    assert member is not None
    return member


def account_id_for(connection: Connection, email: str) -> str | None:
    """An existing account's id (for the audit log of a refused sign-in), else None."""
    return connection.execute(select(Account.id).where(Account.email == email.strip().lower())).scalar()


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
