"""Generates labelled training text for the name tagger from templates.txt and the shipped name lists.

Everything is drawn from one `random.Random(seed)` over sorted lists, so a seed gives the same text on every
machine. A text is one to four sentences; most hold a person, some hold none and teach what is not a name
(word-names used as words, capitalised products, places and teams, identity words). People are written in
the forms testimonies use: a given name, name and surname, a title and surname ("Mr Green"), an initial and
surname ("B. Okafor"), hyphens, apostrophes and particles (Jean-Baptiste, O'Connor, dela Cruz), a quarter of
given names that are also English words (Amber, Heaven, Juniper), some typed in lower case, and whole texts
in lower case.

`held_out(seed)` names the given names and surnames hidden from the lexicon while training, so the model
also learns names that no list holds (see train.py).
"""

from __future__ import annotations

import random
import re
from dataclasses import dataclass
from pathlib import Path

from analysis.redaction.tagger import lexicon
from analysis.redaction.vocabulary import PROTECTED_WORDS, TITLES

HERE = Path(__file__).resolve().parent

ROLES = """charge nurse|ward manager|matron|sister|bank coordinator|rota coordinator|consultant|registrar|HCA|
healthcare assistant|staff nurse|deputy manager|team leader|ward clerk|porter|domestic|physio|pharmacist|
midwife|student nurse|clinical lead|practice educator|night coordinator|bed manager|site manager|receptionist|
senior sister|FTSU guardian|HR adviser|union rep|occupational therapist|paramedic|junior doctor|F1|SHO""".replace("\n", "").split("|")
GROUPS = """Acute Medicine|the Emergency Department|ICU|Outpatients|Theatres|Maternity|the bank office|
Paediatrics|the discharge lounge|Radiology|Pharmacy|Estates|the stroke unit|Renal|Oncology|A&E|
Community Nursing|the admissions unit|Care of the Elderly|Mental Health|Patient Transport""".replace("\n", "").split("|")
NUMBERS = "two three four five six seven eight ten twelve fifteen 2 3 4 5 6 8 10 12 15 20".split()
PERSON_TITLES = [t for t in TITLES if t not in ("Father", "Auntie", "Aunty", "Uncle", "Madam", "Sir", "Dame", "Mister")]
PARTICLES = ["de", "da", "dos", "dela", "van", "van der", "von", "di", "al-", "el-", "bin", "O'", "Mc", "Mac", "ap"]


@dataclass(frozen=True)
class Example:
    text: str
    spans: tuple[tuple[int, int], ...]  # character spans of names


def read_templates() -> tuple[list[str], list[str]]:
    """(templates with a person, templates without), in file order."""
    names: list[str] = []
    none: list[str] = []
    target = names
    for line in (HERE / "templates.txt").read_text(encoding="utf-8").splitlines():
        if line.startswith("## "):
            target = names if line.strip() == "## names" else none
            continue
        if line.strip() and not line.startswith("#"):
            target.append(line.strip())
    return names, none


def _pools() -> dict[str, list[str]]:
    lex = lexicon()
    data = Path(__file__).resolve().parent.parent / "redaction" / "data"
    given = [w for w in _lines(data / "given_names.txt")]
    surnames = [w for w in _lines(data / "surnames.txt")]
    word_given = sorted({w.capitalize() for w in lex.word_names} | {w for w in given if w.lower() in lex.english and len(w) > 2})
    word_surnames = [w for w in surnames if w.lower() in lex.english and len(w) > 2]
    nonascii = [w for w in given + surnames if any(ord(c) > 127 for c in w)]
    return {
        "given": given,
        "surnames": surnames,
        "word_given": word_given,
        "word_surnames": word_surnames,
        "nonascii": sorted(set(nonascii)),
        "protected": sorted(w.capitalize() for w in PROTECTED_WORDS if w.isalpha()),
        "not_names": sorted(set(_words(data / "not_names.txt"))),
    }


def _words(path: Path) -> list[str]:
    return [w for line in path.read_text(encoding="utf-8").splitlines() if not line.startswith("#") for w in line.split()]


def _lines(path: Path) -> list[str]:
    return sorted(
        line.strip() for line in path.read_text(encoding="utf-8").splitlines() if line.strip() and not line.startswith("#")
    )


def held_out(seed: int, fraction: float = 0.25) -> frozenset[str]:
    """Lower-cased given names and surnames the training lexicon hides: the model must find them by context."""
    pools = _pools()
    rng = random.Random(seed * 7919 + 1)
    out = set()
    for key in ("given", "surnames"):
        for word in pools[key]:
            if rng.random() < fraction:
                out.add(word.lower())
    return frozenset(out)


