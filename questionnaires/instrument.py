"""Instrument definitions: parsed from YAML, checked, and turned into plain data for a wave's record."""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from functools import cached_property
from pathlib import Path
from typing import Any

import yaml

INSTRUMENTS_FOLDER = Path(__file__).parent / "instruments"
QUESTION_TYPES = ("single", "multiple", "text", "organisation")
ID_PATTERN = re.compile(r"^[a-z][a-z0-9_]*$")
DEFAULT_TEXT_LENGTH = 3000

Answers = Mapping[str, Any]


class InstrumentError(Exception):
    """A malformed instrument: names the file, the question (if any) and the reason."""

    def __init__(self, source: str, question: str | None, reason: str) -> None:
        self.source = source
        self.question = question
        self.reason = reason
        where = f"{source}, question {question}" if question else source
        super().__init__(f"{where}: {reason}")


@dataclass(frozen=True)
class Option:
    code: int
    label: str


@dataclass(frozen=True)
class Condition:
    question: str
    codes: frozenset[int]

    def is_met(self, answers: Answers) -> bool:
        value = answers.get(self.question)
        if isinstance(value, list):
            return any(code in self.codes for code in value)
        return value in self.codes


@dataclass(frozen=True)
class Routing:
    mode: str  # "any" or "all"
    conditions: tuple[Condition, ...]

    def is_met(self, answers: Answers) -> bool:
        results = (condition.is_met(answers) for condition in self.conditions)
        return any(results) if self.mode == "any" else all(results)

    def describe(self, instrument: Instrument) -> str:
        parts = []
        for condition in self.conditions:
            question = instrument.question(condition.question)
            labels = [question.label_for(code) for code in sorted(condition.codes)]
            parts.append(f"{condition.question} is {' or '.join(labels)}")
        joiner = " or " if self.mode == "any" else " and "
        return joiner.join(parts)


@dataclass(frozen=True)
class Question:
    id: str
    text: str
    type: str
    options: tuple[Option, ...] = ()
    lead: str | None = None
    hint: str | None = None
    required: bool = False
    # What to say when a required question is left blank, naming the question ("Enter what happened").
    required_error: str | None = None
    show_if: Routing | None = None
    max_length: int = DEFAULT_TEXT_LENGTH
    exclusive: frozenset[int] = frozenset()
    quasi_identifier: str | None = None
    # Codes that mean "this happened to me": no published group may consist only of such answers.
    sensitive_codes: frozenset[int] = frozenset()
    breakdown: str | None = None

    @property
    def is_free_text(self) -> bool:
        return self.type == "text"

    @property
    def blank_error(self) -> str:
        """The error for a required question left blank: the instrument's own words, else a generic one."""
        if self.required_error:
            return self.required_error
        return "Enter your answer" if self.is_free_text else "Select an answer"

    @cached_property
    def codes(self) -> frozenset[int]:
        return frozenset(option.code for option in self.options)

    def label_for(self, code: int) -> str:
        for option in self.options:
            if option.code == code:
                return option.label
        return str(code)

    def is_shown(self, answers: Answers) -> bool:
        return self.show_if is None or self.show_if.is_met(answers)


@dataclass(frozen=True)
class Page:
    id: str
    title: str
    questions: tuple[Question, ...]
    intro: str | None = None

    def shown_questions(self, answers: Answers) -> list[Question]:
        return [question for question in self.questions if question.is_shown(answers)]


@dataclass(frozen=True)
class Hierarchy:
    """Generalisation levels above a raw code: codes[code][0] is the first level up, and so on."""

    name: str
    levels: tuple[str, ...]
    codes: Mapping[int, tuple[str, ...]]

    def generalise(self, code: int, level: int) -> str | int:
        if level == 0:
            return code
        return self.codes[code][level - 1]


