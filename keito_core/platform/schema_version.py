"""The schema revision this Keito's models describe.

A module of its own so that readers which skip SQLAlchemy (keito_core.fastpath.status) can check
the database's revision too; keito_core.platform.db re-exports it.
"""

#: The newest migration; a test checks it against Alembic's own head.
HEAD_REVISION = "0008"
