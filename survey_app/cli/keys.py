"""Set-up: the key files (make, rotate the key-encryption key) and the database schema."""

from __future__ import annotations

import click

from survey_app.cli.base import (
    DEFAULT_CASE_KEY_FILE,
    DEFAULT_KEY_FILE,
    Context,
    fail,
    main,
)


@main.group()
def keys() -> None:
    """The key-encryption key and the case key."""


@keys.command("init")
@click.option("--if-missing", is_flag=True, help="Do nothing for key files that already exist.")
@click.pass_obj
def keys_init(context: Context, if_missing: bool) -> None:
    """Create the key-encryption key file (worker, CLI) and the case key file (web process)."""
    from survey_app.keys import write_secret_file

    kek = context.settings.key_file or DEFAULT_KEY_FILE
    case = context.settings.case_key_file or DEFAULT_CASE_KEY_FILE
    for path, variable in ((kek, "SURVEY_KEY_FILE"), (case, "SURVEY_CASE_KEY_FILE")):
        if write_secret_file(path):
            click.echo(f"created {path}: set {variable}={path.resolve()}")
        elif if_missing:
            click.echo(f"kept {path}")
        else:
            fail(f"{path} already exists; refusing to overwrite a key (it would make data unreadable)")


@keys.command("rotate")
@click.pass_obj
def keys_rotate(context: Context) -> None:
    """Re-wrap every wave's keys under a new key-encryption key; the old key file is replaced.

    Crash-safe: killed at any point, a rerun finishes the job (survey_app/key_rotation.py)."""
    from survey_app.key_rotation import rotate_key_encryption_key

    count = rotate_key_encryption_key(context.settings.key_file)
    click.echo(f"re-wrapped the keys of {count} waves under a new key-encryption key")


# --- database and organisations --------------------------------------------------------------

@main.group()
def db() -> None:
    """The database schema."""


@db.command("upgrade")
@click.pass_obj
def db_upgrade(context: Context) -> None:
    """Bring the database schema up to date (Alembic)."""
    from survey_app.storage.database import upgrade

    upgrade(context.settings.database_url)
    click.echo("database schema is up to date")
