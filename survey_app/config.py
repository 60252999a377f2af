"""All configuration, read from the environment in one place."""

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


def _path(name: str) -> Path | None:
    raw = os.environ.get(name)
    return Path(raw) if raw else None


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
    # FTSU: wrong receipt attempts per wave per minute before /receipt says "try again later".
    receipt_attempts_per_minute: int = 10

    @classmethod
    def from_env(cls) -> Settings:
        default_db = Path("var") / "survey.db"
        database_url = os.environ.get("DATABASE_URL") or f"sqlite:///{default_db}"
        return cls(
            database_url=database_url,
            key_file=_path("SURVEY_KEY_FILE"),
            case_key_file=_path("SURVEY_CASE_KEY_FILE"),
            redis_url=os.environ.get("REDIS_URL") or None,
            min_cell=_int("MIN_CELL", 11),
            k_anonymity=_int("K_ANONYMITY", 11),
            mix_batch=_int("MIX_BATCH", 11),
            retention_days=_int("RETENTION_DAYS", 365),
            public_base_url=os.environ.get("PUBLIC_BASE_URL", "http://127.0.0.1:8000").rstrip("/"),
            worker_interval_seconds=_int("WORKER_INTERVAL_SECONDS", 60),
            csrf_secret=os.environ.get("CSRF_SECRET") or None,
            ftsu_drop_hours=_int("FTSU_DROP_HOURS", 24),
            ftsu_case_expiry_days=_int("FTSU_CASE_EXPIRY_DAYS", 90),
            ftsu_reply_days=_int("FTSU_REPLY_DAYS", 5),
            receipt_attempts_per_minute=_int("RECEIPT_ATTEMPTS_PER_MINUTE", 10),
        )
