"""Public shapes of records, one function per record kind, told who is looking.

Every outward shape (the command line's JSON, the Python API, the app's tables, later the HTTP
server) is built here, with the reference API's field names. Each function takes the acting
user as the required keyword `viewer` and asks the policy
(keito_core.rules.permissions.field_visibility) which money fields that viewer may see: billable
rates and fees, cost rates, budgets and amounts (see `Money`). No caller passes visibility
flags, and none removes fields afterwards.

A hidden field is absent from the dict: not None (which means "not set"), not a placeholder.
The same holds for every kind, nested rows included (a project's tasks and team).
`MONEY_FIELDS` names, per record kind, every field that may be hidden and the kind of money it
is; tests/core/test_presenters.py walks it for every role.

Record shapes are in `records` (users, clients, projects, tasks, time entries, expenses,
submissions), invoice shapes in `invoices`, what each kind may hide in `fields`; callers use
them from here: `presenters.invoice(detail, viewer=actor)`.
"""

from __future__ import annotations

from keito_core.presenters.fields import MONEY_FIELDS
from keito_core.presenters.invoices import (
    aging_line,
    invoice,
    invoice_line,
    invoice_message,
    invoice_payment,
    invoice_row,
    uninvoiced_line,
)
from keito_core.presenters.records import (
    api_key,
    category,
    client,
    contact,
    entry_hours,
    expense,
    project,
    project_member,
    project_task,
    submission_detail_public,
    submission_public,
    task,
    time_entry,
    timesheet_status_public,
    user,
    workspace,
)

__all__ = [
    "MONEY_FIELDS",
    "aging_line",
    "api_key",
    "category",
    "client",
    "contact",
    "entry_hours",
    "expense",
    "invoice",
    "invoice_line",
    "invoice_message",
    "invoice_payment",
    "invoice_row",
    "project",
    "project_member",
    "project_task",
    "submission_detail_public",
    "submission_public",
    "task",
    "time_entry",
    "timesheet_status_public",
    "uninvoiced_line",
    "user",
    "workspace",
]
