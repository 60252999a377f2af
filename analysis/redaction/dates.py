"""Exact dates and times of day, the detail that places a person on a rota.

A guardian or manager who knows the rota can tell who was on shift "on the 3rd" or "last Tuesday at
7pm", so an exact day is an identifier whether or not it carries a year. A month and year
("since March 2023", "Feb '24") narrows a complaint to one payroll month or one incident and is redacted too;
a bare month or weekday ("every Monday", "in October") stays.

Forms, each in general shape rather than as a list of examples:
- numeric: 12/03/2024, Sat 16/09/23, 3.4.24; year first: 2024-03-12, 2024/3/12; without a year: 12/4
  (a day and month that can be a date, not a fraction, a score or "24/7"; "the 12/4 shift");
- with a month name: 12 March 2024, 3rd of June, March 12th, June the 3rd, Monday 3rd June;
- written out: the twelfth of March, March the first, twenty-third of May;
- a day number alone where the words around make it a day: "on the 3rd", "Monday 14", "Tuesday the 3rd",
  "on the fifth, ...";
- a month and year: March 2024, Feb 2024, Sept '23;
- holidays with a year: Christmas 2023, Boxing Day 2022, Eid 2024, New Year's Eve '22;
- a relative or named day with a time of day: "yesterday at 3pm", "last Tuesday night", "on Friday
  at 19:30", "this morning at 7".
"""

from __future__ import annotations

import re
from collections.abc import Iterator

__all__ = ["MONTH_RE", "WEEKDAY_RE", "find_dates"]

MONTH_RE = (
    r"(?:Jan(?:uary)?|Feb(?:ruary)?|Mar(?:ch)?|Apr(?:il)?|May|June?|July?|Aug(?:ust)?"
    r"|Sep(?:t(?:ember)?)?|Oct(?:ober)?|Nov(?:ember)?|Dec(?:ember)?)"
)
_MONTH_DOT_RE = (
    r"(?:January|February|March|April|May|June|July|August|September|October|November|December"
    r"|(?:Jan|Feb|Mar|Apr|Jun|Jul|Aug|Sep|Sept|Oct|Nov|Dec)\.?)"
)
"""A month, month first: a full name, or an abbreviation with an optional full stop ("Oct. 2")."""
WEEKDAY_RE = r"(?:Mon|Tues?|Wed(?:nes)?|Thu(?:rs?)?|Fri|Sat(?:ur)?|Sun)(?:day)?"
_WEEKDAY_FULL = r"(?:Monday|Tuesday|Wednesday|Thursday|Friday|Saturday|Sunday)"
_ORD = r"(?:st|nd|rd|th)"
_UNITS = r"(?:hours?|hrs?|mins?|minutes?|days?|weeks?|years?|months?)"
_ORDINAL_WORDS = (
    r"(?:(?:twenty|thirty)[ \t-](?:first|second|third|fourth|fifth|sixth|seventh|eighth|ninth)"
    r"|first|second|third|fourth|fifth|sixth|seventh|eighth|ninth|tenth|eleventh|twelfth|thirteenth"
    r"|fourteenth|fifteenth|sixteenth|seventeenth|eighteenth|nineteenth|twentieth|thirtieth)"
)
_YEAR = r"(?:\d{4}|'\d{2})"
# What may follow a bare day number for it to be a day ("on the 3rd I was", "the 3rd, when"), never a
# noun it counts ("the 3rd time", "the 2nd floor").
_DAY_END = (
    r"(?=[ \t]*(?:[.,;:!?)\]\"\u201d\u2019\u2014-]|$)"
    r"|[ \t]+(?:at|when|and|I|I'm|I've|we|he|she|they|it|there|this|on|in|during|after|before|my|our"
    r"|the|a|as|but|was|were|is|for|with|from|to|until|till|of|so|morning|afternoon|evening|night|shift)\b)"
)
_DAY_NUMBER = r"(?:0?[1-9]|[12]\d|3[01])"
_MONTH_NUMBER = r"(?:0?[1-9]|1[0-2])"
_CLOCK = (
    r"(?:\d{1,2}(?:[:.]\d{2})?[ \t]?(?:am|pm|a\.m\.|p\.m\.)|\d{1,2}:\d{2}(?:[ \t]?hrs)?|[012]\d[0-5]\d[ \t]?(?:hrs|hours|h)"
    r"|noon|midday|midnight)"
)
_PART_OF_DAY = r"(?:morning|afternoon|evening|night|lunchtime|teatime)"
_HOLIDAY = (
    r"(?:Christmas(?:[ \t]+(?:Day|Eve))?|Xmas|Boxing[ \t]+Day|New[ \t]+Year(?:['\u2019]s)?(?:[ \t]+(?:Day|Eve))?"
    r"|Easter(?:[ \t]+(?:Sunday|Monday|Day|weekend))?|Good[ \t]+Friday|Eid(?:[ \t-]+(?:al|ul|el)[ \t-]+(?:Fitr|Adha))?"
    r"|Diwali|Vaisakhi|Hanukkah|Passover|Yom[ \t]+Kippur|Chinese[ \t]+New[ \t]+Year|Lunar[ \t]+New[ \t]+Year"
    r"|Bonfire[ \t]+Night|Guy[ \t]+Fawkes(?:[ \t]+Night)?|Valentine(?:['\u2019]s)?(?:[ \t]+Day)?|Halloween"
    r"|(?:early[ \t]+May|spring|summer|August|May)[ \t]+bank[ \t]+holiday(?:[ \t]+Monday)?)"
)