@dataclass(frozen=True)
class Instrument:
    id: str
    version: str
    title: str
    minutes: int
    pages: tuple[Page, ...]
    intro: str | None = None
    hierarchies: Mapping[str, Hierarchy] = field(default_factory=dict)
    # Closed answers that travel with the testimony (and nowhere else) when the response is split.
    testimony_attributes: tuple[str, ...] = ()
    # When this condition holds, the testimony is also shared with the FTSU guardian as a concern.
    concern_when: Condition | None = None
    # The plain data this instrument was parsed from: what a wave stores when it opens.
    definition: Mapping[str, Any] = field(default_factory=dict, compare=False, repr=False)

    @cached_property
    def questions(self) -> dict[str, Question]:
        return {question.id: question for page in self.pages for question in page.questions}

    def question(self, question_id: str) -> Question:
        return self.questions[question_id]

    def page(self, page_id: str) -> Page:
        for page in self.pages:
            if page.id == page_id:
                return page
        raise KeyError(page_id)

    def page_index(self, page_id: str) -> int:
        return [page.id for page in self.pages].index(page_id)

    def free_text_questions(self) -> list[Question]:
        return [question for question in self.questions.values() if question.is_free_text]

    def with_organisations(self, organisations: list[str]) -> Instrument:
        """Fill in `organisation` questions for a regional wave, or drop them for a single organisation."""
        definition = _deep_copy(self.definition)
        for page in definition["pages"]:
            kept = []
            for question in page["questions"]:
                if question.get("type") == "organisation":
                    if len(organisations) < 2:
                        continue
                    question["type"] = "single"
                    question["options"] = [
                        {"code": number, "label": name}
                        for number, name in enumerate(organisations, start=1)
                    ]
                kept.append(question)
            page["questions"] = kept
        definition["pages"] = [page for page in definition["pages"] if page["questions"]]
        return parse_instrument(definition, f"{self.id} (as opened)")


def _deep_copy(data: Any) -> Any:
    if isinstance(data, Mapping):
        return {key: _deep_copy(value) for key, value in data.items()}
    if isinstance(data, list):
        return [_deep_copy(value) for value in data]
    return data


def _require(data: Mapping[str, Any], key: str, kind: type, source: str, question: str | None) -> Any:
    if key not in data:
        raise InstrumentError(source, question, f"'{key}' is missing")
    value = data[key]
    if kind is str and isinstance(value, (int, float)) and not isinstance(value, bool):
        value = str(value)
    if not isinstance(value, kind) or isinstance(value, bool) and kind is not bool:
        raise InstrumentError(source, question, f"'{key}' must be a {kind.__name__}")
    return value


def _parse_routing(raw: Any, source: str, question_id: str, earlier: Mapping[str, Question]) -> Routing:
    if not isinstance(raw, Mapping) or len(raw) != 1 or next(iter(raw)) not in ("any", "all"):
        raise InstrumentError(source, question_id, "show_if must be {any: [...]} or {all: [...]}")
    mode, raw_conditions = next(iter(raw.items()))
    if not isinstance(raw_conditions, list) or not raw_conditions:
        raise InstrumentError(source, question_id, f"show_if.{mode} must be a non-empty list")
    conditions = []
    for raw_condition in raw_conditions:
        if not isinstance(raw_condition, Mapping) or set(raw_condition) != {"question", "in"}:
            raise InstrumentError(source, question_id, "each show_if condition needs 'question' and 'in'")
        target_id = raw_condition["question"]
        target = earlier.get(target_id)
        if target is None:
            raise InstrumentError(
                source,
                question_id,
                f"show_if names {target_id!r}, which is not a question on an earlier page "
                "(routing must work without JavaScript, so it can only depend on earlier pages)",
            )
        codes = raw_condition["in"]
        if not isinstance(codes, list) or not all(isinstance(code, int) for code in codes):
            raise InstrumentError(source, question_id, "show_if 'in' must be a list of option codes")
        unknown = set(codes) - target.codes
        if unknown:
            raise InstrumentError(
                source, question_id, f"show_if uses codes {sorted(unknown)} that {target_id} does not have"
            )
        conditions.append(Condition(target_id, frozenset(codes)))
    return Routing(mode, tuple(conditions))


def _parse_options(raw: Any, source: str, question_id: str) -> tuple[Option, ...]:
    if not isinstance(raw, list) or not raw:
        raise InstrumentError(source, question_id, "needs a non-empty list of options")
    options = []
    seen: set[int] = set()
    for raw_option in raw:
        if not isinstance(raw_option, Mapping):
            raise InstrumentError(source, question_id, "each option needs a code and a label")
        code = raw_option.get("code")
        label = raw_option.get("label")
        if not isinstance(code, int) or isinstance(code, bool):
            raise InstrumentError(source, question_id, f"option code {code!r} is not a whole number")
        if not isinstance(label, (str, int)) or str(label).strip() == "":
            raise InstrumentError(source, question_id, f"option {code} has no label")
        if code in seen:
            raise InstrumentError(source, question_id, f"option code {code} is used twice")
        seen.add(code)
        options.append(Option(code, str(label)))
    return tuple(options)


