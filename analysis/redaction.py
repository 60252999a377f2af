"""Redaction of free text before any person reads it: identifiers become typed placeholders.

`redact(text, organisation_terms)` finds, and replaces with `[TYPE]` placeholders:

| type | what | how |
|---|---|---|
| EMAIL | e-mail addresses | pattern |
| PHONE | UK phone numbers: 07xxx xxxxxx, +44 7xxx ..., 020 xxxx xxxx, 01xxx xxxxxx, 03/08 numbers | digits after 0 or +44, with spaces, dashes, dots or brackets; 10 or 11 digits in the national form |
| NHS_NUMBER | 10 digits, optionally 3-3-4 spaced | only when the modulus-11 check digit is valid |
| NI_NUMBER | National Insurance numbers (QQ 12 34 56 C, QQ-12-34-56-C) | two letters, six digits, a letter A-D |
| POSTCODE | full UK postcodes (SW1A 1AA) | pattern |
| REGISTRATION_NUMBER | GMC numbers (7 digits beside "GMC" or "registration"), NMC PINs (12A3456E), HCPC numbers beside "HCPC" | pattern and context |
| STAFF_NUMBER | staff, payroll, employee, assignment or ESR numbers | the number after a context phrase |
| DATE | exact dates: 12/03/2024, Sat 16/09/23, 2024-03-12, 12 March 2024, March 12th, Monday 3rd June | patterns; a month and year alone is not an exact date and stays |
| WARD / SITE / TEAM / ... | the organisation's own names, from `organisation_terms` | whole words, case-insensitive |
| NAME | people's names | a title (Dr, Mr, Mrs, Ms, Sister, Nurse, ...) and the capitalised word(s) after it; a given name from the shipped list (analysis/data/given_names.txt, several thousand UK and international names) and the capitalised surname(s) after it; a name that is also an English word (Grace, Will, Hope) only with a title or a capitalised surname beside it; "called"/"named" and a capitalised word; a capitalised name and surname right after a role word ("charge nurse Kofi Boateng"); a capitalised word joined by "and" to a name ("Marisol Reyes and Jhoanna"); a given name that is also a word opening a sentence about a person ("Ebony is a great nurse"); a writer's own name ("My name is Lwazi", "I'm Nanami"); one capitalised word after a role ("my manager Wiktoria"); a name in apposition to a role ("Bola the healthcare assistant was"); a listed name in lower case before what a person does ("tunde was"); surname particles (dela Cruz, van der Berg, ap Gwilym, al-Amin); in text written without capitals, the listed given names in lower case |

Words about ethnicity, religion, nationality, language and culture (`PROTECTED_WORDS`: Black, Asian,
Muslim, Nigerian, Filipino, Polish, Hindu, Caribbean, Irish Traveller, ...) are the substance of these
testimonies and are never redacted, even when capitalised beside a name-like word: they never start,
extend or make up a NAME, and a span of any other type that would cover one is dropped.

Overlapping findings keep the more specific: structured identifiers and organisation terms win over
names; among equals the longer span wins. Spans are in the coordinates of the original text.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from functools import lru_cache
from importlib import resources

__all__ = [
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

# --- words that are never redacted -------------------------------------------------------------

PROTECTED_WORDS: frozenset[str] = frozenset(
    w.lower()
    for w in """
    Black White Brown Asian African Caribbean Afro-Caribbean Mixed BME BAME Minority Minoritised Ethnic
    Ethnicity Race Racial Windrush Traveller Travellers Gypsy Roma Romany Irish Scottish Welsh English British
    Nigerian Ghanaian Kenyan Ugandan Zimbabwean Zambian Malawian Somali Somalian Eritrean Ethiopian Sudanese
    Congolese Cameroonian Sierra Leonean Gambian Senegalese Jamaican Trinidadian Barbadian Bajan Guyanese
    Grenadian Vincentian Lucian Antiguan Indian Pakistani Bangladeshi Sri Lankan Tamil Sinhalese Nepali
    Nepalese Gurkha Afghan Kashmiri Punjabi Gujarati Bengali Sylheti Pashtun Chinese Hong Kong Japanese
    Korean Vietnamese Thai Filipino Filipina Filipinos Pinoy Pinay Malaysian Indonesian Burmese Polish Romanian
    Bulgarian Lithuanian Latvian Sierra Leone Leonean Costa Rica Rican Puerto Estonian Hungarian Slovak Czech Ukrainian Russian Albanian Kosovan Serbian
    Croatian Bosnian Greek Cypriot Turkish Kurdish Portuguese Spanish Italian French German Dutch European
    Eastern Western Arab Arabic Persian Iranian Iraqi Syrian Lebanese Egyptian Moroccan Algerian Libyan
    Yemeni Jordanian Palestinian Israeli Latino Latina Latinx Hispanic Brazilian Colombian Mexican Peruvian
    American Canadian Australian Muslim Muslims Islam Islamic Hindu Hindus Hinduism Sikh Sikhs Sikhism
    Jewish Jew Jews Judaism Christian Christians Christianity Catholic Protestant Pentecostal Orthodox
    Buddhist Buddhism Jain Rastafarian Rasta Atheist Hijab Niqab Turban Kippah Ramadan Eid Diwali Vaisakhi
    Hanukkah Passover Christmas Easter Sabbath Mosque Church Temple Gurdwara Synagogue Halal Kosher
    Urdu Hindi Punjabi Yoruba Igbo Hausa Akan Twi Shona Ndebele Swahili Tagalog Mandarin Cantonese Patois
    Creole Afrikaans Amharic Tigrinya Lingala Africa Asia Europe Caribbean Nigeria Ghana Kenya Uganda
    Zimbabwe Zambia Somalia Eritrea Ethiopia Sudan Jamaica Trinidad Tobago Barbados Guyana India Pakistan
    Bangladesh Lanka Nepal China Philippines Malaysia Poland Romania Bulgaria Lithuania Ukraine Portugal
    Spain Italy Turkey Iran Iraq Syria Egypt Morocco Brazil Ireland Scotland Wales England Britain UK
    Commonwealth Migrant Migrants Immigrant Immigrants Refugee Refugees Overseas International Foreign
    Accent Skin Colour Afro Dreadlocks Locs Braids Cornrows
    """.split()
)

TITLES: tuple[str, ...] = (
    "Dr", "Doctor", "Mr", "Mrs", "Ms", "Miss", "Mx", "Prof", "Professor", "Sister", "Sr", "Nurse",
    "Matron", "Sir", "Dame", "Rev", "Reverend", "Father", "Auntie", "Aunty", "Uncle", "Madam", "Mister",
)
_TITLES_WEAK = {"sister", "nurse", "matron", "father", "auntie", "aunty", "uncle", "doctor", "madam"}
"""Titles that are also ordinary nouns: they introduce a name only when the next word is capitalised."""

_ROLE_WORDS = frozenset(
    w.lower()
    for w in """
    Practitioner Manager Managers Associate Specialist Consultant Consultants Registrar Lead Director Nurse
    Nurses Sister Matron Doctor Doctors Team Ward Unit Department Staff Officer Assistant Assistants Support
    Worker Workers Band Grade Bank Agency Locum Trust Hospital Clinic Health Service Services NHS HR FTSU
    Guardian Human Resources Occupational Health Board Executive Chief Head Deputy Senior Junior Charge
    Midwife Midwives Porter Porters Healthcare HCA HCAs RN RMN RGN ODP AHP OT Physio Physiotherapist Surgeon
    Anaesthetist Radiographer Pharmacist Paramedic Theatre Theatres ICU ITU AandE Emergency Outpatients
    Inpatient Day Night Shift Shifts Rota Covid Coronavirus PPE Freedom Speak Up Equality Diversity
    Inclusion EDI Network Networks Race Forum Committee Council Panel Tribunal Union Unison RCN BMA GMC NMC
    HCPC ACAS Monday Tuesday Wednesday Thursday Friday Saturday Sunday January February March April May June
    July August September October November December Christmas Easter I I'm I've I'd I'll It It's The A An
    And But Or So Then When While After Before Because Although Though If As At In On Of For From To With
    By My Our Your Their His Her This That These Those There Here We You They He She Me Him Them Us No Not
    Yes Also Even Just Only Still Every Each All Some Any Many Most One Two Three Four Five Six Seven Eight
    Nine Ten Later Last Next First Second Today Yesterday Tomorrow Morning Evening Afternoon Week Weekend
    Month Year Sorry Please Thanks Thank Dear Hi Hello Ok Okay Mum Dad Mother Father Sir Madam Lady Ladies
    Gentleman Everyone Nobody Somebody Someone Anyone People Patient Patients Family Relative Relatives Why
    How What Who Where Which Did Does Do Was Were Is Are Has Had Have Will Would Could Should Can May Might
    Must Said Told Asked Called Named Never Always Again Once Twice Maybe Perhaps Really Very Too
    """.split()
)
"""Capitalised words that are never part of a person's name (so never a surname after a given name)."""
_PLACE_WORDS = frozenset(
    w.lower()
    for w in """
    Centre Center House Unit Hospital Clinic Road Street Lane Court Lodge Suite Surgery Practice Hall
    Park Place Avenue Close Way Building Wing Block Site Campus Foundation Charity Hospice
    """.split()
)
"""Words that follow a name-like word in the names of places ("Hope Centre"): never taken as a surname."""

