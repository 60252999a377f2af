"""The `survey-app` command line. Reporting commands take `--format json` and then print JSON only."""

from __future__ import annotations

import dataclasses
import json
import logging
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

import click

from survey_app.config import Settings

DEFAULT_KEY_FILE = Path("var/keys/kek.key")
DEFAULT_CASE_KEY_FILE = Path("var/keys/case.key")

format_option = click.option(
    "--format", "output_format", type=click.Choice(["text", "json"]), default="text", show_default=True
)


def emit(output_format: str, data: Any, text: Callable[[], str]) -> None:
    if output_format == "json":
        click.echo(json.dumps(data, indent=2, default=str))
    else:
        click.echo(text())


def fail(message: str) -> None:
    click.echo(f"error: {message}", err=True)
    sys.exit(1)


class Context:
    """What a command needs, made on first use: settings, the database, the wave key store."""

    def __init__(self) -> None:
        self.settings = Settings.from_env()

    @property
    def engine(self):  # type: ignore[no-untyped-def]
        from survey_app.storage.database import engine_for

        return engine_for(self.settings.database_url)

    def key_store(self):  # type: ignore[no-untyped-def]
        from survey_app.keys import WaveKeyStore

        return WaveKeyStore(self.settings.key_file)

    def case_secret(self) -> bytes:
        from survey_app.keys import read_secret_file

        return read_secret_file(self.settings.case_key_file, "SURVEY_CASE_KEY_FILE")


# Commands that run without the key-encryption key: the web process, the key commands (which make
# it, or check it themselves) and migrations (a deployment's migrate job should not hold it).
WITHOUT_KEK = {"serve", "keys", "db"}


@click.group()
@click.pass_context
def main(click_context: click.Context) -> None:
    """Anonymous NHS staff survey: operator commands."""
    context = Context()
    click_context.obj = context
    if click_context.invoked_subcommand not in WITHOUT_KEK and not click_context.resilient_parsing:
        from survey_app.keys import read_secret_file

        read_secret_file(context.settings.key_file, "SURVEY_KEY_FILE")


# --- keys -----------------------------------------------------------------------------------

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
    """Re-wrap every wave's keys under a new key-encryption key; the old key file is replaced."""
    from survey_app.keys import rotate_key_encryption_key

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


@main.group()
def org() -> None:
    """Organisations and regions."""


@org.command("add")
@click.option("--name", required=True)
@click.option("--slug", required=True)
@click.option("--region", "region_slug", help="Slug of the region (ICS) this organisation belongs to.")
@click.pass_obj
def org_add(context: Context, name: str, slug: str, region_slug: str | None) -> None:
    """Add an organisation."""
    from survey_app.audit import record_audit
    from survey_app.organisations import OrganisationError, add_organisation

    try:
        with context.engine.begin() as connection:
            add_organisation(connection, name, slug, region_slug)
            record_audit(connection, "cli", "org.add", slug=slug, name=name, region=region_slug)
    except OrganisationError as error:
        fail(str(error))
    click.echo(f"added {name} ({slug})")


@main.group()
def user() -> None:
    """Staff accounts: EDI leads, FTSU guardians, administrators."""


@user.command("add")
@click.option("--email", required=True)
@click.option("--role", required=True, type=click.Choice(["edi", "ftsu", "admin"]))
@click.option("--org", "organisations", required=True, multiple=True, help="Organisation slug; repeat for several.")
@format_option
@click.pass_obj
def user_add(context: Context, email: str, role: str, organisations: tuple[str, ...], output_format: str) -> None:
    """Add a staff account; prints its first password once (stored only as an argon2 hash)."""
    from survey_app.accounts import AccountError, add_account
    from survey_app.audit import record_audit

    try:
        with context.engine.begin() as connection:
            password = add_account(connection, email, role, list(organisations))
            record_audit(connection, "cli", "user.add", email=email.lower(), role=role, organisations=list(organisations))
    except AccountError as error:
        fail(str(error))
    emit(
        output_format,
        {"email": email.lower(), "role": role, "password": password},
        lambda: f"added {email.lower()} ({role}); first password, shown once: {password}",
    )


