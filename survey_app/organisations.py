"""Organisations and regions, with their eligible headcount.

The headcount is how many staff an organisation's surveys are for. It guards the rule that no one can
aim a wave at a team: a wave opens only for an organisation (or region) whose headcount is known and
at least MIN_ORG_HEADCOUNT (`survey_app/config.py`). Respondents are told, roughly, how many people
the survey is for, so that they can judge for themselves how many others their answers hide among.
(A wave's own `eligible_headcount`, `survey-app wave headcount`, is the response rate's denominator
for that wave; it may differ, e.g. a bank survey for part of the staff.)
"""

from __future__ import annotations

import re

from sqlalchemy import Connection, insert, select, update

from survey_app.storage.models import Organisation, OrganisationTerm, random_id

SLUG_PATTERN = re.compile(r"^[a-z0-9][a-z0-9-]{0,62}$")


class OrganisationError(ValueError):
    pass


def _check_headcount(headcount: int | None) -> None:
    if headcount is not None and headcount < 1:
        raise OrganisationError("the headcount must be a whole number of staff, at least 1")


def add_organisation(
    connection: Connection,
    name: str,
    slug: str,
    parent_slug: str | None = None,
    is_demo: bool = False,
    headcount: int | None = None,
) -> str:
    _check_headcount(headcount)
    if not SLUG_PATTERN.match(slug):
        raise OrganisationError(f"slug {slug!r} must be lowercase letters, digits and hyphens")
    if not name.strip():
        raise OrganisationError("the organisation needs a name")
    if find_organisation(connection, slug) is not None:
        raise OrganisationError(f"an organisation with slug {slug!r} already exists")
    parent_id = None
    if parent_slug:
        parent = find_organisation(connection, parent_slug)
        if parent is None:
            raise OrganisationError(f"no organisation with slug {parent_slug!r}")
        parent_id = parent.id
    organisation_id = random_id()
    connection.execute(
        insert(Organisation).values(
            id=organisation_id, slug=slug, name=name.strip(), parent_id=parent_id, is_demo=is_demo, headcount=headcount
        )
    )
    return organisation_id


def set_headcount(connection: Connection, slug: str, headcount: int) -> None:
    _check_headcount(headcount)
    if connection.execute(update(Organisation).where(Organisation.slug == slug).values(headcount=headcount)).rowcount == 0:
        raise OrganisationError(f"no organisation with slug {slug!r}")


def refuse_small(organisation: Organisation, minimum: int) -> None:
    """Raise OrganisationError unless the organisation's headcount is known and at least `minimum`."""
    if organisation.headcount is None:
        raise OrganisationError(
            f"{organisation.name} has no headcount: enter how many staff it has with "
            f"'survey-app org headcount --org {organisation.slug} --headcount N' (at least {minimum})"
        )
    if organisation.headcount < minimum:
        raise OrganisationError(
            f"{organisation.name} has {organisation.headcount} staff, fewer than {minimum} (MIN_ORG_HEADCOUNT): "
            "a wave this small could single people out, so none opens for it"
        )


def rough_headcount(headcount: int) -> str:
    """A headcount to two significant figures, for respondents: 21,437 -> "21,000", 137 -> "140"."""
    digits = len(str(headcount))
    rounded = round(headcount, -max(digits - 2, 0))
    return f"{rounded:,}"


def find_organisation(connection: Connection, slug: str) -> Organisation | None:
    row = connection.execute(select(Organisation).where(Organisation.slug == slug)).first()
    return Organisation.model_validate(row._mapping) if row else None


def member_names(connection: Connection, organisation_id: str) -> list[str]:
    """Names of a region's member organisations, in a stable order; empty for a single organisation."""
    return list(
        connection.execute(
            select(Organisation.name)
            .where(Organisation.parent_id == organisation_id)
            .order_by(Organisation.name)
        ).scalars()
    )


TERM_KINDS = ("SITE", "WARD", "TEAM")


def add_terms(connection: Connection, organisation_slug: str, kind: str, terms: list[str]) -> int:
    """Add site, ward or team names that redaction must replace; returns how many were new."""
    kind = kind.upper()
    if kind not in TERM_KINDS:
        raise OrganisationError(f"kind must be one of {', '.join(k.lower() for k in TERM_KINDS)}")
    organisation = find_organisation(connection, organisation_slug)
    if organisation is None:
        raise OrganisationError(f"no organisation with slug {organisation_slug!r}")
    existing = set(organisation_terms(connection, organisation.id).get(kind, []))
    new = sorted({term.strip() for term in terms if term.strip()} - existing)
    if new:
        connection.execute(
            insert(OrganisationTerm),
            [{"organisation_id": organisation.id, "kind": kind, "term": term} for term in new],
        )
    return len(new)


def organisation_terms(connection: Connection, organisation_id: str) -> dict[str, list[str]]:
    """The organisation's own names by placeholder type: {"WARD": ["Lister Ward", ...], ...}."""
    terms: dict[str, list[str]] = {}
    rows = connection.execute(
        select(OrganisationTerm.kind, OrganisationTerm.term)
        .where(OrganisationTerm.organisation_id == organisation_id)
        .order_by(OrganisationTerm.kind, OrganisationTerm.term)
    )
    for kind, term in rows:
        terms.setdefault(kind, []).append(term)
    return terms
