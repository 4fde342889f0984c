"""SQLModel tables, one module per aggregate; importing this registers them all."""

from keito_core.models.activity import (
    AuditEvent,
    Notification,
    SavedReport,
)
from keito_core.models.approvals import ApprovalEvent, Submission, SubmissionItem
from keito_core.models.base import metadata
from keito_core.models.budgets import BudgetAlert
from keito_core.models.clients import Client, Contact
from keito_core.models.expenses import LLM_USAGE, Expense, ExpenseCategory
from keito_core.models.invoices import (
    Invoice,
    InvoiceLine,
    InvoiceMessage,
    InvoiceNumber,
    Payment,
)
from keito_core.models.projects import Project, ProjectMember, ProjectTask
from keito_core.models.sync import SyncConnection, SyncOutbox, SyncRecord
from keito_core.models.tasks import Task
from keito_core.models.time_entries import TimeEntry
from keito_core.models.users import ApiKey, BusinessRole, ManagerTeammate, User, UserBusinessRole
from keito_core.models.workspace import Workspace

__all__ = [
    "LLM_USAGE",
    "ApiKey",
    "ApprovalEvent",
    "AuditEvent",
    "BudgetAlert",
    "BusinessRole",
    "Client",
    "Contact",
    "Expense",
    "ExpenseCategory",
    "Invoice",
    "InvoiceLine",
    "InvoiceMessage",
    "InvoiceNumber",
    "ManagerTeammate",
    "Notification",
    "Payment",
    "Project",
    "ProjectMember",
    "ProjectTask",
    "SavedReport",
    "Submission",
    "SubmissionItem",
    "SyncConnection",
    "SyncOutbox",
    "SyncRecord",
    "Task",
    "TimeEntry",
    "User",
    "UserBusinessRole",
    "Workspace",
    "metadata",
]
