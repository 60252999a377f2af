"""Inbox epochs: rotation loses nothing under load, survives SIGKILL at every step, and adopts old waves."""

from __future__ import annotations

import base64
import json
import multiprocessing
import os
import signal
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import httpx
import pytest
from alembic import command
from sqlalchemy import func, inspect, select, text

from questionnaires import load_instrument
from survey_app import crashpoints
from survey_app.config import Settings
from survey_app.epochs import DESTROYED, RETIRED
from survey_app.inbox import inbox_context, submit_response
from survey_app.keys import WaveKeyStore, write_secret_file
from survey_app.sealing import (
    SealingError,
    generate_inbox_key_pair,
    generate_wave_keys,
    open_sealed_box,
    seal_to_public_key,
    seal_with_key,
)
from survey_app.storage.database import alembic_config, engine_for
from survey_app.storage.models import ClosedAnswerPart, InboxEpoch, InboxItem, Wave
from survey_app.waves import find_published_wave, find_wave
from tests.survey_app.helpers import (
    count_rows,
    inbox_documents,
    mix_now,
    open_test_wave,
)

BIN = Path(sys.executable).parent


def _answers(i: int) -> dict[str, Any]:
    return {"q35": i % 42 + 1, "tw_comments": f"response {i}"}


def _submit(settings: Settings, slug: str, numbers: range) -> None:
    with engine_for(settings.database_url).begin() as connection:
        wave = find_published_wave(connection, slug)
        assert wave is not None
        for i in numbers:
            assert submit_response(connection, wave, _answers(i))


def _wave_id(settings: Settings, slug: str) -> str:
    with engine_for(settings.database_url).connect() as connection:
        found = find_wave(connection, slug)
    assert found is not None
    return found.id


def _stored(settings: Settings, wave_ids: list[str]) -> int:
    """Responses kept: inbox rows (each must open with a key the store still has) plus mixed ones."""
    opened = sum(len(inbox_documents(settings, wave_id)) for wave_id in wave_ids)
    with engine_for(settings.database_url).connect() as connection:
        mixed = connection.execute(
            select(func.count()).select_from(ClosedAnswerPart).where(ClosedAnswerPart.wave_id.in_(wave_ids))
        ).scalar_one()
    return opened + mixed


def _epoch_files_left(settings: Settings, wave_id: str) -> set[str]:
    folder = settings.key_file.parent / "wave-keys"
    return {p.name.split(".")[1] for p in folder.glob(f"{wave_id}.*.inbox")}


def _epochs(settings: Settings, wave_id: str) -> dict[str, str]:
    with engine_for(settings.database_url).connect() as connection:
        return dict(connection.execute(select(InboxEpoch.id, InboxEpoch.state).where(InboxEpoch.wave_id == wave_id)).all())


def _killed_at(target: str, work: Callable[[], None]) -> bool:
    """Run `work` in a forked child that SIGKILLs itself at `target`; True if it was killed there."""

    def child() -> None:
        os.environ[crashpoints.VARIABLE] = target
        crashpoints._reached.clear()
        engine_for.cache_clear()  # the child's own connections, never the parent's
        work()

    process = multiprocessing.get_context("fork").Process(target=child)
    process.start()
    process.join(300)
    assert process.exitcode in (0, -signal.SIGKILL), f"the round failed: exit code {process.exitcode}"
    return process.exitcode == -signal.SIGKILL


def test_a_submission_sealed_to_a_retired_epoch_is_resealed_to_the_current_one(settings: Settings) -> None:
    slug = open_test_wave(settings, "bank-temporary-workers", "stale")
    wave_id = _wave_id(settings, slug)
    with engine_for(settings.database_url).connect() as connection:
        cached = find_published_wave(connection, slug)  # what a web process remembers
    assert cached is not None
    mix_now(settings, wave_id)  # the worker rotates: the cached epoch is retired and destroyed
    assert _epochs(settings, wave_id)[cached.epoch_id] == DESTROYED
    with engine_for(settings.database_url).begin() as connection:
        assert submit_response(connection, cached, _answers(1))
    with engine_for(settings.database_url).connect() as connection:
        epoch = connection.execute(text("SELECT epoch_id FROM inbox")).scalar_one()
    assert epoch != cached.epoch_id
    assert [d["answers"] for d in inbox_documents(settings, wave_id)] == [_answers(1)]


