"""The words redaction reasons with: protected identity words, titles, roles, places, and the name lists.

Kept apart from the rules and the tagger that use them so that both read the same lists: a word about
ethnicity, religion or nationality (`PROTECTED_WORDS`) is never a name for either of them, and a
title or role word means the same thing to both.
"""

from __future__ import annotations

import re
from functools import lru_cache
from importlib import resources

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
    Maltese Malta Maori Māori Zealand Kiwi Lesotho Basotho Swazi Eswatini Botswana Namibian Namibia Rwandan
    Rwanda Burundian Tanzanian Tanzania Mozambican Angolan Liberian Liberia Ivorian Malian Togolese Beninese
    Burkinabe Chadian Tunisian Saudi Emirati Qatari Kuwaiti Omani Bahraini Uzbek Kazakh Tajik Turkmen Armenian
    Azerbaijani Moldovan Belarusian Slovenian Macedonian Montenegrin Icelandic Norwegian Swedish Danish Finnish
    Belgian Swiss Austrian Cuban Haitian Venezuelan Chilean Argentinian Argentine Ecuadorian Bolivian
    Paraguayan Uruguayan Taiwanese Mongolian Tibetan Bhutanese Cambodian Laotian Fijian Samoan Tongan Papuan
    Aboriginal Indigenous Pacific Islander Romani Sami Yazidi Rohingya Hazara Uyghur Berber Amazigh Tuareg
    """.split()
) - frozenset(("costa", "sierra", "hong", "sri", "puerto"))
PAIRED_PROTECTED = {"costa": "rica", "sierra": "leone", "hong": "kong", "sri": "lanka", "puerto": "rico"}
"""First words of place names that are protected only with the second after them ("Costa Rica"): alone
they are surnames ("Daniela Costa")."""

TITLES: tuple[str, ...] = (
    "Dr", "Doctor", "Mr", "Mrs", "Ms", "Miss", "Mx", "Prof", "Professor", "Sister", "Sr", "Nurse",
    "Matron", "Sir", "Dame", "Rev", "Reverend", "Father", "Auntie", "Aunty", "Uncle", "Madam", "Mister",
)
TITLES_WEAK = {"sister", "nurse", "matron", "father", "auntie", "aunty", "uncle", "doctor", "madam"}
"""Titles that are also ordinary nouns: they introduce a name only when the next word is capitalised."""

ROLE_WORDS = frozenset(
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
    Sonographer Sonographers Phlebotomist Phlebotomists Radiographers Physiotherapists Dietitian Dietician
    Podiatrist Psychologist Psychiatrist Counsellor Therapist Technician Receptionist Housekeeper Chaplain
    Cleaner Domestic Domestics Administrator Secretary Coordinator Supervisor Paramedics Pharmacists
    Anaesthetists Surgeons Registrars Matrons Sisters Admin Security Reception Pharmacy Estates
    """.split()
)
"""Capitalised words that are never part of a person's name (so never a surname after a given name)."""
PLACE_WORDS = frozenset(
    w.lower()
    for w in """
    Centre Center House Unit Hospital Clinic Road Street Lane Court Lodge Suite Surgery Practice Hall
    Park Place Avenue Close Way Building Wing Block Site Campus Foundation Charity Hospice
    """.split()
)
"""Words that follow a name-like word in the names of places ("Hope Centre"): never taken as a surname."""

# --- data files --------------------------------------------------------------------------------


def _read_names(filename: str) -> frozenset[str]:
    data = resources.files("analysis").joinpath("data", filename).read_text(encoding="utf-8")
    return frozenset(
        line.strip().lower() for line in data.splitlines() if line.strip() and not line.startswith("#")
    )


@lru_cache(maxsize=1)
def given_names() -> tuple[frozenset[str], frozenset[str]]:
    """(given names, given names that are also ordinary English words), lower-cased, protected words removed."""
    plain = _read_names("given_names.txt") - PROTECTED_WORDS - ROLE_WORDS
    common = _read_names("given_names_common_words.txt") - PROTECTED_WORDS
    common |= _read_names("given_names.txt") & ROLE_WORDS - PROTECTED_WORDS
    return plain, common



TITLE_SET = frozenset(t.lower() for t in TITLES)
STOP_WORDS_LOWER = frozenset(
    """about above after again against all also always am an and any are as at be because been before being
    below between both but by can could did do does doing down during each even ever every few for from
    further had has have having here how if in into is it its just less more most much must my no nor not
    now of off on once only or other our out over own quicker quick quickly same should so some such than
    that the their them then there these they this those through to too under until up very was we were
    what when where which while who why will with would you your""".split()
)
INTRO_WORDS = frozenset(
    """manager colleague colleagues friend friends coordinator co-ordinator mentor supervisor boss matron
    educator preceptor buddy cousin husband wife partner daughter son brother sister mum dad mother father
    leader
    called named hca porter midwife registrar consultant nurse doctor dr mr mrs ms miss receptionist
    housekeeper domestic cleaner chaplain physio assistant deputy lead rep steward guardian clerk technician
    crewmate student""".split()
)
NOT_NAME_AFTER_INTRO = frozenset("""said told says asked was is who and or but the a in on at""".split())
SEASONS = frozenset("summer autumn spring winter christmas easter eve".split())
SURNAME_PARTICLES = frozenset(
    "de da das dos del dela della di du van von der den ten ter le la bin binti ibn al el abu ap ab".split()
)
PREFIXED_SURNAME = re.compile(r"(?:al|el|bin|ibn|abu|ben)-[A-Z][a-z\u00C0-\u024F]+")
"""A surname joined to its particle: al-Amin, el-Sayed."""
SPEECH_VERBS = frozenset(
    """said says told tells asked asks shouted screamed laughed refused called calls warned made makes
    kept keeps gave gives sent sends put puts wrote moved reported threatened accused ignored""".split()
)
NAME_CUE_VERBS = frozenset("was is has had said told asked gets got says kept".split())
PERSON_NOUNS = frozenset(
    """nurse nurses hca carer colleague colleagues manager doctor consultant registrar midwife porter sister
    matron charge cleaner domestic receptionist coordinator co-ordinator supervisor mentor friend lady man
    woman guy person student physio pharmacist paramedic surgeon anaesthetist therapist assistant worker
    lead leader boss director secretary administrator admin educator preceptor clerk technician crewmate
    supervisor estates healthcare housekeeper""".split()
)
COMMON_LOWER = frozenset(
    """a an the and or but if so to of in on at by for from with as is was were be been am are it its i me my
    we us our you your he him his she her they them their this that there here then than not no yes all any
    some one two min mins hr hrs am pm ok okay bank ward team shift band day night week""".split()
)
COLOUR_SURNAMES = frozenset("white brown black green grey gray".split())
"""Protected colour words that are also common surnames: a surname right after a given name or a title
("Karen White", "Mr Brown"), unless a word about people follows ("Grace, a Black nurse")."""
IDENTITY_AFTER = frozenset(
    """nurse nurses staff woman women man men people person colleague colleagues british african caribbean
    asian other irish ethnic minority minorities background backgrounds heritage female male community
    communities worker workers doctor doctors member members lady ladies girl girls boy boys guy guys and
    or skin lives history patients patient families family led owned""".split()
)
VERB_NAMES = frozenset("hope will may can mark pat sue grant trust chase rob frank guy ray job dean don".split())
"""Given names that in lower case are far more often a verb or a word ("I hope the nurse")."""
