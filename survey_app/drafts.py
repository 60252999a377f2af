"""Drafts: a respondent stops part-way and comes back later, on any device, with a code only they hold.

Other survey tools keep a draft against a person, a cookie or a device. Here a draft is found and
opened only with its *resume code*: seven words from the receipt word list (survey_app/word_codes.py),
77 bits, shown once on the "saved" page and never stored.

- **Found by a keyed hash of its locator.** The first two words are the locator; the row is keyed by
  HMAC(case-secret-derived key, wave, locator), so a copy of the database alone cannot even test a guess.
- **Opened only by the whole code, through a slow, memory-hard KDF.** The draft (the answers so far,
  the page, the visit token) is padded to a size bucket and sealed with AES-GCM under
  argon2id(code, per-draft salt) (KDF_TIME_COST passes over KDF_MEMORY_KIB). The server never holds
  that key: whoever has the database, its WAL and every key the web process and the worker hold must
  still guess the five secret words (55 bits) through argon2id for each draft, and even the locator's
  22 bits only narrow the search to one draft. bench/drafts_kdf.py prints the cost per guess and the
  expected years per draft.
- **No date finer than the week it expires, no address, no cookie.** A row holds the locator hash,
  the salt, the sealed draft, the wave, the expiry week, and a keyed hash of the visit token (so that
  saving again replaces the visit's draft and submitting deletes it). The worker deletes expired drafts;
  closing a wave deletes its drafts. Drafts never reach the inbox, the mixer, a release or any count.
- **Guessing online** is limited per locator like receipts (survey_app/ratelimit.GuessLimiter: a few
  free tries, then a back-off in seconds, never a lock that a stranger could trigger).
"""

from __future__ import annotations

import datetime as dt
import hashlib
import hmac
import json
import os
from dataclasses import dataclass
from typing import Any

from argon2.low_level import Type, hash_secret_raw
from sqlalchemy import Connection, Engine, delete, insert, select
from sqlalchemy.exc import IntegrityError

from survey_app import word_codes
from survey_app.sealing import SealingError, derive_key, open_with_key, seal_with_key
from survey_app.storage.models import Draft

CODE_WORDS = 7
LOCATOR_WORDS = 2
SALT_BYTES = 16
# argon2id: 3 passes over 64 MiB, one lane. About 0.1-0.2 s per guess on one core of this machine.
KDF_TIME_COST = 3
KDF_MEMORY_KIB = 64 * 1024
KDF_PARALLELISM = 1
# Every draft pads to at least this many bytes, so its size says little about how far it got.
DRAFT_BUCKET = 8 * 1024


class DraftCodeError(ValueError):
    """The typed code cannot be a resume code; the message is for the respondent."""


@dataclass(frozen=True)
class DraftCode:
    words: tuple[str, ...]

    @property
    def text(self) -> str:
        return " ".join(self.words)

    @property
    def locator(self) -> str:
        return " ".join(self.words[:LOCATOR_WORDS])


@dataclass(frozen=True)
class DraftContent:
    """What a draft holds: where the respondent was, what they had answered, and the visit's token."""

    step: str
    raw: dict[str, tuple[str, ...]]
    token: str


def new_code() -> DraftCode:
    return DraftCode(word_codes.random_words(CODE_WORDS))


def parse_code(typed: str) -> DraftCode:
    try:
        return DraftCode(word_codes.parse_words(typed, CODE_WORDS, "code"))
    except word_codes.WordCodeError as error:
        raise DraftCodeError(str(error)) from None


def _mac(case_secret: bytes, purpose: str, *parts: str) -> bytes:
    key = derive_key(case_secret, f"survey_app draft {purpose}")
    return hmac.new(key, "\x00".join(parts).encode(), hashlib.sha256).digest()


def locator_hash(case_secret: bytes, wave_id: str, code: DraftCode) -> bytes:
    return _mac(case_secret, "locator", wave_id, code.locator)


