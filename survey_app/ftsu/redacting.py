"""Redaction of concern texts for guardians: analysis/redaction.py with the organisation's terms."""

from __future__ import annotations

from collections.abc import Mapping, Sequence

from sqlalchemy import Connection

from analysis.redaction import redact
from survey_app.organisations import organisation_terms as stored_terms

OrganisationTerms = Mapping[str, Sequence[str]]


def organisation_terms(connection: Connection, organisation_id: str) -> OrganisationTerms:
    """The organisation's own site, ward and team names by placeholder type ({"WARD": [...], ...}),
    as administrators keep them (`survey-app org terms`). Every caller goes through this function,
    at drop time (cases) and when a respondent writes (replies)."""
    return stored_terms(connection, organisation_id)


def redact_text(text: str, terms: OrganisationTerms) -> str:
    return redact(text, terms).text
