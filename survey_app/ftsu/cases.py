"""FTSU cases: concerns delivered to the guardians, worked on, replied to, closed and expired.

A case is one row of `ftsu_case`. Its columns hold only what must be queried (organisation,
status, urgency, receipt hashes, the drop date, the assigned guardian, the closing date, the
lock-out count); everything else is one JSON document sealed under the organisation's case key
and bound to the row's id (`CaseContent`). Nothing stored says when a respondent did anything:
a case's date is the date of the drop that delivered it, the reply thread is ordered by sequence
numbers, and only guardians' replies and notes carry a date (the day, never the time).

How concerns arrive:
- through the mixer: a `concern_part` per shared concern, which the daily drop (`drop_concerns`)
  turns into cases, all at once, in shuffled order, with the same date, so arrival says nothing;
- urgently: a respondent who marks a shared concern urgent gets a second copy sealed directly by
  the web process into `urgent_concern` (see `store_response_with_concern`), which the worker
  turns into a case on its next round (`drop_urgent`). The copy that later comes through the
  mixer carries the same receipt hashes and is dropped as a duplicate. The trade-off, stated on
  the form: an urgent concern's arrival is close to its submission; the respondent chose that.
"""

from __future__ import annotations

import datetime as dt
import json
import secrets
from collections.abc import Callable, Iterable
from dataclasses import asdict, dataclass, field
from typing import Any

from sqlalchemy import Connection, Engine, and_, delete, func, insert, or_, select, update

from analysis.urgency import urgent_categories
from questionnaires import Instrument
from survey_app.ftsu.redacting import OrganisationTerms, organisation_terms, redact_text
from survey_app.ftsu.receipts import Receipt, ReceiptHashes, receipt_hashes, secret_matches
from survey_app.inbox import submit_response
from survey_app.keys import organisation_case_key
from survey_app.mixer import part_context
from survey_app.sealing import open_with_key, seal_with_key
from survey_app.storage.models import (
    Account,
    AccountOrganisation,
    ConcernPart,
    FtsuCase,
    FtsuDrop,
    UrgentConcern,
    Wave,
    random_id,
)
from survey_app.waves import PublishedWave

STATUSES = {"new": "New", "acknowledged": "Acknowledged", "in_progress": "In progress", "closed": "Closed"}
OPEN_STATUSES = ("new", "acknowledged", "in_progress")
# A case closed and expired while its mixed copy was still to come: kept as its hashes alone.
EXPIRED = "expired"

# The National Guardian's Office reporting categories (a concern may fall in several).
CATEGORIES = {
    "patient_safety": "Patient safety or quality",
    "worker_safety": "Worker safety or wellbeing",
    "bullying_harassment": "Bullying or harassment",
    "inappropriate_behaviour": "Other inappropriate attitudes or behaviours",
}
DETRIMENT = {"yes": "Yes", "no": "No"}
SPEAK_UP_AGAIN = {"yes": "Yes", "no": "No", "not_sure": "Not sure"}

MAX_FAILED_ATTEMPTS = 5
MAX_MESSAGE_LENGTH = 5000
UPDATE_RETRIES = 5


class CaseNotFound(LookupError):
    pass


class CaseConflict(RuntimeError):
    """Someone else changed the case at the same moment, every time we tried."""


# ------------------------------------------------------------------------------------------------
# The sealed document


@dataclass
class CaseContent:
    """Everything about a case except its query columns; sealed as one JSON document."""

    # Question id -> {"redacted": text, "original": text (only if the guardian may read it)}.
    texts: dict[str, dict[str, str]]
    # The coarse attributes and choices the respondent gave (topics, ethnic heading, worker type, ...).
    attributes: dict[str, Any]
    unredacted_allowed: bool
    respondent_urgent: bool
    # Urgency categories (analysis/urgency.py) found in the respondent's words.
    detected: list[str] = field(default_factory=list)
    # Topic codes (the instrument's `topics` options), first those the respondent chose.
    themes: list[int] = field(default_factory=list)
    categories: list[str] = field(default_factory=list)
    detriment: str | None = None
    # Guardians' private notes: {"seq", "by", "on", "text"}.
    notes: list[dict[str, Any]] = field(default_factory=list)
    # Messages: {"seq", "from": "guardian", "by", "on", "text"} or {"seq", "from": "respondent",
    # "text": {"redacted", "original"?}}; a respondent's message has no date.
    thread: list[dict[str, Any]] = field(default_factory=list)
    speak_up_again: str | None = None
    next_seq: int = 1

    def encode(self) -> bytes:
        return json.dumps(asdict(self), separators=(",", ":"), ensure_ascii=False, sort_keys=True).encode()

    @classmethod
    def decode(cls, data: bytes) -> CaseContent:
        return cls(**json.loads(data))

    def take_seq(self) -> int:
        seq = self.next_seq
        self.next_seq += 1
        return seq

    def all_respondent_words(self) -> list[str]:
        words = [text.get("original", text["redacted"]) for text in self.texts.values()]
        for message in self.thread:
            if message["from"] == "respondent":
                words.append(message["text"].get("original", message["text"]["redacted"]))
        return words


