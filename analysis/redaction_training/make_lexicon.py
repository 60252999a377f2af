"""Builds the name tagger's word lists in analysis/redaction/data/. Run once by hand; never imported at run time.

Sources (used when the lists are made; nothing is downloaded when the package runs):
- Faker (MIT; the `build` extra pins it), the given-name and surname lists of its person providers for the
  Latin-script locales of London's workforce and beyond (UK, Irish, Indian, Pakistani, Nigerian: English,
  Yoruba, Igbo, Hausa; Kenyan, Swahili, Ghanaian, Zulu, Polish, Romanian, Baltic, Czech, Slovak,
  Hungarian, Croatian, Slovene, Portuguese, Brazilian, Spanish, Latin American, Italian, French, German,
  Dutch, Nordic, Turkish, Azerbaijani, Uzbek, Vietnamese, Indonesian, Chinese and Japanese in
  romanisation, US). Names are kept **as written** (Zofia, Sinéad, Nguyễn); the tagger also looks a word up
  with its accents folded, so "Sinead" finds "Sinéad".
- CURATED_SURNAMES below and analysis/data/make_given_names.py's CURATED given names: cultures Faker lacks
  (Filipino, Caribbean, Somali, Eritrean, Ethiopian, Arabic, Bangladeshi, Sri Lankan, Nepali, Korean,
  Zimbabwean, Ghanaian, Ukrainian and Russian in romanisation, Albanian, Greek, Iranian).
- Debian's wbritish word list (/usr/share/dict/british-english): its lower-case entries become
  english_words.txt, so that the tagger knows that "Amber" or "Green" is also a word.

Words about ethnicity, religion, nationality and culture (PROTECTED_WORDS) never enter a name list.

    apt-get install wbritish && .venv/bin/pip install -e '.[build]'
    .venv/bin/python -m analysis.redaction_training.make_lexicon
"""

from __future__ import annotations

import importlib
import re
import unicodedata
from pathlib import Path

from analysis.data.make_given_names import CURATED as CURATED_GIVEN
from analysis.redaction.vocabulary import PROTECTED_WORDS, STOP_WORDS_LOWER, TITLE_SET

OUT = Path(__file__).resolve().parent.parent / "redaction" / "data"
DICTIONARY = Path("/usr/share/dict/british-english")
LOCALES = [
    "en_GB", "en_IE", "ga_IE", "en_IN", "en_PK", "en_NG", "yo_NG", "ig_NG", "ha_NG", "en_KE", "sw", "tw_GH",
    "zu_ZA", "pl_PL", "ro_RO", "lt_LT", "lv_LV", "sk_SK", "cs_CZ", "hu_HU", "hr_HR", "sl_SI", "pt_PT", "pt_BR",
    "es_ES", "es_MX", "es_CO", "it_IT", "fr_FR", "de_DE", "nl_NL", "sv_SE", "no_NO", "da_DK", "fi_FI", "tr_TR",
    "az_AZ", "uz_UZ", "en_US", "en_NZ", "vi_VN", "id_ID", "ja_JP", "zh_CN",
]
CURATED_SURNAMES = """
Santos Reyes Cruz Bautista Ocampo Garcia Mendoza Aquino Villanueva Ramos Castillo Navarro Gonzales Flores
Dizon Manalo Mercado Soriano Pascual Dimaculangan Macaraeg Tolentino Sison Lim Tan Salazar Domingo Agustin
Abdi Warsame Farah Hassan Mohamed Mohamud Jama Egal Yusuf Hersi Duale Guled Abdullahi Nur Osman Ali Ahmed
Tesfaye Bekele Haile Gebremedhin Tesfamariam Berhane Woldemariam Kidane Tekle Girma Alemu Abebe
Rahman Hossain Uddin Begum Khatun Miah Chowdhury Ahmed Akter Sarkar Talukder Sheikh Mollah Bhuiyan
Perera Fernando Silva Jayasinghe Wickramasinghe Gunawardena Rajapaksa Senanayake Dissanayake Bandara
Gurung Thapa Shrestha Rai Tamang Magar Limbu Sherpa Adhikari Pokharel
Kim Lee Park Choi Jung Kang Cho Yoon Jang Lim Han Shin Seo Kwon Hwang
Moyo Ncube Dube Sibanda Ndlovu Mpofu Chikwanha Mutasa Chigumba Mhlanga Nyathi Mlambo Zvobgo
Mensah Owusu Boateng Asante Osei Appiah Agyeman Amoah Ofori Darko Acheampong Adjei Frimpong Quaye Tetteh
Okafor Okonkwo Adeyemi Adebayo Balogun Eze Nwosu Obi Okeke Onyeka Uchenna Adewale Ogunleye Afolabi
Shevchenko Kovalenko Bondarenko Tkachenko Kravchenko Oliynyk Melnyk Boyko Savchenko Petrenko Ivanova
Ivanov Smirnov Kuznetsov Popov Sokolov Volkova Morozova Novikova
Hoxha Krasniqi Berisha Gashi Shehu Kelmendi Morina Rama Leka
Papadopoulos Georgiou Nikolaou Christodoulou Constantinou Demetriou Panayiotou
Hosseini Ahmadi Rezaei Mohammadi Karimi Moradi Jafari Sadeghi Rahimi Hashemi
Campbell Brown Francis Morgan Williams Grant Thompson Clarke Bennett Henry Samuels Forbes Bailey McKenzie
Haidari Popal Stanekzai Noori Siddiqui Qureshi Chaudhry Malik Butt Iqbal Rashid Anwar Javed Hussain
Nair Menon Pillai Kurian Varghese Thomas Joseph Mathew Iyer Reddy Rao Naidu Patel Shah Mehta Desai Joshi
Singh Kaur Gill Sandhu Dhillon Sidhu Grewal Bains Johal Atwal Sahota
Nguyen Tran Pham Hoang Huynh Phan Vu Dang Bui Do Ngo Duong Ly
Wang Zhang Liu Chen Yang Huang Zhao Wu Zhou Xu Sun Ma Zhu Hu Guo He Lin Luo Zheng Liang Ng Wong Chan Cheung
""".split()
CURATED_GIVEN_EXTRA = """
Chinonso Chidinma Chukwuemeka Nneka Oluwaseun Thandiwe Thandi Sipho Lindiwe Nomvula Bongani Themba Zanele
Ravi Arjun Lakshmi Bogdan Zofia Ewa Sinéad Siobhán Aoife Niamh Jean-Baptiste Tadhg Oisín
Bich Thuy Linh Huong Trang Mai Anh Minh Duc Quang Khanh Tuan
""".split()
NOT_NAMES = frozenset(
    """the and for with from this that said was are you all his her him she they them our out not but any
    may can will san los las del les des der die das und von van""".split()
)


