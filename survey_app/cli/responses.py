"""Responses through the pipeline: demo and paper imports in, mixing, release."""

from __future__ import annotations

import dataclasses
import logging
from pathlib import Path
from typing import Any

import click

from survey_app.cli.base import Context, emit, fail, format_option, main


def _waves_to_mix(connection: Any, slug: str | None) -> list[Any]:
    from survey_app.waves import find_wave, list_waves

    if slug is None:
        return [w for w in list_waves(connection) if not w.keys_destroyed]
    found = find_wave(connection, slug)
    if found is None:
        fail(f"no wave {slug!r}")
    return [found]


def mix_waves(context: Context, slug: str | None) -> list[dict[str, Any]]:
    """A round per wave: rotate its inbox epoch, mix full batches, destroy retired inbox keys."""
    from survey_app.mixer import mix_round

    from survey_app.waves import list_waves

    with context.engine.connect() as connection:
        waves = _waves_to_mix(connection, slug)
        retired = [w.id for w in list_waves(connection) if w.keys_destroyed]
    key_store = context.key_store()
    case_secret = context.case_secret()
    for wave_id in retired:  # a retirement killed after marking the wave, before its key files went
        key_store.destroy(wave_id)
    reports = []
    for w in waves:
        try:
            report = mix_round(context.engine, key_store, w.id, case_secret, context.settings.mix_batch)
        except KeyError as missing:
            if slug is not None:
                fail(str(missing.args[0]))
            # One wave without keys must not stop the rotation of every other wave's inbox key.
            logging.getLogger("survey_app.worker").error("mixing %s failed: %s", w.slug, missing.args[0])
            continue
        reports.append(dataclasses.asdict(report))
    return reports


@main.command("mix")
@click.option("--wave", "slug")
@format_option
@click.pass_obj
def mix(context: Context, slug: str | None, output_format: str) -> None:
    """Move full batches (MIX_BATCH, default 11) from the inbox into sealed, unlinkable parts.

    Each wave's inbox key is rotated first and the retired keys are destroyed at the end, so no
    copy of a mixed inbox row stays readable (survey_app/epochs.py)."""
    reports = mix_waves(context, slug)
    emit(
        output_format,
        reports,
        lambda: "\n".join(
            f"{r['wave_slug']}: mixed {r['responses_mixed']}, {r['waiting_in_inbox']} waiting for a full batch"
            + (f", {r['duplicates_dropped']} sent twice from one visit and kept once" if r["duplicates_dropped"] else "")
            + (f", {r['without_ballot']} without an invitation's ballot dropped" if r.get("without_ballot") else "")
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
    from survey_app.ftsu.intake import web_case_secret

    report = run_demo(
        context.engine, context.key_store(), responses, context.settings.public_base_url, case_secret=web_case_secret(context.settings)
    )
    emit(output_format, dataclasses.asdict(report), report.describe)


@main.command("import")
@click.option("--wave", "slug", required=True)
@click.argument("file", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option("--again", is_flag=True, help="Import a file whose content this wave has imported before.")
@format_option
@click.pass_obj
def import_command(context: Context, slug: str, file: Path, again: bool, output_format: str) -> None:
    """Import paper returns (CSV: a column per question id, option codes, blank = not answered)."""
    from survey_app.importer import ImportError_, import_csv

    try:
        report = import_csv(context.engine, slug, file, context.case_secret(), again=again)
    except ImportError_ as error:
        fail(str(error))
    emit(output_format, {**dataclasses.asdict(report), "rows_read": report.rows_read}, report.describe)


def release_waves(context: Context, slug: str | None, scheduled: bool = False) -> list[dict[str, Any]]:
    """Release one wave, or every wave that is due; a closed wave past its retention is retired."""
    import datetime as dt

    from survey_app.release import (
        ReleaseError,
        last_release_date,
        release_wave,
        retention_ended,
        retire_wave,
    )
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