def case_context(case_id: str) -> bytes:
    return f"ftsu_case:{case_id}".encode()


def seal_content(case_secret: bytes, organisation_id: str, case_id: str, content: CaseContent) -> bytes:
    return seal_with_key(organisation_case_key(case_secret, organisation_id), content.encode(), case_context(case_id))


def open_content(case_secret: bytes, organisation_id: str, case_id: str, sealed: bytes) -> CaseContent:
    key = organisation_case_key(case_secret, organisation_id)
    return CaseContent.decode(open_with_key(key, bytes(sealed), case_context(case_id)))


def _guarded_text(text: str, terms: OrganisationTerms, allowed: bool) -> dict[str, str]:
    """A text as stored for the guardian: redacted always, as written only if the respondent allowed it."""
    kept = {"redacted": redact_text(text, terms)}
    if allowed:
        kept["original"] = text
    return kept


def content_from_concern(concern: dict[str, Any], terms: OrganisationTerms) -> CaseContent:
    """A new case's content from a concern part as the mixer (or the web process) sealed it."""
    attributes = dict(concern.get("attributes", {}))
    allowed = attributes.get("share_unredacted") == 1
    texts = {question_id: _guarded_text(text, terms, allowed) for question_id, text in concern["texts"].items()}
    topics = attributes.get("topics") or []
    return CaseContent(
        texts=texts,
        attributes=attributes,
        unredacted_allowed=allowed,
        respondent_urgent=attributes.get("urgent") == 1,
        detected=urgent_categories(list(concern["texts"].values())),
        themes=[int(code) for code in topics] if isinstance(topics, list) else [],
    )


# ------------------------------------------------------------------------------------------------
# At submission (web process)


def concern_is_shared(instrument: Instrument, answers: dict[str, Any]) -> bool:
    return instrument.concern_when is not None and instrument.concern_when.is_met(answers) and bool(
        [q for q in instrument.free_text_questions() if q.id in answers]
    )


def concern_is_urgent(instrument: Instrument, answers: dict[str, Any]) -> bool:
    return concern_is_shared(instrument, answers) and answers.get("urgent") == 1


def store_response_with_concern(
    connection: Connection,
    wave: PublishedWave,
    answers: dict[str, Any],
    case_secret: bytes,
    receipt: Receipt,
    submission: str | None = None,
) -> bool:
    """Store a response that shares a concern: its receipt hashes go into the sealed response,
    and an urgent concern is also sealed under the case key into the urgent inbox, in the same
    transaction. False if the wave closed meanwhile (and then nothing is stored). A repeat of the
    same visit carries the same receipt, so the drops make one case of both copies."""
    from survey_app.mixer import split_response

    hashes = receipt_hashes(case_secret, receipt)
    if not submit_response(connection, wave, answers, receipt=hashes.as_json(), submission=submission):
        return False
    if concern_is_urgent(wave.instrument, answers):
        organisation_id = connection.execute(select(Wave.organisation_id).where(Wave.id == wave.id)).scalar_one()
        concern = split_response(wave.instrument, answers, hashes.as_json()).concern
        assert concern is not None
        sealed = seal_with_key(
            organisation_case_key(case_secret, organisation_id),
            json.dumps(concern, separators=(",", ":"), ensure_ascii=False, sort_keys=True).encode(),
            part_context("urgent_concern", wave.id),
        )
        connection.execute(
            insert(UrgentConcern).values(id=random_id(), wave_id=wave.id, organisation_id=organisation_id, sealed=sealed)
        )
    return True


# ------------------------------------------------------------------------------------------------
# Drops (worker and CLI)


