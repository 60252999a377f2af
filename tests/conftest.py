"""Shared fixtures: a migrated database on SQLite and, when SURVEY_TEST_POSTGRES_URL is set, PostgreSQL.

Every test that takes `database_url` runs once per database. PostgreSQL databases are copied from
a migrated template, so each test starts from an empty, current schema.
"""

from __future__ import annotations

import os
import secrets
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url

from survey_app.config import Settings
from survey_app.keys import write_secret_file
from survey_app.storage.database import engine_for, normalise_url, upgrade

POSTGRES_URL = os.environ.get("SURVEY_TEST_POSTGRES_URL")
ROOT = Path(__file__).resolve().parent.parent
SHARED = ROOT.parent / "shared"


def _admin_engine():  # type: ignore[no-untyped-def]
    assert POSTGRES_URL is not None
    return create_engine(normalise_url(POSTGRES_URL), isolation_level="AUTOCOMMIT")


def _postgres_url(database: str) -> str:
    assert POSTGRES_URL is not None
    return make_url(normalise_url(POSTGRES_URL)).set(database=database).render_as_string(hide_password=False)


@pytest.fixture(scope="session")
def postgres_template() -> Iterator[str]:
    if not POSTGRES_URL:
        pytest.skip("SURVEY_TEST_POSTGRES_URL is not set; .ci/run sets it to run the suite on PostgreSQL")
    name = f"survey_tmpl_{secrets.token_hex(4)}"
    admin = _admin_engine()
    with admin.connect() as connection:
        connection.execute(text(f'CREATE DATABASE "{name}"'))
    url = _postgres_url(name)
    upgrade(url)
    engine_for(url).dispose()
    yield name
    with admin.connect() as connection:
        connection.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
    admin.dispose()


@pytest.fixture(params=["sqlite", "postgresql"])
def database_url(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    if request.param == "sqlite":
        url = f"sqlite:///{tmp_path / 'survey.db'}"
        upgrade(url)
        yield url
        engine_for(url).dispose()
        return
    template = request.getfixturevalue("postgres_template")
    name = f"survey_test_{secrets.token_hex(6)}"
    admin = _admin_engine()
    with admin.connect() as connection:
        connection.execute(text(f'CREATE DATABASE "{name}" TEMPLATE "{template}"'))
    url = _postgres_url(name)
    yield url
    engine_for(url).dispose()
    with admin.connect() as connection:
        connection.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
    admin.dispose()


@pytest.fixture
def key_files(tmp_path: Path) -> tuple[Path, Path]:
    kek = tmp_path / "keys" / "kek.key"
    case = tmp_path / "keys" / "case.key"
    write_secret_file(kek)
    write_secret_file(case)
    return kek, case


@pytest.fixture
def settings(database_url: str, key_files: tuple[Path, Path]) -> Settings:
    return Settings(database_url=database_url, key_file=key_files[0], case_key_file=key_files[1])


@pytest.fixture
def cli_env(settings: Settings, monkeypatch: pytest.MonkeyPatch) -> dict[str, str]:
    """The environment an operator's shell would have: used by CLI tests and by spawned processes."""
    env = {
        "DATABASE_URL": settings.database_url,
        "SURVEY_KEY_FILE": str(settings.key_file),
        "SURVEY_CASE_KEY_FILE": str(settings.case_key_file),
    }
    for name, value in env.items():
        monkeypatch.setenv(name, value)
    return env