@user.command("password")
@click.option("--email", required=True)
@click.pass_obj
def user_password(context: Context, email: str) -> None:
    """Give an account a new password (and unlock it); prints it once."""
    from survey_app.accounts import AccountError, set_password
    from survey_app.audit import record_audit

    try:
        with context.engine.begin() as connection:
            password = set_password(connection, email)
            record_audit(connection, "cli", "user.password", email=email.lower())
    except AccountError as error:
        fail(str(error))
    click.echo(f"new password for {email.lower()}, shown once: {password}")


@org.command("terms")
@click.option("--org", "organisation", required=True)
@click.option("--site", "sites", multiple=True, help="A site name to redact; repeat for several.")
@click.option("--ward", "wards", multiple=True, help="A ward name to redact; repeat for several.")
@click.option("--team", "teams", multiple=True, help="A team name to redact; repeat for several.")
@format_option
@click.pass_obj
def org_terms(
    context: Context, organisation: str, sites: tuple[str, ...], wards: tuple[str, ...], teams: tuple[str, ...],
    output_format: str,
) -> None:
    """Add (and list) the organisation's own site, ward and team names, which redaction replaces."""
    from survey_app.audit import record_audit
    from survey_app.organisations import OrganisationError, add_terms, find_organisation, organisation_terms

    try:
        with context.engine.begin() as connection:
            for kind, terms in (("SITE", sites), ("WARD", wards), ("TEAM", teams)):
                if terms:
                    add_terms(connection, organisation, kind, list(terms))
                    record_audit(connection, "cli", "org.terms", org=organisation, kind=kind, added=len(terms))
            found = find_organisation(connection, organisation)
            if found is None:
                raise OrganisationError(f"no organisation with slug {organisation!r}")
            listed = organisation_terms(connection, found.id)
    except OrganisationError as error:
        fail(str(error))
    emit(
        output_format,
        listed,
        lambda: "\n".join(f"{kind.lower()}: {', '.join(terms)}" for kind, terms in listed.items())
        or "no site, ward or team names yet",
    )


# --- waves -----------------------------------------------------------------------------------

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
@format_option
@click.pass_obj
def wave_open(
    context: Context, instrument: str, organisation: str, slug: str, allow_import: bool, output_format: str
) -> None:
    """Open a wave and print its public link."""
    from questionnaires import InstrumentError
    from survey_app.audit import record_audit
    from survey_app.waves import WaveError, open_wave

    try:
        with context.engine.begin() as connection:
            open_wave(connection, context.key_store(), instrument, organisation, slug, allow_import)
            record_audit(connection, "cli", "wave.open", slug=slug, instrument=instrument, allow_import=allow_import)
    except (WaveError, InstrumentError) as error:
        fail(str(error))
    link = _wave_link(context, slug)
    emit(output_format, {"wave": slug, "link": link}, lambda: f"opened {slug}: {link}")


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


# --- responses -------------------------------------------------------------------------------

def _waves_to_mix(connection: Any, slug: str | None) -> list[Any]:
    from survey_app.waves import find_wave, list_waves

    if slug is None:
        return [w for w in list_waves(connection) if not w.keys_destroyed]
    found = find_wave(connection, slug)
    if found is None:
        fail(f"no wave {slug!r}")
    return [found]


def mix_waves(context: Context, slug: str | None) -> list[dict[str, Any]]:
    from survey_app.mixer import mix_wave

    with context.engine.connect() as connection:
        waves = _waves_to_mix(connection, slug)
    key_store = context.key_store()
    case_secret = context.case_secret()
    reports = []
    for w in waves:
        report = mix_wave(context.engine, w.id, key_store.load(w.id), case_secret, context.settings.mix_batch)
        reports.append(dataclasses.asdict(report))
    return reports