@dataclass
class DropReport:
    urgent_cases: int = 0
    cases: int = 0
    duplicates: int = 0
    # False when the daily drop was not due yet (urgent concerns are dropped every round).
    dropped: bool = False
    expired: int = 0

    def describe(self) -> str:
        daily = f"{self.cases} concerns delivered" if self.dropped else "the daily drop is not due yet"
        return (
            f"{self.urgent_cases} urgent concerns delivered; {daily}; {self.duplicates} duplicates of urgent "
            f"concerns dropped; {self.expired} closed cases expired"
        )


def _existing_copy(connection: Connection, hashes: dict[str, str] | None) -> Any:
    if not hashes:
        return None
    return connection.execute(
        select(FtsuCase.id, FtsuCase.status, FtsuCase.awaiting_copy).where(
            FtsuCase.locator_hash == hashes["locator"], FtsuCase.secret_hash == hashes["secret"]
        )
    ).first()


def _make_cases(
    connection: Connection,
    case_secret: bytes,
    concerns: list[tuple[str, str, dict[str, Any]]],
    today: dt.date,
    from_urgent_inbox: bool,
    report: DropReport,
) -> int:
    """Insert a case per (organisation, wave, concern), skipping copies of cases that exist."""
    terms_by_organisation: dict[str, OrganisationTerms] = {}
    rows = []
    seen: set[tuple[str, str]] = set()
    for organisation_id, wave_id, concern in concerns:
        hashes = concern.get("receipt")
        existing = _existing_copy(connection, hashes)
        key = (hashes["locator"], hashes["secret"]) if hashes else None
        if existing is not None or (key is not None and key in seen):
            report.duplicates += 1
            if existing is not None and existing.awaiting_copy and not from_urgent_inbox:
                # The urgent case's mixed copy has come: nothing more to wait for.
                if existing.status == EXPIRED:
                    connection.execute(delete(FtsuCase).where(FtsuCase.id == existing.id))
                else:
                    connection.execute(update(FtsuCase).where(FtsuCase.id == existing.id).values(awaiting_copy=False))
            continue
        if key is not None:
            seen.add(key)
        if organisation_id not in terms_by_organisation:
            terms_by_organisation[organisation_id] = organisation_terms(connection, organisation_id)
        content = content_from_concern(concern, terms_by_organisation[organisation_id])
        case_id = random_id()
        rows.append(
            {
                "id": case_id,
                "organisation_id": organisation_id,
                "wave_id": wave_id,
                "locator_hash": hashes["locator"] if hashes else None,
                "secret_hash": hashes["secret"] if hashes else None,
                "status": "new",
                "urgent": content.respondent_urgent or bool(content.detected),
                "respondent_wrote": False,
                "dropped_on": today,
                "assigned_to": None,
                "closed_on": None,
                "failed_attempts": 0,
                "locked_until": None,
                "awaiting_copy": from_urgent_inbox and hashes is not None,
                "revision": 0,
                "sealed": seal_content(case_secret, organisation_id, case_id, content),
            }
        )
    secrets.SystemRandom().shuffle(rows)
    if rows:
        connection.execute(insert(FtsuCase), rows)
    return len(rows)


def _open_concern(case_secret: bytes, table: str, organisation_id: str, wave_id: str, sealed: bytes) -> dict[str, Any]:
    key = organisation_case_key(case_secret, organisation_id)
    return json.loads(open_with_key(key, bytes(sealed), part_context(table, wave_id)))


def drop_urgent(engine: Engine, case_secret: bytes, today: dt.date, report: DropReport) -> None:
    """Deliver every concern waiting in the urgent inbox now (every worker round)."""
    with engine.begin() as connection:
        rows = connection.execute(
            select(UrgentConcern.id, UrgentConcern.organisation_id, UrgentConcern.wave_id, UrgentConcern.sealed)
        ).all()
        if not rows:
            return
        deleted = connection.execute(delete(UrgentConcern).where(UrgentConcern.id.in_([row.id for row in rows])))
        if deleted.rowcount != len(rows):  # another worker took them meanwhile
            connection.rollback()
            return
        concerns = [
            (row.organisation_id, row.wave_id, _open_concern(case_secret, "urgent_concern", row.organisation_id, row.wave_id, row.sealed))
            for row in rows
        ]
        report.urgent_cases += _make_cases(connection, case_secret, concerns, today, True, report)


def last_drop(connection: Connection) -> dt.datetime | None:
    found = connection.execute(select(func.max(FtsuDrop.dropped_at))).scalar_one()
    if found is not None and found.tzinfo is None:
        found = found.replace(tzinfo=dt.UTC)
    return found


