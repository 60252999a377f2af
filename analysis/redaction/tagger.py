"""A learned name tagger: a conditional random field over tokens, beside the rules in `name_rules.py`.

Rules find names with a fixed cue (a title, "called", a listed given name); they miss a name with no cue
("Chinonso covered my shift"), a name that is also a word ("Amber said", "mr green"), a name typed in lower
case, and names from lists they lack. A sequence model weighs the same evidence together: the word's shape
and capitals, whether it is a listed given name or surname (looked up as written and with accents folded),
an English word, a protected identity word, a title, a role, a verb of speech or address, and the same
for the words around it.

The model is trained on labelled text that `analysis/redaction_training/` generates from its own templates
and name lists, never on any evaluation corpus, and shipped as package data (`data/name_tagger.crfsuite`,
built by `python -m analysis.redaction_training.train`: fixed seed, same bytes on rerun). Nothing is
downloaded: `python-crfsuite` reads the file.

The word itself is a feature only when it is an English or cue word: a name is seen through its shape,
affixes and lists, so the model learns what a name looks like and where it stands rather than which
names it met in training.

Speed: the features of a word form depend only on the word, so they are computed once and cached; a
sentence is tagged only when it holds a candidate (a capitalised word that is not an ordinary English
word, or a listed name in any case), which leaves most sentences of real comments untouched.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from functools import lru_cache
from importlib import resources
from pathlib import Path

from analysis.redaction.vocabulary import (
    INTRO_WORDS,
    NAME_CUE_VERBS,
    PERSON_NOUNS,
    PLACE_WORDS,
    PROTECTED_WORDS,
    ROLE_WORDS,
    SPEECH_VERBS,
    STOP_WORDS_LOWER,
    SURNAME_PARTICLES,
    TITLE_SET,
)

__all__ = ["Lexicon", "Tokens", "featurise", "lexicon", "name_spans", "tokenise"]

MODEL_FILE = "name_tagger.crfsuite"
_TOKEN = re.compile(r"[^\W\d_]+(?:['\u2019\-][^\W\d_]+)*|\d+|[^\w\s]")
_SENTENCE_END = frozenset(".!?\n;:\"\u201c\u201d()")
_DATE_WORDS = frozenset(
    """monday tuesday wednesday thursday friday saturday sunday january february march april may june july
    august september october november december mon tue tues wed thu thur thurs fri sat sun jan feb mar apr
    jun jul aug sep sept oct nov dec mondays tuesdays wednesdays thursdays fridays saturdays sundays weekdays
    weekends""".split()
)
_ADDRESS_VERBS = frozenset(
    """thanked thank thanks asked ask told tell called call messaged texted emailed rang phoned met saw see
    helped help supported support reported report complained blamed accused praised trust trusted spoke
    speak talked talk approached contacted informed warned hugged pulled ignored pushed shouted""".split()
)
_WEAK_LOWER = frozenset(
    """will may can mark bill rob sue pat jack art bob don dawn gene guy hope joy grace faith ray rose
    sky summer april june august chase ben van""".split()
)
"""Listed given names so common as words in lower case that, typed in lower case, they alone do not make a
sentence worth tagging (a cue elsewhere in the sentence still does)."""


@dataclass(frozen=True)
class Lexicon:
    """The lists the features consult (lower-cased; folded forms included)."""

    given: frozenset[str]
    surnames: frozenset[str]
    english: frozenset[str]
    not_names: frozenset[str]
    word_names: frozenset[str]
    """Given names that are also English words and are given as names (Amber, Grace, Hope, Sunny)."""


def _read(filename: str, package: str = "analysis.redaction") -> list[str]:
    data = resources.files(package).joinpath("data", filename).read_text(encoding="utf-8")
    return [w for line in data.splitlines() if not line.startswith("#") for w in line.split()]


@lru_cache(maxsize=100_000)
def fold(word: str) -> str:
    """Accents folded to ASCII ("Sinéad" -> "Sinead"), as a name is often typed on a phone."""
    word = unicodedata.normalize("NFKD", word)
    word = "".join(c for c in word if not unicodedata.combining(c))
    return word.replace("ı", "i").replace("ł", "l").replace("ß", "ss").replace("đ", "d")


def _with_folded(words: Iterable[str]) -> frozenset[str]:
    out = set()
    for w in words:
        low = w.lower()
        out.add(low)
        out.add(fold(low))
    return frozenset(out - PROTECTED_WORDS)


@lru_cache(maxsize=1)
def lexicon() -> Lexicon:
    """The shipped lists: given names, surnames (both as written, with folded forms) and English words."""
    word_names = _read("word_names.txt") + _read("given_names_common_words.txt", "analysis")
    rules_given = _read("given_names.txt", "analysis") + word_names
    return Lexicon(
        given=_with_folded(_read("given_names.txt") + rules_given),
        surnames=_with_folded(_read("surnames.txt")),
        english=frozenset(_read("english_words.txt")),
        not_names=frozenset(w.lower() for w in _read("not_names.txt")),
        word_names=frozenset(w.lower() for w in word_names) - PROTECTED_WORDS,
    )


# --- tokens and features ------------------------------------------------------------------------------

Tokens = list[tuple[int, int, str]]


def tokenise(text: str) -> Tokens:
    """Words (letters with inner apostrophes or hyphens, any script), digit runs and single punctuation marks."""
    return [(m.start(), m.end(), m.group()) for m in _TOKEN.finditer(text)]


def _shape(word: str) -> str:
    out = []
    for c in word:
        k = "X" if c.isupper() else "x" if c.isalpha() else "d" if c.isdigit() else c
        if not out or out[-1] != k:
            out.append(k)
    return "".join(out)[:6]


def _classes(word: str, lex: Lexicon) -> list[str]:
    """What a word is, independent of where it stands."""
    low = word.lower()
    for suffix in ("'s", "\u2019s"):
        if low.endswith(suffix) and len(low) > 3:
            low = low[: -len(suffix)]
            break
    folded = fold(low)
    out = []
    if low in lex.given or folded in lex.given:
        out.append("G")
    if low in lex.surnames or folded in lex.surnames:
        out.append("S")
    if low in lex.english:
        out.append("E")
    if low in lex.not_names:
        out.append("N")
    if low in PROTECTED_WORDS:
        out.append("P")
    if low.rstrip(".") in TITLE_SET:
        out.append("T")
    if low in ROLE_WORDS:
        out.append("R")
    if low in SPEECH_VERBS or low in NAME_CUE_VERBS:
        out.append("V")
    if low in _ADDRESS_VERBS:
        out.append("A")
    if low in INTRO_WORDS or low in PERSON_NOUNS:
        out.append("I")
    if low in PLACE_WORDS:
        out.append("L")
    if low in STOP_WORDS_LOWER:
        out.append("W")
    if low in _DATE_WORDS:
        out.append("D")
    if low in SURNAME_PARTICLES:
        out.append("Z")
    return out


def _case(word: str) -> str:
    if not word[:1].isalpha():
        return "d" if word.isdigit() else "p"
    if word.isupper():
        return "U1" if len(word) == 1 else "U"
    if word[:1].isupper():
        return "T"
    if word.islower():
        return "l"
    return "m"


def _known(low: str, classes: list[str]) -> bool:
    return bool(set(classes) & {"E", "N", "P", "T", "R", "V", "A", "I", "L", "W", "D", "Z"}) or not low.isalpha()


@dataclass(frozen=True)
class _Views:
    """A word's features as the word itself sees them and as its neighbours do, prefixes already applied."""

    own: tuple[str, ...]
    prev1: tuple[str, ...]  # seen from the next word ("-1...")
    prev2: tuple[str, ...]  # from two words on ("-2...")
    next1: tuple[str, ...]  # from the word before ("+1...")
    next2: tuple[str, ...]  # from two words before ("+2...")


