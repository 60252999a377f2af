"""Wards, sites and teams: the organisation's own names, and the ones it did not list.

A ward or site narrows the author down to the few people who work there, so it is an identifier even
when the organisation's list (`organisation_terms`) lacks it. Three sources, in falling order of trust:
- the organisation's own terms, whole words and case-insensitive ("lister ward", "WARD 7");
- their short forms, capitalised as written ("on Lister", "moved to Northfield"), the distinctive words
  of a listed ward or site without its generic head ("Ward", "Hospital", "site");
- general shapes: a ward number ("Ward 12", "ward 4B"), a capitalised name before Ward/Unit/Wing/Suite
  ("Rainbow Ward", "the Cedar unit"), a saint's name ("St Mary's") or a capitalised name before
  Hospital/Infirmary/Hospice ("Whipps Cross Hospital"). A name made only of generic words ("Intensive
  Care Unit", "the District General Hospital") says nothing about where and stays.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Iterator, Mapping
from functools import lru_cache

from analysis.redaction.vocabulary import PROTECTED_WORDS, STOP_WORDS_LOWER

__all__ = ["ORG_PRIORITY", "find_places"]

ORG_PRIORITY = 50
_SHORT_PRIORITY = 45
_SHAPE_PRIORITY = 40

_GENERIC = frozenset(
    """acute medical medicine surgical surgery intensive care assessment emergency maternity children's childrens
    children day renal stroke cardiac coronary high dependency observation discharge admissions admission
    elderly mental health psychiatric orthopaedic orthopaedics respiratory neonatal paediatric paediatrics labour
    postnatal antenatal oncology haematology burns trauma isolation covid general private female male rehab
    rehabilitation frailty endoscopy dialysis decision clinical short long stay ambulatory urgent treatment
    recovery theatre theatres critical special specialist community hospital nhs trust same older people's
    people adult adults birth birthing infectious diseases escalation winter outpatient outpatients inpatient
    inpatients hospice neuro neurology neurosciences cardiology gastro gastroenterology gynae gynaecology
    urology vascular ent liver spinal brain injury injuries eating disorders forensic secure low medium
    learning disability disabilities ward wards unit units wing suite the my our this that another other new
    old big small main every each one different busy night nights bank agency locum district teaching
    university royal national local nearby private nhs independent acute-care a an any some which whose your
    their his her its to on at in from for of and or but with by no not only also same first second next last
    step-down stepdown medicines ambulance hdu icu itu ccu amu sau mau cdu ed a&e aande
    """.split()
)
_WARD_NUMBER = re.compile(r"\b[Ww]ard[ \t]+(?:\d{1,3}[A-Za-z]?|[A-Z]\d{1,2})(?![\w-])")
_NAMED_UNIT = re.compile(
    r"\b(?P<name>(?:[A-Z][\w'\u2019-]*[ \t]+){1,2})(?P<head>Ward|ward|Unit|unit|Wing|wing|Suite|suite)\b"
)
_SAINT = re.compile(
    r"\b(?:St\.?|Saint)[ \t]+[A-Z][a-z]+(?:['\u2019]s?|s['\u2019])?"
    r"(?:[ \t]+(?:Hospital|Infirmary|Hospice|Health[ \t]+Centre|Medical[ \t]+Centre|site))?"
)
_NAMED_SITE = re.compile(
    r"\b(?P<name>(?:[A-Z][\w'\u2019-]*[ \t]+){1,3})"
    r"(?P<head>Hospital|Infirmary|Hospice|General|Health[ \t]+Centre|Medical[ \t]+Centre|Surgery|site)\b"
)
_UNIT_NUMBER = re.compile(
    r"\b(?:(?:AMU|ICU|ITU|HDU|CCU|SAU|MAU|CDU|EAU|AAU|SCBU|NICU|PICU|Theatres?|Recovery)"
    r"|[A-Z][a-z]+[ \t]+(?:Unit|Ward|Suite))[ \t]+\d{1,2}[A-Za-z]?(?![\w/:-]|\.\d)"
    r"|\b\d{1,2}[ \t]+(?:North|South|East|West)\b"
)
"""A numbered unit ("AMU 2", "Theatres 4", "Stroke Unit 2") or a floor-and-wing ward ("7 West")."""
_NAMED_PLACE = re.compile(
    r"\b(?P<name>(?:[A-Z][\w'\u2019-]*[ \t]+){1,3})"
    r"(?P<head>Clinic|Lodge|House|Treatment[ \t]+Centre|Outpatients|Health[ \t]+Unit)\b"
)
_NAMED_TEAM = re.compile(
    r"\b(?P<name>(?:[A-Z][\w'\u2019-]*[ \t]+){1,4})(?P<head>Team|Network|Office)\b(?:[ \t]+(?:North|South|East|West)\b)?"
)
"""A team, network or office with a name of its own ("Harbour Outreach Team"); one made only of generic
words ("the Acute Medicine Team") says nothing about who."""
_TEAM_GENERIC = _GENERIC | frozenset(
    """nursing nurse nurses crisis home treatment enteral nutrition physio physiotherapy therapy therapies
    occupational district city county borough north south east west northern southern eastern western central
    pain dementia diabetes diabetic palliative end life liaison response rapid infection control prevention
    staffing recruitment safeguarding tissue viability continence falls heart failure wound wounds care
    support services service social work workers practice education training learning development quality
    safety patient patients experience complaints pals hr payroll rostering rota workforce wellbeing
    occupational estates facilities portering domestic catering pharmacy radiology imaging x-ray pathology
    laboratory lab transport bed beds flow site management leadership senior matrons nursing midwifery
    midwives medical doctors therapists dietetics dietitians speech language sexual memory older adult
    early intervention assertive outreach access referral referrals triage integrated virtual hospital at
    night day weekend out hours team teams office network specialist resuscitation resus tissue equality
    diversity inclusion lgbt lgbtq lgbtq+ pride women's men's carers carer staff operations ops disabled
    disability wellbeing health and of the for""".split()
) | PROTECTED_WORDS
"""Words that name what a team does, not which team it is: a team named only by these stays."""
_SHORT_HEADS = frozenset(
    "ward wards unit wing suite hospital infirmary hospice site campus centre community general health team".split()
)


@lru_cache(maxsize=64)
def _org_pattern(terms: tuple[str, ...]) -> re.Pattern[str] | None:
    cleaned = sorted({t.strip() for t in terms if t and t.strip()}, key=len, reverse=True)
    if not cleaned:
        return None
    parts = [r"\s+".join(re.escape(p) for p in term.split()) for term in cleaned]
    return re.compile(r"(?<![\w])(?:" + "|".join(parts) + r")(?![\w])", re.IGNORECASE)


@lru_cache(maxsize=64)
def _short_pattern(terms: tuple[str, ...]) -> re.Pattern[str] | None:
    """The distinctive words of each listed term ("Lister" of "Lister Ward"), capitalised as written."""
    shorts = set()
    for term in terms:
        words = term.split()
        kept = [w for w in words if w.lower() not in _SHORT_HEADS]
        if kept and len(kept) < len(words) and not any(ch.isdigit() for w in kept for ch in w):
            short = " ".join(kept)
            if len(short) >= 4 and short.lower() not in STOP_WORDS_LOWER and short.lower() not in PROTECTED_WORDS:
                shorts.add(short)
    if not shorts:
        return None
    parts = [r"[ \t]+".join(re.escape(p) for p in s.split()) for s in sorted(shorts, key=len, reverse=True)]
    return re.compile(r"(?<![\w])(?:" + "|".join(parts) + r")(?![\w])")


def _all_generic(name: str) -> bool:
    words = [w.lower().strip("'\u2019") for w in name.split()]
    return all(w in _GENERIC or w in STOP_WORDS_LOWER or w in PROTECTED_WORDS for w in words)


def _trim_generic(start: int, name: str) -> int:
    """Where a named unit's own name starts, past generic words before it ("The Rainbow Ward")."""
    offset = 0
    for word in name.split():
        if word.lower() in _GENERIC or word.lower() in STOP_WORDS_LOWER:
            offset = name.index(word, offset) + len(word)
        else:
            break
    return start + len(name) - len(name[offset:].lstrip())


