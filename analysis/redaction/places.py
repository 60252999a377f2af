"""Wards, sites and teams: the organisation's own names, and the ones it did not list.

A ward or site narrows the author down to the few people who work there, so it is an identifier even
when the organisation's list (`organisation_terms`) lacks it. Three sources, in falling order of trust:
- the organisation's own terms, whole words and case-insensitive ("lister ward", "WARD 7");
- their short forms, capitalised as written ("on Lister", "moved to Northfield"), the distinctive words
  of a listed ward or site without its generic head ("Ward", "Hospital", "site");
- general shapes: a ward number ("Ward 12", "ward 4B"), a capitalised name before Ward/Unit/Wing/Suite
  ("Rainbow Ward", "the Cedar unit"), a saint's name ("St Mary's") or a capitalised name before
  Hospital/Infirmary/Hospice ("Whipps Cross Hospital"), a named centre, court, depot or clinic ("Westgate
  Centre"), a lettered block ("Block C"), a team named before what it does with a lower-case head
  ("Hartley community team"), and a ward's own word after "on" ("on Heron", "on Bluebell is"). A name made only of generic words ("Intensive
  Care Unit", "the District General Hospital") says nothing about where and stays.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Iterator, Mapping
from functools import lru_cache

from analysis.redaction.vocabulary import PROTECTED_WORDS, STOP_WORDS_LOWER


def lexicon():  # type: ignore[no-untyped-def]
    """The tagger's word lists (imported late: the tagger module imports this one's neighbours)."""
    from analysis.redaction.tagger import lexicon as _lexicon

    return _lexicon()

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
_WARD_NUMBER = re.compile(
    r"\b(?:[Ww]ard|WARD)[ \t]+(?:\d{1,3}[A-Za-z]?|[A-Z]\d{1,2}|(?:one|two|three|four|five|six|seven|eight|nine|ten"
    r"|eleven|twelve|thirteen|fourteen|fifteen|sixteen|seventeen|eighteen|nineteen|twenty)\b(?![ \t-]+(?:times?|of|or)\b))"
    r"(?![\w-])"
)
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
_ON_SPECIALTY_NUMBER = re.compile(
    r"\b[Oo]n[ \t]+(?P<u>(?:Renal|Stroke|Cardiac|Cardiology|Respiratory|Surgical|Medical|Elderly|Frailty|Neuro|Oncology"
    r"|Haematology|Maternity|Gynae|Urology|Orthopaedics|Trauma|Rehab|Paeds|Neonatal|Acute|Escalation)[ \t]+\d{1,2}[A-Za-z]?)"
    r"(?![\w/:.-])"
)
"""A ward named by its specialty and a number after "on" ("on Renal 2")."""
"""A numbered unit ("AMU 2", "Theatres 4", "Stroke Unit 2") or a floor-and-wing ward ("7 West")."""
_NAMED_PLACE = re.compile(
    r"\b(?P<name>(?:[A-Z][\w'\u2019-]*[ \t]+){1,3})"
    r"(?P<head>Clinic|Lodge|House|Treatment[ \t]+Centre|Outpatients|Health[ \t]+Unit)\b"
)
_ON_NAMED = re.compile(
    r"(?<=\b[Oo]n )(?:[Nn]ights[ \t]+on[ \t]+)?(?P<name>[A-Z][a-z]{2,}|(?<=nights on )[a-z]{4,})"
    r"(?=[ \t]*(?:[.,;:!?)]|$)|[ \t]+(?:is|was|are|were|for|at|in|last|this|every|during|since|[a-z]{3,}ed)\b|[ \t]+patients\b"
    r"|(?P<loose>[ \t]+(?:and|with|made|makes|took|takes|gave|gives|told|tells|[A-Z][a-z]+[ \t]+[A-Z][a-z]+"
    r"|which|who|never|always|doesn't|doesn\u2019t|don't|isn't|wasn't|can't|won't|has|have|had)\b))"
)
"""A ward called by its own word alone, where staff say which ward they were on ("on Heron.", "on Bluebell is";
with a looser word after it only when the word is an English one, as wards are named after trees, birds, flowers):
never a weekday, a month, a holiday, a given name (the name finder's), a word about people or a platform."""
_ON_UNIT_CODE = re.compile(r"(?<=\b[Oo]n )(?:the[ \t]+)?(?P<u>[A-Z]{2,3}U\d?)(?![\w/-])")
"""A unit called by its letters after "on" ("on AMU2", "on SAU"): which ward, as a ward's own name is."""
_NOT_A_WARD = frozenset(
    """monday tuesday wednesday thursday friday saturday sunday january february march april may june july august
    september october november december christmas easter boxing call duty leave time site shift shifts top board
    teams zoom datix facebook twitter instagram whatsapp youtube google email line purpose average occasion
    arrival admission discharge nights days lates earlies weekends holiday sick annual maternity paternity break
    standby record file hold repeat speaker loudspeaker return again""".split()
)
_NAMED_FACILITY = re.compile(
    r"\b(?P<name>(?:[A-Z][\w'\u2019-]*[ \t]+){1,3})(?P<head>Centre|Center|Court|Memorial|[Dd]epot|Annexe|Annex|[Cc]linic|Block)\b"
    r"|\b(?:[Bb]lock|Building)[ \t]+[A-Z](?![\w'])|\b(?:the[ \t]+)(?P<annexe>Annexe|Annex)\b"
)
"""A site of the organisation's own: a named centre, court, depot or clinic ("Westgate Centre", "Fenwick
Road clinic"), a lettered block ("Block C"), the Annexe."""
_TEAM_SHAPE = re.compile(
    r"(?<![\w'\u2019-])(?P<name>[A-Z][a-z][\w'\u2019-]*(?:[ \t]+[A-Z][a-z][\w'\u2019-]*)?)[ \t]+"
    r"(?P<mid>(?:(?:[a-z][a-z&+'\u2019-]*|[A-Z]{2,}s?)[ \t]+){0,4}?)(?P<head>team|service|services|unit)\b"
)
"""A team with a name of its own before what it does, the head in lower case ("Hartley community team",
"Linden CAMHS team", "Orchard memory service"): every word between the name and the head says what it does."""
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
    perinatal neonatal antenatal postnatal psychology psychiatry camhs iapt early intervention assertive outreach access referral referrals triage integrated virtual hospital at
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


_NOT_MID = frozenset("her his their our my your the a an to for with and or by from in on".split())
_PLACE_HEADS = frozenset("Lodge House Road Court Park Hill Street Lane Centre Way Close Gardens Grange View".split())


def _english(word: str) -> bool:
    return word.lower() in lexicon().english


def _given(low: str) -> bool:
    lex = lexicon()
    return low in lex.given and low not in lex.english


def _sentence_start(text: str, start: int) -> bool:
    before = text[:start].rstrip()
    return not before or before[-1] in ".!?\n\""


def _sentence_start_word(text: str, start: int, word: str) -> bool:
    """A capitalised English word opening a sentence ("Excellent community team"): capitalised for the sentence."""
    before = text[:start].rstrip()
    return (not before or before[-1] in ".!?\n\"") and word.lower() in lexicon().english


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
    orgs: list[tuple[int, int]] = []
    if organisation_terms:
        for kind, terms in organisation_terms.items():
            label = re.sub(r"[^A-Z0-9_]", "_", str(kind).upper())
            key = tuple(terms)
            pattern = _org_pattern(key)
            if pattern is not None:
                for m in pattern.finditer(text):
                    yield m.start(), m.end(), label, ORG_PRIORITY
                    orgs.append(m.span())
            if label in ("WARD", "SITE"):
                short = _short_pattern(key)
                if short is not None:
                    for m in short.finditer(text):
                        yield m.start(), m.end(), label, _SHORT_PRIORITY
                        shorts.append(m.span())
    if "ard" in text or "ARD" in text:
        for m in _WARD_NUMBER.finditer(text):
            shapes.append((m.start(), m.end(), "WARD"))
    has_digit = any(c.isdigit() for c in text)
    if has_digit and "n " in text:
        for m in _ON_SPECIALTY_NUMBER.finditer(text):
            shapes.append((m.start("u"), m.end("u"), "WARD"))
    for m in _UNIT_NUMBER.finditer(text) if has_digit else ():
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
    if "n " in text:
        shapes.extend((m.start("u"), m.end("u"), "WARD") for m in _ON_UNIT_CODE.finditer(text))
        for m in _ON_NAMED.finditer(text):
            low = m.group("name").lower()
            if (m.group("loose") or len(low) == 3) and not _english(low):
                continue
            if not (low in _NOT_A_WARD or low.rstrip("s") in _NOT_A_WARD or low in STOP_WORDS_LOWER or low in PROTECTED_WORDS or low in _GENERIC or _given(low)):
                shapes.append((m.start("name"), m.end("name"), "WARD"))
    for m in _NAMED_FACILITY.finditer(text):
        name = m.group("name")
        if name is None:
            shapes.append((m.start("annexe") if m.group("annexe") else m.start(), m.end(), "SITE"))
        elif not _all_generic(name):
            shapes.append((_trim_generic(m.start(), name), m.end(), "SITE"))
    if "team" in text or "service" in text or "unit" in text:
        pos = 0
        while m := _TEAM_SHAPE.search(text, pos):
            pos = m.start() + 1  # a rejected name may hide one just after it ("Siobhan from the Hartley ... team")
            name, mid = m.group("name"), m.group("mid").split()
            words = name.split()
            if (
                all((w.lower() in _TEAM_GENERIC and w.lower() not in _NOT_MID) or w.isupper() for w in mid)
                and (
                    mid
                    or (len(words) == 2 and (words[1] in _PLACE_HEADS or words[1].lower() in _TEAM_GENERIC))
                    or not (_english(words[0]) or _sentence_start(text, m.start()))
                )
                and not words[-1].lower().endswith(("'s", "\u2019s"))
                and words[0].lower() not in _TEAM_GENERIC
                and words[0].lower() not in STOP_WORDS_LOWER
                and words[0].lower() not in _NOT_A_WARD
                and (mid or m.group("head") != "unit")
                and not _sentence_start_word(text, m.start(), words[0])
            ):
                shapes.append((m.start(), m.end(), "WARD" if m.group("head") == "unit" else "TEAM"))
                pos = m.end()
    if "St" in text or "Saint" in text:
        for m in _SAINT.finditer(text):
            shapes.append((m.start(), m.end(), "SITE"))
    for start, end, kind in shapes:
        # a longer name holding a listed short form ("Riverside Community Hospital" around "Riverside")
        inside = any(start <= s and e <= end and (s, e) != (start, end) for s, e in shorts)
        # ... or a listed term ("Kestrel theatres team" around "Theatres Team"): the longer name wins
        around = any(start <= s and e <= end and (s, e) != (start, end) for s, e in orgs)
        yield start, end, kind, ORG_PRIORITY + 1 if around else _SHORT_PRIORITY if inside else _SHAPE_PRIORITY