def fold(text: str) -> str:
    """Accents folded to ASCII: how a name is often typed on a phone."""
    text = unicodedata.normalize("NFKD", text)
    text = "".join(c for c in text if not unicodedata.combining(c))
    return text.replace("ı", "i").replace("ł", "l").replace("Ł", "L").replace("ß", "ss").replace("đ", "d").replace("Đ", "D")


def _latin(word: str) -> bool:
    return all(not c.isalpha() or "LATIN" in unicodedata.name(c, "") for c in word)


def _values(provider: type, kind: str) -> list[str]:
    out: list[str] = []
    for attr in sorted(dir(provider)):
        if attr.startswith("_") or kind not in attr or callable(getattr(provider, attr)):
            continue
        if "kana" in attr or "pairs" in attr or "formats" in attr:
            continue
        value = getattr(provider, attr)
        if isinstance(value, dict):
            out.extend(str(k) for k in value)
        elif isinstance(value, (list, tuple)):
            out.extend(str(v) for v in value)
    return out


def _clean(raw: list[str]) -> set[str]:
    words: set[str] = set()
    for item in raw:
        for word in item.split():
            word = unicodedata.normalize("NFC", word.strip(".,"))
            if not re.fullmatch(r"[^\W\d_]+(?:['\u2019-][^\W\d_]+)*", word) or not _latin(word):
                continue
            low = word.lower()
            if len(low) < 2 or low in PROTECTED_WORDS or low in STOP_WORDS_LOWER or low in TITLE_SET or low in NOT_NAMES:
                continue
            words.add(word[:1].upper() + word[1:])
    return words


def main() -> None:
    given_raw: list[str] = list(CURATED_GIVEN.split()) + CURATED_GIVEN_EXTRA
    surname_raw: list[str] = list(CURATED_SURNAMES)
    for locale in LOCALES:
        provider = importlib.import_module(f"faker.providers.person.{locale}").Provider
        given_raw += _values(provider, "first_name") + _values(provider, "first_romanized")
        surname_raw += _values(provider, "last_name") + _values(provider, "last_romanized")
    given, surnames = _clean(given_raw), _clean(surname_raw)
    words = sorted(
        {w.strip() for w in DICTIONARY.read_text(encoding="utf-8").splitlines() if w.strip().islower() and "'" not in w}
    )
    OUT.mkdir(parents=True, exist_ok=True)
    header = "# Made by analysis/redaction_training/make_lexicon.py (see its docstring for sources).\n"
    (OUT / "given_names.txt").write_text(header + "\n".join(sorted(given)) + "\n", encoding="utf-8")
    (OUT / "surnames.txt").write_text(header + "\n".join(sorted(surnames)) + "\n", encoding="utf-8")
    (OUT / "english_words.txt").write_text(header + "\n".join(words) + "\n", encoding="utf-8")
    print(f"{len(given)} given names, {len(surnames)} surnames, {len(words)} English words")


if __name__ == "__main__":
    main()
