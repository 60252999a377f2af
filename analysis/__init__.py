"""Framework-free computation: indicators, statistics, disclosure control, k-anonymity, redaction, theming.

Nothing here imports the web framework or the database.
"""
