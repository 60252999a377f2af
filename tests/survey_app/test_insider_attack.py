"""The insider: every key the worker holds, and byte copies of the database's files and WAL.

Deleting mixed inbox rows is not a defence: SQLite keeps them in its `-wal` file, PostgreSQL in heap
pages until VACUUM and in `pg_wal`. The only defence is that no key anyone still holds opens them
(survey_app/epochs.py). This test plays that insider after responses have been mixed: 40 survey
responses whose closed answers (`q35` = i) and text (`marker-i-`) say which respondent they belong
to, sent with visit tokens (one sent twice), submitted in three rounds so that some wait and are
re-sealed, plus 11 urgent concerns shared with the FTSU guardian (sealed under the case key by the
web process, in the same transaction as their inbox row). It then scans every byte of the files for
sealed records, trying every key in the worker's key store and every case key, and counts what it
recovers. A positive control, one response still waiting in the inbox (which the worker must be
able to open), shows the scan finds whatever a held key opens.

The same file runs against older code unchanged (it uses the CLI, the key store's files and the
database's files only), which is how the "before" figures in the issue's closing note were taken.
"""

from __future__ import annotations

import random
from pathlib import Path

import pytest
from click.testing import CliRunner
from sqlalchemy import select
from sqlalchemy.engine import make_url

from survey_app.cli import main
from survey_app.config import Settings
from survey_app.ftsu import intake as ftsu_intake
from survey_app.inbox import submit_response
from survey_app.keys import organisation_case_key, read_secret_file
from survey_app.storage.database import engine_for
from survey_app.storage.models import Organisation
from survey_app.waves import find_published_wave
from tests.survey_app import forensics
from tests.survey_app.helpers import count_rows, open_test_wave

MARKED = 40
PENDING = 41  # the positive control: still in the inbox when the insider strikes


def _bank_answers(i: int, _rng: random.Random) -> dict:
    # The same answers for the same i: a visit that sends twice sends the same response (a repeat).
    rng = random.Random(i)
    return {"q35": i, "tw_comments": f"marker-{i}- " + " ".join(rng.choice(["shift", "ward", "rota"]) for _ in range(12))}


def _token(i: int) -> str:
    return f"insider-visit-{i:04d}-abcdefgh"


def _submit_bank(engine, slug: str, numbers: list[int], rng: random.Random) -> None:  # type: ignore[no-untyped-def]
    with engine.begin() as connection:
        wave = find_published_wave(connection, slug)
        assert wave is not None
        for i in numbers:
            assert submit_response(connection, wave, _bank_answers(i, rng), submission=_token(i))


def _submit_urgent_concerns(engine, slug: str, case_secret: bytes, count: int) -> None:  # type: ignore[no-untyped-def]
    with engine.connect() as connection:
        wave = find_published_wave(connection, slug)
    assert wave is not None
    for i in range(count):
        answers = {"what_happened": f"voice-{i} on the night shift", "consent_quote": 2, "consent_share": 1, "urgent": 1}
        token = _token(1000 + i)
        receipt = ftsu_intake.receipt_for(wave, answers, case_secret, token)
        assert ftsu_intake.store(engine, wave, answers, case_secret, receipt, token)


def _cli(*args: str) -> None:
    result = CliRunner().invoke(main, list(args), catch_exceptions=False)
    assert result.exit_code == 0, result.output


def test_an_insider_with_every_key_and_every_byte_recovers_no_mixed_response(
    settings: Settings, cli_env: dict, capsys: pytest.CaptureFixture[str]
) -> None:
    engine = engine_for(settings.database_url)
    postgres = engine.dialect.name == "postgresql"
    first_segment = forensics.wal_position(engine) if postgres else ""
    bank = open_test_wave(settings, "bank-temporary-workers", "insider-bank")
    voices = open_test_wave(settings, "lived-experience", "insider-voices")
    case_secret = read_secret_file(settings.case_key_file, "SURVEY_CASE_KEY_FILE")
    rng = random.Random(14)

    # Round 1: 25 responses (one visit sends its response twice) and 11 urgent concerns, mixed.
    _submit_bank(engine, bank, [*range(1, 26), 3], rng)
    _submit_urgent_concerns(engine, voices, case_secret, 11)
    _cli("mix")
    _cli("ftsu", "drop")
    # Round 2: 8 responses, too few for a batch: they wait. Round 3: 7 more, and all 15 are mixed.
    _submit_bank(engine, bank, list(range(26, 34)), rng)
    _cli("mix")
    _submit_bank(engine, bank, list(range(34, MARKED + 1)), rng)
    _cli("mix")
    assert count_rows(engine, "inbox") == 0
    assert count_rows(engine, "closed_answer_part") == MARKED
    _submit_bank(engine, bank, [PENDING], rng)

    # The insider: every key the worker holds now, and the bytes of every file the database wrote.
    held = forensics.keys_in_store(read_secret_file(settings.key_file, "kek"), settings.key_file.parent / "wave-keys")
    with engine.connect() as connection:
        organisations = connection.execute(select(Organisation.id)).scalars().all()
    symmetric = held.symmetric_keys + [organisation_case_key(case_secret, o) for o in organisations]
    if postgres:
        copies = {"pg_wal": forensics.postgres_wal_bytes(engine, first_segment), "relation files": forensics.postgres_relation_bytes(engine)}
    else:
        copies = {"database, -wal and -shm": forensics.sqlite_bytes(Path(make_url(settings.database_url).database or ""))}

    figures = []
    whole: set[int] = set()
    pairs = 0
    tokens = 0
    pending_found = False
    for where, blob in copies.items():
        opened = forensics.open_sealed_boxes(blob, held.private_keys) + forensics.open_symmetric_records(blob, symmetric)
        for plaintext in opened:
            closed, texts = forensics.markers(plaintext)
            if PENDING in closed and PENDING in texts:
                pending_found = True
                continue
            whole |= closed & texts
            pairs += bool(closed and texts)
            tokens += any(_token(i).encode() in plaintext for i in [*range(1, MARKED + 1), *range(1000, 1011)])
        figures.append(f"{where}: {len(blob):,} bytes, {len(opened)} sealed records opened")
    with capsys.disabled():
        print(
            f"\ninsider attack on {engine.dialect.name}: {'; '.join(figures)}; {len(held.private_keys)} inbox keys and "
            f"{len(symmetric)} symmetric keys held; whole responses recovered {len(whole)} of {MARKED}; "
            f"closed-answer/text pairs {pairs}; records carrying a visit token {tokens}; "
            f"positive control (a waiting response) found: {pending_found}"
        )
    assert pending_found, "the scan must find a response that a held key opens"
    assert whole == set() and pairs == 0
    # The mixer's token table joins nothing: no record anyone can open carries a token.
    assert tokens == 0
