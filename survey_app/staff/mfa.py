"""The second factor: TOTP (RFC 6238) for guardians and administrators, and recovery codes.

Guardians read concerns, sometimes unredacted; administrators manage keys and exports. A password
alone does not open their pages: after the password, a six-digit code from an authenticator app
(pyotp), or one of ten single-use recovery codes. EDI leads use it when they choose to, or always
when STAFF_MFA=required.

- The TOTP secret is stored sealed (AES-GCM under a key derived from the case secret, bound to the
  account id), never in the clear: a copy of the database alone gives no codes.
- A code is accepted once: the time step it matched is written with a conditional UPDATE (only if
  later than the last one accepted), so a code seen over a shoulder or replayed within its 30 seconds
  is refused, and two parallel uses of one code cannot both win.
- Recovery codes (ten, 10 characters of Crockford base-32, 50 bits each) are shown once and kept as
  SHA-256 digests; using one removes it with a compare-and-swap, so each works exactly once.
- Codes are guessed no faster than passwords: the same limiter (survey_app/ratelimit.py) under the
  account's own key.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import secrets
import time

import pyotp
import segno
from sqlalchemy import Connection, select, update

from survey_app.sealing import SealingError, derive_key, open_with_key, seal_with_key
from survey_app.storage.models import Account

ISSUER = "NHS staff survey"
RECOVERY_CODES = 10
RECOVERY_ALPHABET = "0123456789ABCDEFGHJKMNPQRSTVWXYZ"
STEP_SECONDS = 30


def _key(case_secret: bytes) -> bytes:
    return derive_key(case_secret, "survey_app staff totp")


def _context(account_id: str) -> bytes:
    return b"totp secret\x00" + account_id.encode()


def new_secret() -> str:
    return pyotp.random_base32()


def seal_secret(case_secret: bytes, account_id: str, secret: str) -> bytes:
    return seal_with_key(_key(case_secret), secret.encode(), _context(account_id))


def open_secret(case_secret: bytes, account_id: str, sealed: bytes) -> str | None:
    try:
        return open_with_key(_key(case_secret), bytes(sealed), _context(account_id)).decode()
    except SealingError:
        return None


def provisioning_uri(secret: str, email: str) -> str:
    return pyotp.TOTP(secret).provisioning_uri(name=email, issuer_name=ISSUER)


def qr_svg(uri: str) -> str:
    """The enrolment QR code as inline SVG (no image request, nothing from another host)."""
    return str(segno.make(uri, error="m").svg_inline(scale=4, title="QR code for your authenticator app"))


def grouped(secret: str) -> str:
    """The secret as text people can type: groups of four."""
    return " ".join(secret[i : i + 4] for i in range(0, len(secret), 4))


def matching_step(secret: str, code: str, now: float | None = None) -> int | None:
    """The time step (previous, current or next) whose code this is, or None."""
    code = "".join(code.split())
    if not (len(code) == 6 and code.isdigit()):
        return None
    totp = pyotp.TOTP(secret)
    moment = time.time() if now is None else now
    current = int(moment // STEP_SECONDS)
    for step in (current - 1, current, current + 1):
        if hmac.compare_digest(totp.at(step * STEP_SECONDS), code):
            return step
    return None


def accept_step(connection: Connection, account_id: str, step: int) -> bool:
    """Record the step as used, only if later than the last one: a code never works twice."""
    result = connection.execute(
        update(Account)
        .where(Account.id == account_id)
        .where((Account.mfa_last_step.is_(None)) | (Account.mfa_last_step < step))
        .values(mfa_last_step=step)
    )
    return result.rowcount == 1


def new_recovery_codes() -> list[str]:
    return ["".join(secrets.choice(RECOVERY_ALPHABET) for _ in range(10)) for _ in range(RECOVERY_CODES)]


def _digest(code: str) -> str:
    normal = "".join(code.upper().split()).replace("-", "").replace("O", "0").replace("I", "1").replace("L", "1")
    return hashlib.sha256(b"recovery code\x00" + normal.encode()).hexdigest()


def enrol(connection: Connection, case_secret: bytes, account_id: str, secret: str, step: int) -> list[str]:
    """Store the confirmed secret and fresh recovery codes; end every other session; return the codes."""
    codes = new_recovery_codes()
    connection.execute(
        update(Account)
        .where(Account.id == account_id)
        .values(
            mfa_secret=seal_secret(case_secret, account_id, secret),
            mfa_last_step=step,
            recovery_codes=json.dumps([_digest(code) for code in codes]),
            session_epoch=Account.session_epoch + 1,
        )
    )
    return codes


def use_recovery_code(connection: Connection, account_id: str, code: str) -> bool:
    """True once per code: it is removed in the same conditional UPDATE that accepts it."""
    stored = connection.execute(select(Account.recovery_codes).where(Account.id == account_id)).scalar()
    digests = json.loads(stored) if stored else []
    digest = _digest(code)
    if digest not in digests:
        return False
    remaining = [d for d in digests if d != digest]
    result = connection.execute(
        update(Account)
        .where(Account.id == account_id, Account.recovery_codes == stored)
        .values(recovery_codes=json.dumps(remaining))
    )
    return result.rowcount == 1


def reset(connection: Connection, email: str) -> bool:
    """An administrator's reset: no second factor until the holder enrols again; sessions end."""
    result = connection.execute(
        update(Account)
        .where(Account.email == email.strip().lower())
        .values(mfa_secret=None, mfa_last_step=None, recovery_codes=None, session_epoch=Account.session_epoch + 1)
    )
    return result.rowcount == 1
