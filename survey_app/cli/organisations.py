"""Organisations and regions, and the site, ward and team names redaction replaces."""

from __future__ import annotations

import click

from survey_app.cli.base import Context, emit, fail, format_option, main


@main.group()
def org() -> None:
    """Organisations and regions."""


HEADCOUNT_HELP = "Staff eligible to answer its surveys; a wave opens only at MIN_ORG_HEADCOUNT (50) or more."


@org.command("add")
@click.option("--name", required=True)
@click.option("--slug", required=True)
@click.option("--region", "region_slug", help="Slug of the region (ICS) this organisation belongs to.")
@click.option("--headcount", type=int, help=HEADCOUNT_HELP)
@click.pass_obj
def org_add(context: Context, name: str, slug: str, region_slug: str | None, headcount: int | None) -> None:
    """Add an organisation."""
    from survey_app.audit import record_audit
    from survey_app.organisations import OrganisationError, add_organisation

    try:
        with context.engine.begin() as connection:
            add_organisation(connection, name, slug, region_slug, headcount=headcount)
            record_audit(connection, "cli", "org.add", slug=slug, name=name, region=region_slug, headcount=headcount)
    except OrganisationError as error:
        fail(str(error))
    click.echo(f"added {name} ({slug})" + (f", {headcount} staff" if headcount is not None else ", headcount unknown"))


@org.command("headcount")
@click.option("--org", "organisation", required=True)
@click.option("--headcount", type=int, required=True, help=HEADCOUNT_HELP)
@click.pass_obj
def org_headcount(context: Context, organisation: str, headcount: int) -> None:
    """Enter or change an organisation's eligible headcount."""
    from survey_app.audit import record_audit
    from survey_app.organisations import OrganisationError, set_headcount

    try:
        with context.engine.begin() as connection:
            set_headcount(connection, organisation, headcount)
            record_audit(connection, "cli", "org.headcount", slug=organisation, headcount=headcount)
    except OrganisationError as error:
        fail(str(error))
    click.echo(f"{organisation}: {headcount} staff")


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
    from survey_app.organisations import (
        OrganisationError,
        add_terms,
        find_organisation,
        organisation_terms,
    )

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
