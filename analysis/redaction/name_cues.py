"""Names found from the cues around them after the rules and the tagger have run (`__init__.py`).

Shapes, each general rather than a list of examples:
- a word opening a sentence, in any case, with where the person works and what they do after it
  ("patience on nights is always helping", "heaven from the agency got stood down", "joy and faith on
  ward 2 are the reason", "shabnam in the X team is"): a listed given name (also one that is a word)
  or a word no dictionary holds; inside a sentence after "and", "told", "to" or thanks, a listed name only
  ("told hazel and ivy on reception and they");
- two listed given names that are no words, joined by "and", opening a sentence with a verb after them;
- a title in lower case before a word no dictionary holds ("sister nkem", "matron okonkwo");
- a given name and a surname both in capitals in mixed-case text ("MARK OSEI the nurse in charge");
- a name found once, written again with the same capitals ("Bill ... thank you Bill"), and a capitalised
  word joined by "and" to a found name with a plural verb after it ("Gift and Marvellous are");
- a lower-case surname from the list right after a name found in lower case ("dawn edwards").
"""

from __future__ import annotations

import re
from collections.abc import Iterable

from analysis.redaction.tagger import fold, lexicon
from analysis.redaction.vocabulary import PROTECTED_WORDS, ROLE_WORDS, STOP_WORDS_LOWER, TITLE_SET

__all__ = ["cue_name_spans"]

_WORD = r"[A-Za-z\u00C0-\u024F][a-z\u00C0-\u024F'\u2019-]+"
_PLACE = (
    r"(?:nights|days|lates|earlies|twilights|weekends|ward|wards|bay|estates|agency|bank|desk|stores|reception"
    r"|office|switchboard|pharmacy|porters|portering|security|catering|housekeeping|domestics|theatres|canteen"
    r"|rota|unit|team|[A-Z][\w'\u2019-]*)"
)
_PLACE_CUE = re.compile(
    rf"[ \t]+(?:on|from|in|at|with)[ \t]+(?:the[ \t]+|our[ \t]+)?(?:[a-z]+[ \t]+)?(?P<place>{_PLACE})\b(?=(?P<rest>[^.!?\n]{{0,70}}))"
)
_OPENER = re.compile(
    rf"(?:^|(?<=[.!?\n])[ \t]*|(?<=[.!?][ \t])|(?<=\band )|(?<=\btold )|(?<=\bto )|(?<=\bthank you )|(?<=\bthanks ))"
    rf"(?P<a>{_WORD})(?:[ \t]+(?:and|&)[ \t]+(?P<b>{_WORD}))?\Z"
)
"""The one or two words before a place cue, where they open a sentence or follow "and", "told", thanks."""
_DOES = re.compile(
    r"\b(?:(?:is|was|are|were)[ \t]+(?:a|an|the|always|never|so|very|really|such|lovely|amazing|brilliant|great|kind"
    r"|rude|horrible|fab|fantastic|wonderful|the best|honestly)|always|never|told|tells|said|says|got|gets|fixed|helped"
    r"|helps|saved|shouted|shouts|deserves?|keeps|kept|does|did|works|worked|sorts|sorted|answers|both|she|he|her|him|his|they"
    r"|legend|star|superstar)\b"
)
"""After the place, what makes the opening word a person: a verb or pronoun that only a person takes."""
_PAIR_OPENING = re.compile(
    rf"(?:^|(?<=[.!?\n])[ \t]*|(?<=[.!?][ \t]))(?P<a>{_WORD})[ \t]+(?:and|&)[ \t]+(?P<b>{_WORD})"
    r"(?=[ \t]+(?:do|did|are|were|have|had|always|never|both|work|worked|said|told|help|helped)\b)"
)
"""Two listed given names, neither a word, opening a sentence with what they do ("bola and tayo do all")."""
_LOWER_TITLE = re.compile(
    r"(?<![\w'])(?:sister|matron|dr|mr|mrs|ms|miss|prof)\.?[ \t]+(?P<n>[a-z\u00C0-\u024F]{3,})(?![\w'\u2019-])"
)
_CAPS_PAIR = re.compile(r"(?<![\w'])(?P<g>[A-Z]{3,})[ \t]+(?P<s>[A-Z]{2,}(?:-[A-Z]{2,})?)(?![\w'])")
_AND_AFTER = re.compile(r"[ \t]+(?:and|&)[ \t]+(?P<n>[A-Z][a-z\u00C0-\u024F'\u2019-]+)(?=[ \t]+(?:are|were|both|have|had|always|who)\b)")
_WEEKDAYS_MONTHS = frozenset(
    "monday tuesday wednesday thursday friday saturday sunday january february march april may june july august"
    " september october november december".split()
)


