"""The mixer: full batches only, parts that cannot be paired, inbox emptied, nothing readable left."""

from __future__ import annotations

import hashlib
import json
import random
import subprocess
from pathlib import Path

import pytest
from sqlalchemy import Engine, text
from sqlalchemy.engine import make_url

from questionnaires import load_instrument
from survey_app.closed_parts import ClosedPartLayout
from survey_app.config import Settings
from survey_app.inbox import submit_response
from survey_app.keys import WaveKeyStore, organisation_case_key, read_secret_file
from survey_app.mixer import open_testimony_parts, part_context
from survey_app.release import retire_wave
from survey_app.sealing import open_with_key
from survey_app.storage.database import engine_for
from survey_app.submissions import repeat_hash
from survey_app.waves import find_published_wave, find_wave, wave_instrument
from tests.survey_app.helpers import (
    count_rows,
    mix_now,
    open_test_wave,
    opened_closed_answers,
    random_answers,
)

SENTINEL = "Zebra-Quartz-7731 the sister on Ward Nine"


def _submit(engine: Engine, slug: str, answers_list: list[dict]) -> None:
    with engine.begin() as connection:
        wave = find_published_wave(connection, slug)
        assert wave is not None
        for answers in answers_list:
            assert submit_response(connection, wave, answers)


def _mix(settings: Settings, slug: str, batch: int = 11):  # type: ignore[no-untyped-def]
    engine = engine_for(settings.database_url)
    with engine.connect() as connection:
        wave = find_wave(connection, slug)
    assert wave is not None
    report = mix_now(settings, wave.id, batch)
    return wave.id, WaveKeyStore(settings.key_file).load(wave.id), report


def _marked_bank_responses(count: int) -> list[dict]:
    """Response i answers q35 with code i and writes 'marker i' in its comment, so pairs are known."""
    instrument = load_instrument("bank-temporary-workers").with_organisations([])
    rng = random.Random(7)
    responses = []
    for i in range(count):
        answers = random_answers(instrument, rng)
        answers["q35"] = i + 1
        answers["tw_comments"] = f"marker {i + 1} " + "words " * rng.randint(0, 300)
        responses.append(answers)
    return responses


def test_nothing_is_mixed_until_a_full_batch_waits(settings: Settings) -> None:
    slug = open_test_wave(settings, "nhs-staff-survey")
    engine = engine_for(settings.database_url)
    instrument = load_instrument("nhs-staff-survey")
    rng = random.Random(3)
    _submit(engine, slug, [random_answers(instrument, rng) for _ in range(10)])
    _, _, report = _mix(settings, slug)
    assert report.responses_mixed == 0
    assert report.waiting_in_inbox == 10
    assert count_rows(engine, "closed_answer_part") == 0
    _submit(engine, slug, [random_answers(instrument, rng)])
    _, _, report = _mix(settings, slug)
    assert report.responses_mixed == 11
    assert count_rows(engine, "inbox") == 0
    assert count_rows(engine, "closed_answer_part") == 11


def test_parts_reproduce_the_answers_and_nothing_else(settings: Settings) -> None:
    slug = open_test_wave(settings, "bank-temporary-workers")
    engine = engine_for(settings.database_url)
    responses = _marked_bank_responses(12)
    _submit(engine, slug, responses)
    wave_id, keys, report = _mix(settings, slug)
    assert report.parts == {"closed_answers": 12, "testimony": 12, "concern": 0}
    with engine.connect() as connection:
        closed = opened_closed_answers(connection, wave_id, keys)
        testimonies = open_testimony_parts(connection, wave_id, keys)
    expected_closed = sorted(
        (json.dumps({k: v for k, v in r.items() if k != "tw_comments"}, sort_keys=True) for r in responses)
    )
    assert sorted(json.dumps(c, sort_keys=True) for c in closed) == expected_closed
    assert all("tw_comments" not in c for c in closed)
    assert sorted(t["texts"]["tw_comments"] for t in testimonies) == sorted(r["tw_comments"] for r in responses)
    # A testimony carries its text and nothing of the closed answers.
    assert all(set(t) == {"texts", "attributes"} and t["attributes"] == {} for t in testimonies)


def test_a_shared_concern_is_sealed_under_the_case_key_only(settings: Settings) -> None:
    slug = open_test_wave(settings, "lived-experience")
    engine = engine_for(settings.database_url)
    responses = [
        {"what_happened": f"story {i}", "consent_quote": 2, "consent_share": 1 if i < 4 else 2}
        for i in range(11)
    ]
    _submit(engine, slug, responses)
    wave_id, keys, report = _mix(settings, slug)
    assert report.parts == {"closed_answers": 0, "testimony": 11, "concern": 4}
    with engine.connect() as connection:
        rows = connection.execute(text("SELECT organisation_id, sealed FROM concern_part")).all()
    case_key = organisation_case_key(read_secret_file(settings.case_key_file, "x"), rows[0].organisation_id)
    stories = sorted(
        json.loads(open_with_key(case_key, bytes(row.sealed), part_context("concern", wave_id)))["texts"]["what_happened"]
        for row in rows
    )
    assert stories == ["story 0", "story 1", "story 2", "story 3"]
    with pytest.raises(Exception):
        open_with_key(keys.data_key, bytes(rows[0].sealed), part_context("concern", wave_id))