def visit_tag(case_secret: bytes, token: str) -> bytes:
    return _mac(case_secret, "visit", token)


def draft_key(code: DraftCode, salt: bytes) -> bytes:
    """The only key that opens a draft: argon2id of the whole code. Slow on purpose."""
    return hash_secret_raw(
        code.text.encode(), salt, time_cost=KDF_TIME_COST, memory_cost=KDF_MEMORY_KIB,
        parallelism=KDF_PARALLELISM, hash_len=32, type=Type.ID,
    )


def expiry_week(days: int, today: dt.date | None = None) -> dt.date:
    """The Monday after the draft's last day: a draft may live up to six days past `days`, never less."""
    last = (today or dt.date.today()) + dt.timedelta(days=days)
    return last - dt.timedelta(days=last.weekday()) + dt.timedelta(days=7)


def _context(wave_id: str) -> bytes:
    return b"survey draft\x00" + wave_id.encode()


def save_draft(
    engine: Engine, case_secret: bytes, wave_id: str, content: DraftContent, days: int
) -> DraftCode:
    """Seal and store the draft under a new code, replacing the visit's earlier draft; return the code."""
    document = json.dumps(
        {"step": content.step, "raw": {qid: list(values) for qid, values in content.raw.items()}, "token": content.token},
        ensure_ascii=False, separators=(",", ":"),
    ).encode()
    tag = visit_tag(case_secret, content.token)
    for _ in range(8):  # a new locator if this one is taken (about 1 in 4 million per draft waiting)
        code, salt = new_code(), os.urandom(SALT_BYTES)
        sealed = seal_with_key(draft_key(code, salt), document, _context(wave_id), size=DRAFT_BUCKET)
        try:
            with engine.begin() as connection:
                connection.execute(delete(Draft).where(Draft.visit_tag == tag))
                connection.execute(
                    insert(Draft).values(
                        locator_hash=locator_hash(case_secret, wave_id, code), wave_id=wave_id, salt=salt,
                        sealed=sealed, visit_tag=tag, expires_week=expiry_week(days),
                    )
                )
            return code
        except IntegrityError:
            continue
    raise RuntimeError("could not find a free draft locator")


def find_draft(connection: Connection, case_secret: bytes, wave_id: str, code: DraftCode) -> Any:
    return connection.execute(
        select(Draft.salt, Draft.sealed, Draft.expires_week).where(
            Draft.locator_hash == locator_hash(case_secret, wave_id, code), Draft.wave_id == wave_id
        )
    ).first()


def open_draft(row: Any, wave_id: str, code: DraftCode, today: dt.date | None = None) -> DraftContent | None:
    """The draft if this code opens it and it has not expired; None otherwise (one answer for both)."""
    if row is None or row.expires_week <= (today or dt.date.today()):
        return None
    try:
        document = json.loads(open_with_key(draft_key(code, bytes(row.salt)), bytes(row.sealed), _context(wave_id)))
    except SealingError:
        return None
    return DraftContent(
        step=str(document["step"]),
        raw={qid: tuple(str(value) for value in values) for qid, values in document["raw"].items()},
        token=str(document["token"]),
    )


def forget_visit_draft(engine: Engine, case_secret: bytes, token: str) -> int:
    """The visit submitted: its draft is no longer needed."""
    with engine.begin() as connection:
        return int(connection.execute(delete(Draft).where(Draft.visit_tag == visit_tag(case_secret, token))).rowcount or 0)


def delete_expired_drafts(connection: Connection, today: dt.date | None = None) -> int:
    """The worker's sweep."""
    return int(connection.execute(delete(Draft).where(Draft.expires_week <= (today or dt.date.today()))).rowcount or 0)


def delete_wave_drafts(connection: Connection, wave_id: str) -> int:
    """A closed wave takes no more answers: its drafts go with it."""
    return int(connection.execute(delete(Draft).where(Draft.wave_id == wave_id)).rowcount or 0)
