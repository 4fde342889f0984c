"""Closed vocabularies of the domain, stored as their string values."""

from __future__ import annotations

from enum import StrEnum


class Role(StrEnum):
    MEMBER = "member"
    MANAGER = "manager"
    ADMIN = "admin"


class UserType(StrEnum):
    HUMAN = "human"
    AGENT = "agent"


class UserStatus(StrEnum):
    PENDING = "pending"
    ACTIVE = "active"
    ARCHIVED = "archived"


class EmploymentType(StrEnum):
    EMPLOYEE = "employee"
    CONTRACTOR = "contractor"


class ManagerPermission(StrEnum):
    """The reference's granular manager permissions (Roles & Permissions page)."""

    CREATE_PROJECTS = "create_projects"
    VIEW_RATES = "view_rates"
    DRAFT_INVOICES = "draft_invoices"
    SEND_INVOICES = "send_invoices"
    MANAGE_CLIENTS_TASKS = "manage_clients_tasks"
    EDIT_TEAM_ENTRIES = "edit_team_entries"
    WITHDRAW_APPROVALS = "withdraw_approvals"


class Source(StrEnum):
    TUI = "tui"
    WEB = "web"
    CLI = "cli"
    API = "api"
    AGENT = "agent"


class ApprovalStatus(StrEnum):
    UNSUBMITTED = "unsubmitted"
    SUBMITTED = "submitted"
    APPROVED = "approved"
    REJECTED = "rejected"


class SubmissionStatus(StrEnum):
    SUBMITTED = "submitted"
    APPROVED = "approved"
    REJECTED = "rejected"


class ApprovalAction(StrEnum):
    SUBMIT = "submit"
    APPROVE = "approve"
    REJECT = "reject"
    WITHDRAW = "withdraw"


class ProjectType(StrEnum):
    TIME_AND_MATERIALS = "time_and_materials"
    FIXED_FEE = "fixed_fee"
    NON_BILLABLE = "non_billable"


class BillBy(StrEnum):
    PROJECT = "project"
    TASK = "task"
    PERSON = "person"
    NONE = "none"


class BudgetBy(StrEnum):
    NONE = "none"
    TOTAL_HOURS = "total_hours"
    TOTAL_FEES = "total_fees"
    TASK = "task"
    PERSON = "person"


class WeekDay(StrEnum):
    MONDAY = "monday"
    TUESDAY = "tuesday"
    WEDNESDAY = "wednesday"
    THURSDAY = "thursday"
    FRIDAY = "friday"
    SATURDAY = "saturday"
    SUNDAY = "sunday"

    @property
    def weekday_number(self) -> int:
        """Python's weekday number: Monday is 0."""
        return list(WeekDay).index(self)


class TimeFormat(StrEnum):
    H24 = "24h"
    H12 = "12h"


class DurationFormat(StrEnum):
    DECIMAL = "decimal"
    HHMM = "hh:mm"


class EntryMode(StrEnum):
    TIMER = "timer"
    MANUAL = "manual"


class InvoiceState(StrEnum):
    DRAFT = "draft"
    OPEN = "open"
    PAID = "paid"
    CLOSED = "closed"


class PaymentTerms(StrEnum):
    UPON_RECEIPT = "upon_receipt"
    NET_15 = "net_15"
    NET_30 = "net_30"
    NET_45 = "net_45"
    NET_60 = "net_60"
    CUSTOM = "custom"


class LineKind(StrEnum):
    SERVICE = "service"
    PRODUCT = "product"
    EXPENSE = "expense"


class SyncProvider(StrEnum):
    XERO = "xero"
    QUICKBOOKS = "quickbooks"


class SyncStatus(StrEnum):
    NOT_SYNCED = "not_synced"
    PENDING = "pending"
    SUCCESS = "success"
    FAILED = "failed"


class ConnectionStatus(StrEnum):
    """An accounting connection: working, waiting for `keito sync connect` again, or ended."""

    ACTIVE = "active"
    NEEDS_RECONNECT = "needs_reconnect"
    DISCONNECTED = "disconnected"


class OutboxState(StrEnum):
    """A change waiting to reach the accounting system (see keito_core.sync.outbox)."""

    PENDING = "pending"
    #: Claimed by a worker until its lease ends (a crashed worker's row is claimed again).
    RUNNING = "running"
    DONE = "done"
    FAILED = "failed"


class ReportKind(StrEnum):
    TIME = "time"
    EXPENSE = "expense"
    BUDGET = "budget"
    UNINVOICED = "uninvoiced"
    CONTRACTOR = "contractor"
    UTILIZATION = "utilization"
    AGENTS = "agents"