@lru_cache(maxsize=200_000)
def _word_features(word: str, dropped: bool = False) -> _Views:
    """A word's features: they depend on the word alone, so each word form is worked out once.

    `dropped` hides the word's list membership, as training does for some names so that the model
    also learns names that no list holds."""
    lex = lexicon() if not _TRAINING_LEXICON else _TRAINING_LEXICON[0]
    low = word.lower()
    classes = _classes(word, lex)
    if dropped:
        classes = [c for c in classes if c not in ("G", "S")]
    case = _case(word)
    known = _known(low, classes)
    own = [f"c={case}", f"sh={_shape(word)}", f"s3={low[-3:]}", f"s2={low[-2:]}", f"p2={low[:2]}", f"len={min(len(word), 9)}"]
    if known:
        own.append(f"w={low}")
    if any(ord(c) > 127 for c in word):
        own.append("nonascii")
    own.extend(f"k={c}" for c in classes)
    own.extend(f"k={c}|{case}" for c in classes)
    near = [f"c={case}"] + [f"k={c}" for c in classes]
    if known:
        near.append(f"w={low}")
    far = [f"c={case}"] + [f"k={c}" for c in classes if c in ("T", "R", "V", "A", "I", "P")]
    return _Views(
        own=tuple(own),
        prev1=tuple("-1" + f for f in near),
        prev2=tuple("-2" + f for f in far),
        next1=tuple("+1" + f for f in near),
        next2=tuple("+2" + f for f in far),
    )


