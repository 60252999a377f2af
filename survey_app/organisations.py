"""Organisations and regions."""

from __future__ import annotations

import re

from sqlalchemy import Connection, insert, select

from survey_app.storage.models import Organisation, OrganisationTerm, random_id

SLUG_PATTERN = re.compile(r"^[a-z0-9][a-z0-9-]{0,62}$")


class OrganisationError(ValueError):
    pass


def add_organisation(
    connection: Connection, name: str, slug: str, parent_slug: str | None = None, is_demo: bool = False
) -> str:
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
            id=organisation_id, slug=slug, name=name.strip(), parent_id=parent_id, is_demo=is_demo
        )
    )
    return organisation_id


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
