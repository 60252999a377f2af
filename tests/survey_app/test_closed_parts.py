"""Closed-answer records: what a response's closed answers become, and how the release reads them back."""

from __future__ import annotations

import json
import random

import numpy as np
import pytest
from sqlalchemy import text, update

from analysis.tables import Column
from questionnaires import Instrument, load_instrument
from survey_app.breakdowns import build_breakdowns
from survey_app.closed_parts import (
    JSON_FORMAT,
    ClosedPartError,
    ClosedPartLayout,
    legacy_json_part,
    legacy_json_part_size,
)
from survey_app.config import Settings
from survey_app.inbox import submit_response
from survey_app.keys import WaveKeyStore
from survey_app.mixer import part_context
from survey_app.release import release_wave
from survey_app.sealing import open_with_key
from survey_app.storage.database import alembic_config, engine_for
from survey_app.storage.models import Wave
from survey_app.waves import find_published_wave, find_wave
from tests.survey_app.helpers import (
    mix_now,
    open_test_wave,
    opened_closed_answers,
    random_answers,
)

INSTRUMENT = load_instrument("bank-temporary-workers").with_organisations(["North Trust", "South Trust"])


def _responses(count: int, seed: int = 11, instrument: Instrument = INSTRUMENT) -> list[dict]:
    rng = random.Random(seed)
    return [{k: v for k, v in random_answers(instrument, rng).items() if k != "tw_comments"} for _ in range(count)]


def test_records_give_back_every_answer_and_the_columns_the_answers_make() -> None:
    layout = ClosedPartLayout.of(INSTRUMENT)
    responses = _responses(300)
    records = layout.records(layout.encode(answers) for answers in responses)
    assert len(records) == 300
    assert layout.answers(records) == responses
    for question_id, column in layout.columns(records).items():
        question = INSTRUMENT.questions[question_id]
        codes = [o.code for o in question.options]
        values = [a.get(question_id) for a in responses]
        expected = (
            Column.multiple(question_id, codes, values)
            if question.type == "multiple"
            else Column.single(question_id, codes, values)
        )
        assert column.codes == expected.codes and np.array_equal(column.chosen, expected.chosen), question_id


def test_every_record_of_a_wave_has_one_length_however_much_was_answered() -> None:
    layout = ClosedPartLayout.of(INSTRUMENT)
    everything = {
        q.id: sorted(q.codes - set(q.exclusive)) if q.type == "multiple" else max(q.codes)
        for q in layout.questions
    }
    lengths = {len(layout.encode(answers)) for answers in [{}, {"q28": 1}, everything, *_responses(50)]}
    assert lengths == {layout.record_size}
    assert layout.padded_size >= layout.record_size + 4


@pytest.mark.parametrize(
    "answers",
    [{"q14a": 99}, {"q14a": True}, {"q14a": "1"}, {"q14a": 1.0}, {"q16c": [1, 99]}, {"tw_comments": "words"}, {"nope": 1}],
)
def test_an_answer_that_is_not_a_closed_answer_code_is_refused(answers: dict) -> None:
    with pytest.raises(ClosedPartError):
        ClosedPartLayout.of(INSTRUMENT).encode(answers)


def test_a_part_that_does_not_fit_the_layout_is_refused_not_misread() -> None:
    layout = ClosedPartLayout.of(INSTRUMENT)
    record = layout.encode(_responses(1)[0])
    for damaged in (record[:-1], record + b"\x00", b"\x07" + record[1:]):
        with pytest.raises(ClosedPartError):
            layout.records([damaged])
    offset = layout.dtype.fields["q14a"][1]
    for stored in (len(INSTRUMENT.questions["q14a"].options) + 1, 30_000, 32_768, 60_000, 65_535):
        too_high = bytearray(record)
        too_high[offset : offset + 2] = stored.to_bytes(2, "little")
        with pytest.raises(ClosedPartError):
            layout.columns(layout.records([bytes(too_high)]))


