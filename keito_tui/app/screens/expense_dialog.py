"""The new and edit expense dialog: a unit-based category asks for a quantity and shows the
computed total as you type; any other category asks for the amount."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from pathlib import Path
from typing import Any

from textual import on, work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical, VerticalScroll
from textual.message import Message
from textual.screen import ModalScreen
from textual.widgets import Button, Checkbox, Input, Label, Select, Static

from keito_core.enums import Source
from keito_core.errors import KeitoError
from keito_core.platform.runtime import Runtime
from keito_core.reports.expenses import CategoryChoice, ExpenseLine, ExpenseProjectChoice
from keito_core.rules.money import CURRENCY_SYMBOLS, format_number, minor_units
from keito_core.services.tracking.expenses import unit_total
from keito_core.services.tracking.receipts import check_receipt
from keito_tui.app.values import ErrorInfo, app_hint
from keito_tui.app.widgets.form_field import FormField

#: Service error fields shown next to another field of the form.
FIELD_OF = {"unit_price": "quantity", "date": "spent_date"}


def money_text(amount: Decimal, currency: str) -> str:
    """`£12.50`, or every decimal a unit price needs (`£0.135`): never rounded away."""
    places = minor_units(currency)
    exponent = amount.normalize().as_tuple().exponent
    if isinstance(exponent, int):
        places = max(places, -exponent)
    number = format_number(amount, places)
    sign, digits = ("-", number[1:]) if number.startswith("-") else ("", number)
    symbol = CURRENCY_SYMBOLS.get(currency)
    return f"{sign}{symbol}{digits}" if symbol else f"{sign}{currency} {digits}"


def exact(value: Decimal | None) -> str:
    """A Decimal without trailing zeros (0.003 stays 0.003, 45.000000 is 45)."""
    return "" if value is None else format(value.normalize(), "f")


@dataclass(frozen=True)
class ExpenseForm:
    """What the dialog offers: projects, categories, today and the expense being edited."""

    projects: tuple[ExpenseProjectChoice, ...]
    categories: tuple[CategoryChoice, ...]
    today: date
    expense: ExpenseLine | None = None
    #: The project a new expense starts on (the last one used), when the form offers it.
    project_id: str | None = None


@dataclass(frozen=True)
class ExpenseInput:
    """The form's answers, as typed."""

    spent_date: str
    project_id: str
    category_id: str
    quantity: str | None
    total: str | None
    billable: bool
    notes: str
    receipt: str | None
    remove_receipt: bool


@dataclass(frozen=True)
class SavedExpense:
    """What the dialog dismisses with once an expense is saved."""

    id: str
    spent_date: date


