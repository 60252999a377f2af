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
    # Staff eligible to answer its surveys, as an administrator entered it. No wave opens for an
    # organisation whose headcount is unknown or below MIN_ORG_HEADCOUNT, so no one can aim a wave at
    # a team; respondents are told roughly how many people the survey is for.
    headcount: int | None = None


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
    opened_on: dt.date
    closed_on: dt.date | None = None
    keys_destroyed: bool = False
    # Staff eligible to answer, as an administrator entered it: gives the response rate.
    eligible_headcount: int | None = None
    # How closed-answer parts are sealed (survey_app/closed_parts.py): 2 records, 1 JSON (waves opened
    # before records existed). A wave keeps its format to the end, so its parts never differ in size.
    closed_part_format: int = Field(default=2, sa_column_kwargs={"server_default": "1"})
    # Who may answer (survey_app/invitations): "open" (anyone with the link, within the open-link
    # budget) or "invited" (one response per single-use invitation code).
    access: str = Field(default="open", max_length=16, sa_column_kwargs={"server_default": "open"})


class InboxEpoch(SQLModel, table=True):
    """One short-lived inbox key of a wave (survey_app/epochs.py): its public half and its state.

    The private half is never here: it is in the key store, wrapped by the KEK, until it is
    destroyed. No date, no sequence: an epoch must not date the responses sealed to it.
    """

    __tablename__ = "inbox_epoch"
    __table_args__ = (
        # At most one epoch per wave takes new rows (current) or keeps a closed wave's last ones (held).
        Index(
            "one_live_epoch_per_wave",
            "wave_id",
            unique=True,
            sqlite_where=text("state IN ('current', 'held')"),
            postgresql_where=text("state IN ('current', 'held')"),
        ),
    )
    id: str = Field(default_factory=random_id, primary_key=True, max_length=32)
    wave_id: str = Field(foreign_key="wave.id", index=True, max_length=32)
    public_key: bytes = Field(sa_column=Column(LargeBinary, nullable=False))
    # current | held | retired | destroyed (survey_app/epochs.py)
    state: str = Field(max_length=16)


class InboxItem(SQLModel, table=True):
    __tablename__ = "inbox"
    __table_args__ = RESPONDENT_TABLE_ARGS
    id: str = Field(default_factory=random_id, primary_key=True, max_length=32)
    wave_id: str = Field(foreign_key="wave.id", index=True, max_length=32)
    # The inbox key this row is sealed to: once that epoch is destroyed, no copy of the row opens.
    epoch_id: str = Field(foreign_key="inbox_epoch.id", index=True, max_length=32)
    sealed: bytes = Field(sa_column=Column(LargeBinary, nullable=False))


class MixedSubmission(SQLModel, table=True):
    """The keyed hash of each (visit token, answers) pair a wave's mixer has seen (survey_app/submissions.py)."""

    __tablename__ = "mixed_submission"
    __table_args__ = RESPONDENT_TABLE_ARGS
    wave_id: str = Field(foreign_key="wave.id", primary_key=True, max_length=32)
    token_hash: bytes = Field(sa_column=Column(LargeBinary, primary_key=True))


class Invitation(SQLModel, table=True):
    """A keyed hash of one *unused* invitation code (survey_app/invitations): no name, no contact, no
    date. Spending the code deletes this row and adds one to `spent_invitation`."""

    __tablename__ = "invitation"
    __table_args__ = RESPONDENT_TABLE_ARGS
    wave_id: str = Field(foreign_key="wave.id", primary_key=True, max_length=32)
    code_hash: bytes = Field(sa_column=Column(LargeBinary, primary_key=True))


class SpentInvitation(SQLModel, table=True):
    """A keyed hash of an invitation code that has been used, so a second use is told so (409).
    Nothing here says which visit, ballot or response used it."""

    __tablename__ = "spent_invitation"
    __table_args__ = RESPONDENT_TABLE_ARGS
    wave_id: str = Field(foreign_key="wave.id", primary_key=True, max_length=32)
    code_hash: bytes = Field(sa_column=Column(LargeBinary, primary_key=True))


class SpentVisit(SQLModel, table=True):
    """A keyed hash of each visit token that has submitted on the web form, so that a reloaded
    thank-you page never shows the receipt again (survey_app/spent_visits.py). No date finer than
    the week after which the worker deletes it."""

    __tablename__ = "spent_visit"
    __table_args__ = RESPONDENT_TABLE_ARGS
    token_hash: bytes = Field(sa_column=Column(LargeBinary, primary_key=True))
    wave_id: str = Field(foreign_key="wave.id", index=True, max_length=32)
    expires_week: dt.date


class Draft(SQLModel, table=True):
    """A respondent's saved answers, sealed under a key only their resume code gives (survey_app/drafts.py).
    No date finer than the week after which the worker deletes it."""

    __tablename__ = "draft"
    __table_args__ = RESPONDENT_TABLE_ARGS
    locator_hash: bytes = Field(sa_column=Column(LargeBinary, primary_key=True))
    wave_id: str = Field(foreign_key="wave.id", index=True, max_length=32)
    salt: bytes = Field(sa_column=Column(LargeBinary, nullable=False))
    sealed: bytes = Field(sa_column=Column(LargeBinary, nullable=False))
    visit_tag: bytes = Field(sa_column=Column(LargeBinary, nullable=False, index=True))
    expires_week: dt.date


class ImportedFile(SQLModel, table=True):
    """A keyed hash of each file imported into a wave (survey_app/importer.py), so the same file is not
    imported twice by mistake: no name, no date."""

    __tablename__ = "imported_file"
    wave_id: str = Field(foreign_key="wave.id", primary_key=True, max_length=32)
    fingerprint: bytes = Field(sa_column=Column(LargeBinary, primary_key=True))