def test_json_parts_of_waves_opened_before_records_read_as_the_same_records() -> None:
    layout = ClosedPartLayout.of(INSTRUMENT)
    responses = _responses(40)
    from_json = layout.records(legacy_json_part(answers) for answers in responses)
    assert np.array_equal(from_json, layout.records(layout.encode(answers) for answers in responses))


def test_breakdowns_come_from_the_columns_and_a_question_nobody_could_answer_is_not_stated() -> None:
    layout = ClosedPartLayout.of(INSTRUMENT)
    responses = _responses(200)
    responses[20]["q28"] = 3
    columns = layout.columns(layout.records(layout.encode(a) for a in responses))
    breakdowns, relations = build_breakdowns(INSTRUMENT, columns, 200, (1, 2, 3, 4))
    assert [b.name for b in breakdowns] == [
        "ethnic_category", "ethnic_heading", "bme_white", "worker_type", "occupation_heading", "organisation",
        "ethnic_heading_x_worker_type",
    ]
    category = breakdowns[0]
    assert category.groups[category.membership[20]] == "White - Gypsy or Irish Traveller"
    assert relations
    without_organisation = {k: v for k, v in columns.items() if k != "main_organisation"}
    organisation = build_breakdowns(INSTRUMENT, without_organisation, 200, (1, 2, 3, 4))[0][5]
    assert {organisation.groups[g] for g in organisation.membership} == {"Not stated"}


def test_a_wave_opened_before_records_keeps_sealing_json_and_still_releases(settings: Settings) -> None:
    slug = open_test_wave(settings, "bank-temporary-workers")
    engine = engine_for(settings.database_url)
    with engine.begin() as connection:
        connection.execute(update(Wave).where(Wave.slug == slug).values(closed_part_format=JSON_FORMAT))
        wave = find_published_wave(connection, slug)
        assert wave is not None
        responses = _responses(24, seed=5, instrument=wave.instrument)
        for answers in responses:
            assert submit_response(connection, wave, answers)
    with engine.connect() as connection:
        summary = find_wave(connection, slug)
    assert summary is not None
    keys = WaveKeyStore(settings.key_file).load(summary.id)
    mix_now(settings, summary.id, 11)
    with engine.connect() as connection:
        sealed = [bytes(s) for s in connection.execute(text("SELECT sealed FROM closed_answer_part")).scalars()]
        opened = opened_closed_answers(connection, summary.id, keys)
    plaintexts = [open_with_key(keys.data_key, s, part_context("closed_answers", summary.id)) for s in sealed]
    assert all(json.loads(p)["answers"] for p in plaintexts)
    assert {len(s) for s in sealed} == {legacy_json_part_size(wave.instrument) + 28}
    assert sorted(map(json.dumps, opened)) == sorted(map(json.dumps, responses))
    report = release_wave(engine, summary.id, keys, settings)
    assert report.responses == 24


def test_waves_that_existed_before_the_format_column_are_json_waves(tmp_path) -> None:  # type: ignore[no-untyped-def]
    from alembic import command

    url = f"sqlite:///{tmp_path / 'old.db'}"
    config = alembic_config(url)
    command.upgrade(config, "0007")
    engine = engine_for(url)
    with engine.begin() as connection:
        connection.execute(
            text(
                "INSERT INTO organisation (id, name, slug, is_demo) VALUES ('o1', 'Old Trust', 'old', 0)"
            )
        )
        connection.execute(
            text(
                "INSERT INTO wave (id, slug, organisation_id, instrument_id, instrument_version, definition, status,"
                " allow_import, public_key, opened_on, keys_destroyed)"
                " VALUES ('w1', 'old-wave', 'o1', 'nhs-staff-survey', '1', '{}', 'open', 0, x'00', '2026-01-05', 0)"
            )
        )
    command.upgrade(config, "head")
    with engine.connect() as connection:
        assert connection.execute(text("SELECT closed_part_format FROM wave")).scalar_one() == JSON_FORMAT
    engine.dispose()