def _optional_text(raw: Mapping[str, Any], key: str, source: str, question_id: str) -> str | None:
    value = raw.get(key)
    if value is not None and (not isinstance(value, str) or not value.strip()):
        raise InstrumentError(source, question_id, f"{key} must be non-empty text")
    return value


QUESTION_KEYS = {
    "id", "text", "type", "options", "lead", "hint", "required", "required_error", "show_if", "max_length",
    "exclusive", "quasi_identifier", "sensitive", "breakdown",
}


def _parse_question(raw: Any, source: str, earlier: Mapping[str, Question]) -> Question:
    if not isinstance(raw, Mapping):
        raise InstrumentError(source, None, "each question must be a mapping")
    question_id = _require(raw, "id", str, source, None)
    if not ID_PATTERN.match(question_id):
        raise InstrumentError(source, question_id, "ids are lowercase letters, digits and _")
    unknown_keys = set(raw) - QUESTION_KEYS
    if unknown_keys:
        raise InstrumentError(source, question_id, f"unknown keys {sorted(unknown_keys)}")
    text = _require(raw, "text", str, source, question_id)
    kind = raw.get("type")
    if kind not in QUESTION_TYPES:
        raise InstrumentError(source, question_id, f"type must be one of {', '.join(QUESTION_TYPES)}, not {kind!r}")
    options: tuple[Option, ...] = ()
    if kind in ("single", "multiple"):
        options = _parse_options(raw.get("options"), source, question_id)
    elif "options" in raw:
        raise InstrumentError(source, question_id, f"a {kind} question has no options in the file")
    exclusive = raw.get("exclusive", [])
    if exclusive and kind != "multiple":
        raise InstrumentError(source, question_id, "only multiple-choice questions have exclusive codes")
    if not isinstance(exclusive, list) or not set(exclusive) <= {option.code for option in options}:
        raise InstrumentError(source, question_id, "exclusive must list codes of this question")
    max_length = raw.get("max_length", DEFAULT_TEXT_LENGTH)
    if not isinstance(max_length, int) or max_length < 1:
        raise InstrumentError(source, question_id, "max_length must be a positive whole number")
    show_if = raw.get("show_if")
    sensitive = raw.get("sensitive", [])
    if not isinstance(sensitive, list) or not set(sensitive) <= {option.code for option in options}:
        raise InstrumentError(source, question_id, "sensitive must list codes of this question")
    return Question(
        id=question_id,
        text=str(text),
        type=kind,
        options=options,
        lead=raw.get("lead"),
        hint=raw.get("hint"),
        required=bool(raw.get("required", False)),
        required_error=_optional_text(raw, "required_error", source, question_id),
        show_if=_parse_routing(show_if, source, question_id, earlier) if show_if is not None else None,
        max_length=max_length,
        exclusive=frozenset(exclusive),
        quasi_identifier=raw.get("quasi_identifier"),
        sensitive_codes=frozenset(sensitive),
        breakdown=raw.get("breakdown"),
    )


def _parse_hierarchies(raw: Any, source: str) -> dict[str, Hierarchy]:
    if raw is None:
        return {}
    if not isinstance(raw, Mapping):
        raise InstrumentError(source, None, "hierarchies must be a mapping of name to hierarchy")
    hierarchies = {}
    for name, body in raw.items():
        if not isinstance(body, Mapping) or "levels" not in body or "codes" not in body:
            raise InstrumentError(source, None, f"hierarchy {name!r} needs 'levels' and 'codes'")
        levels = tuple(str(level) for level in body["levels"])
        codes: dict[int, tuple[str, ...]] = {}
        for code, labels in body["codes"].items():
            labels = labels if isinstance(labels, list) else [labels]
            if len(labels) != len(levels):
                raise InstrumentError(
                    source, None, f"hierarchy {name!r}: code {code} has {len(labels)} labels for {len(levels)} levels"
                )
            codes[int(code)] = tuple(str(label) for label in labels)
        hierarchies[str(name)] = Hierarchy(str(name), levels, codes)
    return hierarchies