_DIGIT_NEED = ("<digit>",)
_SEP_NEED = ("/", ".", "-")
_MONTH_NEED = ("jan", "feb", "mar", "apr", "may", "jun", "jul", "aug", "sep", "oct", "nov", "dec")
_ORDINAL_NEED = ("st", "nd", "rd", "th")
_ORDINAL_WORD_NEED = ("first", "second", "third", "fourth", "fifth", "sixth", "seventh", "eighth", "ninth", "tenth",
                      "eleventh", "twelfth", "teenth", "twentieth", "thirtieth")
_INTRO_NEED = ("on ", "since ", "from ", "until ", "till ", "by ", "before ", "after ", "of ", "dated ")
_WEEKDAY_NEED = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")
_HOLIDAY_NEED = ("christmas", "xmas", "boxing", "new year", "easter", "good friday", "eid", "diwali", "vaisakhi",
                 "hanukkah", "passover", "kippur", "bonfire", "fawkes", "valentine", "halloween", "bank holiday")
_RELATIVE_NEED = ("yesterday", "today", "tonight", "tomorrow", "day", "this ", "last ", "next ")
_TIME_NEED = ("<digit>", "noon", "midday", "midnight", "morning", "afternoon", "evening", "night", "lunchtime", "teatime")
"""Each pattern below runs only when the lower-cased text holds one string of each group it needs (the
rarer group first): a substring test is far cheaper than a pattern, and most comments need none of them."""

