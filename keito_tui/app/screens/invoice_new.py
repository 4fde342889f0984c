"""New invoices: from tracked time and expenses (client, projects, period, grouping and
expenses, with a preview of what it would bill before it is made), and free-form (a client
only). Each dialog creates the draft in one transaction and is dismissed with its ID."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from typing import TYPE_CHECKING

from rich.text import Text
from textual import on, work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical, VerticalScroll
from textual.message import Message
from textual.screen import ModalScreen
from textual.widgets import Button, Input, Label, Select, SelectionList, Static

from keito_core.errors import KeitoError
from keito_core.reports.invoice_views import BillingPreview, ClientChoice, NewInvoiceChoices
from keito_core.rules.periods import parse_date
from keito_tui.app.screens.invoice_text import money
from keito_tui.app.values import ErrorInfo

if TYPE_CHECKING:
    from keito_core.platform.runtime import Runtime

GROUPINGS = (("By project", "project"), ("By task", "task"), ("By person", "person"),
             ("Detailed", "detailed"))
EXPENSES = (("No expenses", "none"), ("By category", "category"), ("By project", "project"),
            ("Detailed", "detailed"))


@dataclass(frozen=True)
class Asked:
    """What a preview (and then the invoice) is for."""

    client_id: str
    project_ids: tuple[str, ...]
    date_from: date
    date_to: date
    with_expenses: bool


def preview_text(preview: BillingPreview, period: tuple[date, date]) -> Text:
    """What the invoice would bill, per project, and the total before discount and tax."""
    first, last = period
    text = Text(f"Ready to bill, {first:%d %b} – {last:%d %b %Y}:", style="bold")
    if preview.empty:
        text.append("\nnothing: no billable, approved and uninvoiced time or expenses in "
                    "this period.", style="yellow")
        return text
    cur = preview.currency
    width = min(28, max(len(line.project) for line in preview.lines))
    for line in preview.lines:
        name = line.project if len(line.project) <= width else line.project[:width - 1] + "…"
        text.append(f"\n  {name:<{width}}")
        if line.hours:
            text.append(f" {line.hours:>7} h {money(line.time_amount, cur)}")
        if line.fee:
            text.append(f" fee {money(line.fee, cur)}")
        if line.expense_amount:
            text.append(f" + expenses {money(line.expense_amount, cur)}")
    text.append(f"\nTotal {preview.hours} h · {money(preview.amount, cur)}", style="bold")
    text.append(" before discount and tax", style="dim")
    return text


class CreatingDialog(ModalScreen[str | None]):
    """What both new-invoice dialogs share: a create in a worker, and its refusal in place."""

    CSS_PATH = "invoices.tcss"
    BINDINGS = [
        Binding("ctrl+s", "create", "Create", id="invoice_new.create",
                tooltip="Create the draft invoice"),
        Binding("escape", "cancel", "Cancel", id="invoice_new.cancel",
                tooltip="Close; nothing is created"),
    ]

    class Created(Message):
        def __init__(self, invoice_id: str) -> None:
            super().__init__()
            self.invoice_id = invoice_id

    class Failed(Message):
        def __init__(self, error: ErrorInfo) -> None:
            super().__init__()
            self.error = error

    def __init__(self, runtime: Runtime, choices: NewInvoiceChoices) -> None:
        super().__init__()
        self.runtime = runtime
        self.choices = choices
        self.clients = {c.id: c for c in choices.clients}

    def client(self) -> ClientChoice:
        return self.clients[str(self.query_one("#new-client", Select).value)]

    def client_select(self) -> Select[str]:
        return Select([(f"{c.name} ({c.currency})", c.id) for c in self.choices.clients],
                      value=self.choices.clients[0].id, allow_blank=False, id="new-client",
                      compact=True)

    def show_error(self, text: str) -> None:
        self.query_one("#new-error", Static).update(text)

    def on_creating_dialog_failed(self, message: Failed) -> None:
        self.query_one("#new-create", Button).disabled = False
        error = message.error
        self.show_error("\n".join(filter(None, (error.message, error.hint))))

    def on_creating_dialog_created(self, message: Created) -> None:
        self.dismiss(message.invoice_id)

    @on(Button.Pressed, "#new-cancel")
    def action_cancel(self) -> None:
        self.dismiss(None)

    @on(Button.Pressed, "#new-create")
    def action_create(self) -> None:
        button = self.query_one("#new-create", Button)
        if not button.disabled:
            button.disabled = True
            self.show_error("Creating…")
            self.create()

    def create(self) -> None:
        raise NotImplementedError


class NewInvoiceDialog(CreatingDialog):
    """An invoice from a period of a client's tracked work, previewed before it is made."""

    class Previewed(Message):
        def __init__(self, preview: BillingPreview | None, error: ErrorInfo | None,
                     asked: Asked) -> None:
            super().__init__()
            self.preview = preview
            self.error = error
            self.asked = asked

    def __init__(self, runtime: Runtime, choices: NewInvoiceChoices) -> None:
        super().__init__(runtime, choices)
        #: The choices the preview on screen was read for (Create waits for a fresh one).
        self.previewed: Asked | None = None

    def compose(self) -> ComposeResult:
        first, last = self.choices.period
        with Vertical(classes="dialog invoice-dialog", id="new-invoice-dialog"):
            yield Static("New invoice from time and expenses", classes="dialog--title")
            with VerticalScroll(id="new-form"):
                with Horizontal(classes="new-row"):
                    yield Label("Client", classes="new-label")
                    yield self.client_select()
                with Horizontal(classes="new-row", id="new-projects-row"):
                    yield Label("Projects\n(none: all)", classes="new-label")
                    yield SelectionList[str](id="new-projects", compact=True)
                with Horizontal(classes="new-row"):
                    yield Label("From", classes="new-label")
                    yield Input(first.isoformat(), id="new-from", compact=True,
                                placeholder="YYYY-MM-DD")
                    yield Label("to", classes="new-label-short")
                    yield Input(last.isoformat(), id="new-to", compact=True,
                                placeholder="YYYY-MM-DD")
                with Horizontal(classes="new-row"):
                    yield Label("Group time", classes="new-label")
                    yield Select(GROUPINGS, value="project", allow_blank=False,
                                 id="new-group", compact=True)
                    yield Label("Expenses", classes="new-label-short")
                    yield Select(EXPENSES, value="category", allow_blank=False,
                                 id="new-expenses", compact=True)
                yield Static("Reading what is ready to bill…", id="new-preview")
            yield Static("", classes="dialog--error", id="new-error", markup=False)
            with Horizontal(classes="dialog--buttons"):
                yield Button("Cancel", id="new-cancel", compact=True)
                yield Button("Create draft", id="new-create", variant="primary", compact=True,
                             disabled=True)

    def on_mount(self) -> None:
        for box in self.query(Input):
            box.select_on_focus = False
        self.show_projects()
        self.query_one("#new-client", Select).focus()

    def show_projects(self) -> None:
        projects = self.query_one("#new-projects", SelectionList)
        projects.clear_options()
        projects.add_options([(p.name, p.id) for p in self.client().projects])
        self.ask_preview()

    @on(Select.Changed, "#new-client")
    def client_changed(self) -> None:
        self.show_projects()

    @on(SelectionList.SelectedChanged)
    @on(Select.Changed, "#new-expenses")
    @on(Input.Changed)
    def choice_changed(self) -> None:
        self.ask_preview()

    def asked(self) -> Asked | str:
        """The preview's inputs (client, projects, period, expenses), or what is wrong."""
        today = self.choices.today
        try:
            first = parse_date(self.query_one("#new-from", Input).value or "", today=today,
                               field="from")
            last = parse_date(self.query_one("#new-to", Input).value or "", today=today,
                              field="to")
        except KeitoError as exc:
            return exc.message
        if last < first:
            return f"the period ends ({last}) before it starts ({first})"
        chosen = tuple(sorted(self.query_one("#new-projects", SelectionList).selected))
        with_expenses = self.query_one("#new-expenses", Select).value != "none"
        return Asked(self.client().id, chosen, first, last, with_expenses)

    def ask_preview(self) -> None:
        asked = self.asked()
        self.query_one("#new-create", Button).disabled = True
        if isinstance(asked, str):
            self.previewed = None
            self.query_one("#new-preview", Static).update(Text(asked, style="red"))
            return
        self.preview(asked)

    @work(thread=True, exclusive=True, group="invoice-preview")
    def preview(self, asked: Asked) -> None:
        from keito_core.reports.invoice_views import billing_preview

        try:
            with self.runtime.session(readonly=True) as session:
                preview = billing_preview(
                    session, actor=self.runtime.actor(session), client_id=asked.client_id,
                    project_ids=asked.project_ids, date_from=asked.date_from,
                    date_to=asked.date_to, with_expenses=asked.with_expenses)
        except KeitoError as exc:
            self.post_message(self.Previewed(None, ErrorInfo.of(exc), asked))
            return
        self.post_message(self.Previewed(preview, None, asked))

    def on_new_invoice_dialog_previewed(self, message: Previewed) -> None:
        if message.asked != self.asked():
            return  # the choices changed since: a newer preview is on its way
        shown = self.query_one("#new-preview", Static)
        if message.error is not None or message.preview is None:
            self.previewed = None
            shown.update(Text(message.error.message if message.error else "", style="red"))
            return
        asked = message.asked
        shown.update(preview_text(message.preview, (asked.date_from, asked.date_to)))
        self.previewed = message.asked
        self.query_one("#new-create", Button).disabled = message.preview.empty

    def action_create(self) -> None:
        if self.previewed is None or self.previewed != self.asked():
            self.show_error("Wait for the preview of these choices (it reads as you change them).")
            return
        super().action_create()

    @on(Input.Submitted)
    def submitted(self) -> None:
        self.action_create()

    def create(self) -> None:
        if self.previewed is not None:
            self.create_invoice(self.previewed, str(self.query_one("#new-group", Select).value),
                                str(self.query_one("#new-expenses", Select).value))

    @work(thread=True, exclusive=True, group="invoice-create")
    def create_invoice(self, asked: Asked, group_by: str, expenses: str) -> None:
        from keito_core.services.billing.generate import create_from_tracked

        try:
            with self.runtime.session() as session:
                invoice = create_from_tracked(
                    session, actor=self.runtime.actor(session), client_ref=asked.client_id,
                    project_refs=list(asked.project_ids), date_from=asked.date_from,
                    date_to=asked.date_to, group_by=group_by, expenses=expenses,
                    now=self.runtime.clock())
                invoice_id = invoice.id
        except KeitoError as exc:
            self.post_message(self.Failed(ErrorInfo.of(exc)))
            return
        self.post_message(self.Created(invoice_id))


