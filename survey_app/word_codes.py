"""Codes made of words: what a person can copy from a phone screen, write down or read out.

One 2,048-word list ships in the package (`survey_app/data/receipt-words.txt`): each word carries 11
bits and is known by its first four letters, so a person may misspell the end of a word, and
capitals, spaces, hyphens and line breaks do not matter. FTSU receipts (survey_app/ftsu/receipts.py)
and survey drafts' resume codes (survey_app/drafts.py) are both such codes; this module is the one
place that reads and parses them, so neither package imports the other.
"""

from __future__ import annotations

import re
import secrets
from functools import lru_cache
from pathlib import Path

WORDS_FILE = Path(__file__).resolve().parent / "data" / "receipt-words.txt"
PREFIX = 4
BITS_PER_WORD = 11


class WordCodeError(ValueError):
    """The typed words cannot be a code; the message says why, for the person who typed them."""


@lru_cache(maxsize=1)
def word_list() -> tuple[str, ...]:
    words = tuple(WORDS_FILE.read_text(encoding="utf-8").split())
    if len(words) != 2 ** BITS_PER_WORD or len({word[:PREFIX] for word in words}) != len(words):
        raise RuntimeError(f"{WORDS_FILE} must hold 2048 words, each known by its first {PREFIX} letters")
    return words


@lru_cache(maxsize=1)
def _by_prefix() -> dict[str, str]:
    return {word[:PREFIX]: word for word in word_list()}


def random_words(count: int) -> tuple[str, ...]:
    words = word_list()
    return tuple(secrets.choice(words) for _ in range(count))


def parse_words(typed: str, count: int, name: str) -> tuple[str, ...]:
    """The `count` words someone typed, forgiving case, spacing, punctuation and word endings.
    `name` is what the code is called on the page ("receipt", "code")."""
    pieces = [piece for piece in re.split(r"[^a-z]+", typed.lower()) if piece]
    if not pieces:
        raise WordCodeError(f"Enter the {count} words of your {name}")
    if len(pieces) != count:
        raise WordCodeError(f"A {name} has {count} words; you entered {len(pieces)}. Enter all {count}, in order")
    known = _by_prefix()
    words = []
    for piece in pieces:
        word = known.get(piece[:PREFIX])
        # A word shorter than four letters must be typed whole ("act" is not "action").
        if word is None or (len(piece) < PREFIX and piece != word):
            raise WordCodeError(f"“{piece}” is not one of the words we use in a {name}. Check its spelling")
        words.append(word)
    return tuple(words)