_MONTH_RE = (
    r"(?:Jan(?:uary)?|Feb(?:ruary)?|Mar(?:ch)?|Apr(?:il)?|May|June?|July?|Aug(?:ust)?"
    r"|Sep(?:t(?:ember)?)?|Oct(?:ober)?|Nov(?:ember)?|Dec(?:ember)?)"
)
_MONTH_DOT_RE = (
    r"(?:January|February|March|April|May|June|July|August|September|October|November|December"
    r"|(?:Jan|Feb|Mar|Apr|Jun|Jul|Aug|Sep|Sept|Oct|Nov|Dec)\.?)"
)
"""A month, month first: a full name, or an abbreviation with an optional full stop ("Oct. 2")."""
_WEEKDAY_RE = r"(?:Mon|Tues?|Wed(?:nes)?|Thu(?:rs?)?|Fri|Sat(?:ur)?|Sun)(?:day)?"
_ORD = r"(?:st|nd|rd|th)"


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


# --- data files --------------------------------------------------------------------------------


def _read_names(filename: str) -> frozenset[str]:
    data = resources.files("analysis").joinpath("data", filename).read_text(encoding="utf-8")
    return frozenset(
        line.strip().lower() for line in data.splitlines() if line.strip() and not line.startswith("#")
    )


@lru_cache(maxsize=1)
def given_names() -> tuple[frozenset[str], frozenset[str]]:
    """(given names, given names that are also ordinary English words), lower-cased, protected words removed."""
    plain = _read_names("given_names.txt") - PROTECTED_WORDS - _ROLE_WORDS_LOWER
    common = _read_names("given_names_common_words.txt") - PROTECTED_WORDS
    common |= _read_names("given_names.txt") & _ROLE_WORDS_LOWER - PROTECTED_WORDS
    return plain, common


