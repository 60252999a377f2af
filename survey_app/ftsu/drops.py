"""Drops (worker and CLI): concerns become cases for the guardians, and closed cases expire.

How concerns arrive:
- through the mixer: a `concern_part` per shared concern, which the daily drop (`drop_concerns`)
  turns into cases, all at once, in shuffled order, with the same date, so arrival says nothing;
- urgently: a respondent who marks a shared concern urgent gets a second copy sealed directly by
  the web process into `urgent_concern` (see `store_response_with_concern`), which the worker
  turns into a case on its next round (`drop_urgent`). The copy that later comes through the
  mixer carries the same receipt hashes and is dropped as a duplicate. The trade-off, stated on
  the form: an urgent concern's arrival is close to its submission; the respondent chose that.

What the guardian sees of the person (ethnic heading, worker type) is decided here, per drop and
organisation, before the case is sealed (`protect_attributes`): only attributes that at least
`MIN_CELL` concerns of the drop share, or that the respondent chose to show; an urgent concern,
which arrives alone, carries none. A guardian who knows the team and the rota learns nothing from a
lone attribute, because none is stored.
"""


from __future__ import annotations

import datetime as dt
import json
import secrets
from dataclasses import dataclass
from typing import Any

from sqlalchemy import (
    Connection,
    Engine,
    and_,
    delete,
    func,
    insert,
    or_,
    select,
    update,
)

from survey_app.ftsu.cases import EXPIRED
from survey_app.ftsu.content import (
    content_from_concern,
    identifying_attributes,
    protect_attributes,
    seal_content,
)
from survey_app.ftsu.redacting import OrganisationTerms, organisation_terms
from survey_app.keys import organisation_case_key
from survey_app.mixer import part_context
from survey_app.sealing import open_with_key
from survey_app.storage.models import (
    ConcernPart,
    FtsuCase,
    FtsuDrop,
    UrgentConcern,
    Wave,
    random_id,
)
from survey_app.waves import instrument_from_definition


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
    min_cell: int,
) -> int:
    """Insert a case per (organisation, wave, concern), skipping copies of cases that exist."""
    _protect(connection, concerns, from_urgent_inbox, min_cell)
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
                "awaiting_copy": from_urgent_inbox and hashes is not None,
                "revision": 0,
                "sealed": seal_content(case_secret, organisation_id, case_id, content),
            }
        )
    secrets.SystemRandom().shuffle(rows)
    if rows:
        connection.execute(insert(FtsuCase), rows)
    return len(rows)


def _protect(
    connection: Connection, concerns: list[tuple[str, str, dict[str, Any]]], arrived_alone: bool, min_cell: int
) -> None:
    """Each organisation's concerns of this drop: attributes the guardian may see (see above)."""
    wave_ids = sorted({wave_id for _, wave_id, _ in concerns})
    definitions = dict(connection.execute(select(Wave.id, Wave.definition).where(Wave.id.in_(wave_ids))).all())
    by_organisation: dict[str, list[dict[str, Any]]] = {}
    identifying: set[str] = set()
    for organisation_id, wave_id, concern in concerns:
        concern["attributes"] = dict(concern.get("attributes", {}))
        by_organisation.setdefault(organisation_id, []).append(concern["attributes"])
        identifying |= identifying_attributes(instrument_from_definition(wave_id, definitions[wave_id]))
    for attributes in by_organisation.values():
        protect_attributes(attributes, identifying, min_cell, arrived_alone)


def _open_concern(case_secret: bytes, table: str, organisation_id: str, wave_id: str, sealed: bytes) -> dict[str, Any]:
    key = organisation_case_key(case_secret, organisation_id)
    return json.loads(open_with_key(key, bytes(sealed), part_context(table, wave_id)))


def drop_urgent(engine: Engine, case_secret: bytes, today: dt.date, report: DropReport, min_cell: int = 11) -> None:
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
        report.urgent_cases += _make_cases(connection, case_secret, concerns, today, True, report, min_cell)


def last_drop(connection: Connection) -> dt.datetime | None:
    found = connection.execute(select(func.max(FtsuDrop.dropped_at))).scalar_one()
    if found is not None and found.tzinfo is None:
        found = found.replace(tzinfo=dt.UTC)
    return found


def drop_due(connection: Connection, now: dt.datetime, hours: int) -> bool:
    previous = last_drop(connection)
    return previous is None or now - previous >= dt.timedelta(hours=hours) - dt.timedelta(minutes=1)


def drop_concerns(
    engine: Engine, case_secret: bytes, now: dt.datetime, report: DropReport, min_cell: int = 11
) -> None:
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
        made = _make_cases(connection, case_secret, concerns, now.date(), False, report, min_cell)
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
    engine: Engine,
    case_secret: bytes,
    now: dt.datetime,
    drop_hours: int,
    expiry_days: int,
    force: bool = False,
    min_cell: int = 11,
) -> DropReport:
    """One worker round: urgent concerns now, the daily drop when due (or forced), expiry."""
    report = DropReport()
    drop_urgent(engine, case_secret, now.date(), report, min_cell)
    with engine.connect() as connection:
        due = force or drop_due(connection, now, drop_hours)
    if due:
        drop_concerns(engine, case_secret, now, report, min_cell)
    report.expired = expire_cases(engine, now.date(), expiry_days)
    return report
