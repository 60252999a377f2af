"""`survey-app demo`: a demo organisation, an open wave per instrument, and synthetic responses.

The demo writes only into organisations it made itself (all `is_demo`), and refuses to go on if a
slug it needs belongs to a real organisation. Responses are built from each wave's own instrument
definition, so they follow its routing and codes, and go through the same inbox and mixer as web
responses.
"""


from __future__ import annotations

import random
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import Connection, Engine, func, select

from questionnaires import Instrument, validate_answers
from survey_app.accounts import add_account
from survey_app.audit import record_audit
from survey_app.demo.respondents import ClosedAnswerModel
from survey_app.demo.testimonies import LivedExperienceModel
from survey_app.inbox import inbox_count, submit_response
from survey_app.invitations import display
from survey_app.invitations import issue as issue_codes
from survey_app.submissions import FLAG_BALLOT, VisitTokens
from survey_app.keys import WaveKeyStore
from survey_app.organisations import add_organisation, find_organisation, set_headcount
from survey_app.storage.models import Account, AuditEvent, Organisation, Wave
from survey_app.access import ACCESS_INVITED, ACCESS_OPEN
from survey_app.waves import PublishedWave, find_published_wave, open_wave

DEFAULT_SEED = 2020  # the year of the London Workforce Race Strategy

DEMO_ORGANISATION_SLUG = "demo"
DEMO_ORGANISATION_NAME = "Demo NHS Trust"
DEMO_REGION_SLUG = "demo-region"
DEMO_REGION_NAME = "Demo Integrated Care System"
# Other members of the demo region, so the bank wave asks which organisation the answers are about.
DEMO_REGION_MEMBERS = (
    ("demo-community", "Demo Community Health NHS Trust"),
    ("demo-mental-health", "Demo Mental Health NHS Trust"),
)
# Eligible staff (a mid-sized acute trust; the region's staff, bank and agency included): every demo
# wave opens well above MIN_ORG_HEADCOUNT.
DEMO_HEADCOUNTS = {DEMO_ORGANISATION_SLUG: 6200, DEMO_REGION_SLUG: 31000, "demo-community": 3400, "demo-mental-health": 2900}


@dataclass(frozen=True)
class DemoWavePlan:
    instrument_id: str
    organisation_slug: str
    slug: str
    access: str = ACCESS_OPEN


# Bank and agency staff work across organisations, so their wave covers the region (DESIGN.md).
DEMO_WAVES = (
    DemoWavePlan("nhs-staff-survey", DEMO_ORGANISATION_SLUG, "demo-nhs-staff-survey"),
    DemoWavePlan("bank-temporary-workers", DEMO_REGION_SLUG, "demo-bank-temporary-workers"),
    DemoWavePlan("lived-experience", DEMO_ORGANISATION_SLUG, "demo-lived-experience"),
    # An invited wave (survey_app/invitations): the demo prints a few of its codes to try.
    DemoWavePlan("nhs-staff-survey", "demo-community", "demo-community-invited", access=ACCESS_INVITED),
)
DEMO_CODES = 3


class DemoError(SystemExit):
    """The demo cannot run without touching a real organisation.

    A SystemExit (like keys.MissingKeyError) so that the CLI ends with the reason, not a traceback.
    """


@dataclass(frozen=True)
class DemoWave:
    slug: str
    instrument_id: str
    organisation_slug: str
    link: str
    reused: bool
    responses_added: int
    waiting_in_inbox: int
    access: str = ACCESS_OPEN
    # An invited wave's codes made by this run, to try the survey with (shown once).
    codes: list[str] = field(default_factory=list)


