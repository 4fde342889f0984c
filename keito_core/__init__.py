"""Keito's domain core: entities, rules and services over SQLite or PostgreSQL.

Importing this package loads no terminal code and opens no database.
"""

__version__ = "0.1.0"

#: Names of the Python API importable from the package itself, loaded on first use.
_API_NAMES = frozenset({
    "Keito", "AsyncKeito", "track", "current_session", "KeitoError", "ValidationError",
    "AuthenticationError", "PermissionDeniedError", "NotFoundError", "ConflictError",
    "RateLimitError", "ConfigurationError", "APIError",
})


def __getattr__(name: str) -> object:
    """`from keito_core import Keito` without making `import keito_core` load the API."""
    if name in _API_NAMES:
        from keito_core import api

        return getattr(api, name)
    raise AttributeError(f"module 'keito_core' has no attribute {name!r}")
