"""The workspace settings that `keito settings` lists, reads and changes, with their parsers."""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass
from decimal import Decimal
from enum import StrEnum
from typing import Any

from sqlmodel import Session

from keito_core.enums import (
    DurationFormat,
    EntryMode,
    PaymentTerms,
    TimeFormat,
    UserStatus,
    WeekDay,
)
from keito_core.errors import KeitoError, validation

Parser = Callable[[str, Session], Any]

#: Friendly names for the date formats offered, and the strftime patterns stored.
DATE_FORMATS = {
    "yyyy-mm-dd": "%Y-%m-%d",
    "dd/mm/yyyy": "%d/%m/%Y",
    "mm/dd/yyyy": "%m/%d/%Y",
    "dd.mm.yyyy": "%d.%m.%Y",
    "dd-mm-yyyy": "%d-%m-%Y",
    "d mmm yyyy": "%-d %b %Y",
}
_SEPARATORS = {"dot": ".", "comma": ",", "space": " ", "apostrophe": "'", "none": ""}
_TRUE = {"true", "yes", "on", "1", "enabled"}
_FALSE = {"false", "no", "off", "0", "disabled"}
_NONE = {"", "none", "off", "null"}


@dataclass(frozen=True)
class SettingSpec:
    key: str
    attr: str
    group: str
    description: str
    parse: Parser
    show: Callable[[Any], Any] = lambda value: value.value if isinstance(value, StrEnum) else value


def _bool(key: str) -> Parser:
    def parse(text: str, _session: Session) -> bool:
        word = text.strip().lower()
        if word in _TRUE:
            return True
        if word in _FALSE:
            return False
        raise validation(f"{key} must be true or false, not {text!r}", field=key)

    return parse


def _int(key: str, low: int, high: int, *, nullable: bool = False) -> Parser:
    def parse(text: str, _session: Session) -> int | None:
        word = text.strip().lower()
        if nullable and word in _NONE:
            return None
        if not re.fullmatch(r"[0-9]+", word) or not low <= int(word) <= high:
            raise validation(f"{key} must be a whole number from {low} to {high}", field=key)
        return int(word)

    return parse


def _choice(key: str, enum_cls: type[StrEnum]) -> Parser:
    def parse(text: str, _session: Session) -> StrEnum:
        try:
            return enum_cls(text.strip().lower())
        except ValueError:
            choices = ", ".join(m.value for m in enum_cls)
            raise validation(f"{key} must be one of: {choices}", field=key) from None

    return parse


def _text(key: str, max_length: int, *, nullable: bool = False) -> Parser:
    def parse(text: str, _session: Session) -> str | None:
        value = text.strip()
        if not value:
            if nullable:
                return None
            raise validation(f"{key} may not be empty", field=key)
        if len(value) > max_length:
            raise validation(f"{key} is longer than {max_length} characters", field=key)
        return value

    return parse


def _address(text: str, _session: Session) -> str | None:
    # Lines of an address may be typed as \n on a command line.
    value = "\n".join(line.strip() for line in text.replace("\\n", "\n").splitlines()
                      if line.strip())
    if len(value) > 500:
        raise validation("company.address is longer than 500 characters",
                         field="company.address")
    return value or None


def _template(key: str) -> Parser:
    def parse(text: str, _session: Session) -> str:
        # Real newlines may be typed as \n on a command line.
        value = text.replace("\\n", "\n")
        if not value.strip():
            raise validation(f"{key} may not be empty", field=key)
        return value

    return parse


def _currency(text: str, _session: Session) -> str:
    from keito_core.rules.money import validate_currency

    return validate_currency(text)


def _timezone(text: str, _session: Session) -> str:
    from keito_core.rules.periods import parse_timezone

    return parse_timezone(text).key


def _separator(key: str) -> Parser:
    def parse(text: str, _session: Session) -> str:
        value = _SEPARATORS.get(text.strip().lower(), text)
        if value not in _SEPARATORS.values():
            raise validation(
                f"{key} must be one of: dot, comma, space, apostrophe, none", field=key
            )
        return value

    return parse


def _date_format(text: str, _session: Session) -> str:
    value = DATE_FORMATS.get(text.strip().lower())
    if value is None:
        raise validation(
            "date_format must be one of: " + ", ".join(DATE_FORMATS), field="date_format"
        )
    return value


def _show_date_format(value: str) -> str:
    return next((name for name, pattern in DATE_FORMATS.items() if pattern == value), value)


def _capacity(text: str, _session: Session) -> int:
    from keito_core.rules.money import parse_money

    hours = parse_money(text.strip().removesuffix("h"), field="weekly_capacity")
    if hours > 168:
        raise validation("weekly_capacity must be at most 168 hours", field="weekly_capacity")
    return int(hours * 3600)


def _show_hours(seconds: int) -> str:
    return format((Decimal(seconds) / 3600).normalize(), "f")


def _rounding(text: str, _session: Session) -> int:
    from keito_core.rules.rounding import parse_increment

    return parse_increment(text)


