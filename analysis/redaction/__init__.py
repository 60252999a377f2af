"""Redaction of free text before any person reads it: identifiers become typed placeholders.

`redact(text, organisation_terms)` finds, and replaces with `[TYPE]` placeholders:

| type | what | how |
|---|---|---|
| EMAIL | e-mail addresses, also written out ("jo dot bloggs at nhs dot net", "jo[at]example(dot)org") | pattern |
| PHONE | UK phone numbers: 07xxx xxxxxx, +44 7xxx ..., 020 xxxx xxxx, 01xxx xxxxxx, 03/08 numbers | digits after 0 or +44, with spaces, dashes, dots or brackets; 10 or 11 digits in the national form; an extension after it ("ext 221") |
| NHS_NUMBER | 10 digits, optionally 3-3-4 spaced | only when the modulus-11 check digit is valid |
| NI_NUMBER | National Insurance numbers (QQ 12 34 56 C, QQ-12-34-56-C) | two letters, six digits, a letter A-D |
| POSTCODE | full UK postcodes (SW1A 1AA); an outward code alone (E14, SW2) after a word that places someone ("I live in E14") | pattern; known postcode areas |
| REGISTRATION_NUMBER | GMC numbers (7 digits beside "GMC" or "registration"), NMC PINs (12A3456E), HCPC numbers beside "HCPC" | pattern and context |
| STAFF_NUMBER | staff, payroll, employee, assignment, ESR, bank or agency numbers; ids with a letter prefix and a hyphen or slash (AGY-55817, STF/204719) | the number after a context phrase; the prefixed shape alone |
| DATE | exact days, with or without a year, and dated times of day: 12/03/2024, 12/4, 2024/03/12, 12 March 2024, the twelfth of March, "on the 3rd", Monday 14, Christmas 2023, "yesterday at 3pm", "last Tuesday night"; a month and year ("since Feb 2024"), which narrows a complaint to one payroll month | `dates.py`; a bare month or weekday stays |
| WARD / SITE / TEAM / ... | the organisation's own names, from `organisation_terms`; their short forms ("on Lister"); wards, sites and teams it did not list ("Ward 12", "AMU 2", "7 West", "Rainbow Ward", "St Mary's", "Whipps Cross Hospital", "Kestrel House", "Harbour Outreach Team", "on Heron", "Hartley community team", "Westgate Centre", "Block C") | `places.py` |
| NAME | people's names | the union of a learned tagger (`tagger.py`: a CRF over tokens with context features, trained on generated text) and these rules (`name_rules.py`): a title (Dr, Mr, Mrs, Ms, Sister, Nurse, ...) and the capitalised word(s) after it; a given name from the shipped list (analysis/data/given_names.txt, several thousand UK and international names) and the capitalised surname(s) after it; a name that is also an English word (Grace, Will, Hope) only with a title or a capitalised surname beside it; "called"/"named" and a capitalised word; a capitalised name and surname right after a role word ("charge nurse Kofi Boateng"); a capitalised word joined by "and" to a name ("Marisol Reyes and Jhoanna"); a given name that is also a word opening a sentence about a person ("Ebony is a great nurse"); a writer's own name ("My name is Lwazi", "I'm Nanami"); one capitalised word after a role ("my manager Wiktoria"); a name in apposition to a role ("Bola the healthcare assistant was"); a listed name in lower case before what a person does ("tunde was"); surname particles (dela Cruz, van der Berg, ap Gwilym, al-Amin); in text written without capitals, the listed given names in lower case; and, after both (`name_cues.py`), a word opening a sentence with where the person works and what they do ("patience on nights is always ..."), a lower-case title before a word no dictionary holds ("sister nkem"), a capitalised given name and surname ("MARK OSEI"), a found name written again ("thank you Bill") |

Words about ethnicity, religion, nationality, language and culture (`PROTECTED_WORDS`: Black, Asian,
Muslim, Nigerian, Filipino, Polish, Hindu, Caribbean, Irish Traveller, ...) are the substance of these
testimonies and are never redacted, even when capitalised beside a name-like word: they never start,
extend or make up a NAME, and a span of any other type that would cover one is dropped.

Overlapping findings keep the more specific: structured identifiers and organisation terms win over
names; among equals the longer span wins. Spans are in the coordinates of the original text.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass

from analysis.redaction import tagger
from analysis.redaction.dates import find_dates
from analysis.redaction.name_cues import cue_name_spans
from analysis.redaction.name_filters import ordinary_word
from analysis.redaction.name_rules import TOKEN, colour_surname_ok, name_spans as rule_name_spans
from analysis.redaction.places import find_places
from analysis.redaction.structured import find_structured, nhs_number_is_valid
from analysis.redaction.vocabulary import PAIRED_PROTECTED, PROTECTED_WORDS, TITLES, given_names

__all__ = [
    "NAME_SOURCES",
    "PROTECTED_WORDS",
    "STRUCTURED_TYPES",
    "TITLES",
    "Redaction",
    "Span",
    "given_names",
    "nhs_number_is_valid",
    "redact",
]

STRUCTURED_TYPES = (
    "EMAIL",
    "PHONE",
    "NHS_NUMBER",
    "NI_NUMBER",
    "POSTCODE",
    "REGISTRATION_NUMBER",
    "STAFF_NUMBER",
    "DATE",
)
NAME_SOURCES = ("rules", "tagger")
"""What finds names: `redact(..., names=("rules",))` measures one part alone (bench/redaction.py --names)."""


@dataclass(frozen=True)
class Span:
    """One redacted stretch of the original text."""

    type: str
    start: int
    end: int
    text: str

    @property
    def placeholder(self) -> str:
        return f"[{self.type}]"


@dataclass(frozen=True)
class Redaction:
    """The redacted text and the spans (in the original text's coordinates) that were replaced."""

    text: str
    spans: tuple[Span, ...]

    @property
    def types(self) -> set[str]:
        return {s.type for s in self.spans}


_PRIORITY = {
    "EMAIL": 100,
    "NHS_NUMBER": 95,
    "NI_NUMBER": 95,
    "REGISTRATION_NUMBER": 94,
    "STAFF_NUMBER": 93,
    "PHONE": 92,
    "POSTCODE": 90,
    "DATE": 85,
    "NAME": 10,
}


def _find(
    text: str, organisation_terms: Mapping[str, Iterable[str]] | None, names: Sequence[str]
) -> list[tuple[int, int, str, int]]:
    found = [(s, e, kind, _PRIORITY[kind]) for s, e, kind in find_structured(text) if e > s]
    found.extend((s, e, "DATE", _PRIORITY["DATE"]) for s, e in find_dates(text) if e > s)
    found.extend(p for p in find_places(text, organisation_terms) if p[1] > p[0])
    name_found: list[tuple[int, int]] = []
    if "rules" in names:
        name_found.extend(rule_name_spans(text))
    if "tagger" in names:
        name_found.extend(tagger.name_spans(text))
    if "rules" in names:
        name_found.extend(cue_name_spans(text, name_found))
    for start, end in name_found:
        if end > start and (
            not any(w.lower() in PROTECTED_WORDS for w in TOKEN.findall(text[start:end])) or colour_surname_ok(text, start, end)
        ):
            if _word_after_article(text, start, end) or ordinary_word(text, start, end):
                continue  # "a grace period", "the hope": a word, not a name
            last = text[start:end].rsplit(None, 1)[-1].lower()
            partner = PAIRED_PROTECTED.get(last)
            if partner and text[end : end + len(partner) + 1].lower() == " " + partner:
                continue  # "Costa" of "Costa Rica", "Hong" of "Hong Kong"
            found.append((start, end, "NAME", _PRIORITY["NAME"]))
    return found


_ARTICLE_BEFORE = frozenset("a an the this that some any no".split())


def _word_after_article(text: str, start: int, end: int) -> bool:
    """A single word that is also an English word, right after an article ("a grace period")."""
    word = text[start:end]
    if not word.isalpha() or not word.islower():
        return False
    before = text[max(0, start - 6) : start].split()
    return bool(before) and before[-1].lower() in _ARTICLE_BEFORE and word in tagger.lexicon().english


def redact(
    text: str,
    organisation_terms: Mapping[str, Sequence[str]] | None = None,
    *,
    names: Sequence[str] = NAME_SOURCES,
) -> Redaction:
    """Replaces identifiers in `text` with typed placeholders such as `[NAME]` and `[PHONE]`.

    `organisation_terms` maps a placeholder type to the organisation's own names of that type, e.g.
    `{"WARD": ["Ward 7", "Lister Ward"], "SITE": ["St Elsewhere's"], "TEAM": ["Acute Medicine"]}`:
    matched whole-word and case-insensitively, longest first. `names` chooses what finds names (both
    parts unless measuring one alone).
    """
    if not text:
        return Redaction(text or "", ())
    found = _find(text, organisation_terms, names)
    # Higher priority first, then longer, then earlier; keep a span when it overlaps none kept. Two names
    # that overlap (the rules' and the tagger's) are merged into one.
    found.sort(key=lambda f: (-f[3], -(f[1] - f[0]), f[0]))
    kept: list[list[object]] = []
    for start, end, kind, _ in found:
        clash = [k for k in kept if not (end <= k[0] or start >= k[1])]  # type: ignore[operator]
        if not clash:
            kept.append([start, end, kind])
        elif kind == "NAME" and all(k[2] == "NAME" for k in clash) and len(clash) == 1:
            k = clash[0]
            merged = (min(start, k[0]), max(end, k[1]))  # type: ignore[type-var]
            if not any(o is not k and not (merged[1] <= o[0] or merged[0] >= o[1]) for o in kept):  # type: ignore[operator]
                k[0], k[1] = merged
    kept.sort(key=lambda k: k[0])  # type: ignore[arg-type,return-value]
    out: list[str] = []
    pos = 0
    spans: list[Span] = []
    for start, end, kind in kept:  # type: ignore[misc]
        out.append(text[pos:start])
        out.append(f"[{kind}]")
        spans.append(Span(kind, start, end, text[start:end]))
        pos = end
    out.append(text[pos:])
    return Redaction("".join(out), tuple(spans))
