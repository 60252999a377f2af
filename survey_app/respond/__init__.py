"""Respondent pages at /s/{wave}: no cookie, no JavaScript needed, answers carried in the form."""
