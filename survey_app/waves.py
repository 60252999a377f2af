"""Waves: an instrument run for an organisation over a period, with its own keys."""

from __future__ import annotations

import datetime as dt
import json
import time
from collections.abc import Mapping
from dataclasses import dataclass, field
from functools import lru_cache

from sqlalchemy import Connection, Engine, delete, insert, select, update
from sqlalchemy.exc import IntegrityError

from questionnaires import Instrument, load_instrument, parse_instrument
from survey_app.access import ACCESS_INVITED, ACCESS_MODES, ACCESS_OPEN
from survey_app.closed_parts import COLUMNAR_FORMAT
from survey_app.epochs import CURRENT, create_epoch
from survey_app.keys import WaveKeyStore
from survey_app.config import MIN_ORG_HEADCOUNT
from survey_app.organisations import (
    SLUG_PATTERN,
    OrganisationError,
    find_organisation,
    member_names,
    organisation_terms,
    refuse_small,
    rough_headcount,
)
from survey_app.sealing import generate_wave_keys
from survey_app.storage.models import Draft, InboxEpoch, Organisation, Wave, random_id


class WaveError(ValueError):
    pass


@dataclass(frozen=True)
class WaveSummary:
    id: str
    slug: str
    organisation_slug: str
    organisation_name: str
    instrument_id: str
    instrument_version: str
    status: str
    allow_import: bool
    opened_on: dt.date
    closed_on: dt.date | None
    keys_destroyed: bool
    eligible_headcount: int | None = None
    access: str = ACCESS_OPEN

    @property
    def is_open(self) -> bool:
        return self.status == "open"


@dataclass(frozen=True)
class PublishedWave:
    """What the web process needs to take a response: never any private key."""

    id: str
    slug: str
    organisation_name: str
    instrument: Instrument
    # The wave's current inbox epoch as last read (survey_app/epochs.py): responses are sealed to it.
    epoch_id: str
    public_key: bytes
    # Site, ward and team names redaction replaces: a respondent previews how they would be quoted.
    organisation_terms: Mapping[str, list[str]] = field(default_factory=dict)
    # Staff the organisation's surveys are for (the landing page says roughly how many).
    organisation_headcount: int | None = None
    # "open", or "invited": a response needs a visit that spent an invitation code (survey_app/invitations).
    access: str = ACCESS_OPEN

    @property
    def invited(self) -> bool:
        return self.access == ACCESS_INVITED

    @property
    def rough_headcount(self) -> str | None:
        return rough_headcount(self.organisation_headcount) if self.organisation_headcount else None


@lru_cache(maxsize=256)
def instrument_from_definition(wave_id: str, definition: str) -> Instrument:
    return parse_instrument(json.loads(definition), f"wave {wave_id}")


def open_wave(
    connection: Connection,
    key_store: WaveKeyStore,
    instrument_id: str,
    organisation_slug: str,
    slug: str,
    allow_import: bool = False,
    min_org_headcount: int = MIN_ORG_HEADCOUNT,
    access: str = ACCESS_OPEN,
) -> str:
    if access not in ACCESS_MODES:
        raise WaveError(f"access must be 'open' or 'invited', not {access!r}")
    if not SLUG_PATTERN.match(slug):
        raise WaveError(f"slug {slug!r} must be lowercase letters, digits and hyphens")
    organisation = find_organisation(connection, organisation_slug)
    if organisation is None:
        raise WaveError(f"no organisation with slug {organisation_slug!r}; add it with 'survey-app org add'")
    try:
        refuse_small(organisation, min_org_headcount)
    except OrganisationError as error:
        raise WaveError(str(error)) from None
    instrument = load_instrument(instrument_id).with_organisations(member_names(connection, organisation.id))
    if connection.execute(select(Wave.id).where(Wave.slug == slug)).first():
        raise WaveError(f"a wave with slug {slug!r} already exists")
    wave_id = random_id()
    try:
        with connection.begin_nested():
            connection.execute(
                insert(Wave).values(
                    id=wave_id,
                    slug=slug,
                    organisation_id=organisation.id,
                    instrument_id=instrument.id,
                    instrument_version=instrument.version,
                    definition=json.dumps(instrument.definition),
                    status="open",
                    allow_import=allow_import,
                    opened_on=dt.date.today(),
                    keys_destroyed=False,
                    closed_part_format=COLUMNAR_FORMAT,
                    access=access,
                )
            )
    except IntegrityError:
        raise WaveError(
            f"{organisation.name} already has an open {instrument_id} wave; close it first"
        ) from None
    # Keys are on disk (fsynced) before the transaction that publishes the wave commits.
    with key_store.lock("open"):
        key_store.store(wave_id, generate_wave_keys())
        create_epoch(connection, key_store, wave_id)
    return wave_id


