"""Structured identifiers: e-mail addresses, phone, NHS, National Insurance, registration and staff
numbers, postcodes. Dates live in `dates.py`.

Each is a pattern with a check where a check exists (the NHS number's modulus 11, a phone number's
length and leading digits) or a context phrase where the shape alone is too common (seven digits are a
GMC number only beside "GMC" or "registration"). `find_structured` returns every candidate with its
type; the orchestrator in `__init__.py` settles overlaps.
"""

from __future__ import annotations

import re
from collections.abc import Iterator

# --- NHS number ---------------------------------------------------------------------------------


def nhs_number_is_valid(number: str) -> bool:
    """True when `number` (10 digits, spaces or dashes ignored) passes the NHS modulus-11 check."""
    digits = [int(c) for c in number if c.isdigit()]
    if len(digits) != 10 or len(re.sub(r"[\s-]", "", number)) != 10:
        return False
    total = sum(d * w for d, w in zip(digits[:9], range(10, 1, -1)))
    check = 11 - total % 11
    if check == 11:
        check = 0
    if check == 10:
        return False
    return check == digits[9]


__all__ = ["find_structured", "nhs_number_is_valid"]

# --- structured patterns -----------------------------------------------------------------------

_EMAIL = re.compile(r"(?<![\w.+-])[A-Za-z0-9][A-Za-z0-9._%+-]*@[A-Za-z0-9-]+(?:\.[A-Za-z0-9-]+)*\.[A-Za-z]{2,}")
_PHONE = re.compile(
    r"(?<![\w+])(?:\(?(?:\+|00)\s?44\)?[ \t\-.]?(?:\(0\)[ \t\-.]?)?|\(?0)"
    r"(?:\d[ \t\-.)]{0,2}){8,10}\d(?![\d])"
)
_NHS = re.compile(r"(?<![\d\w])(\d{3})([ \t-]?)(\d{3})\2(\d{4})(?![\d\w])")
_NI = re.compile(
    r"(?<![\w])[A-Za-z]{2}[ \t.\-]?\d{2}[ \t.\-]?\d{2}[ \t.\-]?\d{2}[ \t.\-]?[A-Da-d](?![\w])"
)
_POSTCODE = re.compile(
    r"(?<![\w])(?:[A-Za-z]{1,2}\d[A-Za-z\d]?|[A-Za-z]{1,2}\d)[ \t]?\d[ABD-HJLNP-UW-Zabd-hjlnp-uw-z]{2}(?![\w])"
)
_NMC_PIN = re.compile(r"(?<![\w])\d{2}[A-Za-z]\d{4}[A-Za-z](?![\w])")
_GMC = re.compile(
    r"\b(?:GMC|gmc|GPhC|gphc|General Medical Council|General Pharmaceutical Council|registration|reg\.?|registered"
    r"|[Pp]harmacists?)"
    r"\b[^\d\n]{0,30}?(?<!\d)(\d{7})(?!\d)"
)
_GMC_AFTER = re.compile(r"(?<!\d)(\d{7})(?!\d)[ \t]*\(?(?:GMC|gmc)\b")
_HCPC = re.compile(r"\b(?:HCPC|hcpc)\b[^\n]{0,30}?\b([A-Za-z]{2,3}[ \t]?(?:\d{5,6}|\d{3}[ \t]\d{3}))\b")
_PIN_CONTEXT = re.compile(
    r"\b(?:NMC|nmc|PIN|pin)\b[^\n]{0,25}?\b(\d{2}[A-Za-z]\d{4}[A-Za-z]|\d{7,8}[A-Za-z]?)\b"
)
_STAFF = re.compile(
    r"\b(?:staff|payroll|employee|employment|assignment|ESR|esr|personnel|badge|worker|agency|bank|locum|ID|id"
    r"|smartcard|smart card|booking|my[ \t]+ref(?:erence)?|(?:emp|pay)(?=[ \t]*(?:number|no\b|num\b|#|id\b|ref)))"
    r"[ \t]*(?:number|no\.?|num|#|ID|id|ref(?:erence)?|code|card)?s?\b"
    r"[^\w\n]{0,4}(?:(?:is|was|of|number|no|ref|reference|says|said|its|it's|it\u2019s|:)\s*){0,3}"
    r"([A-Za-z]{0,6}[ \t]?[-/]?[ \t]?\d[\d \t/-]{2,12}\d(?:[-/][A-Za-z0-9]{1,4}|[A-Za-z](?![\w]))?)(?![\d])",
    re.IGNORECASE,
)
_PREFIXED_ID = re.compile(
    r"(?<![\w/-])[A-Z]{1,5}\d{0,2}(?:[-/][A-Z]{2,5})?[-/]\d{4,9}(?:[-/][A-Z0-9]{1,4})?(?![\w/-])"
)
"""A letter prefix, a hyphen or slash and four or more digits (AGY-55817, STF/204719, NHSP-4821-B): an
agency, bank or staff id even without a context phrase; a second letter group may come first (GP-LOC-1187). Fewer digits are model or version numbers
(COVID-19, FFP-3)."""
_STAFF_MORE = re.compile(
    r"\b(?:(?:EMP|EMPL|PAYROLL)\.?[ \t]*[:#]?|(?:time[ \t]?sheet|pension|contract|HR|rota|clocking)[ \t]+"
    r"(?:number|no\.?|num|ref(?:erence)?|id)\b[^\w\n]{0,3}(?:is[ \t]+)?)[ \t]*(\d[\d \t/-]{2,12}\d)(?![\d])"
)
"""More staff-number cues: an upper-case abbreviation before the digits ("EMP 44-019-223"), and the
numbers of other staff records ("timesheet number 4410-22", "pension ref 88123")."""
_YEAR_ONLY = re.compile(r"(?:19|20)\d\d")
_WORD_YEAR = re.compile(r"[a-z]+[ \t]+(?:19|20)\d\d")
_OUTWARD_LOWER = re.compile(
    r"\b(?:in|from|near|live|lives|living|based|postcode|area)[ \t]+(?P<code>(?P<area>[a-z]{1,2})\d{1,2})(?![\w-])"
)
"""An outward code typed in lower case after a word that puts someone somewhere ("band 5 in n7")."""
_HASH_ID = re.compile(r"(?<![\w#])[A-Za-z]{2,6}[ \t]?#[ \t]?\d{4,9}(?![\w])")
"""A letter prefix, a hash and digits ("HCA#70215"): a staff or booking id."""
_SECTOR = re.compile(r"[ \t]\d(?=[ \t]+(?:side|area|district|end|way)\b|[ \t]*(?:[,;:!?)]|\.(?!\d)|$))")
"""The sector digit after an outward code ("M13 9 side"): part of the partial postcode."""
_AT = r"(?:[ \t]*@[ \t]*|[ \t]*[\[\(\{<][ \t]*at[ \t]*[\]\)\}>][ \t]*|[ \t]+at[ \t]+)"
_DOT = r"(?:\.|[ \t]*[\[\(\{<][ \t]*dot[ \t]*[\]\)\}>][ \t]*|[ \t]+dot[ \t]+)"
_OBFUSCATED_EMAIL = re.compile(
    rf"(?<![\w.])[A-Za-z0-9][A-Za-z0-9_%+-]*(?:(?:{_DOT}|[ \t]+underscore[ \t]+|_)[A-Za-z0-9][A-Za-z0-9_%+-]*)*"
    rf"{_AT}[A-Za-z0-9][A-Za-z0-9-]*(?:{_DOT}[A-Za-z0-9][A-Za-z0-9-]*)*{_DOT}"
    r"(?:com|net|org|uk|nhs|co|ac|gov|edu|io|me|info|biz|ie|eu|mail)\b",
    re.IGNORECASE,
)
"""An e-mail address written to dodge filters: "name dot surname at nhs dot net", "jo[at]example(dot)org"."""
_POSTCODE_AREAS = frozenset(
    """AB AL B BA BB BD BH BL BN BR BS BT CA CB CF CH CM CO CR CT CV CW DA DD DE DG DH DL DN DT DY E EC EH EN EX
    FK FY G GL GU HA HD HG HP HR HS HU HX IG IP IV KA KT KW KY L LA LD LE LL LN LS LU M ME MK ML N NE NG NN NP
    NR NW OL OX PA PE PH PL PO PR RG RH RM S SA SE SG SK SL SM SN SO SP SR SS ST SW SY TA TD TF TN TQ TR TS TW
    UB W WA WC WD WF WN WR WS WV YO ZE""".split()
)
_OUTWARD = re.compile(
    r"\b(?:in|from|near|to|around|round|postcode|postcodes|area|areas|district|at|nr|live|lives|living|based|moved"
    r"|cover|covers|covering|covered|visit|visiting|patch)"
    r"[ \t]+(?:the[ \t]+|an?[ \t]+)?(?!B12\b)(?P<code>(?P<area>[A-Z]{1,2})(?:\d{1,2}|\d[A-Z]))"
    r"(?![\w-]|[ \t]+(?:deficiency|vitamin|injections?|levels?|jabs?|masks?|respirators?|form|forms|visa|status)\b)"
)
"""An outward code alone (E14, SW2, NW10) after a word that puts someone somewhere: a partial postcode still
narrows a person down to a few streets."""
_OUTWARD_IS = re.compile(
    r"\b[Pp]ostcodes?\b[^.\n]{0,50}?\b(?:is|was|are|were)[ \t]+(?P<code>(?P<area>[A-Z]{1,2})(?:\d{1,2}|\d[A-Z]))(?![\w-])"
)
"""... or named as a postcode ("the postcode for the bus stop is SW2")."""
_OUTWARD_BEFORE = re.compile(
    r"(?<![\w-])(?P<code>(?P<area>[A-Z]{1,2})(?:\d{1,2}|\d[A-Z]))[ \t]+(?:area|areas|district|postcode|side)\b"
)
"""... or before a word that makes it a place ("the SE15 area")."""
_OUTWARD_NEXT = re.compile(
    r"[ \t]*(?:,|/|&|and|or)[ \t]*(?:(?:and|or)[ \t]+)?(?P<code>(?P<area>[A-Z]{1,2})(?:\d{1,2}|\d[A-Z]))(?![\w-])"
)
"""The next code in a list after a postcode ("B23 and B24", "E14, E15 or E16")."""
_OUTWARD_PREV = re.compile(
    r"(?<![\w-])(?P<code>(?P<area>[A-Z]{1,2})(?:\d{1,2}|\d[A-Z]))[ \t]*(?:,|/|&|and|or)[ \t]*(?:(?:and|or)[ \t]+)?$"
)
_EXTENSION = re.compile(r"[ \t]*,?[ \t]*\(?(?:ext|extension|x)\.?[ \t]*\d{2,6}\)?(?![\w])", re.IGNORECASE)
"""A phone extension after the number ("0113 496 0554 ext 221"): part of the number."""