_ROLE_WORDS_LOWER = frozenset(_ROLE_WORDS)

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
    r"\b(?:GMC|gmc|GPhC|gphc|General Medical Council|General Pharmaceutical Council|registration|reg\.?|registered)"
    r"\b[^\d\n]{0,30}?(?<!\d)(\d{7})(?!\d)"
)
_GMC_AFTER = re.compile(r"(?<!\d)(\d{7})(?!\d)[ \t]*\(?(?:GMC|gmc)\b")
_HCPC = re.compile(r"\b(?:HCPC|hcpc)\b[^\n]{0,30}?\b([A-Za-z]{2,3}[ \t]?\d{5,6})\b")
_PIN_CONTEXT = re.compile(
    r"\b(?:NMC|nmc|PIN|pin)\b[^\n]{0,25}?\b(\d{2}[A-Za-z]\d{4}[A-Za-z]|\d{7,8}[A-Za-z]?)\b"
)
_STAFF = re.compile(
    r"\b(?:staff|payroll|employee|employment|assignment|ESR|esr|personnel|badge|worker|agency|ID|id)"
    r"[ \t]*(?:number|no\.?|num|#|ID|id|ref(?:erence)?|code)?s?\b"
    r"[^\w\n]{0,4}(?:(?:is|was|of|number|no|:)\s*){0,3}"
    r"([A-Za-z]{0,3}[ \t-]?\d[\d \t-]{2,12}\d)(?![\d])",
    re.IGNORECASE,
)
_DATE_PATTERNS = [
    re.compile(
        rf"(?<![\d/.\-])(?:\b{_WEEKDAY_RE}\.?,?[ \t]+)?\d{{1,2}}[/.\-]\d{{1,2}}[/.\-](?:\d{{4}}|\d{{2}})(?![\d/])",
        re.IGNORECASE,
    ),
    re.compile(r"(?<!\d)\d{4}-\d{2}-\d{2}(?!\d)"),
    # Monday 3rd June 2024, 3rd of June, 12 March 2024, the 5th of Jan
    re.compile(
        rf"\b(?:{_WEEKDAY_RE},?[ \t]+(?:the[ \t]+)?)?\d{{1,2}}{_ORD}?(?:[ \t]+of)?[ \t]+{_MONTH_RE}\b\.?"
        rf"(?:,?[ \t]+(?:\d{{4}}|'?\d{{2}}(?![\d:.]|[ \t]*(?:hours?|hrs?|mins?|minutes?|days?|weeks?|years?)\b))\b)?",
        re.IGNORECASE,
    ),
    # March 12th, Monday June 3rd, June the 3rd, March 12 2024
    re.compile(
        rf"\b(?:{_WEEKDAY_RE},?[ \t]+)?(?-i:{_MONTH_DOT_RE})[ \t]+(?:the[ \t]+)?\d{{1,2}}{_ORD}?\b(?:,?[ \t]+\d{{4}}\b)?",
        re.IGNORECASE,
    ),
    re.compile(
        rf"\b(?:{_WEEKDAY_RE},?[ \t]+)?{_MONTH_DOT_RE}[ \t]+(?:the[ \t]+)?\d{{1,2}}{_ORD}\b(?:,?[ \t]+\d{{4}}\b)?",
        re.IGNORECASE,
    ),
    # "since 14/2": day/month without a year, only after a word that introduces a date
    re.compile(
        r"\b(?:on|since|from|until|till|by|dated)[ \t]+(?P<d>(?:0?[1-9]|[12]\d|3[01])/(?:0?[1-9]|1[0-2]))(?![\d/])",
        re.IGNORECASE,
    ),
    # Monday the 3rd, Tuesday 14th
    re.compile(rf"\b{_WEEKDAY_RE}[ \t]+(?:the[ \t]+)?\d{{1,2}}{_ORD}\b", re.IGNORECASE),
]

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
_ORG_PRIORITY = 50


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


