"""One response per visit: a form sent twice is kept once.

A double tap on "Submit" with JavaScript off, a reload of the thank-you page, or an API call retried
after a dropped connection all send the same answers again. Each visit's forms carry a random
submission token (the API's `Idempotency-Key` header is the same thing); the token travels inside
the sealed response, and the mixer, which opens responses anyway, drops a response whose token it
has already mixed. It remembers tokens only as a keyed hash under the wave's data key, beside the
wave id and nothing else, so the list is unreadable without the wave's keys and goes when the wave
is retired. Nothing in the web process stores anything new: no date, no cookie, no token table.

A response that shares a concern with the FTSU guardian gets its receipt from the token
(`survey_app.ftsu.receipts.visit_receipt`): a repeat shows the same words, and the guardian's drops,
which already make one case of copies with the same receipt (the urgent path's), make one case of it.
"""

from __future__ import annotations

import hashlib
import hmac
import re
import secrets

# What a token may look like: URL-safe base64 of at least 16 random bytes.
TOKEN_PATTERN = re.compile(r"[A-Za-z0-9_-]{22,64}")


def new_submission_token() -> str:
    return secrets.token_urlsafe(16)


def valid_token(value: object) -> str | None:
    """The token if it has the expected shape, else None (a response without one is never merged)."""
    return value if isinstance(value, str) and TOKEN_PATTERN.fullmatch(value) else None


def token_hash(data_key: bytes, token: str) -> bytes:
    """What the mixer keeps of a token: meaningless without the wave's data key."""
    return hmac.new(data_key, b"submission:" + token.encode(), hashlib.sha256).digest()[:16]
