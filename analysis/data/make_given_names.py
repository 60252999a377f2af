"""Builds given_names.txt and given_names_common_words.txt beside this file. Not imported at run time.

Sources (used once, when the lists are made; nothing is downloaded when the package runs):
- Faker 40.54.0 (MIT), the first-name lists of its person providers for Latin-script locales that
  match the NHS workforce: UK, Irish, Indian, Pakistani, Nigerian (English, Yoruba, Igbo, Hausa),
  Kenyan, Swahili, Ghanaian (Twi), Zulu, Polish, Romanian, Lithuanian, Latvian, Slovak, Czech,
  Hungarian, Portuguese, Brazilian, Spanish, Italian, French, German, Turkish, US, Vietnamese and
  Indonesian; accents folded to ASCII.
- CURATED below: common given names Faker lacks (Filipino, Caribbean, Somali, Arabic, Bangladeshi,
  Sri Lankan, Chinese, Japanese, Korean, Zimbabwean, Ghanaian).
- Debian's wbritish word list (/usr/share/dict/british-english): a name whose lower-case form is an
  ordinary English word ("Will", "Grace", "Hope", "Patience") goes to given_names_common_words.txt,
  which redaction treats as a name only with further evidence (a title or a surname beside it).

Words about ethnicity, religion, nationality and culture (analysis.redaction.PROTECTED_WORDS) never
enter either list.

    /tmp/namesvenv/bin/pip install faker==40.54.0 scikit-learn && apt-get install wbritish
    PYTHONPATH=. /tmp/namesvenv/bin/python analysis/data/make_given_names.py
"""

from __future__ import annotations

import importlib
import re
import unicodedata
from pathlib import Path

LOCALES = [
    "en_GB", "en_IE", "ga_IE", "en_IN", "en_PK", "en_NG", "yo_NG", "ig_NG", "ha_NG", "en_KE", "sw",
    "tw_GH", "zu_ZA", "pl_PL", "ro_RO", "lt_LT", "lv_LV", "sk_SK", "cs_CZ", "hu_HU", "pt_PT", "pt_BR",
    "es_ES", "it_IT", "fr_FR", "de_DE", "tr_TR", "en_US", "vi_VN", "id_ID",
]
CURATED = """
Maricel Marites Rowena Jocelyn Lorna Analyn Rhea Arlene Cherry Jonalyn Maricar Joel Jun Rommel Ronaldo
Reynaldo Rogelio Jericho Jasmin Leah Leonora Ligaya Luzviminda Imelda Marivic Ma Teresita Danica Kristine
Jhun Bong Dindo Nenita Zenaida Emelita Rosalie Rosemarie Girlie Precious Marlon Ariel Edgardo
Delroy Winston Clive Everton Lloyd Leroy Desmond Errol Dwayne Marcia Beverley Hyacinth Claudette
Sharon Yvonne Paulette Carlene Shanice Tyrone Jermaine Kemar Andre Marlene Lorraine Junior
Abdi Abdirahman Abdullahi Hodan Hamdi Hibo Ifrah Farhiya Sahra Sagal Ayaan Liban Mahad Warsame Fadumo
Mohamed Mohammed Muhammad Ahmed Ahmad Omar Umar Yusuf Yousef Ibrahim Ismail Khalid Tariq Bilal Hamza
Imran Irfan Zubair Zahid Asif Arif Nadeem Naveed Shahid Sajid Waqar Kamran Faisal Rizwan Adnan Usman
Fatima Fatimah Ayesha Aisha Amina Khadija Maryam Mariam Zainab Nadia Samira Yasmin Yasmeen Farah
Rukhsana Shabana Nasreen Parveen Shazia Sadia Saima Bushra Nusrat Tahmina Rahima Shirin Salma
Rahul Rohit Vikram Sanjay Sunil Anil Rajesh Ramesh Suresh Mahesh Ganesh Dinesh Prakash Deepak Arjun
Priya Pooja Anjali Sunita Anita Geeta Seema Neha Divya Kavita Lakshmi Meena Rekha Shanti Usha Padma
Gurpreet Harpreet Manpreet Jaspreet Kuldeep Sandeep Rajinder Baljit Sukhwinder Amarjit Parminder
Tharshini Thushara Nirosha Dilani Chamari Kasun Nuwan Chaminda Ruwan Sanath Mahinda Lasith
Wei Li Mei Xin Jun Ying Ling Hui Yan Jing Hong Ming Hao Jie Lei Yu Xiao Chen Zhen Qing
Hiroshi Takeshi Kenji Yuki Yuko Keiko Akiko Haruka Naoko Satoshi Kazuki
Min-jun Seo-yeon Ji-woo Hye-jin Sung-min Eun-ji Ji-hoon Soo-jin Jae-won
Tendai Tatenda Rutendo Farai Tafadzwa Chipo Nyasha Tinashe Kudzai Rumbidzai Shamiso Tapiwa Simbarashe
Kwame Kwabena Kofi Kojo Kwaku Yaw Ama Akosua Adwoa Abena Efua Esi Afua Yaa Nana
Chidi Chinedu Chioma Ngozi Nkechi Obinna Emeka Uche Ifeoma Adaeze Chiamaka Oluwaseun Olumide Tunde
Babajide Folake Funmilayo Bisi Yemi Femi Dayo Tolu Kemi Sade Bukola Adebayo Adeola Temitope Titilayo
Oksana Olena Iryna Natalia Svetlana Tatiana Olga Irina Anastasia Ekaterina Dmitri Sergei Andrei Vladimir
Agnieszka Katarzyna Malgorzata Magdalena Joanna Krzysztof Piotr Tomasz Pawel Marcin Grzegorz Lukasz
Jess Bev Rob Steph Liz Jo Sam Becky Debs Debbie Kath Kathy Tash Nat Chris Dave Mo Mags Jen Jenny Katy
Abi Andy Ali Babs Barbs Bex Cath Ciara Danni Dee Del Den Di Dot Ed Em Fi Flo Gaz Gemma Jacqui Jax Jules Kaz
Kez Lou Mandy Mel Nic Nicky Pat Pete Phil Ric Ronnie Ros Shaz Si Stu Tez Trish Val Vic Viv Wendy Woody
Siobhan Aoife Niamh Ciara Sinead Roisin Orla Grainne Caoimhe Padraig Seamus Eoin Ciaran Declan Cormac
"""
# Very common given names that the dictionary also lists as words ("john", "peter", "harry"): plain names.
FORCE_PLAIN = set("""
John Peter Martin Harry Tom Maria Victor Mike Nick Tony Terry Roger Jack Sally Carol Derrick Jimmy Billy
Bobby Josh Colleen Phoebe Hector Troy Noel Ken Lee Amir Marina Ester Rhea Jasmine Margarita Jay Meg Sue
Bob Carmine Clement Nadir Serge Dieter Dirk Wolfgang Brad Chad Curt Randy Rick Sherry Patty Misty Sandy
Brogan Colleen Drew Gene Glen Garret Lance Mason Pierce Roman Valentine Victor Warren Bonnie Frank
""".split())
# Entries of the sources that are not given names in English text, or too short to tell.
NOT_NAMES = set("""
among us an over made said side till ha mad sad jail loot raid wage server sever edit else nail divan
canal salami cord yoga laze lope lore tome mare mar peer pier gala grit harsh harm dung eta meta sole sol
toy yen lam tan mate man forum corona albino ale ales ante bale ion ani urban veer wadi hung marine imam
pastor baptist queen duke earl safari kismet karma rares girts marten toms nacho ma chi vi bong tanner
ascension aura fancy lea newton pal paschal sari savannah sonata tiara wolfram maxima maxim
""".split())