def close_wave(connection: Connection, slug: str) -> None:
    result = connection.execute(
        update(Wave)
        .where(Wave.slug == slug, Wave.status == "open")
        .values(status="closed", closed_on=dt.date.today())
    )
    if result.rowcount == 0:
        wave = find_wave(connection, slug)
        raise WaveError(f"no wave {slug!r}" if wave is None else f"wave {slug!r} is already closed")
    # A closed wave takes no more answers: drafts saved to finish it later go now (survey_app/drafts.py).
    connection.execute(delete(Draft).where(Draft.wave_id.in_(select(Wave.id).where(Wave.slug == slug))))


def set_eligible_headcount(connection: Connection, slug: str, headcount: int) -> None:
    if headcount < 1:
        raise WaveError("the eligible headcount must be at least 1")
    if connection.execute(update(Wave).where(Wave.slug == slug).values(eligible_headcount=headcount)).rowcount == 0:
        raise WaveError(f"no wave {slug!r}")


def _summary_query():  # type: ignore[no-untyped-def]
    return select(
        Wave.id,
        Wave.slug,
        Organisation.slug.label("organisation_slug"),
        Organisation.name.label("organisation_name"),
        Wave.instrument_id,
        Wave.instrument_version,
        Wave.status,
        Wave.allow_import,
        Wave.opened_on,
        Wave.closed_on,
        Wave.keys_destroyed,
        Wave.eligible_headcount,
        Wave.access,
    ).join(Organisation, Organisation.id == Wave.organisation_id)


def list_waves(connection: Connection) -> list[WaveSummary]:
    rows = connection.execute(_summary_query().order_by(Organisation.slug, Wave.opened_on, Wave.slug))
    return [WaveSummary(**row._mapping) for row in rows]


def find_wave(connection: Connection, slug: str) -> WaveSummary | None:
    row = connection.execute(_summary_query().where(Wave.slug == slug)).first()
    return WaveSummary(**row._mapping) if row else None


def wave_instrument(connection: Connection, wave_id: str) -> Instrument:
    definition = connection.execute(select(Wave.definition).where(Wave.id == wave_id)).scalar_one()
    return instrument_from_definition(wave_id, definition)


def find_published_wave(connection: Connection, slug: str) -> PublishedWave | None:
    """The open wave with this slug, as the web process sees it; None if unknown or closed."""
    row = connection.execute(
        select(
            Wave.id,
            Wave.slug,
            Wave.definition,
            Wave.organisation_id,
            Organisation.name,
            InboxEpoch.id.label("epoch_id"),
            InboxEpoch.public_key,
            Organisation.headcount,
            Wave.access,
        )
        .join(Organisation, Organisation.id == Wave.organisation_id)
        .join(InboxEpoch, InboxEpoch.wave_id == Wave.id)
        .where(Wave.slug == slug, Wave.status == "open", InboxEpoch.state == CURRENT)
    ).first()
    if row is None:
        return None
    instrument = instrument_from_definition(row.id, row.definition)
    return PublishedWave(
        id=row.id,
        slug=row.slug,
        organisation_name=row.name,
        instrument=instrument,
        epoch_id=row.epoch_id,
        public_key=bytes(row.public_key),
        organisation_terms=organisation_terms(connection, row.organisation_id) if instrument.free_text_questions() else {},
        organisation_headcount=row.headcount,
        access=row.access,
    )


class PublishedWaves:
    """Open waves by slug, as the web process sees them, remembered for a few seconds.

    Remembering is safe: a submission re-checks that its wave is open, and that its inbox epoch is
    still current, in the same transaction that stores it (survey_app/inbox.py), so a wave closed
    meanwhile takes nothing and a response sealed to a retired epoch is re-sealed to the current one.
    The worker rotates epochs once a round (a minute by default), so a few seconds of memory cost at
    most a re-seal for the submissions of those seconds, and save a query on every request.
    """

    def __init__(self, engine: Engine, seconds: float = 5.0) -> None:
        self.engine = engine
        self.seconds = seconds
        self._known: dict[str, tuple[float, PublishedWave | None]] = {}

    def get(self, slug: str, fresh: bool = False) -> PublishedWave | None:
        now = time.monotonic()
        remembered = self._known.get(slug)
        if not fresh and remembered is not None and now - remembered[0] < self.seconds:
            return remembered[1]
        with self.engine.connect() as connection:
            wave = find_published_wave(connection, slug)
        if len(self._known) > 1024:
            self._known.clear()
        self._known[slug] = (now, wave)
        return wave

    def forget(self, slug: str) -> None:
        self._known.pop(slug, None)
