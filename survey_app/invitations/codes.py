"""Invitation codes: short enough to type from a paper card, long enough not to be guessed.

A code is 10 random characters of Crockford's base 32 (0-9 and A-Z without I, L, O and U: 50 bits)
and one check character (Luhn mod 32 over the same alphabet), shown in three groups: `7KQ2-M9XD-4TB`.
The check character catches every single mistyped character and most swapped neighbours before the
server is asked, so a typo gets "check the code" rather than "not recognised". Reading is forgiving
as Crockford intends: any case, spaces and hyphens ignored, O read as 0, I and L read as 1.

Guessing: with N codes issued, a random well-formed guess hits an unused one with probability
N / 2^50; for 20,000 codes that is 1.8e-11 a guess, so a client sending 1,000 guesses a second (more
than a web process answers) would find one code about every 1.8 years, and one code is one response.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets

from survey_app.sealing import derive_key

ALPHABET = "0123456789ABCDEFGHJKMNPQRSTVWXYZ"
RANDOM_CHARACTERS = 10
LENGTH = RANDOM_CHARACTERS + 1
_VALUE = {character: value for value, character in enumerate(ALPHABET)}
# Crockford's decoding of characters people confuse with digits.
_READ_AS = str.maketrans({"O": "0", "I": "1", "L": "1"})
_IGNORED = str.maketrans("", "", " -\u2010\u2011\u2012\u2013\u2014\t")


class CodeError(ValueError):
    """A typed code that cannot be an invitation code; the message says what to check."""


def check_character(body: str) -> str:
    """Luhn mod 32: doubles every second value from the right, so one wrong character or a swap of
    two different neighbours changes the check character."""
    total = 0
    for position, character in enumerate(reversed(body)):
        value = _VALUE[character]
        if position % 2 == 0:
            value *= 2
            value = value // 32 + value % 32
        total += value
    return ALPHABET[(32 - total % 32) % 32]


def new_code() -> str:
    body = "".join(secrets.choice(ALPHABET) for _ in range(RANDOM_CHARACTERS))
    return body + check_character(body)


def display(code: str) -> str:
    """`7KQ2M9XD4TB` -> `7KQ2-M9XD-4TB`: easier to read out and to type."""
    return f"{code[:4]}-{code[4:8]}-{code[8:]}"


def parse(typed: object) -> str:
    """The code in canonical form (11 characters, upper case), or CodeError saying what is wrong."""
    if not isinstance(typed, str) or not typed.strip():
        raise CodeError("Enter the code from your invitation")
    code = typed.translate(_IGNORED).upper().translate(_READ_AS)
    if len(code) != LENGTH:
        raise CodeError(f"Your invitation code has {LENGTH} letters and numbers, like 7KQ2-M9XD-4TB. Check it and try again")
    if any(character not in _VALUE for character in code):
        raise CodeError("Your invitation code uses only the numbers 0 to 9 and letters (never U). Check it and try again")
    if check_character(code[:-1]) != code[-1]:
        raise CodeError("That code has a mistake in it. Check each letter and number against your invitation and try again")
    return code


def code_key(case_secret: bytes) -> bytes:
    """The key of the codes' hashes: derived from the case secret, which the web process and the
    operator's CLI hold, so a copy of the database alone cannot test codes."""
    return derive_key(case_secret, "survey_app invitation code")


def code_hash(key: bytes, wave_id: str, code: str) -> bytes:
    return hmac.new(key, b"invitation\x00" + wave_id.encode() + b"\x00" + code.encode(), hashlib.sha256).digest()
