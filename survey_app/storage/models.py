"""Tables. Nothing a respondent sends is stored with a date, an address or a sequence number.

Respondent tables (inbox and the three part tables) use random text ids and, on SQLite, are
WITHOUT ROWID tables, so their physical order follows the random id rather than arrival order.
"""

from __future__ import annotations

import datetime as dt
import secrets

from sqlalchemy import Column, Index, LargeBinary, Text, text
from sqlmodel import Field, SQLModel


def random_id() -> str:
    return secrets.token_hex(16)


RESPONDENT_TABLE_ARGS = {"sqlite_with_rowid": False}


class Organisation(SQLModel, table=True):
    __tablename__ = "organisation"
    id: str = Field(default_factory=random_id, primary_key=True, max_length=32)
    slug: str = Field(unique=True, max_length=64)
    name: str = Field(max_length=200)
    is_demo: bool = False
    # A region (an ICS, London) groups member organisations; bank waves may cover a region.
    parent_id: str | None = Field(default=None, foreign_key="organisation.id", max_length=32)


class Wave(SQLModel, table=True):
    __tablename__ = "wave"
    __table_args__ = (
        # One open wave per instrument and organisation, so no one can aim a wave at a team.
        Index(
            "one_open_wave_per_instrument_and_organisation",
            "organisation_id",
            "instrument_id",
            unique=True,
            sqlite_where=text("status = 'open'"),
            postgresql_where=text("status = 'open'"),
        ),
    )
    id: str = Field(default_factory=random_id, primary_key=True, max_length=32)
    slug: str = Field(unique=True, max_length=64)
    organisation_id: str = Field(foreign_key="organisation.id", max_length=32)
    instrument_id: str = Field(max_length=64)
    instrument_version: str = Field(max_length=32)
    # The whole instrument as it was when the wave opened: later edits never change how answers read.
    definition: str = Field(sa_column=Column(Text, nullable=False))
    status: str = Field(default="open", max_length=16)
    allow_import: bool = False
    public_key: bytes = Field(sa_column=Column(LargeBinary, nullable=False))
    opened_on: dt.date
    closed_on: dt.date | None = None
    keys_destroyed: bool = False


class InboxItem(SQLModel, table=True):
    __tablename__ = "inbox"
    __table_args__ = RESPONDENT_TABLE_ARGS
    id: str = Field(default_factory=random_id, primary_key=True, max_length=32)
    wave_id: str = Field(foreign_key="wave.id", index=True, max_length=32)
    sealed: bytes = Field(sa_column=Column(LargeBinary, nullable=False))


class ClosedAnswerPart(SQLModel, table=True):
    __tablename__ = "closed_answer_part"
    __table_args__ = RESPONDENT_TABLE_ARGS
    id: str = Field(default_factory=random_id, primary_key=True, max_length=32)
    wave_id: str = Field(foreign_key="wave.id", index=True, max_length=32)
    sealed: bytes = Field(sa_column=Column(LargeBinary, nullable=False))


class TestimonyPart(SQLModel, table=True):
    __tablename__ = "testimony_part"
    __table_args__ = RESPONDENT_TABLE_ARGS
    id: str = Field(default_factory=random_id, primary_key=True, max_length=32)
    wave_id: str = Field(foreign_key="wave.id", index=True, max_length=32)
    sealed: bytes = Field(sa_column=Column(LargeBinary, nullable=False))


class ConcernPart(SQLModel, table=True):
    """A concern the respondent chose to share, sealed under the organisation's case key."""

    __tablename__ = "concern_part"
    __table_args__ = RESPONDENT_TABLE_ARGS
    id: str = Field(default_factory=random_id, primary_key=True, max_length=32)
    wave_id: str = Field(foreign_key="wave.id", index=True, max_length=32)
    organisation_id: str = Field(foreign_key="organisation.id", index=True, max_length=32)
    sealed: bytes = Field(sa_column=Column(LargeBinary, nullable=False))


class AuditEvent(SQLModel, table=True):
    """Staff and operator actions (never respondents'): who did what, when."""

    __tablename__ = "audit_event"
    id: int | None = Field(default=None, primary_key=True)
    at: dt.datetime
    actor: str = Field(max_length=200)
    action: str = Field(max_length=64)
    detail: str = Field(sa_column=Column(Text, nullable=False))


PART_TABLES = {
    "closed_answers": ClosedAnswerPart,
    "testimony": TestimonyPart,
    "concern": ConcernPart,
}


class Release(SQLModel, table=True):
    """One run of the release job for a wave, with its report."""

    __tablename__ = "release"
    __table_args__ = (Index("one_number_per_wave", "wave_id", "number", unique=True),)
    id: str = Field(default_factory=random_id, primary_key=True, max_length=32)
    wave_id: str = Field(foreign_key="wave.id", max_length=32)
    number: int
    released_on: dt.date
    final: bool = False
    report: str = Field(sa_column=Column(Text, nullable=False))
    # Reference bases for the next release's disclosure control (growth since a figure was shown or
    # first withheld), sealed under the wave's data key: they include bases that were withheld.
    sealed_state: bytes | None = Field(default=None, sa_column=Column(LargeBinary, nullable=True))


class PublishedCell(SQLModel, table=True):
    """A safe aggregate: one breakdown group of one measure. Withheld cells store no figure at all."""

    __tablename__ = "published_cell"
    __table_args__ = (Index("published_cell_lookup", "release_id", "measure", "table_name"),)
    id: int | None = Field(default=None, primary_key=True)
    release_id: str = Field(foreign_key="release.id", max_length=32)
    table_name: str = Field(max_length=64)
    group_label: str = Field(max_length=300)
    measure: str = Field(max_length=64)
    base: int | None = None
    counts: str | None = Field(default=None, sa_column=Column(Text, nullable=True))
    withheld: str | None = Field(default=None, max_length=16)
    held_from_previous: bool = False


class PublishedMicrodata(SQLModel, table=True):
    """k-anonymous, l-diverse microdata of a release, for administrators' audited export."""

    __tablename__ = "published_microdata"
    release_id: str = Field(foreign_key="release.id", primary_key=True, max_length=32)
    levels: str = Field(sa_column=Column(Text, nullable=False))
    columns: str = Field(sa_column=Column(Text, nullable=False))
    rows: str = Field(sa_column=Column(Text, nullable=False))


class TestimonyBatch(SQLModel, table=True):
    """Released testimonies, shuffled, at least k a batch, sealed under the wave's data key."""

    __tablename__ = "testimony_batch"
    __table_args__ = RESPONDENT_TABLE_ARGS
    id: str = Field(default_factory=random_id, primary_key=True, max_length=32)
    wave_id: str = Field(foreign_key="wave.id", index=True, max_length=32)
    release_id: str = Field(foreign_key="release.id", max_length=32)
    sealed: bytes = Field(sa_column=Column(LargeBinary, nullable=False))


class Account(SQLModel, table=True):
    """A staff account: EDI lead, FTSU guardian or administrator."""

    __tablename__ = "account"
    id: str = Field(default_factory=random_id, primary_key=True, max_length=32)
    email: str = Field(unique=True, max_length=254)
    role: str = Field(max_length=16)
    password_hash: str = Field(max_length=200)
    failed_logins: int = 0
    locked_until: dt.datetime | None = None
    active: bool = True


class AccountOrganisation(SQLModel, table=True):
    """Which organisations an account may see: every staff view is scoped by these."""

    __tablename__ = "account_organisation"
    account_id: str = Field(foreign_key="account.id", primary_key=True, max_length=32)
    organisation_id: str = Field(foreign_key="organisation.id", primary_key=True, max_length=32)
