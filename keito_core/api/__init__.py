"""The Python API: the reference Python SDK's surface over the local workspace.

    from keito_core import Keito

    client = Keito()  # acts as the user of KEITO_API_KEY (else the stored key or default user)
    entry = client.time_entries.create(project_id="acme", hours=1.5, notes="Reviewed PR")

See docs/python-api.md. Importing this package loads no terminal code and opens no database.
"""

from keito_core.api.agent import AgentSession, AgentWork, current_session, track
from keito_core.api.aio import AsyncKeito
from keito_core.api.client import Keito
from keito_core.api.errors import (
    APIError,
    AuthenticationError,
    ConfigurationError,
    ConflictError,
    KeitoError,
    NotFoundError,
    PermissionDeniedError,
    RateLimitError,
    ValidationError,
)
from keito_core.api.types import (
    Expense,
    Invoice,
    InvoiceMessage,
    InvoiceSummary,
    LineItem,
    Page,
    PaginatedResponse,
    Payment,
    Project,
    TimeEntry,
    User,
)

__all__ = [
    "APIError",
    "AgentSession",
    "AgentWork",
    "AsyncKeito",
    "AuthenticationError",
    "ConfigurationError",
    "ConflictError",
    "Expense",
    "Invoice",
    "InvoiceMessage",
    "InvoiceSummary",
    "Keito",
    "KeitoError",
    "LineItem",
    "NotFoundError",
    "Page",
    "PaginatedResponse",
    "Payment",
    "PermissionDeniedError",
    "Project",
    "RateLimitError",
    "TimeEntry",
    "User",
    "ValidationError",
    "current_session",
    "track",
]