def _physical_order(engine: Engine, table: str) -> list[bytes]:
    """Rows in the order the storage engine keeps them: rowid on SQLite, ctid on PostgreSQL."""
    with engine.connect() as connection:
        if engine.dialect.name == "sqlite":
            # WITHOUT ROWID tables are stored in primary-key order; a plain scan returns that order.
            rows = connection.execute(text(f"SELECT sealed FROM {table}")).scalars()
        else:
            rows = connection.execute(text(f"SELECT sealed FROM {table} ORDER BY ctid")).scalars()
        return [bytes(row) for row in rows]


def _by_id(engine: Engine, table: str) -> list[bytes]:
    with engine.connect() as connection:
        return [bytes(r) for r in connection.execute(text(f"SELECT sealed FROM {table} ORDER BY id")).scalars()]


def test_no_stored_property_pairs_a_testimony_with_its_closed_answers(settings: Settings) -> None:
    slug = open_test_wave(settings, "bank-temporary-workers")
    engine = engine_for(settings.database_url)
    count = 40
    _submit(engine, slug, _marked_bank_responses(count))
    wave_id, keys, _ = _mix(settings, slug)

    with engine.connect() as connection:
        layout = ClosedPartLayout.of(wave_instrument(connection, wave_id))

    def marker_of_closed(sealed: bytes) -> int:
        plaintext = open_with_key(keys.data_key, sealed, part_context("closed_answers", wave_id))
        return layout.answers(layout.records([plaintext]))[0]["q35"]

    def marker_of_testimony(sealed: bytes) -> int:
        document = json.loads(open_with_key(keys.data_key, sealed, part_context("testimony", wave_id)))
        return int(document["texts"]["tw_comments"].split()[1])

    for ordering in (_physical_order, _by_id):
        closed = [marker_of_closed(s) for s in ordering(engine, "closed_answer_part")]
        testimonies = [marker_of_testimony(s) for s in ordering(engine, "testimony_part")]
        # Pairing the i-th closed part with the i-th testimony: a random shuffle gets about 1 in 40
        # right by chance; 8 or more right happens with probability below 1e-5.
        paired = sum(a == b for a, b in zip(closed, testimonies))
        assert paired < 8, f"{ordering.__name__} pairs {paired} of {count}"

    # Ciphertext length: every closed-answer part has one size, so no length can match a testimony's.
    lengths = {len(s) for s in _by_id(engine, "closed_answer_part")}
    assert len(lengths) == 1

    if engine.dialect.name == "postgresql":
        with engine.connect() as connection:
            transactions = connection.execute(
                text("SELECT count(DISTINCT xmin::text) FROM closed_answer_part UNION ALL "
                     "SELECT count(DISTINCT xmin::text) FROM testimony_part")
            ).scalars().all()
        # All parts of a batch are written by one transaction: its id orders nothing within the batch.
        assert transactions == [1, 1]


def _visit_token(i: int) -> str:
    return f"visit-token-{i:04d}-abcdefghijkl"


def _submit_with_tokens(engine: Engine, slug: str, sent: list[tuple[dict, str | None]]) -> None:
    with engine.begin() as connection:
        wave = find_published_wave(connection, slug)
        assert wave is not None
        for answers, token in sent:
            assert submit_response(connection, wave, answers, submission=token)


def test_a_response_sent_twice_from_one_visit_is_kept_once(settings: Settings) -> None:
    slug = open_test_wave(settings, "bank-temporary-workers")
    engine = engine_for(settings.database_url)
    responses = _marked_bank_responses(40)
    # Twelve visits; visit 3 pressed Submit twice. Visits 10 and 11 gave the same answers (two people).
    responses[11] = dict(responses[10])
    sent = [(responses[i], _visit_token(i)) for i in range(12)] + [(responses[3], _visit_token(3))]
    _submit_with_tokens(engine, slug, sent)
    wave_id, keys, report = _mix(settings, slug)
    assert (report.responses_mixed, report.duplicates_dropped, report.waiting_in_inbox) == (12, 1, 0)
    assert report.parts["closed_answers"] == 12 and report.parts["testimony"] == 12
    with engine.connect() as connection:
        markers = sorted(answers["q35"] for answers in opened_closed_answers(connection, wave_id, keys))
    assert markers == sorted([*range(1, 11), 11, 11])  # 11 twice: the same answers from two visits stay

    # Visit 3 reloads its thank-you page days later, among ten new responses: too few different
    # responses for a batch, so only the repeat goes and the ten wait.
    _submit_with_tokens(engine, slug, [(responses[3], _visit_token(3))] + [(responses[i], _visit_token(i)) for i in range(12, 22)])
    _, _, report = _mix(settings, slug)
    assert (report.responses_mixed, report.duplicates_dropped, report.waiting_in_inbox) == (0, 1, 10)
    # A response without a token (an import, an old form) is never merged with anything.
    _submit_with_tokens(engine, slug, [(responses[22], None)])
    _, _, report = _mix(settings, slug)
    assert (report.responses_mixed, report.duplicates_dropped, report.waiting_in_inbox) == (11, 0, 0)
    assert count_rows(engine, "closed_answer_part") == 23