_I = re.IGNORECASE
_PATTERNS: list[tuple[tuple[tuple[str, ...], ...], re.Pattern[str]]] = [
    # 12/03/2024, Sat 16/09/23, 3.4.24
    ((_DIGIT_NEED, _SEP_NEED), re.compile(
        rf"(?<![\d/.\-])(?:\b{WEEKDAY_RE}\.?,?[ \t]+)?\d{{1,2}}[/.\-]\d{{1,2}}[/.\-](?:\d{{4}}|\d{{2}})(?![\d/])", _I
    )),
    # year first: 2024-03-12, 2024/3/12, 2024.03.12
    ((_DIGIT_NEED, _SEP_NEED), re.compile(rf"(?<![\d/.\-])\d{{4}}([/.\-]){_MONTH_NUMBER}\1{_DAY_NUMBER}(?![\d/.\-]?\d)")),
    # Monday 3rd June 2024, 3rd of June, 12 March 2024, the 5th of Jan
    ((_DIGIT_NEED, _MONTH_NEED), re.compile(
        rf"\b(?:{WEEKDAY_RE},?[ \t]+)?(?:the[ \t]+)?\d{{1,2}}{_ORD}?(?:[ \t]+of)?[ \t]+{MONTH_RE}\b\.?"
        rf"(?:,?[ \t]+(?:\d{{4}}|'?\d{{2}}(?![\d:]|\.\d|[ \t]*{_UNITS}\b))\b)?",
        _I,
    )),
    # March 12th, Monday June 3rd, June the 3rd, March 12 2024
    ((_DIGIT_NEED, _MONTH_NEED), re.compile(
        rf"\b(?:{WEEKDAY_RE},?[ \t]+)?(?-i:{_MONTH_DOT_RE})[ \t]+(?:the[ \t]+)?\d{{1,2}}{_ORD}?\b(?:,?[ \t]+\d{{4}}\b)?",
        _I,
    )),
    ((_DIGIT_NEED, _MONTH_NEED), re.compile(
        rf"\b(?:{WEEKDAY_RE},?[ \t]+)?{_MONTH_DOT_RE}[ \t]+(?:the[ \t]+)?\d{{1,2}}{_ORD}\b(?:,?[ \t]+\d{{4}}\b)?", _I
    )),
    # written out: the twelfth of March (2024), March the first, twenty-third May
    ((_ORDINAL_WORD_NEED, _MONTH_NEED), re.compile(
        rf"\b(?:{WEEKDAY_RE},?[ \t]+)?(?:the[ \t]+)?{_ORDINAL_WORDS}(?:[ \t]+of)?[ \t]+(?-i:{_MONTH_DOT_RE})"
        rf"(?:,?[ \t]+\d{{4}}\b)?",
        _I,
    )),
    ((_ORDINAL_WORD_NEED, _MONTH_NEED), re.compile(rf"\b(?-i:{_MONTH_DOT_RE})[ \t]+(?:the[ \t]+)?{_ORDINAL_WORDS}\b(?:,?[ \t]+\d{{4}}\b)?", _I)),
    # a day and month without a year: 12/4, "on 3/11", never a fraction, a score or 24/7
    ((_DIGIT_NEED, ("/",)), re.compile(
        rf"(?<![\d/.\-£$])(?<!out of )(?<!rated )(?<!scored )(?<!score )(?!24/7\b|1/[234]\b|2/3\b|3/4\b|\d{{1,2}}/10\b)(?P<d>{_DAY_NUMBER}/{_MONTH_NUMBER})"
        rf"(?![\d/]|[ \t]*(?:of|th|ths|%|pain|scale|rating|chance|split|shifts|patients?|staff|people|{_UNITS})\b)",
        _I,
    )),
    # ... with the weekday before it: Sat 11/11
    ((_DIGIT_NEED, ("/",)), re.compile(rf"\b{WEEKDAY_RE}\.?,?[ \t]+{_DAY_NUMBER}/{_MONTH_NUMBER}(?![\d/])", _I)),
    # ... and any day and month after a word that introduces a date ("on 7/10", which alone is a score)
    ((_DIGIT_NEED, ("/",)), re.compile(
        rf"\b(?:on|since|from|until|till|by|dated)[ \t]+(?P<d>{_DAY_NUMBER}/{_MONTH_NUMBER})(?![\d/])", _I
    )),
    # weekday and a day number: Monday the 3rd, Tuesday 14th, Friday 14 (when what follows makes it a day)
    ((_DIGIT_NEED, _WEEKDAY_NEED), re.compile(rf"\b{WEEKDAY_RE}[ \t]+(?:the[ \t]+)?\d{{1,2}}{_ORD}\b", _I)),
    ((_DIGIT_NEED, ("day",)), re.compile(rf"\b{_WEEKDAY_FULL}[ \t]+(?:the[ \t]+)?{_DAY_NUMBER}(?![\d:.]){_DAY_END}", _I)),
    ((_ORDINAL_WORD_NEED, ("day",)), re.compile(rf"\b{_WEEKDAY_FULL}[ \t]+the[ \t]+{_ORDINAL_WORDS}\b", _I)),
    # a day number alone after a word that introduces a day: "on the 3rd", "since the twelfth,"
    ((("<digit>",) + _ORDINAL_WORD_NEED, _INTRO_NEED), re.compile(
        rf"\b(?:on|since|from|until|till|by|before|after|of|dated)[ \t]+(?P<d>the[ \t]+(?:\d{{1,2}}{_ORD}|{_ORDINAL_WORDS}))"
        rf"\b{_DAY_END}",
        _I,
    )),
    # a month and year: March 2024, Feb '24 (a year from 1950 to 2039, so never "May 1000 staff")
    ((_DIGIT_NEED, _MONTH_NEED), re.compile(
        rf"\b(?-i:{_MONTH_DOT_RE}|{MONTH_RE.lower()}(?<!may)(?<!mar))[ \t]+(?:of[ \t]+)?(?:19[5-9]\d|20[0-3]\d|'\d{{2}})\b(?![.,]\d|[ \t]*(?:{_UNITS}|staff|people|patients|nurses|pounds|%)\b)",
        _I,
    )),
    # holidays with a year: Christmas 2023, Boxing Day '22, Eid al-Fitr 2024
    ((_DIGIT_NEED, _HOLIDAY_NEED), re.compile(rf"\b(?-i:{_HOLIDAY})[ \t]+(?:of[ \t]+)?{_YEAR}\b", _I)),
    # a relative or named day with a time of day: yesterday at 3pm, last Tuesday night, on Friday at 19:30
    ((_RELATIVE_NEED, _TIME_NEED), re.compile(
        rf"\b(?:(?:yesterday|today|tonight|tomorrow|(?:last|this|next|on)[ \t]+{_WEEKDAY_FULL}"
        rf"|(?:this|last|tomorrow)[ \t]+{_PART_OF_DAY})(?:[ \t]+{_PART_OF_DAY})?[ \t]*,?[ \t]+(?:at|around|about|from|by)"
        rf"[ \t]+(?:about[ \t]+|around[ \t]+)?{_CLOCK}"
        rf"|(?:yesterday|last[ \t]+{_WEEKDAY_FULL}|{_WEEKDAY_FULL}|(?:the[ \t]+)?day[ \t]+before[ \t]+yesterday)[ \t]+{_PART_OF_DAY}"
        rf"(?=[ \t]*(?:[.,;:!?)]|$|[ \t]+(?:at|when|I|we|he|she|they|on|after|before|while|during)\b)))",
        _I,
    )),
]
_DIGIT = re.compile(r"\d")
_GROUP_RE = {id(g): re.compile("|".join(re.escape(n) for n in g)) for needs, _ in _PATTERNS for g in needs}
_WEEKDAY_ONLY_PART = re.compile(rf"^{_WEEKDAY_FULL}[ \t]+{_PART_OF_DAY}$", _I)
_EVERY_BEFORE = re.compile(r"\b(?:every|each|most|some|all|any|a|the|of|no|one|other|usual|weekly)[ \t]+$", _I)