# --- names ---------------------------------------------------------------------------------------

_TOKEN = re.compile(r"[A-Za-z\u00C0-\u024F]+(?:['\u2019\-][A-Za-z\u00C0-\u024F]+)*")
_SENTENCE_END = re.compile(r"[.!?\n:;\"\u201c\u201d()]\s*$")


def _strip_possessive(word: str) -> str:
    for suffix in ("'s", "\u2019s"):
        if word.lower().endswith(suffix):
            return word[: -len(suffix)]
    return word


def _name_spans(text: str) -> list[tuple[int, int]]:
    plain, common = given_names()
    tokens = [(m.start(), m.end(), m.group()) for m in _TOKEN.finditer(text)]
    letters = [c for c in text if c.isalpha()]
    uppers = sum(1 for c in letters if c.isupper())
    # Text written (almost) without capitals: look for listed given names in lower case too.
    lower_style = not letters or uppers <= max(1, len(letters) // 200) or _sentence_starts_lower(text)
    spans: list[tuple[int, int]] = []
    i = 0
    n = len(tokens)

    def bare(k: int) -> str:
        return _strip_possessive(tokens[k][2])

    def sentence_initial(k: int) -> bool:
        start = tokens[k][0]
        before = text[:start]
        return not before.strip() or bool(_SENTENCE_END.search(before))

    def surname_like(k: int) -> bool:
        if k >= n:
            return False
        w = bare(k)
        low = w.lower()
        if low in PROTECTED_WORDS or low in _ROLE_WORDS_LOWER or low in _TITLE_SET or low in _PLACE_WORDS:
            return False
        if not (w[:1].isupper() and not w.isupper()) and not _PREFIXED_SURNAME.fullmatch(w):
            return False
        # only separated by a single space from the previous token
        gap = text[tokens[k - 1][1] : tokens[k][0]]
        return gap in (" ", "\u00a0") and not tokens[k - 1][2].lower().endswith(("'s", "\u2019s"))

    def particle(k: int) -> bool:
        """A surname particle ("Dela Cruz", "van der Berg", "bin Ahmad") with a surname after it."""
        if k + 1 >= n or tokens[k][2].lower() not in _SURNAME_PARTICLES:
            return False
        gap = text[tokens[k - 1][1] : tokens[k][0]]
        return gap == " " and (surname_like(k + 1) or (k + 2 < n and tokens[k + 1][2].lower() in _SURNAME_PARTICLES and surname_like(k + 2)))

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
        return any(w in _PERSON_NOUNS for w in window[1:])

    def named_beside(k: int) -> bool:
        """Joined by "and" to a name found just before ("Marisol Reyes and Jhoanna") or to a listed given
        name just after ("Precious and Blessing")."""
        start = tokens[k][0]
        if spans and text[spans[-1][1] : start] in (" and ", ", ", " & "):
            return True
        return (
            k + 2 < n
            and tokens[k + 1][2] == "and"
            and text[tokens[k][1] : tokens[k + 2][0]] == " and "
            and tokens[k + 2][2][:1].isupper()
            and bare(k + 2).lower() in plain
        )

    while i < n:
        s, e, w = tokens[i]
        word = _strip_possessive(w)
        low = word.lower()
        if low in PROTECTED_WORDS:
            i += 1
            continue
        # 1. A title followed by a name.
        if low.rstrip(".") in _TITLE_SET and i + 1 < n and word == w:
            title_low = low.rstrip(".")
            nxt = bare(i + 1)
            nlow = nxt.lower()
            gap = text[e : tokens[i + 1][0]]
            ok_gap = gap.strip() in ("", ".") and len(gap) <= 3
            cap = nxt[:1].isupper()
            if (
                ok_gap
                and nlow not in PROTECTED_WORDS
                and nlow not in _ROLE_WORDS_LOWER
                and nlow not in _TITLE_SET
                and (
                    cap
                    or (
                        # "dr okafor" in text written without capitals; never "miss out", "see Dr quicker"
                        lower_style
                        and title_low in {"dr", "mr", "mrs", "ms", "mx", "prof"}
                        and nlow not in _COMMON_LOWER
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
                and nxt.lower() not in _ROLE_WORDS_LOWER
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
            and low not in _ROLE_WORDS_LOWER
            and low not in _NOT_NAME_AFTER_INTRO
            and tokens[i - 1][2].lower() in _INTRO_WORDS
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
            and low not in _ROLE_WORDS_LOWER
            and low not in _TITLE_SET
            and low not in _PLACE_WORDS
            and low not in STOP_WORDS_LOWER
            and (
                (named_beside(i) and (low in plain or low in common or (i + 1 < n and surname_like(i + 1))))
                or (
                    i > 0
                    and tokens[i - 1][2].lower() in _INTRO_WORDS
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
            and low not in _ROLE_WORDS_LOWER
            and low not in STOP_WORDS_LOWER
            and low not in _TITLE_SET
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
            and tokens[i - 1][2].lower() in _INTRO_WORDS
            and text[tokens[i - 1][1] : s] == " "
            and low not in _ROLE_WORDS_LOWER
            and low not in STOP_WORDS_LOWER
            and low not in _TITLE_SET
            and low not in _NOT_NAME_AFTER_INTRO
            and low not in _PLACE_WORDS
            and ((word[:1].isupper() and not word.isupper()) or (word.islower() and (low in plain or low in common)))
        ):
            j = extend(i) if word[:1].isupper() else i + 1
            spans.append((s, s + len(_name_text(tokens, i, j, text))))
            i = j
            continue
        # 3f. A name in apposition to a role ("Bola the healthcare assistant", "Bill Hargreaves the estates
        #     manager"), or a capitalised pair opening a sentence with a speech verb ("Hannah-Louise Bevan told").
        if word[:1].isupper() and not word.isupper() and low not in _ROLE_WORDS_LOWER and low not in STOP_WORDS_LOWER and low not in _TITLE_SET:
            j = extend(i)
            after = [t[2].lower() for t in tokens[j : j + 4]]
            role = next((p for p in (2, 1) if p < len(after) and after[p] in _PERSON_NOUNS), None)
            # At the start of a sentence a verb can look the same ("Praised the nurses"): there the
            # role must be followed by what a person does.
            apposition = (
                after[:1] == ["the"]
                and role is not None
                and text[tokens[j - 1][1] : tokens[j][0]] == " "
                and (
                    not sentence_initial(i)
                    or (role + 1 < len(after) and after[role + 1] in _SPEECH_VERBS | _NAME_CUE_VERBS)
                )
            )
            if apposition or (sentence_initial(i) and j > i + 1 and after[:1] and after[0] in _SPEECH_VERBS):
                spans.append((s, s + len(_name_text(tokens, i, j, text))))
                i = j
                continue
        # 3g. A listed given name typed in lower case in ordinary text ("tunde was shouted at").
        if (
            word.islower()
            and not lower_style
            and len(low) >= 4
            and low in plain
            and low not in _COMMON_LOWER
            and low not in STOP_WORDS_LOWER
            and i + 1 < n
            and tokens[i + 1][2].lower() in _NAME_CUE_VERBS
        ):
            spans.append((s, s + len(word)))
            i += 1
            continue
        # 3c. A given name that is also a word, or a capitalised pair, opening a sentence about a person
        #     ("Ebony is a great nurse", "Will Turner is the only charge nurse who ...").
        if word[:1].isupper() and not word.isupper() and sentence_initial(i) and low not in _ROLE_WORDS_LOWER:
            if low in common and person_follows(i + 1):
                spans.append((s, s + len(word)))
                i += 1
                continue
            if (
                low not in STOP_WORDS_LOWER
                and low not in _TITLE_SET
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
                and low not in _ROLE_WORDS_LOWER
                and low not in _SEASONS
                and tokens[i - 1][2].lower() not in {"the", "a", "an", "of", "in", "this", "that", "our", "your"}
            ):
                # A capitalised given name that is also a word, in mid-sentence ("my friend Blessing").
                spans.append((s, s + len(word)))
                i += 1
                continue
            if low in common and sentence_initial(i) and i + 1 < n and surname_like(i + 1):
                # "Grace Okafor said": a common-word name, then a surname that is itself no common word.
                if bare(i + 1).lower() not in _COMMON_LOWER and bare(i + 1).lower() not in common:
                    j = extend(i)
                    spans.append((s, s + len(_name_text(tokens, i, j, text))))
                    i = j
                    continue
        elif lower_style and word.islower() and low in plain and len(low) >= 3 and low not in _COMMON_LOWER:
            spans.append((s, s + len(word)))
        i += 1
    return spans


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


_TITLE_SET = frozenset(t.lower() for t in TITLES)
STOP_WORDS_LOWER = frozenset(
    """about above after again against all also always am an and any are as at be because been before being
    below between both but by can could did do does doing down during each even ever every few for from
    further had has have having here how if in into is it its just less more most much must my no nor not
    now of off on once only or other our out over own quicker quick quickly same should so some such than
    that the their them then there these they this those through to too under until up very was we were
    what when where which while who why will with would you your""".split()
)
_INTRO_WORDS = frozenset(
    """manager colleague colleagues friend friends coordinator co-ordinator mentor supervisor boss matron
    educator preceptor buddy cousin husband wife partner daughter son brother sister mum dad mother father
    leader
    called named hca porter midwife registrar consultant nurse doctor dr mr mrs ms miss receptionist
    housekeeper domestic cleaner chaplain physio assistant deputy lead rep steward guardian clerk technician
    crewmate student""".split()
)
_NOT_NAME_AFTER_INTRO = frozenset("""said told says asked was is who and or but the a in on at""".split())
_SEASONS = frozenset("summer autumn spring winter christmas easter eve".split())
_SURNAME_PARTICLES = frozenset(
    "de da das dos del dela della di du van von der den ten ter le la bin binti ibn al el abu ap ab".split()
)
_PREFIXED_SURNAME = re.compile(r"(?:al|el|bin|ibn|abu|ben)-[A-Z][a-z\u00C0-\u024F]+")
"""A surname joined to its particle: al-Amin, el-Sayed."""
_SPEECH_VERBS = frozenset(
    """said says told tells asked asks shouted screamed laughed refused called calls warned made makes
    kept keeps gave gives sent sends put puts wrote moved reported threatened accused ignored""".split()
)
_NAME_CUE_VERBS = frozenset("was is has had said told asked gets got says kept".split())
_PERSON_NOUNS = frozenset(
    """nurse nurses hca carer colleague colleagues manager doctor consultant registrar midwife porter sister
    matron charge cleaner domestic receptionist coordinator co-ordinator supervisor mentor friend lady man
    woman guy person student physio pharmacist paramedic surgeon anaesthetist therapist assistant worker
    lead leader boss director secretary administrator admin educator preceptor clerk technician crewmate
    supervisor estates healthcare""".split()
)
_COMMON_LOWER = frozenset(
    """a an the and or but if so to of in on at by for from with as is was were be been am are it its i me my
    we us our you your he him his she her they them their this that there here then than not no yes all any
    some one two min mins hr hrs am pm ok okay bank ward team shift band day night week""".split()
)

# --- organisation terms ------------------------------------------------------------------------


@lru_cache(maxsize=64)
def _org_pattern(terms: tuple[str, ...]) -> re.Pattern[str] | None:
    cleaned = sorted({t.strip() for t in terms if t and t.strip()}, key=len, reverse=True)
    if not cleaned:
        return None
    parts = [r"\s+".join(re.escape(p) for p in term.split()) for term in cleaned]
    return re.compile(r"(?<![\w])(?:" + "|".join(parts) + r")(?![\w])", re.IGNORECASE)


# --- main entry ----------------------------------------------------------------------------------


def _find(text: str, organisation_terms: Mapping[str, Iterable[str]] | None) -> list[tuple[int, int, str, int]]:
    found: list[tuple[int, int, str, int]] = []

    def add(start: int, end: int, kind: str, priority: int | None = None) -> None:
        if end > start:
            found.append((start, end, kind, _PRIORITY.get(kind, 0) if priority is None else priority))

    for m in _EMAIL.finditer(text):
        add(m.start(), m.end(), "EMAIL")
    for m in _NHS.finditer(text):
        if nhs_number_is_valid(m.group()):
            add(m.start(), m.end(), "NHS_NUMBER")
    for m in _PHONE.finditer(text):
        cand = m.group().rstrip(" -.)")
        if _phone_ok(cand):
            add(m.start(), m.start() + len(cand), "PHONE")
    for m in _NI.finditer(text):
        add(m.start(), m.end(), "NI_NUMBER")
    for m in _POSTCODE.finditer(text):
        if any(c.isdigit() for c in m.group()) and not m.group().isdigit():
            add(m.start(), m.end(), "POSTCODE")
    for m in _NMC_PIN.finditer(text):
        add(m.start(), m.end(), "REGISTRATION_NUMBER")
    for pattern in (_GMC, _GMC_AFTER, _HCPC, _PIN_CONTEXT):
        for m in pattern.finditer(text):
            add(m.start(1), m.end(1), "REGISTRATION_NUMBER")
    for m in _STAFF.finditer(text):
        value = m.group(1).strip(" \t-")
        start = m.start(1) + (len(m.group(1)) - len(m.group(1).lstrip(" \t-")))
        if sum(c.isdigit() for c in value) >= 4:
            add(start, start + len(value), "STAFF_NUMBER")
    for pattern in _DATE_PATTERNS:
        group = "d" if "d" in pattern.groupindex else 0
        for m in pattern.finditer(text):
            value = m.group(group).rstrip(" .,")
            add(m.start(group), m.start(group) + len(value), "DATE")
    if organisation_terms:
        for kind, terms in organisation_terms.items():
            pattern = _org_pattern(tuple(terms))
            if pattern is None:
                continue
            label = re.sub(r"[^A-Z0-9_]", "_", str(kind).upper())
            for m in pattern.finditer(text):
                add(m.start(), m.end(), label, _ORG_PRIORITY)
    for start, end in _name_spans(text):
        add(start, end, "NAME")
    return found


def _covers_protected(text: str, start: int, end: int, kind: str) -> bool:
    if kind in STRUCTURED_TYPES:
        return False
    return any(w.lower() in PROTECTED_WORDS for w in _TOKEN.findall(text[start:end])) and kind == "NAME"


def redact(text: str, organisation_terms: Mapping[str, Sequence[str]] | None = None) -> Redaction:
    """Replaces identifiers in `text` with typed placeholders such as `[NAME]` and `[PHONE]`.

    `organisation_terms` maps a placeholder type to the organisation's own names of that type, e.g.
    `{"WARD": ["Ward 7", "Lister Ward"], "SITE": ["St Elsewhere's"], "TEAM": ["Acute Medicine"]}`:
    matched whole-word and case-insensitively, longest first.
    """
    if not text:
        return Redaction(text or "", ())
    found = [f for f in _find(text, organisation_terms) if not _covers_protected(text, f[0], f[1], f[2])]
    # Higher priority first, then longer, then earlier; keep a span when it overlaps none kept.
    found.sort(key=lambda f: (-f[3], -(f[1] - f[0]), f[0]))
    kept: list[tuple[int, int, str]] = []
    for start, end, kind, _ in found:
        if all(end <= s or start >= e for s, e, _k in kept):
            kept.append((start, end, kind))
    kept.sort()
    out: list[str] = []
    pos = 0
    spans: list[Span] = []
    for start, end, kind in kept:
        out.append(text[pos:start])
        out.append(f"[{kind}]")
        spans.append(Span(kind, start, end, text[start:end]))
        pos = end
    out.append(text[pos:])
    return Redaction("".join(out), tuple(spans))
