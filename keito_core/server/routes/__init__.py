"""The API v2's routes, one module per resource; importing this package declares them all."""

from keito_core.server.routes import (  # noqa: F401 - each module declares its routes
    directory,
    expenses,
    invoices,
    reports,
    time_entries,
)
