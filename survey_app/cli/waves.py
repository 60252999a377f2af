"""Waves: open, close, list, headcount."""

from __future__ import annotations

import dataclasses

import click

from survey_app.cli.base import Context, emit, fail, format_option, main
from survey_app.access import ACCESS_INVITED, ACCESS_MODES


@main.group()
def wave() -> None:
    """Waves: an instrument run for an organisation."""


def _wave_link(context: Context, slug: str) -> str:
    return f"{context.settings.public_base_url}/s/{slug}"


@wave.command("open")
@click.option("--instrument", required=True)
@click.option("--org", "organisation", required=True)
@click.option("--slug", required=True)
@click.option("--allow-import", is_flag=True, help="Allow paper returns to be imported into this wave.")
@click.option(
    "--access",
    type=click.Choice(ACCESS_MODES),
    default="open",
    show_default=True,
    help="open: anyone with the link; invited: one response per invitation code ('survey-app invitations issue').",
)
@format_option
@click.pass_obj
def wave_open(
    context: Context, instrument: str, organisation: str, slug: str, allow_import: bool, access: str, output_format: str
) -> None:
    """Open a wave and print its public link."""
    from questionnaires import InstrumentError
    from survey_app.audit import record_audit
    from survey_app.waves import WaveError, open_wave

    try:
        with context.engine.begin() as connection:
            open_wave(
                connection, context.key_store(), instrument, organisation, slug, allow_import,
                min_org_headcount=context.settings.min_org_headcount, access=access,
            )
            record_audit(
                connection, "cli", "wave.open", slug=slug, instrument=instrument, allow_import=allow_import, access=access
            )
    except (WaveError, InstrumentError) as error:
        fail(str(error))
    link = _wave_link(context, slug)

    def text() -> str:
        opened = f"opened {slug}: {link}"
        if access == ACCESS_INVITED:
            opened += f"\ninvited wave: make its codes with 'survey-app invitations issue --wave {slug} --count N --out FILE'"
        return opened

    emit(output_format, {"wave": slug, "link": link, "access": access}, text)


@wave.command("close")
@click.option("--wave", "slug", required=True)
@click.pass_obj
def wave_close(context: Context, slug: str) -> None:
    """Close a wave: it takes no more responses."""
    from survey_app.audit import record_audit
    from survey_app.waves import WaveError, close_wave

    try:
        with context.engine.begin() as connection:
            close_wave(connection, slug)
            record_audit(connection, "cli", "wave.close", slug=slug)
    except WaveError as error:
        fail(str(error))
    click.echo(f"closed {slug}")


@wave.command("headcount")
@click.option("--wave", "slug", required=True)
@click.option("--eligible", required=True, type=int, help="How many staff could answer this wave.")
@click.pass_obj
def wave_headcount(context: Context, slug: str, eligible: int) -> None:
    """Enter a wave's eligible headcount, so dashboards show its response rate."""
    from survey_app.audit import record_audit
    from survey_app.waves import WaveError, set_eligible_headcount

    try:
        with context.engine.begin() as connection:
            set_eligible_headcount(connection, slug, eligible)
            record_audit(connection, "cli", "wave.headcount", slug=slug, eligible=eligible)
    except WaveError as error:
        fail(str(error))
    click.echo(f"{slug}: eligible headcount {eligible}")


@wave.command("list")
@format_option
@click.pass_obj
def wave_list(context: Context, output_format: str) -> None:
    """List waves with their public links."""
    from survey_app.inbox import inbox_count
    from survey_app.waves import list_waves

    with context.engine.connect() as connection:
        waves = list_waves(connection)
        rows = [
            {
                **{k: v for k, v in dataclasses.asdict(w).items() if k != "id"},
                "link": _wave_link(context, w.slug) if w.is_open else None,
                "waiting_in_inbox": inbox_count(connection, w.id),
            }
            for w in waves
        ]

    def text() -> str:
        if not rows:
            return "no waves yet: open one with 'survey-app wave open'"
        return "\n".join(
            f"{r['slug']:<28} {r['status']:<7} {r['instrument_id']:<24} {r['organisation_slug']:<16} "
            f"{r['link'] or ''}"
            for r in rows
        )

    emit(output_format, rows, text)