@dataclass(frozen=True)
class DemoReport:
    organisation_slug: str
    organisation_name: str
    responses_per_wave: int
    seed: int
    waves: list[DemoWave] = field(default_factory=list)
    # Demo staff accounts: email -> first password (None when the account already existed).
    accounts: dict[str, str | None] = field(default_factory=dict)

    def describe(self) -> str:
        lines = [
            f"demo organisation {self.organisation_name} ({self.organisation_slug}): "
            f"{self.responses_per_wave} synthetic responses added to each wave"
        ]
        for wave in self.waves:
            state = "reused" if wave.reused else "opened"
            lines.append(
                f"  {wave.slug:<30} {state:<6} {wave.instrument_id:<24} {wave.organisation_slug:<12} {wave.link}"
            )
            if wave.access == ACCESS_INVITED:
                lines.append(
                    "    by invitation only: each code below works once (more with "
                    f"'survey-app invitations issue --wave {wave.slug} --count N --out FILE')"
                )
                lines.extend(f"    code {display(code)}  {wave.link}?code={code}" for code in wave.codes)
                if not wave.codes:
                    lines.append("    no codes made: SURVEY_CASE_KEY_FILE is not set, and codes are hashed with the case key")
        for email, password in self.accounts.items():
            shown = f"password {password} (shown once)" if password else "existing account ('survey-app user password' resets it)"
            lines.append(f"  staff sign-in at /staff/login: {email:<28} {shown}")
        lines.append(
            "  the guardian and the administrator also need an authenticator app (Microsoft Authenticator, Google "
            "Authenticator or any TOTP app): at first sign-in they scan the QR code shown, enter its 6-digit code, "
            "and keep the 10 recovery codes ('survey-app user reset-mfa --email ...' starts again)"
        )
        lines.append("run 'survey-app mix' to move them from the inbox into sealed parts")
        return "\n".join(lines)


# --- organisations and waves ----------------------------------------------------------------

def _demo_organisation(connection: Connection, slug: str, name: str, parent_slug: str | None) -> None:
    """Make a demo organisation, or reuse it; never adopt a real organisation that has the slug."""
    existing = find_organisation(connection, slug)
    if existing is None:
        add_organisation(connection, name, slug, parent_slug, is_demo=True, headcount=DEMO_HEADCOUNTS[slug])
    elif existing.is_demo and existing.headcount is None:  # made before organisations had a headcount
        set_headcount(connection, slug, DEMO_HEADCOUNTS[slug])
    elif not existing.is_demo:
        raise DemoError(
            f"error: organisation {slug!r} ({existing.name}) is a real organisation, not a demo one; "
            "the demo writes only into its own organisations, so it stopped without changing anything"
        )


def _ensure_demo_organisations(connection: Connection) -> None:
    _demo_organisation(connection, DEMO_REGION_SLUG, DEMO_REGION_NAME, None)
    _demo_organisation(connection, DEMO_ORGANISATION_SLUG, DEMO_ORGANISATION_NAME, DEMO_REGION_SLUG)
    for slug, name in DEMO_REGION_MEMBERS:
        _demo_organisation(connection, slug, name, DEMO_REGION_SLUG)


def _free_slug(connection: Connection, base: str) -> str:
    """The base slug, or base-2, base-3, ... when an earlier (closed) wave has it."""
    taken = set(connection.execute(select(Wave.slug).where(Wave.slug.startswith(base))).scalars())
    slug, number = base, 1
    while slug in taken:
        number += 1
        slug = f"{base}-{number}"
    return slug


def _ensure_demo_wave(connection: Connection, key_store: WaveKeyStore, plan: DemoWavePlan) -> tuple[str, bool]:
    """The slug of the demo organisation's open wave for this instrument, opening one if needed."""
    open_slug = connection.execute(
        select(Wave.slug)
        .join(Organisation, Organisation.id == Wave.organisation_id)
        .where(
            Organisation.slug == plan.organisation_slug,
            Wave.instrument_id == plan.instrument_id,
            Wave.status == "open",
        )
    ).scalar()
    if open_slug is not None:
        return open_slug, True
    slug = _free_slug(connection, plan.slug)
    open_wave(connection, key_store, plan.instrument_id, plan.organisation_slug, slug, access=plan.access)
    return slug, False


# --- the command ----------------------------------------------------------------------------

def synthetic_answers(instrument: Instrument, rng: random.Random) -> Callable[[], dict[str, Any]]:
    """A source of synthetic responses for this instrument: a testimony, or a survey's closed answers."""
    if "what_happened" in instrument.questions:
        return LivedExperienceModel(instrument, rng).answers
    return ClosedAnswerModel(instrument, rng).answers


