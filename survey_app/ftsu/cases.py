"""FTSU cases: concerns delivered to the guardians, worked on, replied to, closed and expired.

A case is one row of `ftsu_case`. Its columns hold only what must be queried (organisation,
status, urgency, receipt hashes, the drop date, the assigned guardian, the closing date, the
lock-out count); everything else is one JSON document sealed under the organisation's case key
and bound to the row's id (`CaseContent`). Nothing stored says when a respondent did anything:
a case's date is the date of the drop that delivered it, the reply thread is ordered by sequence
numbers, and only guardians' replies and notes carry a date (the day, never the time).
"""


from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import Any

from sqlalchemy import Connection, Engine, select, update

from analysis.urgency import urgent_categories
from survey_app.ftsu.content import (
    CaseContent,
    guarded_text,
    open_content,
    seal_content,
)
from survey_app.ftsu.receipts import ReceiptHashes, secret_matches
from survey_app.ftsu.redacting import OrganisationTerms
from survey_app.storage.models import (
    Account,
    AccountOrganisation,
    FtsuCase,
)

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

MAX_MESSAGE_LENGTH = 5000
UPDATE_RETRIES = 5


class CaseNotFound(LookupError):
    pass


class CaseConflict(RuntimeError):
    """Someone else changed the case at the same moment, every time we tried."""



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


def open_with_receipt(engine: Engine, case_secret: bytes, hashes: ReceiptHashes) -> Case | None:
    """The case these receipt hashes open, or None (unknown locator or wrong secret).

    Nothing is counted or locked here: guessing is limited before this is called, per locator and
    overall (survey_app/ratelimit.py), so no one can lock a rightful holder out of their case.
    """
    with engine.connect() as connection:
        rows = connection.execute(
            select(FtsuCase.id, FtsuCase.organisation_id, FtsuCase.secret_hash).where(
                FtsuCase.locator_hash == hashes.locator, FtsuCase.status != EXPIRED
            )
        ).all()
        for row in rows:
            if secret_matches(row.secret_hash, hashes.secret):
                return get_case(connection, case_secret, row.id, [row.organisation_id])
    return None


def respondent_reply(text: str, terms: OrganisationTerms) -> Change:
    """A message from the respondent: stored as the guardian may read it, no date; it re-opens a
    closed case and puts the case at the top of the guardian's list if it suggests a risk."""

    def change(case: Any, content: CaseContent) -> dict[str, Any]:
        content.thread.append(
            {"seq": content.take_seq(), "from": "respondent", "text": guarded_text(text, terms, content.unredacted_allowed)}
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
