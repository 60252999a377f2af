"""Visit tokens: issued and authenticated by the server, so a repeat is recognised and nothing else is.

A double tap on "Submit" with JavaScript off, a reload of the thank-you page, or an API call retried
after a dropped connection all send the same answers again. Each visit's forms carry a token; the
token travels inside the sealed response, and the mixer, which opens responses anyway, drops a
response only when it is *the same visit's repeat*: the same token and the same answers
(`repeat_hash`). It remembers that pair only as a keyed hash under the wave's data key, beside the
wave id and nothing else, so the list is unreadable without the wave's keys and goes when the wave
is retired. The web process stores nothing new: no date, no cookie, no token table.

Why the server issues the token, and why that is not enough on its own. Another website once
posted `_action=start&_submission=K` to a respondent's browser: the form adopted K, and whoever
chose K could make the respondent's response "a repeat" of theirs, or share their receipt. So:

- **Issued, never adopted.** Start (`VisitTokens.issue`) mints the token; a form that carries a
  token the server did not issue for *this wave* (`VisitTokens.accept`) gets a fresh one. A token
  is `v1` of a small versioned format: version, a flags byte, 16 random bytes, and a 16-byte
  HMAC-SHA256 tag over all of them and the wave id, under a key derived from the case secret
  (`sealing.derive_key`, as the staff CSRF secret is), so every web replica accepts every other's
  tokens. The flags byte marks an invitation's *ballot* (FLAG_BALLOT): on an invited wave, Start
  spends a code and gives the visit a token with the flag set (survey_app/invitations); the mixer then
  keeps one response per ballot, whatever its answers. Open waves' tokens have flags 0.
  Without a case key (SURVEY_CASE_KEY_FILE unset) each web process makes a random key at start: one
  process works as before; behind several replicas a visit that moves between them is given a new
  token on the way, so a double tap split across two replicas may be kept twice (never lost), and
  sharing a concern is refused anyway without the case key.
- **A token is not a secret that grants anything.** Anyone may get a genuine token from the landing
  page and plant it in another browser (an old browser that sends neither `Sec-Fetch-Site` nor an
  `Origin` cannot be told apart, survey_app/cross_site.py). Knowing a visit's token therefore gives
  nothing: the mixer drops a response only if its answers are identical too (then nothing is lost),
  and a concern's receipt words depend on the token, the answers, the wave and the case secret
  (survey_app/ftsu/receipts.py), so a different concern sent with the same token gets other words.
- **The API lives apart.** An `Idempotency-Key` is the client's own value; it is carried as
  `api.<key>` (`api_submission`), a namespace no web token can enter (web tokens have no dot), and
  the receipt and repeat hashes are per wave, so a key equal to a web token matches nothing of it.

The hash links nothing, even for an insider with the data key and every file: the token exists only
inside the sealed inbox row, whose epoch key is destroyed once it is mixed (survey_app/epochs.py),
and in the respondent's form; no part carries it, so a hash can be tested only by someone who already
holds the token. tests/survey_app/test_insider_attack.py checks no record anyone can open carries one.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
import json
import re
import secrets
from typing import Any

from survey_app.sealing import derive_key

# What the mixer accepts as a token: a web token (URL-safe base64, no dot), or `api.` and a client's
# Idempotency-Key. Older 22-character web tokens still in an inbox keep their meaning.
TOKEN_PATTERN = re.compile(r"(?:api\.)?[A-Za-z0-9_-]{22,64}")
IDEMPOTENCY_KEY_PATTERN = re.compile(r"[A-Za-z0-9_-]{22,64}")
API_PREFIX = "api."

VERSION = 1
NONCE_BYTES = 16
TAG_BYTES = 16
# Flags of a visit token: an invitation's ballot (survey_app/invitations) or an open link's visit.
FLAG_NONE = 0
FLAG_BALLOT = 1
KNOWN_FLAGS = FLAG_BALLOT


def _b64(raw: bytes) -> str:
    return base64.urlsafe_b64encode(raw).rstrip(b"=").decode()


def _unb64(text: str) -> bytes | None:
    try:
        return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))
    except (binascii.Error, ValueError):
        return None


class VisitTokens:
    """Issues and checks visit tokens for one web process (the key is per case secret, so replicas agree)."""

    def __init__(self, case_secret: bytes | None) -> None:
        # Without a case key: a random key, good for this process only (see the module docstring).
        self.shared = case_secret is not None
        self._key = derive_key(case_secret, "survey_app visit token") if case_secret else secrets.token_bytes(32)

    def _tag(self, wave_id: str, body: bytes) -> bytes:
        return hmac.new(self._key, b"visit token\x00" + wave_id.encode() + b"\x00" + body, hashlib.sha256).digest()[:TAG_BYTES]

    def issue(self, wave_id: str, flags: int = FLAG_NONE) -> str:
        body = bytes([VERSION, flags]) + secrets.token_bytes(NONCE_BYTES)
        return _b64(body + self._tag(wave_id, body))

    def verify(self, wave_id: str, value: object) -> str | None:
        """The token if this server issued it for this wave, else None."""
        if not isinstance(value, str) or not IDEMPOTENCY_KEY_PATTERN.fullmatch(value):
            return None
        raw = _unb64(value)
        if raw is None or len(raw) != 2 + NONCE_BYTES + TAG_BYTES or raw[0] != VERSION or raw[1] & ~KNOWN_FLAGS:
            return None
        body, tag = raw[:-TAG_BYTES], raw[-TAG_BYTES:]
        return value if hmac.compare_digest(tag, self._tag(wave_id, body)) else None

    def ballot(self, wave_id: str, value: object) -> str | None:
        """The value if it is a ballot (an invitation's visit, FLAG_BALLOT) this server issued for this wave."""
        token = self.verify(wave_id, value)
        return token if token is not None and flags_of(token) & FLAG_BALLOT else None

    def spent_hash(self, token: str) -> bytes:
        """What survey_app/spent_visits.py keeps of a token that has submitted: a keyed hash."""
        return hmac.new(self._key, b"spent visit\x00" + token.encode(), hashlib.sha256).digest()

    def accept(self, wave_id: str, value: object) -> str:
        """The carried token if the server issued it for this wave; otherwise a new one, never the value sent."""
        return self.verify(wave_id, value) or self.issue(wave_id)


def flags_of(token: str) -> int:
    """The flags byte of a verified token."""
    raw = _unb64(token)
    return raw[1] if raw is not None and len(raw) > 1 else FLAG_NONE


def api_submission(idempotency_key: str | None) -> str | None:
    """The API's namespace for a client's Idempotency-Key: never equal to any web token."""
    return API_PREFIX + idempotency_key if idempotency_key is not None else None


def valid_idempotency_key(value: object) -> str | None:
    return value if isinstance(value, str) and IDEMPOTENCY_KEY_PATTERN.fullmatch(value) else None


def valid_token(value: object) -> str | None:
    """The token if it has the shape of one (as the mixer reads it from a sealed response), else None."""
    return value if isinstance(value, str) and TOKEN_PATTERN.fullmatch(value) else None


def ballot_hash(data_key: bytes, ballot: str) -> bytes:
    """What the mixer keeps of an invited wave's ballot: it counts once, whatever its answers."""
    return hmac.new(data_key, b"ballot:" + ballot.encode(), hashlib.sha256).digest()[:16]


def answers_digest(answers: dict[str, Any]) -> bytes:
    """SHA-256 of the answers in one canonical form: the same answers always give the same digest."""
    return hashlib.sha256(
        json.dumps(answers, sort_keys=True, separators=(",", ":"), ensure_ascii=False).encode()
    ).digest()


def repeat_hash(data_key: bytes, token: str, answers: dict[str, Any]) -> bytes:
    """What the mixer keeps of a response to recognise its repeat: the token *and* the answers, under
    the wave's data key. Two responses share it only if one visit sent the same answers twice."""
    return hmac.new(data_key, b"submission:" + token.encode() + b"\x00" + answers_digest(answers), hashlib.sha256).digest()[:16]