def _parse_testimony(
    raw: Any, source: str, questions: Mapping[str, Question]
) -> tuple[tuple[str, ...], Condition | None]:
    if raw is None:
        return (), None
    if not isinstance(raw, Mapping) or not set(raw) <= {"attributes", "concern_when"}:
        raise InstrumentError(source, None, "testimony takes 'attributes' and 'concern_when'")
    attributes = tuple(raw.get("attributes", []))
    for question_id in attributes:
        question = questions.get(question_id)
        if question is None or question.is_free_text:
            raise InstrumentError(source, question_id, "testimony attributes must be closed questions of this file")
    concern_when = None
    if "concern_when" in raw:
        routing = _parse_routing({"all": [raw["concern_when"]]}, source, "testimony.concern_when", questions)
        concern_when = routing.conditions[0]
    return attributes, concern_when


def parse_instrument(data: Any, source: str) -> Instrument:
    """Build and check an instrument from plain data; raises InstrumentError naming what is wrong."""
    if not isinstance(data, Mapping):
        raise InstrumentError(source, None, "the file must be a YAML mapping")
    instrument_id = _require(data, "id", str, source, None)
    version = _require(data, "version", str, source, None)
    title = _require(data, "title", str, source, None)
    minutes = _require(data, "minutes", int, source, None)
    raw_pages = _require(data, "pages", list, source, None)
    hierarchies = _parse_hierarchies(data.get("hierarchies"), source)
    seen: dict[str, Question] = {}
    page_ids: set[str] = set()
    pages = []
    for raw_page in raw_pages:
        if not isinstance(raw_page, Mapping):
            raise InstrumentError(source, None, "each page must be a mapping")
        page_id = _require(raw_page, "id", str, source, None)
        if page_id in page_ids:
            raise InstrumentError(source, None, f"page id {page_id!r} is used twice")
        page_ids.add(page_id)
        raw_questions = _require(raw_page, "questions", list, source, None)
        if not raw_questions:
            raise InstrumentError(source, None, f"page {page_id!r} has no questions")
        earlier = dict(seen)
        questions = []
        for raw_question in raw_questions:
            question = _parse_question(raw_question, source, earlier)
            if question.id in seen:
                raise InstrumentError(source, question.id, "the id is used twice")
            if question.quasi_identifier is not None:
                hierarchy = hierarchies.get(question.quasi_identifier)
                if hierarchy is None:
                    raise InstrumentError(
                        source, question.id, f"quasi_identifier names an undeclared hierarchy {question.quasi_identifier!r}"
                    )
                unmapped = question.codes - set(hierarchy.codes)
                if unmapped:
                    raise InstrumentError(
                        source, question.id, f"hierarchy {hierarchy.name!r} does not map codes {sorted(unmapped)}"
                    )
            seen[question.id] = question
            questions.append(question)
        pages.append(
            Page(
                id=page_id,
                title=_require(raw_page, "title", str, source, None),
                questions=tuple(questions),
                intro=raw_page.get("intro"),
            )
        )
    testimony_attributes, concern_when = _parse_testimony(data.get("testimony"), source, seen)
    return Instrument(
        id=instrument_id,
        version=version,
        title=title,
        minutes=minutes,
        pages=tuple(pages),
        intro=data.get("intro"),
        hierarchies=hierarchies,
        testimony_attributes=testimony_attributes,
        concern_when=concern_when,
        definition=_deep_copy(data),
    )


def instrument_names(folder: Path | None = None) -> list[str]:
    return sorted(path.stem for path in (folder or INSTRUMENTS_FOLDER).glob("*.yaml"))


def load_instrument(name: str, folder: Path | None = None) -> Instrument:
    path = (folder or INSTRUMENTS_FOLDER) / f"{name}.yaml"
    try:
        data = yaml.safe_load(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise InstrumentError(str(path), None, f"no instrument called {name!r}") from None
    except yaml.YAMLError as error:
        raise InstrumentError(str(path), None, f"not valid YAML: {error}") from None
    instrument = parse_instrument(data, str(path))
    if instrument.id != name:
        raise InstrumentError(str(path), None, f"id {instrument.id!r} does not match the file name")
    return instrument


def load_all(folder: Path | None = None) -> dict[str, Instrument]:
    """Load every instrument; the first malformed file stops start-up with its InstrumentError."""
    return {name: load_instrument(name, folder) for name in instrument_names(folder)}