def drop_due(connection: Connection, now: dt.datetime, hours: int) -> bool:
    previous = last_drop(connection)
    return previous is None or now - previous >= dt.timedelta(hours=hours) - dt.timedelta(minutes=1)


def drop_concerns(engine: Engine, case_secret: bytes, now: dt.datetime, report: DropReport) -> None:
    """The daily drop: every waiting concern part becomes a case, in shuffled order, dated today."""
    with engine.begin() as connection:
        rows = connection.execute(
            select(ConcernPart.id, ConcernPart.organisation_id, ConcernPart.wave_id, ConcernPart.sealed)
        ).all()
        if rows:
            deleted = connection.execute(delete(ConcernPart).where(ConcernPart.id.in_([row.id for row in rows])))
            if deleted.rowcount != len(rows):
                connection.rollback()
                return
        concerns = [
            (row.organisation_id, row.wave_id, _open_concern(case_secret, "concern", row.organisation_id, row.wave_id, row.sealed))
            for row in rows
        ]
        made = _make_cases(connection, case_secret, concerns, now.date(), False, report)
        connection.execute(insert(FtsuDrop).values(dropped_at=now, cases=made))
        report.cases += made
        report.dropped = True


def expire_cases(engine: Engine, today: dt.date, expiry_days: int) -> int:
    """Delete cases closed at least `expiry_days` ago. A closed urgent case whose mixed copy is
    still to come keeps only its receipt hashes (so the copy is recognised) until it comes or its
    wave is retired."""
    cutoff = today - dt.timedelta(days=expiry_days)
    with engine.begin() as connection:
        retired = select(Wave.id).where(Wave.keys_destroyed.is_(True))
        due = and_(FtsuCase.status == "closed", FtsuCase.closed_on <= cutoff)
        keep_hashes = and_(due, FtsuCase.awaiting_copy.is_(True), FtsuCase.wave_id.not_in(retired))
        count = connection.execute(select(func.count()).select_from(FtsuCase).where(due)).scalar_one()
        connection.execute(
            update(FtsuCase)
            .where(keep_hashes)
            .values(status=EXPIRED, sealed=b"", assigned_to=None, closed_on=None, urgent=False, respondent_wrote=False)
        )
        connection.execute(
            delete(FtsuCase).where(
                or_(and_(due, FtsuCase.status == "closed"), and_(FtsuCase.status == EXPIRED, FtsuCase.wave_id.in_(retired)))
            )
        )
    return int(count)


def ftsu_round(
    engine: Engine, case_secret: bytes, now: dt.datetime, drop_hours: int, expiry_days: int, force: bool = False
) -> DropReport:
    """One worker round: urgent concerns now, the daily drop when due (or forced), expiry."""
    report = DropReport()
    drop_urgent(engine, case_secret, now.date(), report)
    with engine.connect() as connection:
        due = force or drop_due(connection, now, drop_hours)
    if due:
        drop_concerns(engine, case_secret, now, report)
    report.expired = expire_cases(engine, now.date(), expiry_days)
    return report


# ------------------------------------------------------------------------------------------------
# Reading and changing cases


@dataclass(frozen=True)
class CaseRow:
    id: str
    organisation_id: str
    wave_id: str
    status: str
    urgent: bool
    respondent_wrote: bool
    dropped_on: dt.date
    assigned_to: str | None
    closed_on: dt.date | None
    has_receipt: bool


@dataclass(frozen=True)
class Case:
    row: CaseRow
    content: CaseContent


def _case_columns() -> list[Any]:
    return [
        FtsuCase.id,
        FtsuCase.organisation_id,
        FtsuCase.wave_id,
        FtsuCase.status,
        FtsuCase.urgent,
        FtsuCase.respondent_wrote,
        FtsuCase.dropped_on,
        FtsuCase.assigned_to,
        FtsuCase.closed_on,
        FtsuCase.locator_hash.is_not(None).label("has_receipt"),
    ]


