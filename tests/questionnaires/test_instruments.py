"""Every shipped instrument loads and mirrors the national survey where it says it does."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
import yaml

from questionnaires import InstrumentError, instrument_names, load_all, load_instrument

from tests.conftest import SHARED

NATIONAL = SHARED / "reference" / "nss-2025-questionnaire.txt"


def test_every_instrument_loads() -> None:
    instruments = load_all()
    assert set(instruments) == {"nhs-staff-survey", "bank-temporary-workers", "lived-experience"}


@pytest.mark.parametrize("name", ["nhs-staff-survey", "bank-temporary-workers"])
def test_wres_items_keep_national_ids_and_codes(name: str) -> None:
    instrument = load_instrument(name)
    questions = instrument.questions
    for question_id in ("q14a", "q14b", "q14c", "q14d", "q13a", "q15", "q16a", "q16b", "q16c", "q21", "q28", "q35"):
        assert question_id in questions, question_id
    assert questions["q15"].codes == {1, 2, 9}
    assert questions["q16b"].codes == {1, 2}
    assert questions["q14a"].codes >= {1, 2, 3, 4, 5}
    assert questions["q28"].codes == set(range(1, 20)), "ethnicity keeps all 19 national codes"
    assert questions["q28"].quasi_identifier == "ethnicity"
    assert questions["q16c"].show_if is not None
    assert {c.question for c in questions["q16c"].show_if.conditions} == {"q16a", "q16b"}


def test_bank_instrument_repeats_the_core_items_word_for_word() -> None:
    core = load_instrument("nhs-staff-survey").questions
    bank = load_instrument("bank-temporary-workers").questions
    for question_id, question in core.items():
        assert bank[question_id] == question, question_id
    assert {"tw_worker_type", "tw_reasons", "tw_respect", "tw_induction", "tw_referred_regulator",
            "tw_blocked_shifts", "tw_risk_assessment", "main_organisation"} <= set(bank)
    reasons = [option.label for option in bank["tw_reasons"].options]
    assert any("excluded or treated unfairly in a permanent role" in label for label in reasons)


def test_ethnicity_wording_comes_from_the_national_questionnaire() -> None:
    if not NATIONAL.exists():
        pytest.skip(f"{NATIONAL} is absent")
    national = re.sub(r"\s+", " ", NATIONAL.read_text()).lower()
    q28 = load_instrument("nhs-staff-survey").question("q28")
    # Each option's last words (the specific group) appear in the national list.
    for option in q28.options:
        tail = option.label.split(" - ")[-1].lower().strip()
        assert tail.split()[0] in national, option.label


def test_no_please_specify_boxes() -> None:
    for name in instrument_names():
        for question in load_instrument(name).questions.values():
            assert "specify" not in question.text.lower()
            for option in question.options:
                assert "specify" not in option.label.lower(), (name, question.id, option.label)


def test_free_text_only_where_themes_need_it() -> None:
    assert [q.id for q in load_instrument("nhs-staff-survey").free_text_questions()] == []
    assert [q.id for q in load_instrument("bank-temporary-workers").free_text_questions()] == ["tw_comments"]
    lived = load_instrument("lived-experience")
    assert {q.id for q in lived.free_text_questions()} == {
        "what_happened", "how_it_affected_you", "what_would_have_helped"
    }
    assert lived.concern_when is not None
    for question in lived.free_text_questions():
        assert "names" in (question.hint or "").lower(), "the text box warns not to include names"


def _write(folder: Path, name: str, data: object) -> None:
    (folder / f"{name}.yaml").write_text(yaml.safe_dump(data))


def _minimal() -> dict:
    return {
        "id": "broken",
        "version": "1",
        "title": "Broken",
        "minutes": 1,
        "pages": [
            {"id": "p1", "title": "One", "questions": [
                {"id": "q1", "text": "A", "type": "single", "options": [{"code": 1, "label": "Yes"}]},
            ]},
            {"id": "p2", "title": "Two", "questions": [
                {"id": "q2", "text": "B", "type": "single", "options": [{"code": 1, "label": "Yes"}],
                 "show_if": {"any": [{"question": "q1", "in": [1]}]}},
            ]},
        ],
    }


@pytest.mark.parametrize(
    ("mutate", "question", "reason"),
    [
        (lambda d: d["pages"][0]["questions"][0]["options"].append({"code": 1, "label": "No"}), "q1", "used twice"),
        (lambda d: d["pages"][1]["questions"][0].update(show_if={"any": [{"question": "q9", "in": [1]}]}), "q2", "earlier page"),
        (lambda d: d["pages"][1]["questions"][0].update(show_if={"any": [{"question": "q1", "in": [7]}]}), "q2", "does not have"),
        (lambda d: d["pages"][0]["questions"][0].update(type="slider"), "q1", "type must be"),
        (lambda d: d["pages"][0]["questions"][0].update(quasi_identifier="age"), "q1", "undeclared hierarchy"),
        (lambda d: d["pages"][1]["questions"].append({"id": "q1", "text": "again", "type": "text"}), "q1", "used twice"),
    ],
)
def test_a_broken_instrument_names_file_question_and_reason(tmp_path: Path, mutate, question: str, reason: str) -> None:
    data = _minimal()
    mutate(data)
    _write(tmp_path, "broken", data)
    with pytest.raises(InstrumentError) as raised:
        load_all(tmp_path)
    assert raised.value.question == question
    assert reason in raised.value.reason
    assert "broken.yaml" in str(raised.value)


def test_invalid_yaml_names_the_file(tmp_path: Path) -> None:
    (tmp_path / "bad.yaml").write_text("id: bad\npages: [\n")
    with pytest.raises(InstrumentError, match="bad.yaml: not valid YAML"):
        load_all(tmp_path)


def test_a_broken_instrument_stops_the_app_starting(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    import questionnaires.instrument as instrument_module
    from survey_app.app import create_app
    from survey_app.config import Settings

    data = _minimal()
    data["pages"][1]["questions"][0]["show_if"] = {"any": [{"question": "nowhere", "in": [1]}]}
    _write(tmp_path, "broken", data)
    monkeypatch.setattr(instrument_module, "INSTRUMENTS_FOLDER", tmp_path)
    with pytest.raises(InstrumentError, match="question q2"):
        create_app(Settings(database_url=f"sqlite:///{tmp_path}/x.db", key_file=None, case_key_file=None))
