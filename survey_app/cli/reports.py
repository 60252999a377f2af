"""What a release published: indicators, themes, exports."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import click

from survey_app.cli.base import Context, emit, fail, format_option, main


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
    from survey_app.exporting import microdata_export, themes_export, wave_indicator_export
    from survey_app.indicators import IndicatorError

    if what == "indicators":
        if by is None:
            fail("--by is needed to export indicators")
        assert by is not None
        try:
            with context.engine.begin() as connection:
                report, written = wave_indicator_export(
                    connection, slug, by, output_format,
                    white_codes=context.settings.white_codes, min_cell=context.settings.min_cell,
                )
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