def test_no_response_is_lost_while_epochs_rotate_under_load(settings: Settings, tmp_path: Path) -> None:
    slug = open_test_wave(settings, "bank-temporary-workers", "busy")
    wave_id = _wave_id(settings, slug)
    port = _free_port()
    env = {k: v for k, v in os.environ.items() if k not in ("SURVEY_KEY_FILE", "DATABASE_URL")}
    env.update(DATABASE_URL=settings.database_url, SURVEY_CASE_KEY_FILE=str(settings.case_key_file),
               # The open-link budget (survey_app/open_link.py) is not what this test is about.
               OPEN_LINK_BUDGET="100000000")
    log = tmp_path / "serve.log"
    with open(log, "wb") as handle:
        server = subprocess.Popen(
            [str(BIN / "survey-app"), "serve", "--port", str(port)], env=env, stdout=handle, stderr=subprocess.STDOUT
        )
    base = f"http://127.0.0.1:{port}"
    try:
        _wait_ready(base, log)
        stop = threading.Event()
        statuses: list[int] = []

        def client(number: int) -> None:
            with httpx.Client(base_url=base, timeout=30) as http:
                i = number * 100_000
                while not stop.is_set():
                    i += 1
                    statuses.append(http.post(f"/api/v1/waves/{slug}/responses", json={"answers": _answers(i)}).status_code)

        clients = [threading.Thread(target=client, args=(n,)) for n in range(4)]
        for thread in clients:
            thread.start()
        rounds = 0
        deadline = time.monotonic() + 6
        while time.monotonic() < deadline or rounds < 5:
            mix_now(settings, wave_id)
            rounds += 1
        stop.set()
        for thread in clients:
            thread.join()
    finally:
        server.terminate()
        server.wait(timeout=10)
    accepted = statuses.count(201)
    assert set(statuses) == {201}, {s: statuses.count(s) for s in set(statuses)}
    assert rounds >= 5 and accepted >= 50
    # Every 201 is either an inbox row that opens with a key the worker still has, or a mixed response.
    assert _stored(settings, [wave_id]) == accepted
    states = _epochs(settings, wave_id)
    assert list(states.values()).count(DESTROYED) >= rounds
    assert _epoch_files_left(settings, wave_id) == {e for e, s in states.items() if s != DESTROYED}


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def _wait_ready(base: str, log: Path) -> None:
    for _ in range(300):
        try:
            if httpx.get(f"{base}/readyz").status_code == 200:
                return
        except httpx.TransportError:
            time.sleep(0.1)
    raise AssertionError(log.read_text())


def test_epoch_rotation_killed_at_every_step_then_rerun_loses_nothing(settings: Settings) -> None:
    engine = engine_for(settings.database_url)
    killed_at = []
    for step in range(1, 40):
        org = f"kill-{step}"
        full = open_test_wave(settings, "bank-temporary-workers", f"{org}-full", org=org)
        few = open_test_wave(settings, "nhs-staff-survey", f"{org}-few", org=org)
        _submit(settings, full, range(14))  # a full batch: mixed
        _submit(settings, few, range(5))  # fewer than a batch: re-sealed to the next epoch
        waves = [_wave_id(settings, full), _wave_id(settings, few)]
        before = {w: set(_epochs(settings, w)) for w in waves}
        engine.dispose()

        def round_of_both() -> None:
            for wave_id in waves:
                mix_now(settings, wave_id)

        if not _killed_at(f"epoch-rotation:{step}", round_of_both):
            break
        killed_at.append(step)
        # Killed: every response is still there and opens with a key the store has.
        assert _stored(settings, waves) == 19, f"lost responses after a kill at step {step}"
        round_of_both()  # the rerun
        assert _stored(settings, waves) == 19
        for wave_id in waves:
            states = _epochs(settings, wave_id)
            # Every epoch the round retired is destroyed, file and all; only the live one keeps a key.
            assert all(states[e] == DESTROYED for e in before[wave_id]), (step, states)
            assert RETIRED not in states.values()
            assert _epoch_files_left(settings, wave_id) == {e for e, s in states.items() if s != DESTROYED}
    assert len(killed_at) >= 8, killed_at  # rotate, commit, re-seal, resealed, destroy: for each wave


def test_a_worker_killed_between_resealing_and_destroying_the_old_key_loses_nothing(settings: Settings) -> None:
    slug = open_test_wave(settings, "bank-temporary-workers", "leftovers")
    wave_id = _wave_id(settings, slug)
    _submit(settings, slug, range(5))
    (old,) = _epochs(settings, wave_id)
    env = {k: v for k, v in os.environ.items() if k not in ("SURVEY_KEY_FILE", "DATABASE_URL")}
    env.update(
        DATABASE_URL=settings.database_url,
        SURVEY_KEY_FILE=str(settings.key_file),
        SURVEY_CASE_KEY_FILE=str(settings.case_key_file),
    )
    worker = [str(BIN / "survey-app"), "worker", "--once"]
    killed = subprocess.run(worker, env={**env, crashpoints.VARIABLE: "epoch-rotation:resealed"}, capture_output=True, timeout=120)
    assert killed.returncode == -signal.SIGKILL, killed.stderr
    # The leftovers are sealed to the new epoch; the old key is still there, retired, not yet destroyed.
    assert _epochs(settings, wave_id)[old] == RETIRED and old in _epoch_files_left(settings, wave_id)
    assert len(inbox_documents(settings, wave_id)) == 5
    rerun = subprocess.run(worker, env=env, capture_output=True, timeout=120)
    assert rerun.returncode == 0, rerun.stderr
    assert _epochs(settings, wave_id)[old] == DESTROYED and old not in _epoch_files_left(settings, wave_id)
    assert sorted(d["answers"]["tw_comments"] for d in inbox_documents(settings, wave_id)) == [f"response {i}" for i in range(5)]


