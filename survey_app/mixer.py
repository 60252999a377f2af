"""The mixer: opens full inbox batches and stores each response as parts that share no identifier.

A response becomes up to three parts: its closed answers; its testimony (all text answers, with
the attributes the respondent chose to attach); and, if the respondent asked, a concern for the
FTSU guardian sealed under the organisation's case key. Each part table is written in its own
shuffled order, with fresh random ids, in one transaction that also deletes the inbox rows, so
neither id, row position, transaction nor date pairs one part with another. A response sent twice
from one visit is kept once (survey_app/submissions.py).

The mixer opens only rows sealed to *retired* inbox epochs, and a round ends by destroying those
epochs' keys (survey_app/epochs.py, `mix_round`): every copy of a mixed inbox row, in WAL, heap
pages or backups, is then unreadable. What each other record written here can link, with every
key the worker holds:

- parts: one transaction holds at least MIX_BATCH responses, each table shuffled, fresh random ids;
  the part tables are sealed under the data key (closed answers, testimony) or the case key
  (concern), which the worker keeps, so a copy of them reads like the live rows: nothing pairs
  better than one in MIX_BATCH;
- `mixed_submission`: a keyed hash of each visit's token under the wave's data key. The token itself
  is only ever inside the sealed inbox row (destroyed with its epoch) and in the respondent's form,
  and no part carries it, so the hash joins nothing; it says only that some response of the batch
  had this token, which only someone who already holds the token can test;
- a shared concern carries its receipt's keyed hashes (survey_app/ftsu/receipts.py), never the
  token, and only what the testimony carries: no closed answer is ever sealed under the case key;
- the urgent copy of a concern, which the web process seals under the case key in the transaction
  that stores the inbox row (survey_app/ftsu/intake.py), holds the same: text and chosen attributes,
  never a closed answer. The inbox row beside it is sealed to an epoch key that is destroyed.
"""

from __future__ import annotations

import json
import secrets
from dataclasses import dataclass, field
from typing import Any

import numpy as np
from sqlalchemy import Connection, Engine, delete, func, insert, select

from questionnaires import Instrument
from survey_app import crashpoints
from survey_app.closed_parts import ClosedPartFormat, ClosedPartLayout
from survey_app.epochs import (
    OPERATION,
    RETIRED,
    adopt_legacy_key,
    destroy_retired,
    epochs_in,
    inbox_context,
    reseal,
    rotate,
)
from survey_app.keys import WaveKeyStore, organisation_case_key
from survey_app.sealing import (
    WaveKeys,
    open_many_with_key,
    open_sealed_box,
    open_with_key,
    seal_with_key,
)
from survey_app.storage.models import (
    ClosedAnswerPart,
    ConcernPart,
    InboxItem,
    MixedSubmission,
    TestimonyPart,
    Wave,
    random_id,
)
from survey_app.submissions import VisitTokens, ballot_hash, repeat_hash, valid_token
from survey_app.access import ACCESS_INVITED
from survey_app.waves import instrument_from_definition

# Responses opened per transaction; large enough to be cheap, small enough to keep memory flat.
CHUNK = 5000


def part_context(table: str, wave_id: str) -> bytes:
    """Associated data binding a sealed part to its table and wave."""
    return f"{table}:{wave_id}".encode()


@dataclass
class MixReport:
    wave_slug: str
    responses_mixed: int = 0
    waiting_in_inbox: int = 0
    # Responses sent twice from one visit (survey_app/submissions.py): kept once.
    duplicates_dropped: int = 0
    # Invited waves: responses without a ballot the server made (never a spent code's): dropped.
    without_ballot: int = 0
    parts: dict[str, int] = field(default_factory=lambda: {"closed_answers": 0, "testimony": 0, "concern": 0})


def _encode(document: dict[str, Any]) -> bytes:
    return json.dumps(document, separators=(",", ":"), ensure_ascii=False, sort_keys=True).encode()


@dataclass(frozen=True)
class SplitResponse:
    closed: dict[str, Any] | None
    testimony: dict[str, Any] | None
    concern: dict[str, Any] | None


def split_response(
    instrument: Instrument, answers: dict[str, Any], receipt: dict[str, str] | None = None
) -> SplitResponse:
    """The parts of one response. A shared concern also carries its receipt's keyed hashes, so the
    guardian's replies can reach the respondent; the testimony never does."""
    texts = {q.id: answers[q.id] for q in instrument.free_text_questions() if q.id in answers}
    attributes = {key: answers[key] for key in instrument.testimony_attributes if key in answers}
    closed = {
        key: value
        for key, value in answers.items()
        if key not in texts and key not in instrument.testimony_attributes
    }
    testimony = {"texts": texts, "attributes": attributes} if texts else None
    shares = instrument.concern_when is not None and instrument.concern_when.is_met(answers)
    return SplitResponse(
        closed={"answers": closed} if closed else None,
        testimony=testimony,
        concern={**testimony, **({"receipt": receipt} if receipt else {})} if testimony and shares else None,
    )


