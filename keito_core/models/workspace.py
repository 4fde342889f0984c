"""The workspace: one database is one workspace, holding every company setting."""

from __future__ import annotations

from decimal import Decimal

from sqlmodel import Field

from keito_core.enums import DurationFormat, EntryMode, PaymentTerms, TimeFormat, WeekDay
from keito_core.models.base import Timestamped, enum_field, id_field, money

DEFAULT_INVOICE_SUBJECT = "Invoice {number} from {company}"
DEFAULT_INVOICE_BODY = (
    "Hello {client},\n\nPlease find attached invoice {number} for {amount}, due on {due_date}.\n\n"
    "Thank you,\n{company}"
)
DEFAULT_REMINDER_SUBJECT = "Reminder: invoice {number} from {company} is overdue"
DEFAULT_REMINDER_BODY = (
    "Hello {client},\n\nInvoice {number} for {amount} was due on {due_date}. "
    "The outstanding balance is {balance}.\n\nThank you,\n{company}"
)
DEFAULT_THANKS_SUBJECT = "Thank you for your payment of invoice {number}"
DEFAULT_THANKS_BODY = (
    "Hello {client},\n\nWe received your payment of {payment}. Thank you!\n\n{company}"
)


class Workspace(Timestamped, table=True):
    """Company settings (reference: Setting Up Your Account, Company Settings, Invoice Settings)."""

    __tablename__ = "workspace"

    id: str = id_field()
    name: str = Field(max_length=200)
    #: The company's mailing address (lines) and phone, printed on invoices.
    company_address: str | None = Field(default=None, max_length=500)
    company_phone: str | None = Field(default=None, max_length=40)
    # Time and date preferences
    timezone: str = Field(max_length=64)
    week_start: WeekDay = enum_field(WeekDay, WeekDay.MONDAY)
    time_format: TimeFormat = enum_field(TimeFormat, TimeFormat.H24)
    date_format: str = Field(default="%Y-%m-%d", max_length=32)
    duration_format: DurationFormat = enum_field(DurationFormat, DurationFormat.DECIMAL)
    # Currency and number formatting
    currency: str = Field(max_length=3)
    decimal_separator: str = Field(default=".", max_length=1)
    thousands_separator: str = Field(default=",", max_length=1)
    # Time tracking defaults
    default_entry_mode: EntryMode = enum_field(EntryMode, EntryMode.TIMER)
    weekly_capacity_seconds: int = Field(default=40 * 3600)
    require_notes: bool = Field(default=False)
    lock_after_days: int | None = Field(default=None)
    rounding_minutes: int = Field(default=0)
    # Feature toggles
    feature_expenses: bool = Field(default=True)
    feature_invoicing: bool = Field(default=True)
    feature_approvals: bool = Field(default=False)
    # Timesheet reminders (local time in the workspace timezone)
    reminders_enabled: bool = Field(default=False)
    reminder_day: WeekDay = enum_field(WeekDay, WeekDay.FRIDAY)
    reminder_time: str = Field(default="09:00", max_length=5)
    deadline_day: WeekDay = enum_field(WeekDay, WeekDay.FRIDAY)
    deadline_time: str = Field(default="17:00", max_length=5)
    # Invoice numbering, terms and taxes
    invoice_number_pattern: str = Field(default="INV-{YYYY}-{####}", max_length=64)
    invoice_next_number: int = Field(default=1)
    default_payment_terms: PaymentTerms = enum_field(PaymentTerms, PaymentTerms.NET_30)
    default_payment_days: int | None = Field(default=None)
    tax1_label: str | None = Field(default=None, max_length=40)
    tax1_rate: Decimal | None = money()
    tax2_label: str | None = Field(default=None, max_length=40)
    tax2_rate: Decimal | None = money()
    # Invoice appearance
    invoice_logo_path: str | None = Field(default=None, max_length=500)
    invoice_accent_color: str = Field(default="#5b21b6", max_length=7)
    invoice_show_project_codes: bool = Field(default=False)
    invoice_notes: str | None = Field(default=None)
    # Email templates
    email_invoice_subject: str = Field(default=DEFAULT_INVOICE_SUBJECT)
    email_invoice_body: str = Field(default=DEFAULT_INVOICE_BODY)
    email_footer: str | None = Field(default=None)
    email_reminder_subject: str = Field(default=DEFAULT_REMINDER_SUBJECT)
    email_reminder_body: str = Field(default=DEFAULT_REMINDER_BODY)
    email_thanks_subject: str = Field(default=DEFAULT_THANKS_SUBJECT)
    email_thanks_body: str = Field(default=DEFAULT_THANKS_BODY)
    # Outgoing mail (the password lives in the keyring)
    smtp_host: str | None = Field(default=None, max_length=200)
    smtp_port: int = Field(default=587)
    smtp_username: str | None = Field(default=None, max_length=200)
    smtp_from: str | None = Field(default=None, max_length=200)
    smtp_starttls: bool = Field(default=True)
    # Who acts when no API key is given (the first administrator, by default)
    default_user_id: str | None = Field(default=None, max_length=40)
