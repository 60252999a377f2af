"""Names found by rules: titles, cue words, role words, the given-name list and the shapes around them.

The rules see what a sequence model cannot learn from generated text alone: the exact cues ("My name
is", "called", a title and a capitalised word) and the lists. The learned tagger (`tagger.py`) runs
beside them and catches what has no fixed cue; `__init__.py` takes the union.
"""

from __future__ import annotations

import re
from functools import lru_cache
from collections.abc import Sequence

from analysis.redaction.vocabulary import (
    COLOUR_SURNAMES,
    COMMON_LOWER,
    IDENTITY_AFTER,
    INTRO_WORDS,
    NAME_CUE_VERBS,
    NOT_NAME_AFTER_INTRO,
    PERSON_NOUNS,
    PLACE_WORDS,
    PREFIXED_SURNAME,
    PROTECTED_WORDS,
    ROLE_WORDS,
    SEASONS,
    SPEECH_VERBS,
    STOP_WORDS_LOWER,
    SURNAME_PARTICLES,
    TITLE_SET,
    VERB_NAMES,
    given_names,
)

# --- names ---------------------------------------------------------------------------------------

TOKEN = re.compile(r"[A-Za-z\u00C0-\u024F]+(?:['\u2019\-][A-Za-z\u00C0-\u024F]+)*")
_SENTENCE_END_CHARS = frozenset(".!?\n:;\"\u201c\u201d()")


def _strip_possessive(word: str) -> str:
    if word[-2:].lower() in ("'s", "\u2019s"):
        return word[:-2]
    return word


_CAPITALISED = re.compile(r"(?<![\w'\u2019-])[A-Z\u00C0-\u00DE][\w'\u2019-]*")
_LOWER_TITLE = re.compile(r"\b(?:dr|mr|mrs|ms|miss|mx|prof)\.? [a-z]")


def might_hold_name(text: str) -> bool:
    """False only when no rule below can fire: no capitalised word but stop, role and identity words,
    no lower-case title before a word, no listed given name in lower case."""
    for word in _CAPITALISED.findall(text):
        low = _strip_possessive(word).lower()
        if low not in STOP_WORDS_LOWER and low not in ROLE_WORDS and low not in PROTECTED_WORDS:
            return True
    if _LOWER_TITLE.search(text):
        return True
    listed = _listed()
    return not listed.isdisjoint(w.strip(".,;:!?\"'()") for w in text.split())


@lru_cache(maxsize=1)
def _lower_triggers() -> frozenset[str]:
    return _listed() | TITLE_SET | {"called", "named", "name's", "name\u2019s", "name"}


@lru_cache(maxsize=1)
def _listed() -> frozenset[str]:
    plain, common = given_names()
    return plain | common


