"""Words a person should look at again: what redaction kept that might still be a name.

No redactor finds every name, so the respondent checks the rest before agreeing to be quoted or to share a
concern. `possible_names` marks, in a redacted text, every kept word that might name someone: a capitalised
word that is not an ordinary word in its place (any capitalised word mid-sentence, one at a sentence start
only when it is no plain English word or is a listed name), and a listed given name that is also a word,
in any case ("amber", "Grace"). Placeholders, words about identity (which are the substance of a testimony
and never prompted for removal), titles, roles, days and months and the pronoun "I" are never marked.
"""

from __future__ import annotations

import re

from analysis.redaction.tagger import could_be_name, fold, lexicon
from analysis.redaction.vocabulary import PROTECTED_WORDS, ROLE_WORDS, STOP_WORDS_LOWER, TITLE_SET

__all__ = ["possible_names"]

_WORD = re.compile(r"\[[A-Z_]+\]|[^\W\d_]+(?:['\u2019\-][^\W\d_]+)*")
_NEVER = frozenset({"i", "i'm", "i've", "i'd", "i'll", "i\u2019m", "i\u2019ve", "i\u2019d", "i\u2019ll", "ok", "okay"})
_PLAIN_IN_LOWER_CASE = frozenset(
    """may will can mark bill rob sue pat art don guy ray chase sky summer august june april rich trust hero
    promise remember storm star happy lucky dawn autumn""".split()
)
"""Word-names that, typed in lower case, are the word far more often than the name."""
_DATE_WORDS = frozenset(
    """monday tuesday wednesday thursday friday saturday sunday january february march april june july august
    september october november december""".split()
)


def possible_names(text: str) -> list[tuple[int, int]]:
    """(start, end) of each kept word in a redacted `text` that might be a person's name."""
    lex = lexicon()
    out: list[tuple[int, int]] = []
    for m in _WORD.finditer(text):
        word = m.group()
        if word.startswith("["):
            continue
        low = word.lower()
        bare = low[:-2] if low.endswith(("'s", "\u2019s")) else low
        if (
            bare in _NEVER
            or bare in PROTECTED_WORDS
            or bare.rstrip("s") in PROTECTED_WORDS
            or bare in TITLE_SET
            or (bare in ROLE_WORDS and bare not in lex.word_names)
            or bare in STOP_WORDS_LOWER
            or bare in _DATE_WORDS
        ):
            continue
        listed = bare in lex.given or fold(bare) in lex.given or bare in lex.surnames
        if word[:1].isupper():
            if _sentence_start(text, m.start()) and bare in lex.english and not listed:
                continue
            out.append((m.start(), m.end()))
        elif (bare in lex.word_names and bare not in _PLAIN_IN_LOWER_CASE) or (listed and could_be_name(word, lex)):
            out.append((m.start(), m.end()))
    return out


def _sentence_start(text: str, start: int) -> bool:
    before = text[:start].rstrip()
    return not before or before[-1] in ".!?:;\"\u201c\u201d()\n"
