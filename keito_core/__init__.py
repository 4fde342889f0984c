"""Keito's domain core: entities, rules and services over SQLite or PostgreSQL.

Importing this package loads no terminal code and opens no database.
"""

__version__ = "0.1.0"