class ExpenseDialog(ModalScreen[SavedExpense | None]):
    """Logs a new expense or edits one; dismissed with the saved expense (None: cancelled)."""

    CSS_PATH = "expenses.tcss"
    BINDINGS = [
        Binding("ctrl+s", "save", "Save", id="expense.save", tooltip="Save the expense"),
        Binding("escape", "cancel", "Cancel", id="expense.cancel",
                tooltip="Close without saving"),
    ]

    class Saved(Message):
        def __init__(self, saved: SavedExpense) -> None:
            super().__init__()
            self.saved = saved

    class Rejected(Message):
        def __init__(self, error: ErrorInfo) -> None:
            super().__init__()
            self.error = error

    def __init__(self, runtime: Runtime, form: ExpenseForm) -> None:
        super().__init__()
        self.runtime = runtime
        self.form = form
        self.expense = form.expense
        self.projects = {p.id: p for p in form.projects}
        self.categories = {c.id: c for c in form.categories}
        self.billable_touched = False
        #: The (project, category) whose fields and billable default are shown.
        self.shown_choice: tuple[str, str] | None = None

    # --- the form ------------------------------------------------------------------------

    def project_options(self) -> list[tuple[str, str]]:
        options = [(p.label, p.id) for p in self.form.projects]
        x = self.expense
        if x is not None and x.project_id not in self.projects:
            self.projects[x.project_id] = ExpenseProjectChoice(
                x.project_id, x.client, x.project, x.currency, True)
            options.insert(0, (f"{x.client} › {x.project}", x.project_id))
        return options

    def category_options(self) -> list[tuple[str, str]]:
        x = self.expense
        return [(c.name, c.id) for c in self.form.categories
                if c.is_active or (x is not None and c.id == x.category_id)]

    def compose(self) -> ComposeResult:
        x = self.expense
        projects, categories = self.project_options(), self.category_options()
        category = self.categories[x.category_id if x else categories[0][1]]
        offered = {value for _, value in projects}
        project_id = x.project_id if x else (
            self.form.project_id if self.form.project_id in offered else projects[0][1])
        with Vertical(classes="dialog", id="expense-dialog"):
            yield Static("Edit expense" if x else "New expense", classes="dialog--title")
            with VerticalScroll(id="expense-form"):
                yield FormField("Date", Input(
                    (x.spent_date if x else self.form.today).isoformat(),
                    placeholder="YYYY-MM-DD, today, yesterday, monday…", id="spent_date",
                    compact=True), field="spent_date")
                yield FormField("Project", Select(
                    projects, value=project_id, allow_blank=False, id="project",
                    disabled=x is not None, compact=True), field="project")
                yield FormField("Category", Select(
                    categories, value=category.id, allow_blank=False, id="category",
                    compact=True), field="category")
                yield FormField("Quantity", Input(
                    exact(x.units) if x else "", placeholder="e.g. 45", id="quantity",
                    compact=True), field="quantity")
                yield FormField("Amount", Input(
                    exact(x.total) if x and not category.is_unit_based else "",
                    placeholder="e.g. 12.50", id="total", compact=True), field="total")
                yield Static("", id="computed", markup=False)
                yield FormField("Billable", Checkbox(
                    "Bill to the client", x.is_billable if x else category.billable_default,
                    id="billable", compact=True), field="billable")
                yield FormField("Notes", Input(
                    (x.notes or "") if x else "", placeholder="what it was for",
                    id="notes", compact=True), field="notes")
                yield FormField("Receipt", Input(
                    "", placeholder="path to a PNG, JPG, GIF or PDF (at most 10 MB)",
                    id="receipt", compact=True), field="receipt")
                if x is not None and x.receipt_name:
                    yield Checkbox(f"Remove the receipt {x.receipt_name}", id="remove_receipt",
                                   compact=True)
            yield Static("", classes="dialog--error", id="form-error", markup=False)
            with Horizontal(classes="dialog--buttons"):
                yield Button("Cancel", id="cancel", compact=True)
                yield Button("Save", id="save", variant="primary", compact=True)

    def on_mount(self) -> None:
        for box in self.query(Input):  # the cursor at the end: a first key adds, not replaces
            box.select_on_focus = False
        self.shown_choice = (self.current_project().id, self.current_category().id)
        self.show_category(initial=True)
        self.query_one("#spent_date", Input).focus()

    def current_category(self) -> CategoryChoice:
        return self.categories[str(self.query_one("#category", Select).value)]

    def current_project(self) -> ExpenseProjectChoice:
        return self.projects[str(self.query_one("#project", Select).value)]

    def unit_price(self, category: CategoryChoice) -> Decimal | None:
        """The price per unit: the edited expense's own in its category, else the category's."""
        x = self.expense
        if x is not None and x.category_id == category.id and x.unit_price is not None:
            return x.unit_price
        return category.unit_price

    def show_category(self, *, initial: bool = False) -> None:
        """Ask for a quantity or an amount as the category needs; set its billable default."""
        category, project = self.current_category(), self.current_project()
        unit_based = category.is_unit_based
        quantity = self.query_one("#field-quantity", FormField)
        quantity.display = unit_based
        quantity.query_one(".form-field--label", Label).update(
            f"Quantity ({category.unit_name})" if category.unit_name else "Quantity")
        amount = self.query_one("#field-total", FormField)
        amount.display = not unit_based
        amount.query_one(".form-field--label", Label).update(f"Amount ({project.currency})")
        self.query_one("#computed", Static).display = unit_based
        billable = self.query_one("#billable", Checkbox)
        billable.disabled = not project.billable
        if not project.billable:
            billable.value = False
        elif not initial and not self.billable_touched:
            billable.value = category.billable_default
        self.show_computed()

    def show_computed(self) -> None:
        """The live total of a unit-based category: quantity x unit price, exact."""
        category, project = self.current_category(), self.current_project()
        line = self.query_one("#computed", Static)
        price = self.unit_price(category)
        if price is None:
            line.update("")
            return
        quantity = self.query_one("#quantity", Input).value.strip()
        unit = f" {category.unit_name}" if category.unit_name else ""
        rate = f"{money_text(price, project.currency)} per{unit or ' unit'}"
        if not quantity:
            line.update(f"Total: quantity × {rate}")
            return
        try:
            total = unit_total(quantity=quantity, unit_price=price, unit_name=category.unit_name)
        except KeitoError as exc:
            line.update(f"Total: {exc.message}")
            return
        line.update(f"Total: {exact(Decimal(quantity))} × {money_text(price, project.currency)}"
                    f" = {money_text(total, project.currency)}")

    @on(Select.Changed, "#category")
    @on(Select.Changed, "#project")
    def category_changed(self) -> None:
        """A new project or category; not the Selects reporting the values they opened with,
        which must leave an edited expense's billable choice alone."""
        choice = (self.current_project().id, self.current_category().id)
        if choice == self.shown_choice:
            return
        self.shown_choice = choice
        self.show_category()

    @on(Input.Changed, "#quantity")
    def quantity_changed(self) -> None:
        self.show_computed()

    @on(Checkbox.Changed, "#billable")
    def billable_changed(self, event: Checkbox.Changed) -> None:
        if event.checkbox.has_focus:
            self.billable_touched = True

    @on(Input.Blurred, "#receipt")
    def receipt_left(self) -> None:
        self.check_receipt_field()

    def check_receipt_field(self) -> bool:
        """Check the receipt path now (the service checks it again when saving)."""
        path = self.query_one("#receipt", Input).value.strip()
        field = self.query_one("#field-receipt", FormField)
        field.error = ""
        if not path:
            return True
        try:
            check_receipt(path)
        except KeitoError as exc:
            field.error = "\n".join(filter(None, (exc.message, app_hint(exc.hint))))
            return False
        return True

    def answers(self) -> ExpenseInput:
        category = self.current_category()
        quantity = self.query_one("#quantity", Input).value.strip()
        total = self.query_one("#total", Input).value.strip()
        receipt = self.query_one("#receipt", Input).value.strip()
        remove = self.query("#remove_receipt")
        return ExpenseInput(
            spent_date=self.query_one("#spent_date", Input).value.strip() or "today",
            project_id=self.current_project().id, category_id=category.id,
            quantity=(quantity or None) if category.is_unit_based else None,
            total=None if category.is_unit_based else (total or None),
            billable=self.query_one("#billable", Checkbox).value,
            notes=self.query_one("#notes", Input).value,
            receipt=str(Path(receipt).expanduser()) if receipt else None,
            remove_receipt=bool(remove) and remove.first(Checkbox).value,
        )

    # --- saving --------------------------------------------------------------------------

    @on(Button.Pressed, "#save")
    @on(Input.Submitted)
    def action_save(self) -> None:
        button = self.query_one("#save", Button)
        if button.disabled:  # already saving
            return
        self.show_error(None)
        if not self.check_receipt_field():
            self.query_one("#receipt", Input).focus()
            return
        button.disabled = True
        self.save(self.answers())

    @on(Button.Pressed, "#cancel")
    def action_cancel(self) -> None:
        self.dismiss(None)

    @work(thread=True, exclusive=True, group="expense-dialog")
    def save(self, answers: ExpenseInput) -> None:
        from keito_core.services.tracking.expenses import edit_expense, log_expense

        runtime = self.runtime
        try:
            with runtime.session() as session:
                actor = runtime.actor(session)
                common: dict[str, Any] = {
                    "category_ref": answers.category_id, "quantity": answers.quantity,
                    "total": answers.total, "spent_date": answers.spent_date,
                    "billable": answers.billable, "receipt": answers.receipt,
                    "receipts_dir": runtime.settings.receipts_dir, "now": runtime.clock(),
                }
                if self.expense is None:
                    expense = log_expense(session, actor=actor, project_ref=answers.project_id,
                                          notes=answers.notes, source=Source.TUI, **common)
                else:
                    expense = edit_expense(session, actor=actor, expense_id=self.expense.id,
                                           notes=answers.notes,
                                           remove_receipt=answers.remove_receipt or None,
                                           **common)
                saved = SavedExpense(expense.id, expense.spent_date)
        except KeitoError as exc:
            self.post_message(self.Rejected(ErrorInfo.of(exc)))
            return
        self.post_message(self.Saved(saved))

    def on_expense_dialog_saved(self, message: Saved) -> None:
        self.dismiss(message.saved)

    def on_expense_dialog_rejected(self, message: Rejected) -> None:
        self.query_one("#save", Button).disabled = False
        self.show_error(message.error)

    def show_error(self, error: ErrorInfo | None) -> None:
        """Put the message next to its field (or under the form); clear the others."""
        text = "" if error is None else "\n".join(filter(None, (error.message, error.hint)))
        name = FIELD_OF.get(error.field or "", error.field or "") if error else ""
        fields = {field.field: field for field in self.query(FormField)}
        target = fields.get(name) if error else None
        if target is not None and not target.display:
            target = None
        for field in fields.values():
            field.error = text if field is target else ""
        self.query_one("#form-error", Static).update("" if target is not None else text)
        if target is not None:
            target.control.focus()
