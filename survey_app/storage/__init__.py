"""Persistence: SQLModel tables, engine set-up, Alembic migrations and plain repository functions."""