_TRAINING_LEXICON: list[Lexicon] = []
"""Set only while training: a lexicon with some names held out (see analysis/redaction_training/train.py)."""


def featurise(text: str, tokens: Tokens, lower_style: bool, dropped: Sequence[bool] | None = None) -> list[list[str]]:
    """One feature list per token: the word's own features and what its neighbours (two each side) show."""
    views = [_word_features(t[2], bool(dropped and dropped[i])) for i, t in enumerate(tokens)]
    n = len(tokens)
    out: list[list[str]] = []
    for i in range(n):
        feats = list(views[i].own)
        if i == 0 or tokens[i - 1][2] in _SENTENCE_END or "\n" in text[tokens[i - 1][1] : tokens[i][0]]:
            feats.append("BOS")
        if lower_style:
            feats.append("LOWERTEXT")
        if i > 0:
            feats += views[i - 1].prev1
            if i > 1:
                feats += views[i - 2].prev2
        if i + 1 < n:
            feats += views[i + 1].next1
            if tokens[i][1] == tokens[i + 1][0]:
                feats.append("+1glued")
            if i + 2 < n:
                feats += views[i + 2].next2
        else:
            feats.append("EOS")
        out.append(feats)
    return out


def lower_style(text: str) -> bool:
    """Text written (almost) without capitals, where case says nothing about names."""
    letters = sum(map(str.isalpha, text))
    uppers = sum(map(str.isupper, text))
    return letters > 0 and uppers <= max(1, letters // 200)


# --- tagging ------------------------------------------------------------------------------------------


@lru_cache(maxsize=1)
def _tagger():  # type: ignore[no-untyped-def]
    import pycrfsuite

    tagger = pycrfsuite.Tagger()
    path = resources.files("analysis.redaction").joinpath("data", MODEL_FILE)
    with resources.as_file(path) as real:
        tagger.open(str(Path(real)))
    return tagger


def model_available() -> bool:
    return resources.files("analysis.redaction").joinpath("data", MODEL_FILE).is_file()


_CAPITALISED = re.compile(r"(?<![\w'\u2019-])[^\W\d_a-z][^\W\d_]*(?:['\u2019\-][^\W\d_]+)*")
_LOWER_WORD = re.compile(r"(?<![\w'\u2019-])[a-z\u00df-\u00ff]+(?![\w'\u2019-])")


def has_candidate(text: str, lowered: bool | None = None) -> bool:
    """Whether `text` holds a word that could be a name: a capitalised word `could_be_name` accepts, or a
    listed name in lower case. Text without one has no name for the tagger or the rules to find."""
    lex = lexicon()
    for word in _CAPITALISED.findall(text):
        if word[:1].isupper() and could_be_name(word, lex):
            return True
    if lowered is None:
        lowered = lower_style(text)
    lower_listed = set(_LOWER_WORD.findall(text)) & lex.given
    return any(lowered or w not in _WEAK_LOWER for w in lower_listed if could_be_name(w, lex))


def name_spans(text: str) -> list[tuple[int, int]]:
    """(start, end) of every name the model tags in `text`. Only sentences that hold a candidate word
    (`could_be_name`) are tagged: the features look two words either way, never past a sentence."""
    lowered = lower_style(text)
    if not has_candidate(text, lowered):
        return []
    lex = lexicon()
    tokens = tokenise(text)
    spans: list[tuple[int, int]] = []
    for sentence in _sentences(text, tokens):
        if any(could_be_name(t[2], lex) and (lowered or not t[2].islower() or t[2] not in _WEAK_LOWER) for t in sentence):
            model = _tagger()
            labels = model.tag(featurise(text, sentence, lowered))
            # A word opening a sentence alone ("Joy is what ...") is a name only when the model is sure.
            if (
                labels[0] == "B"
                and (len(labels) == 1 or labels[1] != "I")
                and sentence[0][2].lower() in lex.english
                and model.marginal("B", 0) < _SURE_AT_START
            ):
                labels[0] = "O"
            spans.extend(_label_spans(sentence, labels, text))
    return [span for span in (_trim(text, s, e, lex) for s, e in spans) if span]


def _sentences(text: str, tokens: Tokens) -> list[Tokens]:
    """Tokens cut after a full stop, question or exclamation mark or a line break; never after a title or an
    initial ("Dr. Okafor", "B. Okafor")."""
    out: list[Tokens] = []
    start = 0
    for i, (s, e, word) in enumerate(tokens):
        end = False
        if word in ".!?" and i > 0:
            before = tokens[i - 1][2]
            end = not (word == "." and (before.lower() in TITLE_SET or (len(before) == 1 and before.isupper())))
        elif i + 1 < len(tokens) and "\n" in text[e : tokens[i + 1][0]]:
            end = True
        if end:
            out.append(tokens[start : i + 1])
            start = i + 1
    if start < len(tokens):
        out.append(tokens[start:])
    return out


_SURE_AT_START = 0.8
_WORD_FIRST_IN_LOWER_CASE = frozenset(
    """hope joy faith comfort patience precious mark will may can bill rob sue pat art don guy ray chase sky
    summer august june april dawn autumn storm max angel love gift trust glory fortune victory unity justice
    memory wisdom beauty miracle innocent promise purity hunter mason piper taylor grant frank jack dean rose
    sandy robin sage river brook dove raven wren iris olive ivy holly fern hazel heather violet coral crystal
    pearl ruby jade daisy poppy lily willow destiny harmony charity mercy lucky happy sunny honey bonny""".split()
)
"""Word-names that, in lower case, are the word far more often than the name: not names in lower case
unless the rules see a cue. Lower-case "amber", "grace", "heaven", "blessing" stay possible."""
_INNER_CAPITAL = re.compile(r"[a-z][A-Z]")
_NAME_PREFIX = re.compile(r"(?:Mc|Mac|O'|O\u2019|D'|De|Di|Da|La|Le|Van|Von|Fitz)[A-Z]")
_CONTRACTION = re.compile(r"['\u2019](?:t|ve|m|ll|re|d)$", re.IGNORECASE)


def could_be_name(word: str, lex: Lexicon) -> bool:
    """Cached `_could_be_name` (the lexicon is fixed once loaded)."""
    cache = _NAME_CACHE.get(id(lex))
    if cache is None:
        cache = _NAME_CACHE[id(lex)] = {}
    answer = cache.get(word)
    if answer is None:
        if len(cache) > 200_000:
            cache.clear()
        answer = cache[word] = _could_be_name(word, lex)
    return answer


_NAME_CACHE: dict[int, dict[str, bool]] = {}


def _could_be_name(word: str, lex: Lexicon) -> bool:
    """Whether a word can be (part of) a person's name at all, whatever its context: a listed name in any
    case, or a capitalised word that is no English word, no acronym and none of the words that are never
    names (protected, titles, roles, stop words, places, products)."""
    if not word[:1].isalpha() or _CONTRACTION.search(word):
        return False
    low = word.lower().replace("\u2019", "'")
    if low.endswith("'s") and len(low) > 3:
        low = low[:-2]
    if (
        low in STOP_WORDS_LOWER
        or low in PROTECTED_WORDS
        or low in TITLE_SET
        or low in ROLE_WORDS
        or low in _DATE_WORDS
        or low in lex.not_names
    ):
        return False
    if len(word) > 1 and word.isupper() or _INNER_CAPITAL.search(word) and not _NAME_PREFIX.match(word):
        return False
    if sum(map(str.isupper, word)) >= 2 and not _NAME_PREFIX.match(word) and "-" not in word:
        return False  # CPNs, DTi, TVs: acronyms
    parts = low.split("-")
    if any(p in PROTECTED_WORDS or p.rstrip("s") in PROTECTED_WORDS for p in parts) or fold(low) in lex.not_names:
        return False
    if word.islower():
        # A listed name in lower case; one that is also an English word only when people are given it
        # ("amber", "grace"), never a surname or name that is a common word ("fair", "short", "way").
        listed = low in lex.given or fold(low) in lex.given or low in lex.surnames or fold(low) in lex.surnames
        return listed and (low not in lex.english or (low in lex.word_names and low not in _WORD_FIRST_IN_LOWER_CASE))
    return low in lex.given or low in lex.surnames or fold(low) in lex.given or fold(low) in lex.surnames or low not in lex.english


def _trim(text: str, start: int, end: int, lex: Lexicon) -> tuple[int, int] | None:
    """A tagged span without the words at either end that cannot be a name; None when none can."""
    words = [(m.start() + start, m.end() + start, m.group()) for m in _TOKEN.finditer(text[start:end])]
    good = [i for i, w in enumerate(words) if could_be_name(w[2], lex) or _initial(text, w)]
    if not any(could_be_name(words[i][2], lex) for i in good):
        return None
    if len(good) == 1:
        word = words[good[0]][2]
        low = word.lower()
        if _sentence_initial(text, words[good[0]][0]):
            # At the start of a sentence a capital says nothing: an English word alone there is a word
            # ("Tea and biscuits", "Young men") unless people are often given it as a name ("Amber said").
            if low in lex.english and low not in lex.word_names:
                return None
        elif low in lex.english and low not in lex.given and low not in lex.word_names and not _after_title(text, words[good[0]][0]):
            # A word that is only a surname ("Good", "Hall", "Young") names someone alone only after a title.
            return None
    return words[good[0]][0], words[good[-1]][1]


def _initial(text: str, word: tuple[int, int, str]) -> bool:
    """An initial ("B. Okafor"): one capital letter with a full stop after it, never the pronoun "I"."""
    return len(word[2]) == 1 and word[2].isupper() and word[2] != "I" and text[word[1] : word[1] + 1] == "."


_TITLE_BEFORE = re.compile(r"\b(?:" + "|".join(sorted(TITLE_SET, key=len, reverse=True)) + r")\.?\s+$", re.IGNORECASE)


def _after_title(text: str, start: int) -> bool:
    return bool(_TITLE_BEFORE.search(text[max(0, start - 12) : start]))


def _sentence_initial(text: str, start: int) -> bool:
    before = text[:start].rstrip()
    return not before or before[-1] in ".!?:;\"\u201c\u201d()\n"


def _label_spans(tokens: Tokens, labels: Sequence[str], text: str) -> list[tuple[int, int]]:
    spans: list[tuple[int, int]] = []
    current: list[int] | None = None
    for (s, e, word), label in zip(tokens, labels):
        if label == "B" or (label == "I" and current is None):
            if current:
                spans.append((current[0], current[1]))
            current = [s, e]
        elif label == "I" and current is not None:
            current[1] = e
        else:
            if current:
                spans.append((current[0], current[1]))
            current = None
    if current:
        spans.append((current[0], current[1]))
    # A possessive is no part of the name: "Amber's" -> "Amber".
    out = []
    for s, e in spans:
        piece = text[s:e]
        for suffix in ("'s", "\u2019s"):
            if piece.lower().endswith(suffix) and e - s > len(suffix):
                e -= len(suffix)
                break
        out.append((s, e))
    return out
