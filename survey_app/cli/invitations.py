"""Invitation codes for invited waves: issue (CSV or printable cards) and count."""

from __future__ import annotations

from pathlib import Path

import click

from survey_app.access import ACCESS_INVITED
from survey_app.cli.base import Context, emit, fail, format_option, main


@main.group()
def invitations() -> None:
    """Single-use invitation codes for waves opened with --access invited."""


def _invited_wave(connection, slug: str):  # type: ignore[no-untyped-def]
    from survey_app.waves import find_wave

    wave = find_wave(connection, slug)
    if wave is None:
        fail(f"no wave {slug!r}")
    assert wave is not None
    if wave.access != ACCESS_INVITED:
        fail(f"wave {slug!r} is open to anyone with its link; invitations are for waves opened with --access invited")
    return wave


@invitations.command("issue")
@click.option("--wave", "slug", required=True)
@click.option("--count", required=True, type=int, help="How many new codes (issuing again adds codes).")
@click.option("--out", "out", required=True, type=click.Path(dir_okay=False, path_type=Path))
@click.option("--format", "file_format", type=click.Choice(["csv", "html"]), default="csv", show_default=True,
              help="csv: code and link per row, for a mail merge or SMS tool; html: printable A4 cards with QR codes.")
@click.pass_obj
def invitations_issue(context: Context, slug: str, count: int, out: Path, file_format: str) -> None:
    """Make COUNT single-use codes for an invited wave and write them to a file, once.

    The server keeps only keyed hashes of the codes: this file is the only copy of them.
    """
    from survey_app.audit import record_audit
    from survey_app.invitations import issue
    from survey_app.invitations.cards import as_csv, as_html
    from survey_app.keys import MissingKeyError
    from survey_app.waves import wave_instrument

    if out.exists():
        fail(f"{out} already exists: codes are written once, to a new file")
    try:
        case_secret = context.case_secret()
    except MissingKeyError as error:
        fail(f"{error} (invitation codes are hashed with the case key, as the web process checks them)")
    with context.engine.begin() as connection:
        wave = _invited_wave(connection, slug)
        if not wave.is_open:
            fail(f"wave {slug!r} is closed")
        try:
            codes = issue(connection, case_secret, wave.id, count)
        except ValueError as error:
            fail(str(error))
        base = context.settings.public_base_url
        if file_format == "csv":
            text = as_csv(base, slug, codes)
        else:
            title = wave_instrument(connection, wave.id).title
            text = as_html(base, slug, wave.organisation_name, title, codes)
        try:
            out.parent.mkdir(parents=True, exist_ok=True)
            with out.open("x", encoding="utf-8", newline="") as handle:
                handle.write(text)
        except OSError as error:
            # Nothing is committed: the codes are not kept unless the file holding them was written.
            fail(f"cannot write {out}: {error.strerror or error}")
        record_audit(connection, "cli", "invitations.issue", slug=slug, count=len(codes), format=file_format)
    click.echo(f"{slug}: {len(codes)} invitation codes written to {out} (the only copy: keep it safe until handed out)")


@invitations.command("status")
@click.option("--wave", "slug", required=True)
@format_option
@click.pass_obj
def invitations_status(context: Context, slug: str, output_format: str) -> None:
    """How many codes a wave has issued, and how many are used and unused."""
    from survey_app.invitations import counts

    with context.engine.connect() as connection:
        wave = _invited_wave(connection, slug)
        found = counts(connection, wave.id)
    data = {"wave": slug, "issued": found.issued, "used": found.used, "unused": found.unused}
    emit(
        output_format,
        data,
        lambda: f"{slug}: {found.issued} issued, {found.used} used, {found.unused} unused",
    )