def _add_responses(
    connection: Connection, wave: PublishedWave, responses: int, rng: random.Random, case_secret: bytes | None
) -> int:
    """Synthetic responses; on an invited wave each with a ballot of its own, as a spent code gives
    (without the case key an invited wave gets none: the mixer would drop them)."""
    if wave.invited and case_secret is None:
        return 0
    ballots = VisitTokens(case_secret) if case_secret is not None and wave.invited else None
    draw = synthetic_answers(wave.instrument, rng)
    added = 0
    for _ in range(responses):
        clean, errors = validate_answers(wave.instrument, draw())
        if errors:  # a bug in this module, never something to store
            raise AssertionError(f"demo built an invalid {wave.slug} response: {errors}")
        ballot = ballots.issue(wave.id, FLAG_BALLOT) if ballots is not None else None
        added += submit_response(connection, wave, clean, submission=ballot)
    return added


# One account per staff role, so the dashboard, the guardian's workspace and the release reports
# can be tried at once; scoped to the demo organisations only.
DEMO_ACCOUNTS = (("edi", "edi-lead@demo.example"), ("ftsu", "guardian@demo.example"), ("admin", "admin@demo.example"))


def _ensure_demo_accounts(connection: Connection) -> dict[str, str | None]:
    existing = set(connection.execute(select(Account.email)).scalars())
    accounts: dict[str, str | None] = {}
    for role, email in DEMO_ACCOUNTS:
        if email in existing:
            accounts[email] = None
            continue
        accounts[email] = add_account(connection, email, role, [DEMO_ORGANISATION_SLUG, DEMO_REGION_SLUG])
    return accounts


def run_demo(
    engine: Engine,
    key_store: WaveKeyStore,
    responses: int,
    public_base_url: str,
    seed: int = DEFAULT_SEED,
    case_secret: bytes | None = None,
) -> DemoReport:
    """Make (or reuse) the demo organisations and waves, and add `responses` synthetic responses to each.

    Everything, the audit event included, is one transaction: a demo is either all there and in the
    audit log, or not there at all.
    """
    if responses < 0:
        raise DemoError("error: --responses must be 0 or more")
    waves: list[DemoWave] = []
    with engine.begin() as connection:
        _ensure_demo_organisations(connection)
        earlier_runs = connection.execute(
            select(func.count()).select_from(AuditEvent).where(AuditEvent.action == "demo")
        ).scalar_one()
        for plan in DEMO_WAVES:
            slug, reused = _ensure_demo_wave(connection, key_store, plan)
            published = find_published_wave(connection, slug)
            assert published is not None  # open, in this transaction
            # Reproducible for a given seed and database, yet a second run adds new respondents
            # rather than the same ones again.
            rng = random.Random(f"{seed}:{plan.instrument_id}:{earlier_runs}")
            added = _add_responses(connection, published, responses, rng, case_secret)
            codes = issue_codes(connection, case_secret, published.id, DEMO_CODES) if published.invited and case_secret else []
            waves.append(
                DemoWave(
                    slug=slug,
                    instrument_id=plan.instrument_id,
                    organisation_slug=plan.organisation_slug,
                    link=f"{public_base_url.rstrip('/')}/s/{slug}",
                    reused=reused,
                    responses_added=added,
                    waiting_in_inbox=inbox_count(connection, published.id),
                    access=plan.access,
                    codes=codes,
                )
            )
        accounts = _ensure_demo_accounts(connection)
        record_audit(
            connection,
            "cli",
            "demo",
            organisation=DEMO_ORGANISATION_SLUG,
            seed=seed,
            responses={wave.slug: wave.responses_added for wave in waves},
            opened=[wave.slug for wave in waves if not wave.reused],
        )
    return DemoReport(
        organisation_slug=DEMO_ORGANISATION_SLUG,
        organisation_name=DEMO_ORGANISATION_NAME,
        responses_per_wave=responses,
        seed=seed,
        waves=waves,
        accounts=accounts,
    )