_BARE_THE_ORDINAL = re.compile(rf"\bthe[ \t]+{_DAY_NUMBER}{_ORD}\b{_DAY_END}", _I)
"""A day number after "the" with no noun after it ("made the 22nd so much easier"): a day of the month,
unless the word before ranks or counts ("it was the 3rd", "every 2nd")."""
_RANK_BEFORE = re.compile(
    r"\b(?:is|was|be|been|am|are|were|came|come|finished|placed|ranked|only|every|each|just|about|of|in|and|or)[ \t]+$", _I
)
_DAY_ITEM = rf"(?:the[ \t]+)?(?:{_DAY_NUMBER}{_ORD}\b|{_ORDINAL_WORDS}\b)"
_LIST_NEXT = re.compile(rf"(?:[ \t]*(?:,|&|-|\u2013|and|or|to|till|until|through)[ \t]*)+(?P<d>{_DAY_ITEM})", _I)
_LIST_PREV = re.compile(rf"(?<![\w-])(?P<d>{_DAY_ITEM})(?:[ \t]*(?:,|&|-|\u2013|and|or|to|till|until|through)[ \t]*)+$", _I)
"""The other days in a list or range beside a date ("on 1st, 2nd and 8th April", "the 7th to the 13th")."""
_PART_BEFORE = re.compile(
    rf"\bthe[ \t]+(?:early[ \t]+hours|small[ \t]+hours|{_PART_OF_DAY}|weekend|night|day)[ \t]+(?:of|before)[ \t]+$", _I
)
"""A part of the day before the date is part of it ("the early hours of 16 March")."""
_RANGE_PREV = re.compile(r"(?<![\w/.-])(?:[12]\d|3[01]|0?[1-9])(?:st|nd|rd|th)?[ \t]*[-\u2013\u2014][ \t]*$", _I)
"""The first day of a range written with a dash before a date ("10th–16th June", "3-5 May")."""
_STARTS_WITH_DAY = re.compile(rf"(?:the[ \t]+)?(?:\d|{_ORDINAL_WORDS})", _I)


def find_dates(text: str) -> Iterator[tuple[int, int]]:
    """Yields (start, end) of every exact date or dated time of day in `text`; spans may overlap."""
    found = list(_find_dates(text))
    if found:
        for start, end in list(found):
            pos = end
            while m := _LIST_NEXT.match(text, pos):
                found.append(m.span("d"))
                pos = m.end()
            part = _PART_BEFORE.search(text, max(0, start - 30), start)
            if part:
                found.append((part.start(), end))
            if _STARTS_WITH_DAY.match(text, start):
                if rng := _RANGE_PREV.search(text, max(0, start - 12), start):
                    found.append((rng.start(), end))  # "10th–16th June": one range, one placeholder
                pos = start
                while m := _LIST_PREV.search(text, max(0, pos - 40), pos):
                    found.append(m.span("d"))
                    pos = m.start()
    return iter(found)


def _find_dates(text: str) -> Iterator[tuple[int, int]]:
    low = text.lower()
    if _DIGIT.search(text):
        low += " <digit>"
    present: dict[int, bool] = {}
    for needs, pattern in _PATTERNS:
        ok = True
        for group in needs:
            key = id(group)
            if key not in present:
                present[key] = _GROUP_RE[key].search(low) is not None
            if not present[key]:
                ok = False
                break
        if not ok:
            continue
        group = "d" if "d" in pattern.groupindex else 0
        for m in pattern.finditer(text):
            value = m.group(group).rstrip(" .,\t")
            start = m.start(group)
            # "Monday night" names a day only when it is one day: never "every Monday night".
            if _WEEKDAY_ONLY_PART.match(value) and _EVERY_BEFORE.search(text[max(0, start - 12) : start]):
                continue
            yield start, start + len(value)
    if "the" in low and ("st" in low or "nd" in low or "rd" in low or "th" in low):
        for m in _BARE_THE_ORDINAL.finditer(text):
            if not _RANK_BEFORE.search(text, max(0, m.start() - 12), m.start()):
                yield m.start(), m.end() - len(m.group()) + len(m.group().rstrip(" .,\t"))