def _unknown(low: str) -> bool:
    """A word no dictionary holds and no list calls anything but a name."""
    lex = lexicon()
    return low not in lex.english and low not in STOP_WORDS_LOWER and low.isalpha() and len(low) >= 3


def _name_like(word: str) -> bool:
    lex = lexicon()
    low = word.lower()
    if low in PROTECTED_WORDS or low in ROLE_WORDS or low in TITLE_SET or low in _WEEKDAYS_MONTHS:
        return False
    if low in STOP_WORDS_LOWER and low not in lex.word_names:
        return False
    return low in lex.given or fold(low) in lex.given or _unknown(fold(low))


def cue_name_spans(text: str, found: Iterable[tuple[int, int]]) -> list[tuple[int, int]]:
    """Extra NAME spans for `text`, given the name spans the rules and the tagger found."""
    found = list(found)
    out: list[tuple[int, int]] = []
    if " on " in text or " from " in text or " in " in text or " at " in text or " with " in text:
        for cue in _PLACE_CUE.finditer(text):
            m = _OPENER.search(text, max(0, cue.start() - 40), cue.start())
            if m is None:
                continue
            a, b = m.group("a"), m.group("b")
            if not _name_like(a) or (b and not _name_like(b)):
                continue
            if m.start() > 0 and text[m.start() - 1] == " " and not text[: m.start()].rstrip().endswith((".", "!", "?")):
                # inside a sentence only a listed given name, never a word no dictionary holds
                lex = lexicon()
                if a.lower() not in lex.given or (b and b.lower() not in lex.given):
                    continue
            if not b and a.lower() in lexicon().english and cue.group("place")[:1].isupper():
                continue  # "Hope in the NHS is a joke": a word-name needs a workplace word ("on nights")
            if b or _DOES.search(cue.group("rest")):
                out.append(m.span("a"))
                if b:
                    out.append(m.span("b"))
    for m in _PAIR_OPENING.finditer(text) if (" and " in text or " & " in text) else ():
        lex = lexicon()
        a, b = m.group("a").lower(), m.group("b").lower()
        if all(w in lex.given and w not in lex.english and w not in STOP_WORDS_LOWER for w in (a, b)):
            out.extend((m.span("a"), m.span("b")))
    low_text = text.lower()
    if any(t in low_text for t in ("sister ", "matron ", "dr ", "mr ", "mrs ", "ms ", "miss ", "prof ")):
        for m in _LOWER_TITLE.finditer(text):
            n = m.group("n")
            if _unknown(fold(n)) and not n.endswith(("ed", "ing", "ly")) and n not in PROTECTED_WORDS | ROLE_WORDS:
                out.append(m.span("n"))
    if sum(c.islower() for c in text) > 2 * sum(c.isupper() for c in text):
        lex = lexicon()
        for m in _CAPS_PAIR.finditer(text):
            g, s = m.group("g").lower(), m.group("s").lower()
            if g in lex.given and (s in lex.surnames or _unknown(s)) and s not in lex.english and s not in PROTECTED_WORDS:
                out.append(m.span())
    if found:
        lex = lexicon()
        seen: set[str] = set()
        for start, end in found:
            for w in re.finditer(r"[A-Za-z\u00C0-\u024F][\w'\u2019-]*", text[start:end]):
                word = w.group()
                if word[:1].isupper() and not word.isupper() and len(word) >= 3 and word.lower() not in PROTECTED_WORDS | ROLE_WORDS:
                    seen.add(word)
            nxt = _AND_AFTER.match(text, end)
            if nxt and nxt.group("n").lower() not in PROTECTED_WORDS | ROLE_WORDS | STOP_WORDS_LOWER:
                out.append(nxt.span("n"))
            if text[start:end].islower() and (sur := re.match(r" ([a-z]{3,})\b", text[end:])) and sur.group(1) in lex.surnames and sur.group(1) not in lex.english:
                out.append((start, end + 1 + len(sur.group(1))))
        for word in seen:
            english = word.lower() in lex.english
            for m in re.finditer(rf"(?<![\w'\u2019-]){re.escape(word)}(?![\w-])", text):
                if any(s <= m.start() < e for s, e in found):
                    continue
                before = text[: m.start()].rstrip()
                if english and (not before or before[-1] in ".!?\n\"("):
                    continue  # "Will" opening a sentence is the verb as often as the name
                out.append(m.span())
    return out