def mix_round(engine: Engine, key_store: WaveKeyStore, wave_id: str, case_secret: bytes, batch_size: int) -> MixReport:
    """One round for one wave (survey_app/epochs.py): rotate its inbox epoch, mix the retired
    epochs' full batches, re-seal what is left of them to the live epoch, destroy their keys."""
    with key_store.lock("round"):
        adopt_legacy_key(engine, key_store, wave_id)
        live = rotate(engine, key_store, wave_id)
        with engine.connect() as connection:
            retired = epochs_in(connection, wave_id, RETIRED)
        inbox_keys = {
            epoch_id: key_store.load_inbox_key(wave_id, epoch_id)
            for epoch_id in retired
            if key_store.has_inbox_key(wave_id, epoch_id)
        }
        report = mix_wave(engine, wave_id, key_store.load(wave_id), inbox_keys, case_secret, batch_size)
        reseal(engine, wave_id, inbox_keys, live)
        crashpoints.step(OPERATION, "resealed")
        destroy_retired(engine, key_store, wave_id)
        with engine.connect() as connection:
            report.waiting_in_inbox = connection.execute(
                select(func.count()).select_from(InboxItem).where(InboxItem.wave_id == wave_id)
            ).scalar_one()
    return report


def mix_wave(
    engine: Engine,
    wave_id: str,
    keys: WaveKeys,
    inbox_keys: dict[str, bytes],
    case_secret: bytes,
    batch_size: int,
) -> MixReport:
    """Mix every full batch of the rows sealed to these (retired) epochs; fewer than `batch_size`
    are left where they are. `mix_round` is what callers want: it also rotates and destroys."""
    with engine.connect() as connection:
        wave = connection.execute(
            select(Wave.slug, Wave.definition, Wave.organisation_id, Wave.closed_part_format, Wave.access).where(
                Wave.id == wave_id
            )
        ).one()
    # An invited wave's responses count once per ballot, and only with a ballot (survey_app/invitations).
    ballots = VisitTokens(case_secret) if wave.access == ACCESS_INVITED else None
    instrument = instrument_from_definition(wave_id, wave.definition)
    report = MixReport(wave_slug=wave.slug)
    closed_format = ClosedPartFormat(instrument, wave.closed_part_format)
    while True:
        # Read without a write lock, open and re-seal outside any transaction, then write briefly.
        with engine.connect() as connection:
            ids = list(
                connection.execute(
                    select(InboxItem.id)
                    .where(InboxItem.wave_id == wave_id, InboxItem.epoch_id.in_(list(inbox_keys)))
                    .limit(2 * CHUNK)
                ).scalars()
            )
            if len(ids) < batch_size:
                report.waiting_in_inbox = len(ids)
                return report
            # Take a chunk only when what remains after it is still a full batch.
            if len(ids) >= CHUNK + batch_size:
                ids = ids[:CHUNK]
            rows = connection.execute(
                select(InboxItem.id, InboxItem.epoch_id, InboxItem.sealed).where(InboxItem.id.in_(ids))
            ).all()
        _mix_batch(
            engine, wave_id, wave.organisation_id, instrument, keys, inbox_keys, case_secret, rows, closed_format,
            batch_size, report, ballots,
        )


