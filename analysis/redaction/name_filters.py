"""Name spans that the rules, the tagger or the cues found but that read as ordinary words (`__init__.py`).

Each shape is general, never a list of examples:
- an acronym in capitals in mixed-case text that no list calls a given name, or one with a digit or an
  article against it ("called NHSP", "the NIC told me", "ST3");
- a word-name opening a sentence and used as a word: followed by a colon, by a lower-case word of the
  kind that makes a phrase with it ("Frank conversation", "Rose garden", "Precious little", "Crystal
  clear"), by a plural noun and a plural verb ("Gift vouchers were", "Faith groups are"), or joined by
  "and" or a comma to a lower-case word that is also a word ("Holly and ivy", "Faith, hope and");
- a capitalised word that is a plural of a job word ("Locums on nights") or carries a suffix that only
  ordinary words carry ("Domiciliary care");
- a word alone as a sentence that is a word and no listed name ("Legend.");
- a word-name before a street word ("Hope Street");
- a lower-case word-name after a subject pronoun or "very", where it is a verb or adjective ("we sue
  nobody", "very frank with people"), or alone in
  lower case in text written with capitals, where it is the word ("5 min peace").
"""

from __future__ import annotations

import re

from analysis.redaction.tagger import lexicon, lower_style
from analysis.redaction.vocabulary import ROLE_WORDS, STOP_WORDS_LOWER, TITLE_SET

__all__ = ["ordinary_word"]

_NEXT_WORD = re.compile(r"[ \t]*(?P<w>[A-Za-z][a-z'\u2019-]*)?(?:[ \t]+(?P<w2>[a-z']+))?")
_ARTICLE = frozenset("the a an this that our my your their his her".split())
_SUBJECT = frozenset("i we they".split())
_INTENSIFIER = frozenset("very so too quite really pretty extremely more most less".split())
_PLURAL_VERB = frozenset("are were have had do don't dont aren't werent weren't get got keep kept need".split())
# What follows a person's name at the start of a sentence and is a word of its own: verbs and adverbs
# that a name takes ("Grace went", "Hope today"), which a word-name used as a word does not.
_AFTER_PERSON = frozenset(
    "said says told tells went goes took takes gave gives came comes made makes kept keeps got gets let lets"
    " put puts ran runs saw sees sat stood left brought taught thought found held knew felt heard spoke wrote"
    " sent stayed covered helped worked looked asked called rang texted emailed today yesterday tonight"
    " usually always never often literally honestly basically still really actually definitely genuinely"
    " herself himself myself alone again though however too also only just even"
    " nurse sister matron doctor manager consultant porter hca cleaner midwife".split()
)
_JOBS = frozenset(
    "worker nurse practitioner manager doctor consultant porter cleaner midwife hca sister matron lead coordinator"
    " assistant therapist physio receptionist registrar secretary officer specialist pharmacist technician"
    " supervisor paramedic surgeon psychologist psychiatrist staff".split()
)
_WORD_SUFFIXES = ("iary", "ology", "ation", "ement", "ness", "ility", "ical", "ious", "eous", "ities", "itis")


def _sentence_start(text: str, start: int) -> bool:
    before = text[:start].rstrip(" \t\"'\u201c(")
    return not before or before[-1] in ".!?\n:;"


def ordinary_word(text: str, start: int, end: int) -> bool:
    """True when the name span text[start:end] reads as an ordinary word, not a person's name."""
    word = text[start:end]
    if not re.fullmatch(r"[A-Za-z][A-Za-z'\u2019-]*", word):
        return False  # more than one word: left to the finders
    lex = lexicon()
    low = word.lower()
    after = text[end:]
    if word.isupper() and len(word) >= 2:
        if sum(c.islower() for c in text) > 2 * sum(c.isupper() for c in text):
            prev = text[:start].split()[-1:]
            if len(set(low)) == 1 or (prev and prev[0].lower().rstrip(".") in TITLE_SET | _JOBS):
                return False  # "Dr XXXX", "Doctor DC": a name masked or in capitals after a title
            if after[:1].isdigit() or (prev and prev[0].lower() in _ARTICLE) or low not in lex.given:
                return True
        return False
    if word[:1].isupper() and word[1:].islower():
        listed = low in lex.given or low in lex.surnames
        if not listed:
            if low.endswith(_WORD_SUFFIXES):
                return True
            if low.endswith("s") and low[:-1] in ROLE_WORDS and low[:-1] not in TITLE_SET:
                return True
        head, _, tail = word.partition("-")
        if tail[:1].islower() and head.lower() in lex.english and not listed:
            return True
        if re.match(r"[ \t]+(?:Street|Road|Lane|Avenue|Close|Drive|Crescent|Terrace|Way)\b", after):
            return True  # "Hope Street": a place
        if not _sentence_start(text, start):
            return False
        if low not in lex.english:
            return False
        if after[:1] == ":":
            return True
        if re.match(r"[ \t]*[.!]", after) and not listed and _sentence_start(text, start):
            return True  # "Legend."
        m = _NEXT_WORD.match(after)
        nxt, nxt2 = (m.group("w") or ""), (m.group("w2") or "")
        if re.match(r"[ \t]*(?:,|and\b|&)[ \t]*(?:and[ \t]+)?[a-z]", after):
            pair = re.match(r"[ \t]*(?:,|and|&)[ \t]*(?:and[ \t]+)?([a-z]+)", after)
            if after.lstrip()[:1] == "," and not re.match(r",[ \t]*[a-z]+,?[ \t]+(?:and|&)\b", after.lstrip()):
                return False  # "Rob, amazing practitioner": an address, not a list of words
            if pair and pair.group(1) in lex.english and pair.group(1) not in STOP_WORDS_LOWER:
                return True
            return False
        if not nxt or not nxt.islower() or not after[:1].isspace():
            return False
        if nxt in STOP_WORDS_LOWER or nxt in _AFTER_PERSON or nxt not in lex.english or nxt in lex.given:
            return False
        if _JOBS.intersection(re.findall(r"[a-z]+", after[:40].lower()).__getitem__(slice(0, 3))):
            return False  # "Dawn mental health worker": a name before what the person does
        if nxt.endswith("s"):
            return nxt2 in _PLURAL_VERB  # "Gift vouchers were", not "Grace works nights"
        if nxt.endswith(("ed", "ly", "'s", "\u2019s", "'d", "'ll")):
            return False
        return True
    if word.islower():
        prev = text[:start].split()[-1:]
        if prev and prev[0].lower() in _SUBJECT | _INTENSIFIER and low in lex.english:
            return True  # "we sue nobody": the verb
        if (
            low in lex.english
            and prev
            and prev[0].isalpha()
            and prev[0].islower()
            and prev[0] in lex.english
            and prev[0] not in STOP_WORDS_LOWER | ROLE_WORDS | TITLE_SET
            and re.match(r"[ \t]*(?:[.!?,]|$)", after)
            and not lower_style(text)
        ):
            return True  # "have 5 min peace.": a word closing a clause in text written with capitals
    return False