class OpenLinkRefusal(SQLModel, table=True):
    """How many submissions an open wave refused over its budget (survey_app/open_link.py): a count
    per wave, nothing about who or when."""

    __tablename__ = "open_link_refusal"
    wave_id: str = Field(foreign_key="wave.id", primary_key=True, max_length=32)
    refused: int = 0


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
    active: bool = True
    # Raised whenever the password or second factor changes, the account is disabled, or its holder
    # signs out everywhere: every session carries the value it was made with (survey_app/staff/session.py).
    session_epoch: int = 0
    # TOTP secret, sealed under a key derived from the case secret (survey_app/staff/mfa.py); the last
    # time step accepted (a code is never accepted twice); argon2 hashes of unused recovery codes (JSON).
    mfa_secret: bytes | None = Field(default=None, sa_column=Column(LargeBinary, nullable=True))
    mfa_last_step: int | None = None
    recovery_codes: str | None = Field(default=None, sa_column=Column(Text, nullable=True))


class AccountOrganisation(SQLModel, table=True):
    """Which organisations an account may see: every staff view is scoped by these."""

    __tablename__ = "account_organisation"
    account_id: str = Field(foreign_key="account.id", primary_key=True, max_length=32)
    organisation_id: str = Field(foreign_key="organisation.id", primary_key=True, max_length=32)


class UrgentConcern(SQLModel, table=True):
    """A concern the respondent marked urgent, sealed by the web process under the organisation's
    case key as it was submitted, so it need not wait for a full mixing batch and the daily drop.

    The trade-off, which the respondent chose: its arrival time is close to its submission time.
    A random id and no date; the worker turns it into a case on its next round and deletes it.
    """

    __tablename__ = "urgent_concern"
    __table_args__ = RESPONDENT_TABLE_ARGS
    id: str = Field(default_factory=random_id, primary_key=True, max_length=32)
    wave_id: str = Field(foreign_key="wave.id", index=True, max_length=32)
    organisation_id: str = Field(foreign_key="organisation.id", index=True, max_length=32)
    sealed: bytes = Field(sa_column=Column(LargeBinary, nullable=False))


class FtsuCase(SQLModel, table=True):
    """A concern in a Freedom to Speak Up guardian's inbox.

    Columns hold only what must be queried; everything else (texts, attributes, categories,
    notes, the reply thread, the answer to "Would you speak up again?") is sealed under the
    organisation's case key. No column records when a respondent did anything: `dropped_on` is
    the date of the drop that delivered the case. Guessing receipts is limited outside the
    database (survey_app/ratelimit.py), so nothing here counts attempts or locks a case.
    """

    __tablename__ = "ftsu_case"
    __table_args__ = (Index("ftsu_case_inbox", "organisation_id", "status"), RESPONDENT_TABLE_ARGS)
    id: str = Field(default_factory=random_id, primary_key=True, max_length=32)
    organisation_id: str = Field(foreign_key="organisation.id", max_length=32)
    wave_id: str = Field(foreign_key="wave.id", max_length=32)
    # Keyed hashes of the receipt's locator and of the whole receipt; NULL when the concern came
    # without a receipt (paper returns, the demo), so no one can read replies to it.
    locator_hash: str | None = Field(default=None, index=True, max_length=64)
    secret_hash: str | None = Field(default=None, max_length=64)
    status: str = Field(default="new", max_length=16)
    urgent: bool = False
    # The respondent wrote since a guardian last opened the case.
    respondent_wrote: bool = False
    dropped_on: dt.date
    assigned_to: str | None = Field(default=None, foreign_key="account.id", max_length=32)
    closed_on: dt.date | None = None
    # Made from the urgent inbox; its copy through the mixer has not arrived yet (and will be dropped).
    awaiting_copy: bool = False
    # Optimistic locking: every update checks and bumps it, so concurrent edits never overwrite.
    revision: int = 0
    sealed: bytes = Field(sa_column=Column(LargeBinary, nullable=False))


class FtsuDrop(SQLModel, table=True):
    """When the worker last delivered waiting concerns to the guardians (the schedule, not respondents)."""

    __tablename__ = "ftsu_drop"
    id: int | None = Field(default=None, primary_key=True)
    dropped_at: dt.datetime
    cases: int = 0


class OrganisationTerm(SQLModel, table=True):
    """The organisation's own site, ward and team names, which redaction replaces ([WARD], ...)."""

    __tablename__ = "organisation_term"
    organisation_id: str = Field(foreign_key="organisation.id", primary_key=True, max_length=32)
    kind: str = Field(primary_key=True, max_length=8)  # SITE, WARD or TEAM
    term: str = Field(primary_key=True, max_length=200)


class PublishedThemeSet(SQLModel, table=True):
    """Themes of a wave's released testimonies, computed by the release job (survey_app/themes.py).

    The JSON holds redacted quotes, so it is sealed under a key derived from the case secret, which
    the web process holds; counts in it went through the release's disclosure control.
    """

    __tablename__ = "published_theme_set"
    id: str = Field(default_factory=random_id, primary_key=True, max_length=32)
    wave_id: str = Field(foreign_key="wave.id", index=True, max_length=32)
    release_id: str = Field(foreign_key="release.id", max_length=32)
    computed_on: dt.date
    sealed: bytes = Field(sa_column=Column(LargeBinary, nullable=False))
    # What the next theme set's disclosure control needs (reference counts, earlier figures), sealed
    # under the wave's data key: only the worker reads it (survey_app/themes.py).
    sealed_state: bytes | None = Field(default=None, sa_column=Column(LargeBinary, nullable=True))
