"""The learned name tagger (analysis/redaction/tagger.py) and its training (analysis/redaction_training/):
names with no cue from many cultures, names kept as written, what stays, a reproducible model file."""

from __future__ import annotations

import ast
from importlib import resources
from pathlib import Path

import pytest

from analysis.redaction import redact, tagger
from analysis.redaction_training import generate, train


def tagged(text: str) -> str:
    return redact(text, names=("tagger",)).text


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        # no title, no cue word, names the rules' lists lack or that look like nothing else
        ("Chinonso covered my shift again.", "[NAME] covered my shift again."),
        ("Nguyen said nothing in the meeting.", "[NAME] said nothing in the meeting."),
        ("Thanks to Chidinma I stayed.", "Thanks to [NAME] I stayed."),
        ("Juniper told me to leave.", "[NAME] told me to leave."),
        ("Heaven from the bank office never replies.", "[NAME] from the bank office never replies."),
        # diacritics as written, hyphens, apostrophes, initials
        ("I asked Sinéad for help.", "I asked [NAME] for help."),
        ("Jean-Baptiste is the only one who helps.", "[NAME] is the only one who helps."),
        ("Then O'Connor came in.", "Then [NAME] came in."),
        ("B. Okafor signed the form.", "[NAME] signed the form."),
        # a surname that is also a word, after a title
        ("Mr Green ignored me.", "Mr [NAME] ignored me."),
    ],
)
def test_tagger_finds_names_without_a_rule(text, expected):
    assert tagged(text) == expected
    assert redact(text).text == expected


@pytest.mark.parametrize(
    "text",
    [
        "The green room is where we sit.",
        "Mark the notes in red.",
        "Hope is all we have.",
        "Tea and biscuits were left out.",
        "Good food and friendly staff.",
        "Can't fault the care.",
        "We use Datix and WhatsApp for everything.",
        "I travel from Croydon and my friend from Kraków.",
        "The Nigerian and Filipino nurses were sent home.",
        "GPhC and HCPC rules apply.",
    ],
)
def test_words_that_are_no_names_stay(text):
    assert tagged(text) == text


def test_the_two_parts_together_find_more_than_either():
    texts = [
        "Chinonso covered my shift.",  # the tagger alone
        "My name is Lwazi.",  # the rules' cue
        "Dr Okafor and Zofia were there.",
    ]
    found = {part: sum(t.count("[NAME]") for t in (redact(x, names=part).text for x in texts)) for part in (("rules",), ("tagger",))}
    both = sum(redact(x).text.count("[NAME]") for x in texts)
    assert both == 4
    assert both > found[("rules",)] and both >= found[("tagger",)]


def test_model_is_small_package_data():
    path = resources.files("analysis.redaction").joinpath("data", tagger.MODEL_FILE)
    assert path.is_file()
    assert path.stat().st_size < 1_000_000  # type: ignore[attr-defined]


def test_training_is_reproducible(tmp_path: Path):
    first, second = tmp_path / "a.crfsuite", tmp_path / "b.crfsuite"
    train.build(first, seed=7, count=150)
    train.build(second, seed=7, count=150)
    assert first.read_bytes() == second.read_bytes()
    train.build(tmp_path / "c.crfsuite", seed=8, count=150)
    assert (tmp_path / "c.crfsuite").read_bytes() != first.read_bytes()


def test_generated_labels_cover_the_names():
    examples = generate.Generator(3).examples(50)
    assert any(e.spans for e in examples) and any(not e.spans for e in examples)
    for example in examples:
        tokens = tagger.tokenise(example.text)
        labels = train.labels(example, tokens)
        inside = {i for i, (s, e, _) in enumerate(tokens) if any(a <= s and e <= b for a, b in example.spans)}
        assert {i for i, label in enumerate(labels) if label != "O"} == inside
        for s, e in example.spans:
            assert example.text[s:e].strip() == example.text[s:e]


def test_redaction_package_imports_nothing_of_the_web_or_database():
    root = Path(tagger.__file__).resolve().parent
    for path in [*root.glob("*.py"), *(root.parent / "redaction_training").glob("*.py")]:
        tree = ast.parse(path.read_text(encoding="utf-8"))
        for node in ast.walk(tree):
            names = [a.name for a in node.names] if isinstance(node, ast.Import) else [node.module or ""] if isinstance(node, ast.ImportFrom) else []
            for name in names:
                assert not name.split(".")[0] in {"survey_app", "litestar", "sqlalchemy", "sqlmodel", "psycopg"}, (path, name)
