"""All configuration, read from the environment in one place.

The anonymity thresholds (`MIN_CELL`, `K_ANONYMITY`, `MIX_BATCH`) have a floor of 11, the national
staff survey's rule: a deployment that set `MIX_BATCH=2` would pair every testimony with its
closed answers at one in two, and nothing downstream could notice. Below the floor they are
refused when read from the environment, unless `SURVEY_ALLOW_SMALL_THRESHOLDS=1` says this is a
test (tests that spawn processes use it; `make run` and the files in `deploy/` never set it).
Code that builds `Settings(...)` directly (tests, benchmarks) is not checked: it is not a deployment.
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from pathlib import Path


def _int(name: str, default: int) -> int:
    raw = os.environ.get(name)
    if raw is None or raw == "":
        return default
    try:
        value = int(raw)
    except ValueError:
        raise SystemExit(f"{name} must be a whole number, not {raw!r}") from None
    if value < 1:
        raise SystemExit(f"{name} must be at least 1, not {value}")
    return value


# The smallest anonymity threshold a deployment may run with (DESIGN.md: "each at least 11 outside tests").
THRESHOLD_FLOOR = 11
SMALL_THRESHOLDS_SWITCH = "SURVEY_ALLOW_SMALL_THRESHOLDS"


def _threshold(name: str) -> int:
    """An anonymity threshold: at least THRESHOLD_FLOOR unless the testing switch is set."""
    value = _int(name, THRESHOLD_FLOOR)
    if value < THRESHOLD_FLOOR and os.environ.get(SMALL_THRESHOLDS_SWITCH) != "1":
        raise SystemExit(
            f"{name} must be at least {THRESHOLD_FLOOR}, not {value}: smaller groups can single people out. "
            f"({SMALL_THRESHOLDS_SWITCH}=1 allows it for tests only; never set it in a deployment.)"
        )
    return value


def _path(name: str) -> Path | None:
    raw = os.environ.get(name)
    return Path(raw) if raw else None


# Fewest eligible staff an organisation (or region) may have for a wave to open: below it a "survey"
# could be aimed at one team, whose members its results would describe.
MIN_ORG_HEADCOUNT = 50


@dataclass(frozen=True)
class Settings:
    database_url: str
    key_file: Path | None
    case_key_file: Path | None
    redis_url: str | None = None
    min_cell: int = 11
    k_anonymity: int = 11
    mix_batch: int = 11
    retention_days: int = 365
    # Largest JSON body a respondent may post; a long testimony is well under this.
    max_body_bytes: int = 64 * 1024
    public_base_url: str = "http://127.0.0.1:8000"
    worker_interval_seconds: int = 60
    white_codes: tuple[int, ...] = field(default=(1, 2, 3, 4))
    # Signs CSRF tokens; replicas must share it. Unset: derived from the case key, if there is one.
    csrf_secret: str | None = None
    # Staff sessions without Redis are kept in files here.
    session_folder: Path = Path("var") / "sessions"
    # FTSU: hours between deliveries of waiting concerns to the guardians (urgent ones do not wait).
    ftsu_drop_hours: int = 24
    # FTSU: days a closed case is kept before the worker deletes it.
    ftsu_case_expiry_days: int = 90
    # FTSU: working days within which guardians aim to reply (said on the confirmation page).
    ftsu_reply_days: int = 5
    # FTSU: receipt attempts a minute over all waves before /receipt asks everyone to wait; high, so
    # that one client cannot reach it (survey_app/ratelimit.py states the arithmetic).
    receipt_guesses_per_minute: int = 100_000
    # Submissions a minute each open wave accepts (survey_app/open_link.py).
    open_link_budget: int = 600
    # Slow clients (survey_app/server_protocol.py): seconds to send a request's headers, then its body.
    header_timeout_seconds: int = 10
    body_timeout_seconds: int = 30
    min_org_headcount: int = MIN_ORG_HEADCOUNT
    # Staff sessions end after this many minutes without a request (and 8 hours after sign-in whatever).
    staff_idle_minutes: int = 30
    # "required": every staff role needs the second factor; otherwise EDI leads choose (guardians and
    # administrators always need it).
    staff_mfa: str = "optional"
    # Days a saved draft keeps before the worker deletes it (survey_app/drafts.py).
    draft_days: int = 7

    @classmethod
    def from_env(cls) -> Settings:
        default_db = Path("var") / "survey.db"
        database_url = os.environ.get("DATABASE_URL") or f"sqlite:///{default_db}"
        return cls(
            database_url=database_url,
            key_file=_path("SURVEY_KEY_FILE"),
            case_key_file=_path("SURVEY_CASE_KEY_FILE"),
            redis_url=os.environ.get("REDIS_URL") or None,
            min_cell=_threshold("MIN_CELL"),
            k_anonymity=_threshold("K_ANONYMITY"),
            mix_batch=_threshold("MIX_BATCH"),
            retention_days=_int("RETENTION_DAYS", 365),
            public_base_url=os.environ.get("PUBLIC_BASE_URL", "http://127.0.0.1:8000").rstrip("/"),
            worker_interval_seconds=_int("WORKER_INTERVAL_SECONDS", 60),
            csrf_secret=os.environ.get("CSRF_SECRET") or None,
            ftsu_drop_hours=_int("FTSU_DROP_HOURS", 24),
            ftsu_case_expiry_days=_int("FTSU_CASE_EXPIRY_DAYS", 90),
            ftsu_reply_days=_int("FTSU_REPLY_DAYS", 5),
            receipt_guesses_per_minute=_int("RECEIPT_GUESSES_PER_MINUTE", 100_000),
            open_link_budget=_int("OPEN_LINK_BUDGET", 600),
            header_timeout_seconds=_int("HEADER_TIMEOUT_SECONDS", 10),
            body_timeout_seconds=_int("BODY_TIMEOUT_SECONDS", 30),
            min_org_headcount=_int("MIN_ORG_HEADCOUNT", MIN_ORG_HEADCOUNT),
            draft_days=_int("DRAFT_DAYS", 7),
            staff_idle_minutes=_int("STAFF_IDLE_MINUTES", 30),
            staff_mfa=os.environ.get("STAFF_MFA", "optional").strip().lower(),
        )