def _percent(key: str) -> Parser:
    def parse(text: str, _session: Session) -> Decimal | None:
        from keito_core.rules.money import parse_percent

        if text.strip().lower() in _NONE:
            return None
        return parse_percent(text, field=key)

    return parse


def _show_decimal(value: Decimal | None) -> str | None:
    return None if value is None else format(value.normalize(), "f")


def _clock(key: str) -> Parser:
    def parse(text: str, _session: Session) -> str:
        from keito_core.rules.durations import parse_clock

        return parse_clock(text, field=key).strftime("%H:%M")

    return parse


def _pattern(text: str, _session: Session) -> str:
    from keito_core.rules.numbering import validate_pattern

    return validate_pattern(text.strip())


def _colour(text: str, _session: Session) -> str:
    value = text.strip().lower()
    if not re.fullmatch(r"#[0-9a-f]{6}", value):
        raise validation(
            "invoice.accent_color must be a #rrggbb colour", field="invoice.accent_color"
        )
    return value


def _default_user(text: str, session: Session) -> str:
    from keito_core.platform.lookup import find_user

    user = find_user(session, text, field="default_user")
    if user.status != UserStatus.ACTIVE:
        raise validation(f"user {user.name!r} is not active", field="default_user")
    return user.id


def _show_user(user_id: str | None) -> str | None:
    return user_id


def _next_number(text: str, _session: Session) -> int:
    return _int("invoice_next_number", 1, 10**9)(text, _session)  # type: ignore[return-value]


def _spec(
    key: str,
    group: str,
    description: str,
    parse: Parser,
    attr: str | None = None,
    show: Callable[[Any], Any] | None = None,
) -> SettingSpec:
    if show is None:
        return SettingSpec(key, attr or key, group, description, parse)
    return SettingSpec(key, attr or key, group, description, parse, show)