def list_cases(
    connection: Connection, case_secret: bytes, organisation_ids: Iterable[str], wave_id: str | None = None
) -> list[Case]:
    """Cases of these organisations (expired stubs left out): urgent first, then new, then the
    ones the respondent wrote to, then the newest drop."""
    query = select(*_case_columns(), FtsuCase.sealed).where(
        FtsuCase.organisation_id.in_(list(organisation_ids)), FtsuCase.status != EXPIRED
    )
    if wave_id is not None:
        query = query.where(FtsuCase.wave_id == wave_id)
    cases = []
    for row in connection.execute(query):
        mapping = dict(row._mapping)
        sealed = mapping.pop("sealed")
        case_row = CaseRow(**mapping)
        cases.append(Case(case_row, open_content(case_secret, case_row.organisation_id, case_row.id, sealed)))
    cases.sort(
        key=lambda case: (
            case.row.status == "closed",
            not case.row.urgent,
            case.row.status != "new",
            not case.row.respondent_wrote,
            -case.row.dropped_on.toordinal(),
            case.row.id,
        )
    )
    return cases


def get_case(connection: Connection, case_secret: bytes, case_id: str, organisation_ids: Iterable[str]) -> Case:
    row = connection.execute(
        select(*_case_columns(), FtsuCase.sealed).where(
            FtsuCase.id == case_id,
            FtsuCase.organisation_id.in_(list(organisation_ids)),
            FtsuCase.status != EXPIRED,
        )
    ).first()
    if row is None:
        raise CaseNotFound(case_id)
    mapping = dict(row._mapping)
    sealed = mapping.pop("sealed")
    case_row = CaseRow(**mapping)
    return Case(case_row, open_content(case_secret, case_row.organisation_id, case_row.id, sealed))


# A change: given the row and the opened content (changed in place), the columns to set.
Change = Callable[[Any, CaseContent], dict[str, Any]]


def change_case(
    engine: Engine, case_secret: bytes, case_id: str, change: Change, organisation_ids: Iterable[str] | None = None
) -> Case:
    """Apply `change` to a case with optimistic locking: re-read and retry if someone else wrote."""
    for _ in range(UPDATE_RETRIES):
        with engine.begin() as connection:
            query = select(FtsuCase).where(FtsuCase.id == case_id, FtsuCase.status != EXPIRED)
            if organisation_ids is not None:
                query = query.where(FtsuCase.organisation_id.in_(list(organisation_ids)))
            row = connection.execute(query).first()
            if row is None:
                raise CaseNotFound(case_id)
            case = row[0] if isinstance(row[0], FtsuCase) else FtsuCase.model_validate(row._mapping)
            content = open_content(case_secret, case.organisation_id, case.id, case.sealed)
            columns = change(case, content)
            result = connection.execute(
                update(FtsuCase)
                .where(FtsuCase.id == case_id, FtsuCase.revision == case.revision)
                .values(
                    **columns,
                    revision=case.revision + 1,
                    sealed=seal_content(case_secret, case.organisation_id, case.id, content),
                )
            )
            if result.rowcount == 1:
                return get_case(connection, case_secret, case_id, [case.organisation_id])
    raise CaseConflict(case_id)


def guardians_of(connection: Connection, organisation_id: str) -> list[tuple[str, str]]:
    """(account id, email) of the active guardians of an organisation."""
    rows = connection.execute(
        select(Account.id, Account.email)
        .join(AccountOrganisation, AccountOrganisation.account_id == Account.id)
        .where(
            AccountOrganisation.organisation_id == organisation_id,
            Account.role == "ftsu",
            Account.active.is_(True),
        )
        .order_by(Account.email)
    )
    return [(row.id, row.email) for row in rows]


# Guardian changes -------------------------------------------------------------------------------


def set_status(status: str, today: dt.date, speak_up_again: str | None = None) -> Change:
    if status not in STATUSES:
        raise ValueError(f"unknown status {status!r}")
    if speak_up_again is not None and speak_up_again not in SPEAK_UP_AGAIN:
        raise ValueError(f"unknown answer {speak_up_again!r}")

    def change(case: Any, content: CaseContent) -> dict[str, Any]:
        if speak_up_again:
            content.speak_up_again = speak_up_again
        if status == "closed":
            return {"status": status, "closed_on": case.closed_on or today}
        return {"status": status, "closed_on": None}

    return change


def set_categories(categories: list[str], detriment: str | None, themes: list[int]) -> Change:
    if not set(categories) <= set(CATEGORIES) or (detriment is not None and detriment not in DETRIMENT):
        raise ValueError("unknown category")

    def change(_case: Any, content: CaseContent) -> dict[str, Any]:
        content.categories = [key for key in CATEGORIES if key in categories]
        content.detriment = detriment
        content.themes = sorted(set(themes))
        return {}

    return change