def test_a_wave_opened_before_epochs_keeps_its_inbox_and_then_loses_its_old_key(tmp_path: Path) -> None:
    """Migration 0010 gives an old wave an epoch from its own key pair; the first round moves the
    private key out of the wave file, opens the old rows with it, and destroys it."""
    url = f"sqlite:///{tmp_path / 'old.db'}"
    config = alembic_config(url)
    command.upgrade(config, "0009")
    kek = tmp_path / "keys" / "kek.key"
    case = tmp_path / "keys" / "case.key"
    write_secret_file(kek)
    write_secret_file(case)
    settings = Settings(database_url=url, key_file=kek, case_key_file=case)
    pair, data = generate_inbox_key_pair(), generate_wave_keys()
    store = WaveKeyStore(kek)
    # The wave file as the code before epochs wrote it: public, private and data keys together.
    path = store.folder / "w-old.key"
    store.folder.mkdir(parents=True)

    def wrap(value: bytes) -> str:
        return base64.b64encode(seal_with_key(store.kek, value, b"wave key w-old")).decode()

    path.write_text(json.dumps({"public_key": base64.b64encode(pair.public_key).decode(),
                                "private_key": wrap(pair.private_key), "data_key": wrap(data.data_key)}))
    engine = engine_for(url)
    with engine.begin() as connection:
        # The schema at 0009: today's model has columns (headcount) that did not exist then.
        connection.execute(text("INSERT INTO organisation (id, slug, name, is_demo) VALUES ('o-old', 'old', 'Old Trust', 0)"))
        org = connection.execute(text("SELECT id FROM organisation")).scalar_one()
        instrument = load_instrument("bank-temporary-workers")
        connection.execute(
            text(
                "INSERT INTO wave (id, slug, organisation_id, instrument_id, instrument_version, definition, status,"
                " allow_import, public_key, opened_on, keys_destroyed, closed_part_format)"
                " VALUES ('w-old', 'old-wave', :org, 'bank-temporary-workers', :v, :d, 'open', 0, :pk, '2026-01-05', 0, 2)"
            ),
            {"org": org, "v": instrument.version, "d": json.dumps(instrument.definition), "pk": pair.public_key},
        )
        for i in range(12):
            sealed = seal_to_public_key(pair.public_key, json.dumps({"answers": _answers(i)}).encode(), inbox_context("w-old"))
            connection.execute(text("INSERT INTO inbox (id, wave_id, sealed) VALUES (:i, 'w-old', :s)"), {"i": f"r{i}", "s": sealed})
    command.upgrade(config, "head")
    with engine.connect() as connection:
        (epoch,) = connection.execute(select(InboxEpoch.id, InboxEpoch.state, InboxEpoch.public_key)).all()
        assert "public_key" not in {c["name"] for c in inspect(connection).get_columns("wave")}
        assert connection.execute(select(InboxItem.epoch_id).distinct()).scalars().all() == [epoch.id]
    assert epoch.state == "current" and bytes(epoch.public_key) == pair.public_key
    # The web process seals new responses to the old wave's epoch until the worker rotates it.
    _submit(settings, "old-wave", range(12, 13))
    report = mix_now(settings, "w-old")
    assert report.responses_mixed == 13
    assert "private_key" not in json.loads(path.read_text())
    assert not list(store.folder.glob("*.shred"))
    assert _epochs(settings, "w-old")[epoch.id] == DESTROYED
    assert epoch.id not in _epoch_files_left(settings, "w-old")
    with engine.connect() as connection:
        assert connection.execute(select(Wave.keys_destroyed)).scalar_one() is False
    # A copy of an old inbox row opens with no key left in the store.
    old_row = seal_to_public_key(pair.public_key, b"{}", inbox_context("w-old"))
    for key_file in store.folder.glob("*.inbox"):
        private = store.load_inbox_key("w-old", key_file.name.split(".")[1])
        with pytest.raises(SealingError):
            open_sealed_box(private, old_row, inbox_context("w-old"))
    assert count_rows(engine, "closed_answer_part") == 13
    engine.dispose()