class FreeFormDialog(CreatingDialog):
    """A free-form draft for a client: no lines yet (add them in the editor)."""

    def compose(self) -> ComposeResult:
        with Vertical(classes="dialog invoice-dialog", id="free-form-dialog"):
            yield Static("New free-form invoice", classes="dialog--title")
            with Horizontal(classes="new-row"):
                yield Label("Client", classes="new-label")
                yield self.client_select()
            with Horizontal(classes="new-row"):
                yield Label("Subject", classes="new-label")
                yield Input(id="new-subject", compact=True, placeholder="optional")
            yield Static("The draft opens in the editor: add its lines there (n).",
                         classes="dialog--note")
            yield Static("", classes="dialog--error", id="new-error", markup=False)
            with Horizontal(classes="dialog--buttons"):
                yield Button("Cancel", id="new-cancel", compact=True)
                yield Button("Create draft", id="new-create", variant="primary", compact=True)

    def on_mount(self) -> None:
        self.query_one("#new-client", Select).focus()

    @on(Input.Submitted)
    def submitted(self) -> None:
        self.action_create()

    def create(self) -> None:
        self.create_invoice(self.client().id, self.query_one("#new-subject", Input).value)

    @work(thread=True, exclusive=True, group="invoice-create")
    def create_invoice(self, client_id: str, subject: str) -> None:
        from keito_core.services.billing.invoices import Header, new_invoice

        try:
            with self.runtime.session() as session:
                invoice = new_invoice(session, actor=self.runtime.actor(session),
                                      client_ref=client_id,
                                      header=Header(subject=subject.strip() or None),
                                      now=self.runtime.clock())
                invoice_id = invoice.id
        except KeitoError as exc:
            self.post_message(self.Failed(ErrorInfo.of(exc)))
            return
        self.post_message(self.Created(invoice_id))