class Generator:
    """Fills templates; one instance per seed."""

    def __init__(self, seed: int, templates: tuple[list[str], list[str]] | None = None) -> None:
        self.rng = random.Random(seed)
        self.pools = _pools()
        self.names, self.none = templates or read_templates()

    def given(self) -> str:
        r = self.rng.random()
        if r < 0.25:
            return self.rng.choice(self.pools["word_given"])
        if r < 0.32:
            return self.rng.choice(self.pools["nonascii"])
        return self.rng.choice(self.pools["given"])

    def surname(self) -> str:
        r = self.rng.random()
        if r < 0.2:
            return self.rng.choice(self.pools["word_surnames"])
        if r < 0.27:
            return self.rng.choice(self.pools["nonascii"])
        return self.rng.choice(self.pools["surnames"])

    def full_surname(self) -> str:
        r = self.rng.random()
        base = self.surname()
        if r < 0.05:
            return f"{base}-{self.surname()}"
        if r < 0.1:
            particle = self.rng.choice(PARTICLES)
            if particle.endswith(("-", "'")) or particle in ("Mc", "Mac"):
                return particle + base
            return f"{particle} {base}"
        return base

    def person(self) -> str:
        r = self.rng.random()
        if r < 0.36:
            name = self.given()
        elif r < 0.66:
            name = f"{self.given()} {self.full_surname()}"
        elif r < 0.71:
            name = f"{self.given()[0]}. {self.full_surname()}"
        elif r < 0.76:
            name = self.full_surname()
        elif r < 0.81:
            name = f"{self.given()}-{self.given()}"
        elif r < 0.86:
            name = f"{self.given()} {self.given()} {self.surname()}"
        else:
            name = f"{self.given()} {self.surname()}"
        return name.lower() if self.rng.random() < 0.1 else name

    def fill(self, template: str) -> tuple[str, list[tuple[int, int]]]:
        out: list[str] = []
        spans: list[tuple[int, int]] = []
        pos = 0
        length = 0
        for m in re.finditer(r"\{([A-Z])\}", template):
            literal = template[pos : m.start()]
            out.append(literal)
            length += len(literal)
            slot = m.group(1)
            value: str
            is_name = slot in ("P", "F", "L")
            if slot == "P":
                value = self.person()
            elif slot == "F":
                value = self.given()
            elif slot == "L":
                value = self.full_surname()
            elif slot == "T":
                value = self.rng.choice(PERSON_TITLES)
            elif slot == "R":
                value = self.rng.choice(ROLES)
            elif slot == "X":
                value = self.rng.choice(self.pools["not_names"])
            elif slot == "E":
                value = self.rng.choice(self.pools["protected"])
            elif slot == "G":
                value = self.rng.choice(GROUPS)
            else:
                value = self.rng.choice(NUMBERS)
            if is_name:
                spans.append((length, length + len(value)))
            out.append(value)
            length += len(value)
            pos = m.end()
        out.append(template[pos:])
        text = "".join(out)
        if text[:1].islower() and (not spans or spans[0][0] != 0 or self.rng.random() < 0.5):
            text = text[:1].upper() + text[1:]
        return text, spans

    def example(self) -> Example:
        parts: list[str] = []
        spans: list[tuple[int, int]] = []
        count = self.rng.choice((1, 1, 2, 2, 3, 4))
        with_names = self.rng.random() < 0.8
        for k in range(count):
            pool = self.names if with_names and (k == 0 or self.rng.random() < 0.5) else self.none
            text, found = self.fill(self.rng.choice(pool))
            offset = sum(len(p) + 1 for p in parts)
            parts.append(text)
            spans.extend((s + offset, e + offset) for s, e in found)
        text = " ".join(parts)
        r = self.rng.random()
        if r < 0.12:
            text = text.lower()
        elif r < 0.16:
            # Some people capitalise every word: capitals then say nothing about names.
            text = re.sub(r"\b([^\W\d_])", lambda m: m.group(1).upper(), text)
        return Example(text, tuple(spans))

    def examples(self, count: int) -> list[Example]:
        return [self.example() for _ in range(count)]


def split_templates(seed: int, dev_fraction: float = 0.2) -> tuple[tuple[list[str], list[str]], tuple[list[str], list[str]]]:
    """Templates split into (training, development) so that the development score is on unseen sentences."""
    names, none = read_templates()
    rng = random.Random(seed * 31 + 7)
    train: tuple[list[str], list[str]] = ([], [])
    dev: tuple[list[str], list[str]] = ([], [])
    for i, group in enumerate((names, none)):
        for template in group:
            (dev if rng.random() < dev_fraction else train)[i].append(template)
    return train, dev