SETTINGS: tuple[SettingSpec, ...] = (
    _spec("company", "company", "Company name", _text("company", 200), attr="name"),
    _spec("company.address", "company", "Mailing address printed on invoices (lines as \\n)",
          _address, attr="company_address"),
    _spec("company.phone", "company", "Phone printed on invoices",
          _text("company.phone", 40, nullable=True), attr="company_phone"),
    _spec("timezone", "time", "Default timezone for the team (IANA name)", _timezone),
    _spec("week_start", "time", "First day of the work week", _choice("week_start", WeekDay)),
    _spec("time_format", "time", "Clock: 24h or 12h", _choice("time_format", TimeFormat)),
    _spec("date_format", "time", "Date display format", _date_format, show=_show_date_format),
    _spec(
        "duration_format",
        "time",
        "Durations as decimal (2.50) or hh:mm (2:30)",
        _choice("duration_format", DurationFormat),
    ),
    _spec("currency", "money", "Base currency for invoicing and rates (ISO 4217)", _currency),
    _spec(
        "decimal_separator",
        "money",
        "Decimal separator: dot or comma",
        _separator("decimal_separator"),
    ),
    _spec(
        "thousands_separator",
        "money",
        "Thousands separator: comma, dot, space, none",
        _separator("thousands_separator"),
    ),
    _spec(
        "default_entry_mode",
        "tracking",
        "Default entry mode: timer or manual",
        _choice("default_entry_mode", EntryMode),
    ),
    _spec(
        "weekly_capacity",
        "tracking",
        "Default weekly capacity in hours",
        _capacity,
        attr="weekly_capacity_seconds",
        show=_show_hours,
    ),
    _spec("require_notes", "tracking", "Require notes on every time entry", _bool("require_notes")),
    _spec(
        "lock_after_days",
        "tracking",
        "Lock entries older than N days (none = off)",
        _int("lock_after_days", 1, 3650, nullable=True),
    ),
    _spec(
        "rounding",
        "tracking",
        "Round entries on save to 5, 6, 10, 15 or 30 minutes (off)",
        _rounding,
        attr="rounding_minutes",
    ),
    _spec(
        "features.expenses",
        "features",
        "Expenses module",
        _bool("features.expenses"),
        attr="feature_expenses",
    ),
    _spec(
        "features.invoicing",
        "features",
        "Invoicing module",
        _bool("features.invoicing"),
        attr="feature_invoicing",
    ),
    _spec(
        "features.approvals",
        "features",
        "Timesheet approvals",
        _bool("features.approvals"),
        attr="feature_approvals",
    ),
    _spec(
        "reminders.enabled",
        "reminders",
        "Send timesheet reminders",
        _bool("reminders.enabled"),
        attr="reminders_enabled",
    ),
    _spec(
        "reminders.day",
        "reminders",
        "Day of the reminder",
        _choice("reminders.day", WeekDay),
        attr="reminder_day",
    ),
    _spec(
        "reminders.time",
        "reminders",
        "Local time of the reminder (HH:MM)",
        _clock("reminders.time"),
        attr="reminder_time",
    ),
    _spec(
        "reminders.deadline_day",
        "reminders",
        "Day of the submission deadline",
        _choice("reminders.deadline_day", WeekDay),
        attr="deadline_day",
    ),
    _spec(
        "reminders.deadline_time",
        "reminders",
        "Local time of the deadline (HH:MM)",
        _clock("reminders.deadline_time"),
        attr="deadline_time",
    ),
    _spec(
        "invoice_number_pattern",
        "invoices",
        "Invoice number pattern, e.g. INV-{YYYY}-{####}",
        _pattern,
    ),
    _spec("invoice_next_number", "invoices", "Next invoice sequence number", _next_number),
    _spec(
        "default_payment_terms",
        "invoices",
        "upon_receipt, net_15, net_30, net_45, net_60 or custom",
        _choice("default_payment_terms", PaymentTerms),
    ),
    _spec(
        "default_payment_days",
        "invoices",
        "Days until due for custom payment terms",
        _int("default_payment_days", 0, 365, nullable=True),
    ),
    _spec(
        "tax1.label",
        "invoices",
        "Name of the first tax (e.g. VAT)",
        _text("tax1.label", 40, nullable=True),
        attr="tax1_label",
    ),
    _spec(
        "tax1.rate",
        "invoices",
        "First tax rate in percent (none = no tax)",
        _percent("tax1.rate"),
        attr="tax1_rate",
        show=_show_decimal,
    ),
    _spec(
        "tax2.label",
        "invoices",
        "Name of the second tax",
        _text("tax2.label", 40, nullable=True),
        attr="tax2_label",
    ),
    _spec(
        "tax2.rate",
        "invoices",
        "Second tax rate in percent (none = no tax)",
        _percent("tax2.rate"),
        attr="tax2_rate",
        show=_show_decimal,
    ),
    _spec(
        "invoice.logo",
        "appearance",
        "Path of the logo image on invoices",
        _text("invoice.logo", 500, nullable=True),
        attr="invoice_logo_path",
    ),
    _spec(
        "invoice.accent_color",
        "appearance",
        "Accent colour of invoices (#rrggbb)",
        _colour,
        attr="invoice_accent_color",
    ),
    _spec(
        "invoice.show_project_codes",
        "appearance",
        "Show project codes on invoice lines",
        _bool("invoice.show_project_codes"),
        attr="invoice_show_project_codes",
    ),
    _spec(
        "invoice.notes",
        "appearance",
        "Default notes printed on invoices",
        _text("invoice.notes", 5000, nullable=True),
        attr="invoice_notes",
    ),
    _spec(
        "email.invoice_subject",
        "email",
        "Subject of the invoice email",
        _template("email.invoice_subject"),
        attr="email_invoice_subject",
    ),
    _spec(
        "email.invoice_body",
        "email",
        "Body of the invoice email",
        _template("email.invoice_body"),
        attr="email_invoice_body",
    ),
    _spec(
        "email.footer",
        "email",
        "Footer appended to invoice emails",
        _text("email.footer", 5000, nullable=True),
        attr="email_footer",
    ),
    _spec(
        "email.reminder_subject",
        "email",
        "Subject of the payment reminder",
        _template("email.reminder_subject"),
        attr="email_reminder_subject",
    ),
    _spec(
        "email.reminder_body",
        "email",
        "Body of the payment reminder",
        _template("email.reminder_body"),
        attr="email_reminder_body",
    ),
    _spec(
        "email.thanks_subject",
        "email",
        "Subject of the thank-you message",
        _template("email.thanks_subject"),
        attr="email_thanks_subject",
    ),
    _spec(
        "email.thanks_body",
        "email",
        "Body of the thank-you message",
        _template("email.thanks_body"),
        attr="email_thanks_body",
    ),
    _spec(
        "smtp.host",
        "email",
        "SMTP server for outgoing mail (none = in-app only)",
        _text("smtp.host", 200, nullable=True),
        attr="smtp_host",
    ),
    _spec("smtp.port", "email", "SMTP port", _int("smtp.port", 1, 65535), attr="smtp_port"),
    _spec(
        "smtp.username",
        "email",
        "SMTP user name (the password lives in the keyring)",
        _text("smtp.username", 200, nullable=True),
        attr="smtp_username",
    ),
    _spec(
        "smtp.from",
        "email",
        "From address of outgoing mail",
        _text("smtp.from", 200, nullable=True),
        attr="smtp_from",
    ),
    _spec("smtp.starttls", "email", "Use STARTTLS", _bool("smtp.starttls"), attr="smtp_starttls"),
    _spec(
        "default_user",
        "identity",
        "User who acts when no API key is given",
        _default_user,
        attr="default_user_id",
        show=_show_user,
    ),
)

_BY_KEY = {spec.key: spec for spec in SETTINGS}


def find_setting(key: str) -> SettingSpec:
    spec = _BY_KEY.get(key.strip().lower().replace("-", "_"))
    if spec is None:
        raise KeitoError(
            "validation_error",
            f"unknown setting: {key!r}",
            field="key",
            hint="see `keito settings list` for the settings there are",
        )
    return spec