def name_spans(text: str) -> list[tuple[int, int]]:
    if not might_hold_name(text):
        return []
    plain, common = given_names()
    tokens = [(m.start(), m.end(), m.group()) for m in TOKEN.finditer(text)]
    letters = sum(map(str.isalpha, text))
    uppers = sum(map(str.isupper, text))
    # Text written (almost) without capitals: look for listed given names in lower case too.
    lower_style = not letters or uppers <= max(1, letters // 200) or _sentence_starts_lower(text)
    spans: list[tuple[int, int]] = []
    i = 0
    n = len(tokens)
    triggers = _lower_triggers()

    def bare(k: int) -> str:
        return _strip_possessive(tokens[k][2])

    def sentence_initial(k: int) -> bool:
        before = text[: tokens[k][0]]
        stripped = before.rstrip()
        return not stripped or stripped[-1] in _SENTENCE_END_CHARS or "\n" in before[len(stripped) :]

    def surname_like(k: int) -> bool:
        if k >= n:
            return False
        w = bare(k)
        low = w.lower()
        if low in COLOUR_SURNAMES and colour_surname(k):
            pass
        elif low in PROTECTED_WORDS or low in ROLE_WORDS or low in TITLE_SET or low in PLACE_WORDS:
            return False
        if not (w[:1].isupper() and not w.isupper()) and not PREFIXED_SURNAME.fullmatch(w):
            return False
        # only separated by a single space from the previous token
        gap = text[tokens[k - 1][1] : tokens[k][0]]
        return gap in (" ", "\u00a0") and not tokens[k - 1][2].lower().endswith(("'s", "\u2019s"))

    def colour_surname(k: int) -> bool:
        """A capitalised colour word ("White") that is a surname here: no word about people after it."""
        w = tokens[k][2]
        if not (w[:1].isupper() and w[1:].islower()):
            return False
        if k + 1 < n and text[tokens[k][1] : tokens[k + 1][0]].strip() in ("", "-", "/"):
            return tokens[k + 1][2].lower() not in IDENTITY_AFTER and tokens[k + 1][2].lower() not in PROTECTED_WORDS
        return True

    def particle(k: int) -> bool:
        """A surname particle ("Dela Cruz", "van der Berg", "bin Ahmad") with a surname after it."""
        if k + 1 >= n or tokens[k][2].lower() not in SURNAME_PARTICLES:
            return False
        gap = text[tokens[k - 1][1] : tokens[k][0]]
        return gap == " " and (surname_like(k + 1) or (k + 2 < n and tokens[k + 1][2].lower() in SURNAME_PARTICLES and surname_like(k + 2)))

    def extend(k: int) -> int:
        """Index after the last surname-like token following k (at most two, particles aside)."""
        j = k + 1
        surnames = 0
        while j < n and surnames < 2:
            if surname_like(j):
                surnames += 1
                j += 1
            elif particle(j):
                j += 1
            else:
                break
        return j

    def person_follows(k: int) -> bool:
        """Tokens after k say a person was meant: "... is a great nurse", "... was our ward manager"."""
        if k >= n or tokens[k][2].lower() not in {"is", "was"}:
            return False
        window = [t[2].lower() for t in tokens[k + 1 : k + 6]]
        if not window or window[0] not in {"a", "an", "the", "our", "my", "their", "one", "another"}:
            return False
        return any(w in PERSON_NOUNS for w in window[1:])

    def named_beside(k: int) -> bool:
        """Joined by "and" to a name found just before ("Marisol Reyes and Jhoanna") or to a listed given
        name just after ("Precious and Blessing")."""
        start = tokens[k][0]
        if spans and text[spans[-1][1] : start] in (" and ", ", ", " & "):
            return True
        if not (
            k + 2 < n
            and tokens[k + 1][2] == "and"
            and text[tokens[k][1] : tokens[k + 2][0]] == " and "
            and tokens[k + 2][2][:1].isupper()
        ):
            return False
        other = bare(k + 2).lower()
        if other in plain:
            return True
        # two word-names joined ("Dawn and Joy on nights", "Hope and Faith Adjei are"): the second has a
        # surname, or a place or a verb after it
        return (
            other in common
            and bare(k).lower() in common
            and (surname_like(k + 3) or (k + 3 < n and tokens[k + 3][2].lower() in _AFTER_PAIR))
        )

    while i < n:
        s, e, w = tokens[i]
        word = _strip_possessive(w)
        low = word.lower()
        if low in PROTECTED_WORDS or (word.islower() and low not in triggers):
            # No rule below starts at a lower-case word other than a title, a cue or a listed name.
            i += 1
            continue
        # 1. A title followed by a name.
        if low.rstrip(".") in TITLE_SET and i + 1 < n and word == w:
            title_low = low.rstrip(".")
            nxt = bare(i + 1)
            nlow = nxt.lower()
            gap = text[e : tokens[i + 1][0]]
            ok_gap = gap.strip() in ("", ".") and len(gap) <= 3
            cap = nxt[:1].isupper()
            if (
                ok_gap
                and (nlow not in PROTECTED_WORDS or (nlow in COLOUR_SURNAMES and colour_surname(i + 1)))
                and nlow not in ROLE_WORDS
                and nlow not in TITLE_SET
                and (
                    cap
                    or (
                        # "dr okafor" in text written without capitals; never "miss out", "see Dr quicker"
                        lower_style
                        and title_low in {"dr", "mr", "mrs", "ms", "mx", "prof"}
                        and nlow not in COMMON_LOWER
                        and nlow not in STOP_WORDS_LOWER
                        and len(nlow) > 1
                    )
                    or (title_low in {"dr", "mr", "mrs", "ms", "miss", "mx", "prof"} and nlow in plain)
                )
            ):
                j = extend(i + 1) if cap else i + 2
                spans.append((tokens[i + 1][0], tokens[i + 1][0] + len(_name_text(tokens, i + 1, j, text))))
                i = j
                continue
        # 2. "called X", "named X".
        if low in {"called", "named", "name's", "name"} and i + 1 < n:
            nxt = bare(i + 1)
            if (
                nxt[:1].isupper()
                and nxt.lower() not in PROTECTED_WORDS
                and nxt.lower() not in ROLE_WORDS
                and text[e : tokens[i + 1][0]] in (" ", " is ")
            ):
                j = extend(i + 1)
                spans.append((tokens[i + 1][0], tokens[i + 1][0] + len(_name_text(tokens, i + 1, j, text))))
                i = j
                continue
        # 3. A listed given name right after a word that introduces a person ("my colleague priya").
        if (
            i > 0
            and (low in plain or low in common)
            and low not in ROLE_WORDS
            and low not in NOT_NAME_AFTER_INTRO
            and tokens[i - 1][2].lower() in INTRO_WORDS
            and text[tokens[i - 1][1] : s] in (" ", ", ")
            and (word[:1].isupper() or lower_style or low in plain)
        ):
            j = extend(i) if word[:1].isupper() else i + 1
            spans.append((s, s + len(_name_text(tokens, i, j, text))))
            i = j
            continue
        # 3b. A capitalised word joined by "and" to a name just found, or a capitalised name and surname
        #     right after a role word ("team leader Shona MacLeod").
        if (
            word[:1].isupper()
            and not word.isupper()
            and low not in ROLE_WORDS
            and low not in TITLE_SET
            and low not in PLACE_WORDS
            and low not in STOP_WORDS_LOWER
            and (
                (named_beside(i) and (low in plain or low in common or (i + 1 < n and surname_like(i + 1))))
                or (
                    i > 0
                    and tokens[i - 1][2].lower() in INTRO_WORDS
                    and text[tokens[i - 1][1] : s] == " "
                    and i + 1 < n
                    and surname_like(i + 1)
                )
            )
        ):
            j = extend(i)
            spans.append((s, s + len(_name_text(tokens, i, j, text))))
            i = j
            continue
        # 3d. "My name is Lwazi", "I'm Nanami": a capitalised word a writer gives as their own name.
        if (
            word[:1].isupper()
            and i >= 2
            and low not in ROLE_WORDS
            and low not in STOP_WORDS_LOWER
            and low not in TITLE_SET
            and (
                " ".join(t[2].lower() for t in tokens[i - 3 : i]) == "my name is"
                or tokens[i - 1][2].lower() in {"i'm", "i\u2019m"}
            )
        ):
            j = extend(i)
            spans.append((s, s + len(_name_text(tokens, i, j, text))))
            i = j
            continue
        # 3e. A single capitalised word right after a word that introduces a person ("my manager
        #     Wiktoria"), or a listed name in lower case there ("the ward clerk joy").
        if (
            i > 0
            and tokens[i - 1][2].lower() in INTRO_WORDS
            and text[tokens[i - 1][1] : s] == " "
            and low not in ROLE_WORDS
            and low not in STOP_WORDS_LOWER
            and low not in TITLE_SET
            and low not in NOT_NAME_AFTER_INTRO
            and low not in PLACE_WORDS
            and ((word[:1].isupper() and not word.isupper()) or (word.islower() and (low in plain or low in common)))
        ):
            j = extend(i) if word[:1].isupper() else i + 1
            spans.append((s, s + len(_name_text(tokens, i, j, text))))
            i = j
            continue
        # 3f. A name in apposition to a role ("Bola the healthcare assistant", "Bill Hargreaves the estates
        #     manager"), or a capitalised pair opening a sentence with a speech verb ("Hannah-Louise Bevan told").
        if word[:1].isupper() and not word.isupper() and low not in ROLE_WORDS and low not in STOP_WORDS_LOWER and low not in TITLE_SET:
            j = extend(i)
            after = [t[2].lower() for t in tokens[j : j + 4]]
            role = next((p for p in (2, 1) if p < len(after) and after[p] in PERSON_NOUNS), None)
            # At the start of a sentence a verb can look the same ("Praised the nurses"): there the
            # role must be followed by what a person does.
            apposition = (
                after[:1] == ["the"]
                and role is not None
                and text[tokens[j - 1][1] : tokens[j][0]] == " "
                and (
                    not sentence_initial(i)
                    or (role + 1 < len(after) and after[role + 1] in SPEECH_VERBS | NAME_CUE_VERBS)
                )
            )
            if apposition or (sentence_initial(i) and j > i + 1 and after[:1] and after[0] in SPEECH_VERBS):
                spans.append((s, s + len(_name_text(tokens, i, j, text))))
                i = j
                continue
        # 3h. A listed name in lower case in apposition to a role ("grace the housekeeper", "rose the
        #     domestic"), or after thanks ("thank you faith from the bank team").
        if (
            word.islower()
            and (low in plain or low in common)
            and low not in VERB_NAMES
            and low not in STOP_WORDS_LOWER
            and low not in COMMON_LOWER
            and (i == 0 or tokens[i - 1][2].lower() not in _NO_NAME_BEFORE)
        ):
            after = [t[2].lower() for t in tokens[i + 1 : i + 4]]
            role = after[:1] == ["the"] and any(w in PERSON_NOUNS for w in after[1:3])
            thanks = _THANKS.search(text, max(0, s - 14), s) is not None and (
                i + 1 >= n or after[0] in _AFTER_THANKED or text[e : tokens[i + 1][0]].strip()[:1] in (",", ".", "!")
            )
            if role or thanks:
                spans.append((s, e - (len(w) - len(word))))
                i += 1
                continue
        # 3i. A word-name opening a sentence with where the person works after it ("Precious on nights
        #     always ...", "Joy from the bank office").
        if (
            word[:1].isupper()
            and not word.isupper()
            and low in common
            and sentence_initial(i)
            and i + 2 < n
            and tokens[i + 1][2] in ("on", "from")
            and (
                tokens[i + 2][2].lower() in _WORK_PLACES
                or (
                    tokens[i + 2][2] == "the"
                    and i + 3 < n
                    and (tokens[i + 3][2][:1].isupper() or tokens[i + 3][2].lower() in _WORK_PLACES)
                )
            )
        ):
            spans.append((s, s + len(word)))
            i += 1
            continue
        # 3g. A listed given name typed in lower case in ordinary text ("tunde was shouted at").
        if (
            word.islower()
            and not lower_style
            and len(low) >= 4
            and low in plain
            and low not in COMMON_LOWER
            and low not in STOP_WORDS_LOWER
            and i + 1 < n
            and tokens[i + 1][2].lower() in NAME_CUE_VERBS
        ):
            spans.append((s, s + len(word)))
            i += 1
            continue
        # 3c. A given name that is also a word, or a capitalised pair, opening a sentence about a person
        #     ("Ebony is a great nurse", "Will Turner is the only charge nurse who ...").
        if word[:1].isupper() and not word.isupper() and sentence_initial(i) and low not in ROLE_WORDS:
            if low in common and person_follows(i + 1):
                spans.append((s, s + len(word)))
                i += 1
                continue
            if (
                low not in STOP_WORDS_LOWER
                and low not in TITLE_SET
                and i + 1 < n
                and surname_like(i + 1)
                and person_follows(i + 2)
            ):
                j = extend(i)
                spans.append((s, s + len(_name_text(tokens, i, j, text))))
                i = j
                continue
        # 4. A listed given name (and surname after it).
        if word[:1].isupper() and not (word.isupper() and len(word) > 1 and low not in plain):
            if low in plain:
                j = extend(i)
                spans.append((s, s + len(_name_text(tokens, i, j, text))))
                i = j
                continue
            if low in common and not sentence_initial(i) and i + 1 < n and surname_like(i + 1):
                j = extend(i)
                spans.append((s, s + len(_name_text(tokens, i, j, text))))
                i = j
                continue
            if (
                low in common
                and not sentence_initial(i)
                and low not in ROLE_WORDS
                and low not in SEASONS
                and tokens[i - 1][2].lower() not in {"the", "a", "an", "of", "in", "this", "that", "our", "your"}
            ):
                # A capitalised given name that is also a word, in mid-sentence ("my friend Blessing").
                spans.append((s, s + len(word)))
                i += 1
                continue
            if low in common and sentence_initial(i) and i + 1 < n and surname_like(i + 1):
                # "Grace Okafor said": a common-word name, then a surname that is itself no common word.
                if bare(i + 1).lower() not in COMMON_LOWER and bare(i + 1).lower() not in common:
                    j = extend(i)
                    spans.append((s, s + len(_name_text(tokens, i, j, text))))
                    i = j
                    continue
        elif lower_style and word.islower() and low in plain and len(low) >= 3 and low not in COMMON_LOWER:
            spans.append((s, s + len(word)))
        i += 1
    return spans


_AFTER_PAIR = frozenset("on from in at are were both have had always who".split())
_NO_NAME_BEFORE = frozenset("the a an of my our your their his her this that i we they".split())
_THANKS = re.compile(r"\b(?:thank you|thanks to|thanks|cheers|shout out to|shoutout to)[ \t]+$", re.IGNORECASE)
_AFTER_THANKED = frozenset("from on in at and for the who".split())
_WORK_PLACES = frozenset(
    "nights days ward twilights lates earlies reception bank desk unit office switchboard rota admissions".split()
)


_TITLE_JUST_BEFORE = re.compile(r"\b(?:dr|mr|mrs|ms|miss|mx|prof|sister|nurse|matron)\.?[ \t]+$", re.IGNORECASE)


def colour_surname_ok(text: str, start: int, end: int) -> bool:
    """Whether the protected words in a found name are only colour words used as surnames: after a given
    name or a title, with no word about people after them ("Karen White", "Mr Brown", never "Black nurse")."""
    words = list(TOKEN.finditer(text, start, end))
    for k, m in enumerate(words):
        low = m.group().lower()
        if low not in PROTECTED_WORDS:
            continue
        if low not in COLOUR_SURNAMES or not (m.group()[:1].isupper() and m.group()[1:].islower()):
            return False
        if k == 0 and not _TITLE_JUST_BEFORE.search(text, max(0, start - 10), start):
            return False
        nxt = TOKEN.search(text, m.end())
        if nxt and text[m.end() : nxt.start()].strip() in ("", "-", "/") and (
            nxt.group().lower() in IDENTITY_AFTER or nxt.group().lower() in PROTECTED_WORDS
        ):
            return False
    return True


def _name_text(tokens: Sequence[tuple[int, int, str]], i: int, j: int, text: str) -> str:
    start = tokens[i][0]
    end = tokens[j - 1][1]
    last = tokens[j - 1][2]
    stripped = _strip_possessive(last)
    end -= len(last) - len(stripped)
    return text[start:end]


def _sentence_starts_lower(text: str) -> bool:
    starts = re.findall(r"(?:^|[.!?]\s+)([A-Za-z])", text)
    if len(starts) < 2:
        return bool(starts) and starts[0].islower() and not re.search(r"\b[A-Z][a-z]+", text)
    lower = sum(1 for c in starts if c.islower())
    return lower * 2 > len(starts)
