"""Concerns shared with Freedom to Speak Up guardians: drops and expiry."""

from __future__ import annotations

import dataclasses
from typing import Any

import click

from survey_app.cli.base import Context, emit, format_option, main


@main.group()
def ftsu() -> None:
    """Concerns shared with Freedom to Speak Up guardians."""


def ftsu_round(context: Context, force: bool) -> Any:
    import datetime as dt

    from survey_app.ftsu.drops import ftsu_round as run_round

    settings = context.settings
    return run_round(
        context.engine,
        context.case_secret(),
        dt.datetime.now(dt.UTC),
        settings.ftsu_drop_hours,
        settings.ftsu_case_expiry_days,
        force=force,
        min_cell=settings.min_cell,
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

    from survey_app.ftsu.drops import expire_cases

    expired = expire_cases(context.engine, dt.date.today(), context.settings.ftsu_case_expiry_days)
    emit(output_format, {"expired": expired}, lambda: f"{expired} closed cases expired")