def test_a_token_sent_with_other_answers_drops_no_one(settings: Settings) -> None:
    """Someone who knows (or planted) a visit's token and sends their own answers with it, in the same
    batch or a later one, makes no one's response disappear: only the same token *and* the same
    answers are a repeat."""
    slug = open_test_wave(settings, "bank-temporary-workers")
    engine = engine_for(settings.database_url)
    responses = _marked_bank_responses(22)
    shared = _visit_token(0)
    _submit_with_tokens(engine, slug, [(responses[0], shared), (responses[1], shared)] + [(responses[i], _visit_token(i)) for i in range(2, 11)])
    wave_id, keys, report = _mix(settings, slug)
    assert (report.responses_mixed, report.duplicates_dropped) == (11, 0)
    _submit_with_tokens(engine, slug, [(responses[11], shared)] + [(responses[i], _visit_token(i)) for i in range(12, 22)])
    _, _, report = _mix(settings, slug)
    assert (report.responses_mixed, report.duplicates_dropped) == (11, 0)
    with engine.connect() as connection:
        markers = sorted(answers["q35"] for answers in opened_closed_answers(connection, wave_id, keys))
    assert markers == list(range(1, 23))


def test_mixed_tokens_are_kept_only_as_keyed_hashes_and_go_with_the_wave(settings: Settings) -> None:
    slug = open_test_wave(settings, "bank-temporary-workers")
    engine = engine_for(settings.database_url)
    responses = _marked_bank_responses(11)
    _submit_with_tokens(engine, slug, [(answers, _visit_token(i)) for i, answers in enumerate(responses)])
    wave_id, keys, _ = _mix(settings, slug)
    with engine.connect() as connection:
        stored = {bytes(h) for h in connection.execute(text("SELECT token_hash FROM mixed_submission")).scalars()}
    assert stored == {repeat_hash(keys.data_key, _visit_token(i), answers) for i, answers in enumerate(responses)}
    assert not stored & {hashlib.sha256(_visit_token(i).encode()).digest()[:16] for i in range(11)}
    retire_wave(engine, wave_id, WaveKeyStore(settings.key_file), settings)
    assert count_rows(engine, "mixed_submission") == 0


def test_respondent_tables_hold_no_date_address_or_sequence(settings: Settings) -> None:
    engine = engine_for(settings.database_url)
    with engine.connect() as connection:
        for table in ("inbox", "closed_answer_part", "testimony_part", "concern_part", "mixed_submission"):
            if engine.dialect.name == "sqlite":
                columns = {row[1] for row in connection.execute(text(f"PRAGMA table_info({table})"))}
                create = connection.execute(
                    text("SELECT sql FROM sqlite_master WHERE name = :t"), {"t": table}
                ).scalar_one()
                assert "WITHOUT ROWID" in create, table
            else:
                columns = set(
                    connection.execute(
                        text("SELECT column_name FROM information_schema.columns WHERE table_name = :t"), {"t": table}
                    ).scalars()
                )
            # epoch_id: the inbox key a row is sealed to, a random id like the rest (survey_app/epochs.py).
            assert columns <= {"id", "wave_id", "epoch_id", "organisation_id", "sealed", "token_hash"}, (table, columns)


def _database_bytes(settings: Settings, tmp_path: Path) -> bytes:
    url = make_url(settings.database_url)
    if url.drivername.startswith("sqlite"):
        engine_for(settings.database_url).dispose()
        path = Path(url.database or "")
        return b"".join(p.read_bytes() for p in path.parent.glob(path.name + "*"))
    dump = tmp_path / "dump.sql"
    subprocess.run(
        ["pg_dump", "--no-owner", "-h", url.host or "127.0.0.1", "-U", url.username or "postgres",
         "-p", str(url.port or 5432), "-f", str(dump), url.database or ""],
        check=True,
    )
    return dump.read_bytes()


def test_a_sentinel_sentence_never_reaches_the_database_in_plaintext(
    settings: Settings, tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level("DEBUG")
    slug = open_test_wave(settings, "lived-experience")
    engine = engine_for(settings.database_url)
    responses = [
        {"what_happened": f"{SENTINEL} {i}", "consent_quote": 1, "consent_share": 1, "urgent": 2}
        for i in range(11)
    ]
    _submit(engine, slug, responses)
    assert SENTINEL.encode() not in _database_bytes(settings, tmp_path)
    _mix(settings, slug)
    assert count_rows(engine, "inbox") == 0
    stored = _database_bytes(settings, tmp_path)
    assert SENTINEL.encode() not in stored
    assert "Zebra-Quartz".encode("utf-16-le") not in stored
    assert SENTINEL not in caplog.text
