"""Receipts: the words with which a respondent who shared a concern reads the guardian's replies.

A receipt is seven words drawn at random from a 2,048-word list shipped in the package
(`survey_app/data/receipt-words.txt`): 77 bits. The first two words are the *locator*, which finds
the case; all seven together are the *secret*, which opens it. The web process shows the words
once, on the confirmation page, and keeps only keyed hashes of them (HMAC-SHA256 under a key
derived from the case secret), so neither the inbox, the cases nor a copy of the database holds
the words, and without the case key the hashes cannot be tested against guesses.

Every word in the list is known by its first four letters, so a respondent may misspell the end
of a word, and capitals, spaces, hyphens and line breaks do not matter.
"""

from __future__ import annotations

import hashlib
import hmac
from dataclasses import dataclass
from typing import Any

from survey_app import word_codes
from survey_app.sealing import derive_key
from survey_app.submissions import answers_digest

RECEIPT_WORDS = 7
LOCATOR_WORDS = 2
PREFIX = word_codes.PREFIX
word_list = word_codes.word_list


class ReceiptError(ValueError):
    """The typed words cannot be a receipt; the message says why, for the respondent."""


@dataclass(frozen=True)
class Receipt:
    words: tuple[str, ...]

    @property
    def text(self) -> str:
        return " ".join(self.words)

    @property
    def locator(self) -> str:
        return " ".join(self.words[:LOCATOR_WORDS])


@dataclass(frozen=True)
class ReceiptHashes:
    """What is stored: hex HMAC-SHA256 of the locator and of the whole receipt."""

    locator: str
    secret: str

    def as_json(self) -> dict[str, str]:
        return {"locator": self.locator, "secret": self.secret}


def new_receipt() -> Receipt:
    return Receipt(word_codes.random_words(RECEIPT_WORDS))


def visit_receipt(case_secret: bytes, wave_id: str, submission: str, answers: dict[str, Any]) -> Receipt:
    """The receipt of one visit's response (survey_app/submissions.py): the same form sent twice, or an
    API call retried with its Idempotency-Key and the same body, gets the same words, so the repeat
    finds the same case rather than making a second one.

    The words are HMAC-SHA256, under a key of their own derived from the case secret, of the wave, the
    token (a web token, or `api.` and an Idempotency-Key: two namespaces that never meet) and the
    digest of the answers. So a client that chose or learned a token learns nothing: without the case
    key the words are as unpredictable as `new_receipt`'s, another wave gives other words, and another
    concern sent with the same token (someone who planted the token in a respondent's browser and
    then sent their own) gets other words and so never opens the respondent's case."""
    message = b"\x00".join([b"visit receipt v2", wave_id.encode(), submission.encode(), answers_digest(answers)])
    digest = hmac.new(derive_key(case_secret, "survey_app visit receipt"), message, hashlib.sha256).digest()
    number = int.from_bytes(digest, "big")
    words = word_list()  # 2,048 = 2**11 words: eleven bits pick one word, exactly uniformly
    return Receipt(tuple(words[(number >> (11 * i)) & 2047] for i in range(RECEIPT_WORDS)))


def parse_receipt(typed: str) -> Receipt:
    """The receipt a respondent typed, forgiving case, spacing, punctuation and word endings."""
    try:
        return Receipt(word_codes.parse_words(typed, RECEIPT_WORDS, "receipt"))
    except word_codes.WordCodeError as error:
        raise ReceiptError(str(error)) from None


def receipt_key(case_secret: bytes) -> bytes:
    return derive_key(case_secret, "survey_app receipt")


def _mac(key: bytes, label: str, value: str) -> str:
    return hmac.new(key, f"{label}\x00{value}".encode(), hashlib.sha256).hexdigest()


def receipt_hashes(case_secret: bytes, receipt: Receipt) -> ReceiptHashes:
    key = receipt_key(case_secret)
    return ReceiptHashes(locator=_mac(key, "locator", receipt.locator), secret=_mac(key, "secret", receipt.text))


def secret_matches(stored: str | None, offered: str) -> bool:
    return stored is not None and hmac.compare_digest(stored, offered)