@main.command("mix")
@click.option("--wave", "slug")
@format_option
@click.pass_obj
def mix(context: Context, slug: str | None, output_format: str) -> None:
    """Move full batches (MIX_BATCH, default 11) from the inbox into sealed, unlinkable parts."""
    reports = mix_waves(context, slug)
    emit(
        output_format,
        reports,
        lambda: "\n".join(
            f"{r['wave_slug']}: mixed {r['responses_mixed']}, {r['waiting_in_inbox']} waiting for a full batch"
            + (f", {r['duplicates_dropped']} sent twice from one visit and kept once" if r["duplicates_dropped"] else "")
            for r in reports
        )
        or "no waves",
    )


@main.command("demo")
@click.option("--responses", default=200, show_default=True, help="Synthetic responses per wave.")
@format_option
@click.pass_obj
def demo(context: Context, responses: int, output_format: str) -> None:
    """Create the demo organisation, an open wave per instrument and synthetic responses."""
    from survey_app.demo import run_demo

    report = run_demo(context.engine, context.key_store(), responses, context.settings.public_base_url)
    emit(output_format, dataclasses.asdict(report), report.describe)


@main.command("import")
@click.option("--wave", "slug", required=True)
@click.argument("file", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@format_option
@click.pass_obj
def import_command(context: Context, slug: str, file: Path, output_format: str) -> None:
    """Import paper returns (CSV: a column per question id, option codes, blank = not answered)."""
    from survey_app.importer import ImportError_, import_csv

    try:
        report = import_csv(context.engine, slug, file)
    except ImportError_ as error:
        fail(str(error))
    emit(output_format, dataclasses.asdict(report), report.describe)


def release_waves(context: Context, slug: str | None, scheduled: bool = False) -> list[dict[str, Any]]:
    """Release one wave, or every wave that is due; a closed wave past its retention is retired."""
    import datetime as dt

    from survey_app.release import ReleaseError, last_release_date, release_wave, retention_ended, retire_wave
    from survey_app.waves import find_wave, list_waves

    today = dt.date.today()
    with context.engine.connect() as connection:
        if slug is not None:
            found = find_wave(connection, slug)
            if found is None:
                fail(f"no wave {slug!r}")
            assert found is not None
            if found.keys_destroyed:
                fail(f"wave {slug} has been retired: its keys are destroyed, so no later release is possible")
            waves = [found]
        else:
            waves = [w for w in list_waves(connection) if not w.keys_destroyed]
        # On a schedule, an open wave is released once a day; a closed one only when retiring.
        due = {
            w.id: not scheduled or (w.is_open and (last_release_date(connection, w.id) or dt.date.min) < today)
            for w in waves
        }
    key_store = context.key_store()
    reports = []
    for w in waves:
        try:
            if not w.is_open and retention_ended(w.closed_on, context.settings.retention_days, today):
                report = retire_wave(context.engine, w.id, key_store, context.settings)
            elif due[w.id]:
                report = release_wave(context.engine, w.id, key_store.load(w.id), context.settings)
            else:
                continue
        except ReleaseError as error:
            if not scheduled:
                fail(str(error))
            # On the worker's schedule one wave's failure must not stop the others (or the worker).
            logging.getLogger("survey_app.worker").error("release of %s failed: %s", w.slug, error)
            continue
        reports.append(report)
    return reports


@main.command("release")
@click.option("--wave", "slug")
@format_option
@click.pass_obj
def release(context: Context, slug: str | None, output_format: str) -> None:
    """Publish safe aggregates, k-anonymous microdata and testimony batches; print the report."""
    reports = release_waves(context, slug)
    emit(
        output_format,
        [dataclasses.asdict(r) for r in reports],
        lambda: "\n".join(r.describe() for r in reports) or "no waves to release",
    )


@main.command("indicators")
@click.option("--wave", "slug", required=True)
@click.option(
    "--by",
    "by",
    required=True,
    type=click.Choice(
        ["ethnic_category", "ethnic_heading", "bme_white", "worker_type", "occupation_heading", "organisation"]
    ),
)
@click.option(
    "--eligible-headcount",
    type=click.IntRange(min=1),
    help="Staff eligible for the wave, for the response rate (default: as entered with 'survey-app wave headcount').",
)
@click.option(
    "--format", "output_format", type=click.Choice(["text", "json", "csv"]), default="text", show_default=True
)
@click.pass_obj
def indicators(context: Context, slug: str, by: str, eligible_headcount: int | None, output_format: str) -> None:
    """WRES indicators 5-8 and companion items from the latest release's published tables."""
    from survey_app.exporting import csv_text
    from survey_app.indicators import CSV_COLUMNS, IndicatorError, wave_indicators

    try:
        with context.engine.connect() as connection:
            report = wave_indicators(
                connection,
                slug,
                by,
                white_codes=context.settings.white_codes,
                eligible_headcount=eligible_headcount,
                min_cell=context.settings.min_cell,
            )
    except IndicatorError as error:
        fail(str(error))
    if output_format == "csv":
        click.echo(csv_text(CSV_COLUMNS, report.rows()), nl=False)
    else:
        emit(output_format, report.to_json(), report.describe)


# What `survey-app export --what` offers; each is written through survey_app.exporting.
EXPORTS = ["indicators", "themes", "microdata"]


@main.command("themes")
@click.option("--wave", "slug", required=True)
@format_option
@click.pass_obj
def themes(context: Context, slug: str, output_format: str) -> None:
    """Themes of the wave's released testimonies, as the latest release stored them."""
    from survey_app.themes import describe

    with context.engine.connect() as connection:
        theme_set = wave_themes(context, connection, slug)
    emit(output_format, theme_set, lambda: describe(theme_set))


def wave_themes(context: Context, connection: Any, slug: str) -> dict[str, Any]:
    """The wave's latest theme set, or the command fails saying why there is none."""
    from survey_app.themes import latest_themes
    from survey_app.waves import find_wave

    found = find_wave(connection, slug)
    if found is None:
        fail(f"no wave {slug!r}")
    assert found is not None
    theme_set = latest_themes(connection, found.id, context.case_secret())
    if theme_set is None:
        fail(f"wave {slug} has no themes yet: they are computed when a release publishes testimonies")
    assert theme_set is not None
    return theme_set


@main.command("export")
@click.option("--wave", "slug", required=True)
@click.option("--what", required=True, type=click.Choice(EXPORTS), help="Which table to export.")
@click.option(
    "--by",
    type=click.Choice(["ethnic_category", "ethnic_heading", "bme_white", "worker_type", "occupation_heading", "organisation"]),
    help="The breakdown (indicators).",
)
@click.option("--format", "output_format", type=click.Choice(["csv", "xlsx"]), required=True, help="File format.")
@click.option("--out", "out", required=True, type=click.Path(dir_okay=False, path_type=Path), help="File to write.")
@click.pass_obj
def export(context: Context, slug: str, what: str, by: str | None, output_format: str, out: Path) -> None:
    """Write a table to a CSV or XLSX file (cells escaped for spreadsheets); audited."""
    from survey_app.audit import record_audit
    from survey_app.exporting import indicator_export, microdata_export, themes_export
    from survey_app.indicators import IndicatorError, wave_indicators

    if what == "indicators":
        if by is None:
            fail("--by is needed to export indicators")
        assert by is not None
        try:
            with context.engine.begin() as connection:
                report = wave_indicators(
                    connection, slug, by, white_codes=context.settings.white_codes, min_cell=context.settings.min_cell
                )
                written = indicator_export(report, output_format)
                out.write_bytes(written.content)
                record_audit(
                    connection, "cli", "export", wave=slug, what=what, by=by, format=output_format,
                    release=report.release, rows=written.rows, file=out.name,
                )
        except IndicatorError as error:
            fail(str(error))
        click.echo(f"wrote {written.rows} rows of {what} by {by} (release {report.release}) to {out}")
    elif what == "themes":
        with context.engine.begin() as connection:
            theme_set = wave_themes(context, connection, slug)
            written = themes_export(theme_set, output_format)
            out.write_bytes(written.content)
            record_audit(
                connection, "cli", "export", wave=slug, what=what, format=output_format,
                computed_on=theme_set["computed_on"], rows=written.rows, file=out.name,
            )
        click.echo(f"wrote {written.rows} rows of themes (computed on {theme_set['computed_on']}) to {out}")
    elif what == "microdata":
        from survey_app.release import latest_microdata

        with context.engine.begin() as connection:
            microdata = latest_microdata(connection, slug)
            if microdata is None:
                fail(f"wave {slug} has no published microdata: run 'survey-app release --wave {slug}' "
                     "(a wave too small to be k-anonymous publishes none)")
            assert microdata is not None
            written = microdata_export(slug, microdata.release, microdata.columns, microdata.rows, microdata.levels, output_format)
            out.write_bytes(written.content)
            record_audit(
                connection, "cli", "export", wave=slug, what=what, format=output_format,
                release=microdata.release, rows=written.rows, file=out.name,
            )
        click.echo(f"wrote {written.rows} k-anonymous records (release {microdata.release}) to {out}")


# --- Freedom to Speak Up ----------------------------------------------------------------------

@main.group()
def ftsu() -> None:
    """Concerns shared with Freedom to Speak Up guardians."""


def ftsu_round(context: Context, force: bool) -> Any:
    import datetime as dt

    from survey_app.ftsu.cases import ftsu_round as run_round

    settings = context.settings
    return run_round(
        context.engine,
        context.case_secret(),
        dt.datetime.now(dt.UTC),
        settings.ftsu_drop_hours,
        settings.ftsu_case_expiry_days,
        force=force,
    )


@ftsu.command("drop")
@format_option
@click.pass_obj
def ftsu_drop(context: Context, output_format: str) -> None:
    """Deliver waiting concerns to the guardians now (the worker does it every FTSU_DROP_HOURS)."""
    from survey_app.audit import record_audit

    report = ftsu_round(context, force=True)
    with context.engine.begin() as connection:
        record_audit(connection, "cli", "ftsu.drop", **dataclasses.asdict(report))
    emit(output_format, dataclasses.asdict(report), report.describe)


@ftsu.command("expire")
@format_option
@click.pass_obj
def ftsu_expire(context: Context, output_format: str) -> None:
    """Delete cases closed more than FTSU_CASE_EXPIRY_DAYS ago (the worker does it every round)."""
    import datetime as dt

    from survey_app.ftsu.cases import expire_cases

    expired = expire_cases(context.engine, dt.date.today(), context.settings.ftsu_case_expiry_days)
    emit(output_format, {"expired": expired}, lambda: f"{expired} closed cases expired")


# --- processes -------------------------------------------------------------------------------

@main.command("serve")
@click.option("--host", default="127.0.0.1", show_default=True)
@click.option("--port", default=8000, show_default=True, type=int)
@click.option("--workers", default=1, show_default=True, type=int)
def serve(host: str, port: int, workers: int) -> None:
    """Run the web process. It holds public keys only, never the key-encryption key."""
    import uvicorn

    from survey_app.logging import uvicorn_log_config

    uvicorn.run(
        "survey_app.app:create_app",
        factory=True,
        host=host,
        port=port,
        workers=workers,
        # No access log: a respondent's request must leave no line with their address.
        access_log=False,
        log_config=uvicorn_log_config(),
        server_header=False,
        proxy_headers=False,
    )


@main.command("worker")
@click.option("--once", is_flag=True, help="Run one round and stop.")
@click.pass_obj
def worker(context: Context, once: bool) -> None:
    """Mix, release and deliver concerns on a schedule. Holds the key-encryption key; run it apart from the web process."""
    import logging

    from survey_app.worker import run_worker

    context.case_secret()  # refuse to start without it: concerns are sealed with it

    def one_round() -> list[dict[str, Any]]:
        reports = mix_waves(context, None)
        release_waves(context, None, scheduled=True)
        # Urgent concerns every round; the daily drop when due; expiry of closed cases.
        dropped = ftsu_round(context, force=False)
        if dropped.urgent_cases or dropped.dropped or dropped.expired:
            logging.getLogger("survey_app.worker").info("FTSU: %s", dropped.describe())
        return reports

    run_worker(one_round, context.settings.worker_interval_seconds, once)
