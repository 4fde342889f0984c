"""First run: create the workspace and its first administrator from a short form.

Every field is checked before anything is written, so all the problems show at once (each
next to its field, cleared as soon as the field changes). The new workspace starts with
COMMON_TASKS, default tasks that every new project gets, as Harvest's do."""

from __future__ import annotations

import getpass
import locale
from collections.abc import Callable, Mapping
from typing import TYPE_CHECKING
from zoneinfo import available_timezones

from textual import on, work
from textual.app import ComposeResult
from textual.containers import Horizontal, VerticalScroll
from textual.message import Message
from textual.screen import Screen
from textual.suggester import SuggestFromList
from textual.widgets import Button, Header, Input, Select, Static

from keito_core.enums import WeekDay
from keito_core.errors import KeitoError
from keito_core.platform.runtime import Runtime
from keito_core.rules.money import is_currency
from keito_tui.app.values import ErrorInfo, WorkspaceSummary
from keito_tui.app.widgets.footer import KeitoFooter
from keito_tui.app.widgets.form_field import FormField

if TYPE_CHECKING:
    from sqlmodel import Session

#: The form's inputs, named as the service names its fields in validation errors.
TEXT_FIELDS = ("company", "currency", "timezone", "name", "email")

#: The tasks a new workspace starts with (name, billable by default); each is a default task,
#: which every new project gets.
COMMON_TASKS: tuple[tuple[str, bool], ...] = (
    ("Design", True), ("Development", True), ("Meetings", True),
    ("Project Management", True), ("Business Development", False),
)


def form_errors(answers: Mapping[str, str]) -> dict[str, str]:
    """Every field's problem at once ({field: message}), from the rules the service applies."""
    from keito_core.rules.money import validate_currency
    from keito_core.rules.periods import parse_timezone
    from keito_core.rules.text import validate_email, validate_name

    checks: dict[str, Callable[[str], object]] = {
        "company": lambda text: validate_name(text, "company"),
        "currency": validate_currency,
        "timezone": parse_timezone,
        "name": lambda text: validate_name(text, "name"),
        "email": validate_email,
    }
    errors: dict[str, str] = {}
    for name, check in checks.items():
        try:
            check(answers.get(name, ""))
        except KeitoError as exc:
            info = ErrorInfo.of(exc)
            errors[name] = "\n".join(filter(None, (info.message, info.hint)))
    return errors


def default_currency() -> str:
    """The currency of the user's locale (LC_MONETARY), else USD."""
    try:
        previous = locale.setlocale(locale.LC_MONETARY)
        try:
            locale.setlocale(locale.LC_MONETARY, "")
            code = str(locale.localeconv().get("int_curr_symbol", "")).strip()
        finally:
            locale.setlocale(locale.LC_MONETARY, previous)
    except (locale.Error, ValueError):
        return "USD"
    return code if code and is_currency(code) else "USD"


def onboarding_defaults() -> dict[str, str]:
    """Pre-filled answers: locale currency, detected timezone, Monday, the login name."""
    from keito_tui.cli.workspace import detect_timezone

    try:
        login = getpass.getuser()
    except Exception:  # no login name in this environment
        login = ""
    return {
        "company": "",
        "currency": default_currency(),
        "timezone": detect_timezone(),
        "week_start": WeekDay.MONDAY.value,
        "name": login,
        "email": "",
    }


