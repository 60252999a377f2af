"""The invitation ledger: issue codes, spend one, count them. Keyed hashes only.

`issue` stores HMAC(code key, wave, code) for each new code in `invitation` and returns the codes
once, to be printed or mailed; nothing else about them (no name, contact, batch or date) is kept.
`spend` is one short transaction of its own: delete the unused code's hash (a row count of 1 means
this request won, so two concurrent uses of one code cannot both succeed) and add it to
`spent_invitation`, so a second use is told "already used" (409) rather than "not recognised" (403).
It returns nothing but the outcome: the ballot the visit then gets is made by the caller, after
this transaction has committed, and is never written anywhere beside the code (survey_app/invitations).
"""

from __future__ import annotations

import enum
from dataclasses import dataclass

from sqlalchemy import Connection, Engine, delete, func, insert, select

from survey_app.invitations.codes import code_hash, code_key, new_code
from survey_app.storage.models import Invitation, SpentInvitation

MAX_ISSUE = 100_000
"""Most codes one `invitations issue` makes: more than any trust's headcount; a typo like 1000000
would otherwise fill the disk."""


class Spend(enum.Enum):
    SPENT = "spent"
    USED = "used"
    UNKNOWN = "unknown"


@dataclass(frozen=True)
class InvitationCounts:
    issued: int
    used: int

    @property
    def unused(self) -> int:
        return self.issued - self.used


def issue(connection: Connection, case_secret: bytes, wave_id: str, count: int) -> list[str]:
    """`count` new codes for this wave, stored as keyed hashes; the codes themselves are returned once."""
    if not 1 <= count <= MAX_ISSUE:
        raise ValueError(f"issue between 1 and {MAX_ISSUE:,} codes at a time")
    key = code_key(case_secret)
    codes: dict[bytes, str] = {}
    while len(codes) < count:  # 50 random bits: a repeat within one batch is all but impossible, but cheap to rule out
        code = new_code()
        codes[code_hash(key, wave_id, code)] = code
    taken = set(
        connection.execute(
            select(Invitation.code_hash).where(Invitation.wave_id == wave_id, Invitation.code_hash.in_(list(codes)))
        ).scalars()
    ) | set(
        connection.execute(
            select(SpentInvitation.code_hash).where(
                SpentInvitation.wave_id == wave_id, SpentInvitation.code_hash.in_(list(codes))
            )
        ).scalars()
    )
    fresh = {digest: code for digest, code in codes.items() if bytes(digest) not in taken}
    for start in range(0, len(fresh), 5000):
        chunk = list(fresh)[start : start + 5000]
        connection.execute(insert(Invitation), [{"wave_id": wave_id, "code_hash": digest} for digest in chunk])
    return list(fresh.values())


def spend(engine: Engine, case_secret: bytes, wave_id: str, code: str) -> Spend:
    """Spend a (well-formed) code in a transaction of its own: SPENT once, then USED; UNKNOWN if never issued."""
    digest = code_hash(code_key(case_secret), wave_id, code)
    with engine.begin() as connection:
        taken = connection.execute(
            delete(Invitation).where(Invitation.wave_id == wave_id, Invitation.code_hash == digest)
        ).rowcount
        if taken == 1:
            connection.execute(insert(SpentInvitation).values(wave_id=wave_id, code_hash=digest))
            return Spend.SPENT
        used = connection.execute(
            select(SpentInvitation.code_hash).where(
                SpentInvitation.wave_id == wave_id, SpentInvitation.code_hash == digest
            )
        ).first()
    return Spend.USED if used is not None else Spend.UNKNOWN


def counts(connection: Connection, wave_id: str) -> InvitationCounts:
    unused = connection.execute(
        select(func.count()).select_from(Invitation).where(Invitation.wave_id == wave_id)
    ).scalar_one()
    used = connection.execute(
        select(func.count()).select_from(SpentInvitation).where(SpentInvitation.wave_id == wave_id)
    ).scalar_one()
    return InvitationCounts(issued=unused + used, used=used)
