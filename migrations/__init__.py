"""Alembic environment and revisions for Keito's schema, shipped inside the wheel."""