class OnboardingScreen(Screen[WorkspaceSummary]):
    """The welcome form; dismissed with the new workspace's summary once it is created."""

    class Created(Message):
        def __init__(self, summary: WorkspaceSummary) -> None:
            super().__init__()
            self.summary = summary

    class Rejected(Message):
        def __init__(self, error: ErrorInfo) -> None:
            super().__init__()
            self.error = error

    def __init__(self, runtime: Runtime, defaults: Mapping[str, str]) -> None:
        super().__init__()
        self.runtime = runtime
        self.defaults = dict(defaults)

    def compose(self) -> ComposeResult:
        value = self.defaults.get
        yield Header()
        with VerticalScroll(id="onboarding"):
            yield Static("Welcome to Keito", id="onboarding-title")
            yield Static(
                "Create your workspace. Everything here can be changed later in Settings.",
                id="onboarding-lead",
            )
            yield FormField("Company name", Input(
                value("company", ""), placeholder="e.g. Acme Consulting", id="company",
                compact=True,
            ), field="company")
            yield FormField("Currency", Input(
                value("currency", "USD"), placeholder="ISO 4217 code, e.g. GBP", max_length=3,
                id="currency", compact=True,
            ), field="currency")
            yield FormField("Timezone", Input(
                value("timezone", "UTC"), placeholder="e.g. Europe/London", id="timezone",
                suggester=SuggestFromList(sorted(available_timezones()), case_sensitive=False),
                compact=True,
            ), field="timezone")
            yield FormField("Week starts on", Select(
                [(day.value.capitalize(), day.value) for day in WeekDay],
                value=value("week_start", WeekDay.MONDAY.value), allow_blank=False,
                id="week_start", compact=True,
            ), field="week_start")
            yield FormField("Your name", Input(
                value("name", ""), placeholder="e.g. Ada Lovelace", id="name", compact=True,
            ), field="name")
            yield FormField("Your email", Input(
                value("email", ""), placeholder="e.g. ada@acme.com", id="email", compact=True,
            ), field="email")
            yield Static("", id="form-error", markup=False)
        with Horizontal(id="onboarding-actions"):
            yield Button("Create workspace", id="create", variant="primary", compact=True)
        yield KeitoFooter()

    def on_mount(self) -> None:
        self.query_one("#company", Input).focus()

    def values(self) -> dict[str, str]:
        """The form's current answers."""
        answers = {name: self.query_one(f"#{name}", Input).value for name in TEXT_FIELDS}
        answers["week_start"] = str(self.query_one("#week_start", Select).value)
        return answers

    @on(Button.Pressed, "#create")
    @on(Input.Submitted)
    def submit(self) -> None:
        button = self.query_one("#create", Button)
        if button.disabled:  # already creating
            return
        answers = self.values()
        errors = form_errors(answers)
        if errors:
            self.show_errors(errors)
            return
        self.show_error(None)
        button.disabled = True
        self.create_workspace(self.runtime, answers)

    @on(Input.Changed)
    def field_changed(self, event: Input.Changed) -> None:
        """A field's message goes as soon as the field is changed."""
        field = self.query_one(f"#field-{event.input.id}", FormField)
        field.error = ""

    @work(thread=True, exclusive=True, group="onboarding")
    def create_workspace(self, runtime: Runtime, answers: dict[str, str]) -> None:
        from keito_core.reports.workspace import header_of
        from keito_core.services.workspace.setup import init_workspace
        from keito_tui.app.loaders import summary_of

        try:
            with runtime.session(create=True) as session:
                workspace, admin = init_workspace(
                    session,
                    company=answers["company"],
                    currency=answers["currency"],
                    timezone=answers["timezone"],
                    week_start=answers["week_start"],
                    admin_name=answers["name"],
                    admin_email=answers["email"],
                    now=runtime.clock(),
                )
                summary = summary_of(header_of(workspace, admin))
                add_common_tasks(runtime, session)
        except KeitoError as exc:
            self.post_message(self.Rejected(ErrorInfo.of(exc)))
            return
        self.post_message(self.Created(summary))

    def on_onboarding_screen_rejected(self, message: Rejected) -> None:
        self.query_one("#create", Button).disabled = False
        self.show_error(message.error)

    def on_onboarding_screen_created(self, message: Created) -> None:
        self.dismiss(message.summary)

    def show_errors(self, errors: Mapping[str, str]) -> None:
        """Each message next to its field (the others cleared); the first such field focused."""
        first = None
        for field in self.query(FormField):
            field.error = errors.get(field.field, "")
            if field.error and first is None:
                first = field
        self.query_one("#form-error", Static).set_class(False, "-visible")
        if first is not None:
            first.control.focus()

    def show_error(self, error: ErrorInfo | None) -> None:
        """Put the message next to its field (or under the form); clear the others."""
        text = "" if error is None else "\n".join(filter(None, (error.message, error.hint)))
        fields = {field.field: field for field in self.query(FormField)}
        target = fields.get(error.field or "") if error else None
        for field in fields.values():
            field.error = text if field is target else ""
        general = self.query_one("#form-error", Static)
        general.update("" if target is not None else text)
        general.set_class(bool(text) and target is None, "-visible")
        if target is not None:
            target.control.focus()


def add_common_tasks(runtime: Runtime, session: Session) -> None:
    """COMMON_TASKS, as the new workspace's administrator, in the transaction creating it."""
    from keito_core.services.directory.tasks import create_task

    actor = runtime.actor(session)
    for name, billable in COMMON_TASKS:
        create_task(session, actor=actor, name=name, billable=billable, is_default=True,
                    now=runtime.clock())