def _mix_batch(
    engine: Engine,
    wave_id: str,
    organisation_id: str,
    instrument: Instrument,
    keys: WaveKeys,
    inbox_keys: dict[str, bytes],
    case_secret: bytes,
    rows: list[Any],
    closed_format: ClosedPartFormat,
    batch_size: int,
    report: MixReport,
    ballots: VisitTokens | None = None,
) -> None:
    closed: list[bytes] = []
    testimonies: list[bytes] = []
    concerns: list[bytes] = []
    case_key = organisation_case_key(case_secret, organisation_id)
    documents = [
        json.loads(open_sealed_box(inbox_keys[row.epoch_id], bytes(row.sealed), inbox_context(wave_id))) for row in rows
    ]
    tokens = [_submission_hash(keys, document, ballots, wave_id) for document in documents]
    seen = _mixed_already(engine, wave_id, [token for token in tokens if token is not None])
    new_tokens: list[bytes] = []
    duplicates: list[str] = []
    unballoted: list[str] = []
    for row, document, token in zip(rows, documents, tokens):
        if ballots is not None and token is None:
            # An invited wave takes a response only with a ballot this server made (a spent code).
            unballoted.append(row.id)
            continue
        if token is not None:
            if token in seen:
                duplicates.append(row.id)
                continue
            seen.add(token)
            new_tokens.append(token)
        parts = split_response(instrument, document["answers"], document.get("receipt"))
        if parts.closed is not None:
            closed.append(
                seal_with_key(
                    keys.data_key,
                    closed_format.plaintext(parts.closed["answers"]),
                    part_context("closed_answers", wave_id),
                    closed_format.padded_size,
                )
            )
        if parts.testimony is not None:
            testimonies.append(seal_with_key(keys.data_key, _encode(parts.testimony), part_context("testimony", wave_id)))
        if parts.concern is not None:
            concerns.append(seal_with_key(case_key, _encode(parts.concern), part_context("concern", wave_id)))
    dropped = duplicates + unballoted
    if dropped and len(rows) - len(dropped) < batch_size:
        # Too few different responses for a batch: drop only the repeats; the rest wait for more.
        with engine.begin() as connection:
            deleted = connection.execute(delete(InboxItem).where(InboxItem.id.in_(dropped)))
        if deleted.rowcount == len(dropped):
            report.duplicates_dropped += len(duplicates)
            report.without_ballot += len(unballoted)
        return
    shuffle = secrets.SystemRandom().shuffle
    for sealed_parts in (closed, testimonies, concerns, new_tokens):
        shuffle(sealed_parts)
    with engine.begin() as connection:
        # Delete first: if another mixer took these rows meanwhile, the count differs and we stop.
        deleted = connection.execute(delete(InboxItem).where(InboxItem.id.in_([row.id for row in rows])))
        if deleted.rowcount != len(rows):
            connection.rollback()
            return
        _insert_parts(connection, wave_id, organisation_id, closed, testimonies, concerns)
        if new_tokens:
            connection.execute(
                insert(MixedSubmission), [{"wave_id": wave_id, "token_hash": token} for token in new_tokens]
            )
    report.duplicates_dropped += len(duplicates)
    report.without_ballot += len(unballoted)
    report.responses_mixed += len(rows) - len(dropped)
    report.parts["closed_answers"] += len(closed)
    report.parts["testimony"] += len(testimonies)
    report.parts["concern"] += len(concerns)


def _submission_hash(
    keys: WaveKeys, document: dict[str, Any], ballots: VisitTokens | None, wave_id: str
) -> bytes | None:
    """What the mixer remembers of a response. On an open wave, a repeat is the same visit's token
    *and* the same answers: no one can make another's response go. On an invited wave (`ballots`),
    a ballot the server made counts once whatever its answers; anything else is None (dropped)."""
    if ballots is not None:
        ballot = ballots.ballot(wave_id, document.get("submission"))
        return ballot_hash(keys.data_key, ballot) if ballot is not None else None
    token = valid_token(document.get("submission"))
    return repeat_hash(keys.data_key, token, document["answers"]) if token is not None else None


def _mixed_already(engine: Engine, wave_id: str, tokens: list[bytes]) -> set[bytes]:
    """Which of these token hashes the wave has mixed before."""
    if not tokens:
        return set()
    with engine.connect() as connection:
        return {
            bytes(token)
            for token in connection.execute(
                select(MixedSubmission.token_hash).where(
                    MixedSubmission.wave_id == wave_id, MixedSubmission.token_hash.in_(tokens)
                )
            ).scalars()
        }


def _insert_parts(connection: Connection, wave_id: str, organisation_id: str, closed: list[bytes], testimonies: list[bytes], concerns: list[bytes]) -> None:
    if closed:
        connection.execute(
            insert(ClosedAnswerPart), [{"id": random_id(), "wave_id": wave_id, "sealed": s} for s in closed]
        )
    if testimonies:
        connection.execute(
            insert(TestimonyPart), [{"id": random_id(), "wave_id": wave_id, "sealed": s} for s in testimonies]
        )
    if concerns:
        connection.execute(
            insert(ConcernPart),
            [{"id": random_id(), "wave_id": wave_id, "organisation_id": organisation_id, "sealed": s} for s in concerns],
        )


def open_closed_parts(connection: Connection, wave_id: str, keys: WaveKeys, layout: ClosedPartLayout) -> np.ndarray:
    """Every closed-answer part of a wave, opened into one array of records (`layout.columns` reads it)."""
    sealed = connection.execute(
        select(ClosedAnswerPart.sealed).where(ClosedAnswerPart.wave_id == wave_id).execution_options(yield_per=CHUNK)
    ).scalars()
    return layout.records(open_many_with_key(keys.data_key, sealed, part_context("closed_answers", wave_id)))


def open_testimony_parts(connection: Connection, wave_id: str, keys: WaveKeys) -> list[dict[str, Any]]:
    sealed = connection.execute(select(TestimonyPart.sealed).where(TestimonyPart.wave_id == wave_id)).scalars()
    context = part_context("testimony", wave_id)
    return [json.loads(open_with_key(keys.data_key, bytes(s), context)) for s in sealed]