def find_places(
    text: str, organisation_terms: Mapping[str, Iterable[str]] | None
) -> Iterator[tuple[int, int, str, int]]:
    """Yields (start, end, type, priority) of every ward, site or team mention; spans may overlap."""
    shorts: list[tuple[int, int]] = []
    shapes: list[tuple[int, int, str]] = []
    if organisation_terms:
        for kind, terms in organisation_terms.items():
            label = re.sub(r"[^A-Z0-9_]", "_", str(kind).upper())
            key = tuple(terms)
            pattern = _org_pattern(key)
            if pattern is not None:
                for m in pattern.finditer(text):
                    yield m.start(), m.end(), label, ORG_PRIORITY
            if label in ("WARD", "SITE"):
                short = _short_pattern(key)
                if short is not None:
                    for m in short.finditer(text):
                        yield m.start(), m.end(), label, _SHORT_PRIORITY
                        shorts.append(m.span())
    if "ard" in text:
        for m in _WARD_NUMBER.finditer(text):
            shapes.append((m.start(), m.end(), "WARD"))
    for m in _UNIT_NUMBER.finditer(text):
        if m.group().split()[0].lower() not in STOP_WORDS_LOWER:
            shapes.append((m.start(), m.end(), "WARD"))
    for pattern, kind in ((_NAMED_UNIT, "WARD"), (_NAMED_SITE, "SITE"), (_NAMED_PLACE, "SITE"), (_NAMED_TEAM, "TEAM")):
        for m in pattern.finditer(text):
            name = m.group("name")
            if kind == "TEAM":
                own = [w for w in name.split() if w.lower() not in _TEAM_GENERIC and not w.isupper()]
                if own and own[0].lower() not in STOP_WORDS_LOWER:
                    shapes.append((_trim_generic(m.start(), name), m.end(), kind))
            elif not _all_generic(name):
                shapes.append((_trim_generic(m.start(), name), m.end(), kind))
    if "St" in text or "Saint" in text:
        for m in _SAINT.finditer(text):
            shapes.append((m.start(), m.end(), "SITE"))
    for start, end, kind in shapes:
        # a longer name holding a listed short form ("Riverside Community Hospital" around "Riverside")
        inside = any(start <= s and e <= end and (s, e) != (start, end) for s, e in shorts)
        yield start, end, kind, _SHORT_PRIORITY if inside else _SHAPE_PRIORITY