def add_note(text: str, by: str, today: dt.date) -> Change:
    def change(_case: Any, content: CaseContent) -> dict[str, Any]:
        content.notes.append({"seq": content.take_seq(), "by": by, "on": today.isoformat(), "text": text})
        return {}

    return change


def assign(account_id: str | None) -> Change:
    def change(_case: Any, _content: CaseContent) -> dict[str, Any]:
        return {"assigned_to": account_id}

    return change


def guardian_reply(text: str, by: str, today: dt.date) -> Change:
    def change(case: Any, content: CaseContent) -> dict[str, Any]:
        content.thread.append(
            {"seq": content.take_seq(), "from": "guardian", "by": by, "on": today.isoformat(), "text": text}
        )
        return {"status": "acknowledged"} if case.status == "new" else {}

    return change


def mark_seen() -> Change:
    def change(_case: Any, _content: CaseContent) -> dict[str, Any]:
        return {"respondent_wrote": False}

    return change


# ------------------------------------------------------------------------------------------------
# The respondent's side (/receipt)


@dataclass(frozen=True)
class ReceiptMatch:
    """What a receipt's locator found: the waves its cases belong to (for the rate limit)."""

    case_ids: list[str]
    wave_ids: list[str]


def find_locator(connection: Connection, hashes: ReceiptHashes) -> ReceiptMatch:
    rows = connection.execute(
        select(FtsuCase.id, FtsuCase.wave_id).where(FtsuCase.locator_hash == hashes.locator, FtsuCase.status != EXPIRED)
    ).all()
    return ReceiptMatch([row.id for row in rows], sorted({row.wave_id for row in rows}))


def open_with_receipt(engine: Engine, case_secret: bytes, hashes: ReceiptHashes, today: dt.date) -> Case | None:
    """The case these receipt hashes open, or None (unknown locator, wrong secret, or locked).

    A wrong secret counts against every case with the locator; the fifth locks them until the day
    after tomorrow (a date, not a time: nothing records when someone tried). A right secret on an
    unlocked case clears the count.
    """
    with engine.begin() as connection:
        rows = connection.execute(
            select(FtsuCase.id, FtsuCase.organisation_id, FtsuCase.secret_hash, FtsuCase.failed_attempts, FtsuCase.locked_until)
            .where(FtsuCase.locator_hash == hashes.locator, FtsuCase.status != EXPIRED)
        ).all()
        for row in rows:
            locked = row.locked_until is not None and row.locked_until >= today
            if secret_matches(row.secret_hash, hashes.secret) and not locked:
                if row.failed_attempts or row.locked_until is not None:
                    connection.execute(
                        update(FtsuCase).where(FtsuCase.id == row.id).values(failed_attempts=0, locked_until=None)
                    )
                return get_case(connection, case_secret, row.id, [row.organisation_id])
        for row in rows:
            if secret_matches(row.secret_hash, hashes.secret):
                continue  # the right words during a lock: not another failure
            expired_lock = row.locked_until is not None and row.locked_until < today
            failed = (0 if expired_lock else row.failed_attempts) + 1
            connection.execute(
                update(FtsuCase)
                .where(FtsuCase.id == row.id)
                .values(
                    failed_attempts=failed,
                    locked_until=today + dt.timedelta(days=1) if failed >= MAX_FAILED_ATTEMPTS else (None if expired_lock else row.locked_until),
                )
            )
    return None


def respondent_reply(text: str, terms: OrganisationTerms) -> Change:
    """A message from the respondent: stored as the guardian may read it, no date; it re-opens a
    closed case and puts the case at the top of the guardian's list if it suggests a risk."""

    def change(case: Any, content: CaseContent) -> dict[str, Any]:
        content.thread.append(
            {"seq": content.take_seq(), "from": "respondent", "text": _guarded_text(text, terms, content.unredacted_allowed)}
        )
        detected = urgent_categories([text])
        content.detected = [c for c in dict.fromkeys([*content.detected, *detected])]
        columns: dict[str, Any] = {"respondent_wrote": True}
        if detected:
            columns["urgent"] = True
        if case.status == "closed":
            columns.update(status="in_progress", closed_on=None)
        return columns

    return change


def respondent_speak_up_again(answer: str) -> Change:
    if answer not in SPEAK_UP_AGAIN:
        raise ValueError(f"unknown answer {answer!r}")

    def change(_case: Any, content: CaseContent) -> dict[str, Any]:
        content.speak_up_again = answer
        return {}

    return change