def fold(text: str) -> str:
    text = unicodedata.normalize("NFKD", text)
    text = "".join(c for c in text if not unicodedata.combining(c))
    return text.replace("ı", "i").replace("ł", "l").replace("Ł", "L").replace("ß", "ss")


def main() -> None:
    from sklearn.feature_extraction.text import ENGLISH_STOP_WORDS

    from analysis.redaction import PROTECTED_WORDS, TITLES

    here = Path(__file__).resolve().parent
    names: set[str] = set()
    for locale in LOCALES:
        provider = importlib.import_module(f"faker.providers.person.{locale}").Provider
        for attr in dir(provider):
            value = getattr(provider, attr)
            if "first_name" not in attr or callable(value):
                continue
            for name in list(value) if isinstance(value, (dict, list, tuple)) else []:
                names.add(fold(name).strip())
    names.update(CURATED.split())
    names = {n for n in names if re.fullmatch(r"[A-Z][a-z]+(?:-[A-Za-z][a-z]+)?", n) and len(n) >= 2}
    dictionary = {w.strip() for w in open("/usr/share/dict/british-english", encoding="utf-8")}
    lower_words = {w for w in dictionary if w.islower()}
    blocked = {w.lower() for w in PROTECTED_WORDS} | {t.lower() for t in TITLES}
    plain, common = [], []
    for name in sorted(names):
        key = name.lower()
        if key in blocked or key in NOT_NAMES or key in ENGLISH_STOP_WORDS or len(key) < 2:
            continue
        (common if key in lower_words and name not in FORCE_PLAIN else plain).append(name)
    header = "# Given names, one a line. Made by make_given_names.py (see its docstring for sources).\n"
    (here / "given_names.txt").write_text(header + "\n".join(plain) + "\n", encoding="utf-8")
    (here / "given_names_common_words.txt").write_text(
        "# Given names that are also ordinary English words: a name only with a title or surname beside it.\n"
        + "\n".join(common) + "\n",
        encoding="utf-8",
    )
    print(len(plain), "names;", len(common), "that are also words")


if __name__ == "__main__":
    main()