def _phone_ok(candidate: str) -> bool:
    digits = re.sub(r"\D", "", candidate)
    if digits.startswith("0044"):
        digits = "0" + digits[4:]
    elif digits.startswith("44") and "+" in candidate or digits.startswith("440"):
        digits = "0" + digits[2:]
    if digits.startswith("00"):
        digits = digits[1:]
    if not digits.startswith("0") or len(digits) not in (10, 11):
        return False
    return digits[1] in "123578"



_DIGIT = re.compile(r"\d")

# --- everything structured ---------------------------------------------------------------------------


def find_structured(text: str) -> Iterator[tuple[int, int, str]]:
    """Yields (start, end, type) of every structured identifier candidate in `text`; spans may overlap."""
    has_digit = _DIGIT.search(text) is not None
    if "@" in text:
        for m in _EMAIL.finditer(text):
            yield m.start(), m.end(), "EMAIL"
    if " at " in text or "[at]" in text or "(at)" in text or "@" in text:
        for m in _OBFUSCATED_EMAIL.finditer(text):
            yield m.start(), m.end(), "EMAIL"
    if not has_digit:
        return
    for m in _NHS.finditer(text):
        if nhs_number_is_valid(m.group()):
            yield m.start(), m.end(), "NHS_NUMBER"
    for m in _PHONE.finditer(text):
        cand = m.group().rstrip(" -.)")
        if _phone_ok(cand):
            end = m.start() + len(cand)
            ext = _EXTENSION.match(text, end)
            yield m.start(), ext.end() if ext else end, "PHONE"
    for m in _NI.finditer(text):
        yield m.start(), m.end(), "NI_NUMBER"
    codes = [m for m in _POSTCODE.finditer(text) if not m.group().isdigit()]
    codes += [m for p in (_OUTWARD, _OUTWARD_BEFORE, _OUTWARD_IS) for m in p.finditer(text) if m.group("area") in _POSTCODE_AREAS]
    codes += [m for m in _OUTWARD_LOWER.finditer(text) if m.group("area").upper() in _POSTCODE_AREAS]
    for m in codes:
        start, end = m.span("code") if m.re is not _POSTCODE else m.span()
        if m.re is not _POSTCODE and (sector := _SECTOR.match(text, end)):
            end = sector.end()
        yield start, end, "POSTCODE"
        while (nxt := _OUTWARD_NEXT.match(text, end)) and nxt.group("area") in _POSTCODE_AREAS:
            yield nxt.start("code"), nxt.end("code"), "POSTCODE"
            end = nxt.end()
        while (prev := _OUTWARD_PREV.search(text, max(0, start - 16), start)) and prev.group("area") in _POSTCODE_AREAS:
            yield prev.start("code"), prev.end("code"), "POSTCODE"
            start = prev.start()
    for m in _NMC_PIN.finditer(text):
        yield m.start(), m.end(), "REGISTRATION_NUMBER"
    for pattern in (_GMC, _GMC_AFTER, _HCPC, _PIN_CONTEXT):
        for m in pattern.finditer(text):
            yield m.start(1), m.end(1), "REGISTRATION_NUMBER"
    for m in _STAFF.finditer(text):
        value = m.group(1).strip(" \t-/")
        start = m.start(1) + (len(m.group(1)) - len(m.group(1).lstrip(" \t-/")))
        if _WORD_YEAR.fullmatch(value):
            continue  # "bank since 2019": a year, not a number
        while start > 0 and text[start - 1].isalpha() and text[start - 1].isupper():
            start -= 1  # "ref no REF88213-K": the letters glued to the digits are part of the id
            value = text[start] + value
        if sum(c.isdigit() for c in value) >= 4:
            yield start, start + len(value), "STAFF_NUMBER"
    for m in _STAFF_MORE.finditer(text):
        value = m.group(1).strip(" \t-/")
        if sum(c.isdigit() for c in value) >= 4 and not _YEAR_ONLY.fullmatch(value):
            yield m.start(1), m.start(1) + len(value), "STAFF_NUMBER"
    if "#" in text:
        for m in _HASH_ID.finditer(text):
            yield m.start(), m.end(), "STAFF_NUMBER"
    for m in _PREFIXED_ID.finditer(text):
        yield m.start(), m.end(), "STAFF_NUMBER"
