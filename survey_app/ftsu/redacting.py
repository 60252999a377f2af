"""Redaction of concern texts for guardians: analysis/redaction.py with the organisation's terms."""

from __future__ import annotations

from collections.abc import Mapping, Sequence

from sqlalchemy import Connection

from analysis.redaction import redact

OrganisationTerms = Mapping[str, Sequence[str]]


def organisation_terms(connection: Connection, organisation_id: str) -> OrganisationTerms:
    """The organisation's own site, ward and team names by placeholder type ({"WARD": [...], ...}).

    None are stored yet (no administrator's list exists in the schema): redaction then relies on
    its patterns and name list alone. When the list lands, read it here; every caller goes through
    this function, at drop time (cases) and when a respondent writes (replies).
    """
    return {}


def redact_text(text: str, terms: OrganisationTerms) -> str:
    return redact(text, terms).text
