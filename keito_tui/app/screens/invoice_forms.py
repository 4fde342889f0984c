"""The invoice editor's forms: a line (new or whole) and the header. Both show the invoice's
totals as you type, by the money rule over the unsaved values, and save through the billing
services (keito_core.services.billing.lines and invoices.edit_invoice)."""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal
from typing import TYPE_CHECKING, Any, ClassVar

from rich.text import Text
from textual import on
from textual.app import ComposeResult
from textual.containers import Horizontal, Vertical, VerticalScroll
from textual.widgets import Button, Checkbox, Input, Select, Static, TextArea

from keito_core.errors import KeitoError
from keito_core.reports.invoice_views import EditorLine, InvoiceEditorView
from keito_core.rules.invoices import LineInput, line_amount
from keito_core.rules.periods import parse_date
from keito_tui.app.screens.invoice_saving import Change, Saved, SavingDialog
from keito_tui.app.screens.invoice_text import (
    KINDS,
    TERMS,
    exact,
    line_inputs,
    money,
    money_text,
    parse_decimal,
    percent,
    preview_totals,
    quantity_text,
    totals_text,
)
from keito_tui.app.widgets.form_field import FormField

if TYPE_CHECKING:
    from keito_core.platform.runtime import Runtime

NO_PROJECT = ""


def form_buttons() -> ComposeResult:
    yield Static("", classes="dialog--error", id="form-error", markup=False)
    with Horizontal(classes="dialog--buttons"):
        yield Button("Cancel", id="form-cancel", compact=True)
        yield Button("Save", id="form-save", variant="primary", compact=True)


class LineDialog(SavingDialog):
    """A new line, or every field of one: kind, description, quantity, unit price, the two
    taxes and the project; the amount and the invoice's total follow as you type."""

    FIELD_OF: ClassVar[dict[str, str]] = {"amount": "quantity", "line": "description"}

    def __init__(self, runtime: Runtime, invoice: InvoiceEditorView,
                 line: EditorLine | None = None) -> None:
        super().__init__(runtime)
        self.invoice = invoice
        self.line = line

    def compose(self) -> ComposeResult:
        x, inv = self.line, self.invoice
        projects = [("No project", NO_PROJECT), *((p.name, p.id) for p in inv.projects)]
        with Vertical(classes="dialog invoice-dialog", id="line-dialog"):
            yield Static(f"Line {x.number} of {inv.number}" if x else f"New line on {inv.number}",
                         classes="dialog--title", markup=False)
            with VerticalScroll(classes="invoice-form"):
                yield FormField("Kind", Select(KINDS, value=x.kind if x else "service",
                                               allow_blank=False, id="kind", compact=True),
                                field="kind")
                yield FormField("Description", Input(x.description if x else "",
                                                     id="description", compact=True),
                                field="description")
                yield FormField("Quantity", Input(exact(x.quantity) if x else "1", id="quantity",
                                                  compact=True), field="quantity")
                yield FormField(f"Unit price ({inv.currency})", Input(
                    exact(x.unit_price) if x else "", id="unit_price", compact=True,
                    placeholder="e.g. 150"), field="unit_price")
                with Horizontal(id="line-taxes"):
                    yield Checkbox(inv.tax_label or "Tax", x.taxed if x else inv.tax is not None,
                                   id="taxed", compact=True)
                    yield Checkbox(inv.tax2_label or "Tax 2",
                                   x.taxed2 if x else inv.tax2 is not None, id="taxed2",
                                   compact=True)
                yield FormField("Project", Select(
                    projects, value=(x.project_id or NO_PROJECT) if x else NO_PROJECT,
                    allow_blank=False, id="project", compact=True), field="project")
            yield Static("", id="form-preview")
            yield from form_buttons()

    def on_mount(self) -> None:
        for box in self.query(Input):
            box.select_on_focus = False
        self.show_preview()
        self.query_one("#description", Input).focus()

    def values(self) -> dict[str, Any]:
        return {
            "kind": str(self.query_one("#kind", Select).value),
            "description": self.query_one("#description", Input).value,
            "quantity": self.query_one("#quantity", Input).value.strip(),
            "unit_price": self.query_one("#unit_price", Input).value.strip(),
            "taxed": self.query_one("#taxed", Checkbox).value,
            "taxed2": self.query_one("#taxed2", Checkbox).value,
            "project": str(self.query_one("#project", Select).value) or None,
        }

    @on(Input.Changed)
    @on(Checkbox.Changed)
    def show_preview(self) -> None:
        """This line's amount and the invoice's totals with it, unsaved."""
        values, inv = self.values(), self.invoice
        quantity, price = parse_decimal(values["quantity"]), parse_decimal(values["unit_price"])
        shown = self.query_one("#form-preview", Static)
        if quantity is None or price is None:
            shown.update(Text("Amount: give a quantity and a unit price", style="dim"))
            return
        try:
            amount = line_amount(quantity, price, inv.currency)
        except KeitoError as exc:
            shown.update(Text(f"Amount: {exc.message}", style="red"))
            return
        line = LineInput(quantity, price, values["taxed"], values["taxed2"])
        lines = line_inputs(inv)
        if self.line is None:
            lines.append(line)
        else:
            lines[self.line.number - 1] = line
        totals = preview_totals(inv, lines)
        text = Text(f"Amount: {quantity_text(quantity)} × {money_text(price, inv.currency)} = ")
        text.append(money(amount, inv.currency), style="bold")
        text.append("\n")
        text.append_text(totals_text(totals, inv, unsaved=bool(self.changed()))
                         if not isinstance(totals, str) else Text(totals, style="red"))
        shown.update(text)

    @on(Input.Submitted)
    def submitted(self) -> None:
        self.action_save()

    def changed(self) -> dict[str, Any]:
        """The fields to save: all of a new line's, the changed ones of a line."""
        values, line = self.values(), self.line
        if line is None:
            return values
        before = {"kind": line.kind, "description": line.description,
                  "quantity": exact(line.quantity), "unit_price": exact(line.unit_price),
                  "taxed": line.taxed, "taxed2": line.taxed2, "project": line.project_id}
        return {k: v for k, v in values.items() if before[k] != v}

    def change(self) -> Change | None:
        values = self.changed()
        invoice, line = self.invoice.id, self.line
        if not values:
            self.dismiss(None)
            return None
        number = line.number if line is not None else len(self.invoice.lines) + 1

        def save(session: Any, actor: Any, now: Any) -> Saved:
            from keito_core.services.billing.lines import add_line, edit_line

            if line is None:
                add_line(session, actor=actor, invoice_ref=invoice, values=values, now=now)
                return Saved(f"Line {number} added.", line=number)
            edit_line(session, actor=actor, invoice_ref=invoice, line_ref=line.id,
                      values=values, now=now)
            return Saved(f"Line {number} saved.", line=number)

        return save


class HeaderDialog(SavingDialog):
    """The invoice's header: dates and terms, subject, PO, notes, discount and the two taxes.
    The due date follows the terms; a due date typed alone makes the terms custom."""

    FIELD_OF: ClassVar[dict[str, str]] = {"tax_label": "tax", "tax2_label": "tax2"}

    def __init__(self, runtime: Runtime, invoice: InvoiceEditorView) -> None:
        super().__init__(runtime)
        self.invoice = invoice
        #: The due date the terms set (typed over, it makes the terms custom).
        self.due_auto: str | None = None

    def original(self) -> dict[str, str]:
        inv = self.invoice
        return {
            "issue_date": inv.issue_date.isoformat(), "payment_terms": inv.payment_terms,
            "payment_term_days": str(inv.payment_term_days or ""),
            "due_date": inv.due_date.isoformat(), "subject": inv.subject or "",
            "purchase_order": inv.purchase_order or "", "notes": inv.notes or "",
            "discount": percent(inv.discount), "tax_label": inv.tax_label or "",
            "tax": percent(inv.tax), "tax2_label": inv.tax2_label or "",
            "tax2": percent(inv.tax2),
        }

    def compose(self) -> ComposeResult:
        was = self.original()

        def box(name: str, placeholder: str = "") -> Input:
            return Input(was[name], id=name, compact=True, placeholder=placeholder)

        with Vertical(classes="dialog invoice-dialog", id="header-dialog"):
            yield Static(f"Header of {self.invoice.number}", classes="dialog--title",
                         markup=False)
            with VerticalScroll(classes="invoice-form"):
                yield FormField("Issue date", box("issue_date", "YYYY-MM-DD"),
                                field="issue_date")
                yield FormField("Terms", Select(TERMS, value=was["payment_terms"],
                                                allow_blank=False, id="payment_terms",
                                                compact=True), field="payment_terms")
                yield FormField("Days", box("payment_term_days", "custom terms: days"),
                                field="payment_term_days")
                yield FormField("Due date", box("due_date", "YYYY-MM-DD"), field="due_date")
                yield FormField("Subject", box("subject"), field="subject")
                yield FormField("Purchase order", box("purchase_order"),
                                field="purchase_order")
                yield FormField("Notes", TextArea(was["notes"], id="notes", compact=True,
                                                  soft_wrap=True), field="notes")
                yield FormField("Discount %", box("discount", "none"), field="discount")
                with Horizontal(classes="tax-row"):
                    yield FormField("Tax %", box("tax", "none"), field="tax")
                    yield Input(was["tax_label"], id="tax_label", compact=True,
                                placeholder="label (VAT)")
                with Horizontal(classes="tax-row"):
                    yield FormField("Tax 2 %", box("tax2", "none"), field="tax2")
                    yield Input(was["tax2_label"], id="tax2_label", compact=True,
                                placeholder="label")
            yield Static("", id="form-preview")
            yield from form_buttons()

    def on_mount(self) -> None:
        for box in self.query(Input):
            box.select_on_focus = False
        self.show_days()
        self.show_preview()
        self.query_one("#issue_date", Input).focus()

    def typed(self) -> dict[str, str]:
        values = {name: self.query_one(f"#{name}", Input).value.strip()
                  for name in self.original() if name not in ("payment_terms", "notes")}
        values["payment_terms"] = str(self.query_one("#payment_terms", Select).value)
        values["notes"] = self.query_one("#notes", TextArea).text.strip()
        return values

    def show_days(self) -> None:
        custom = self.query_one("#payment_terms", Select).value == "custom"
        self.query_one("#field-payment_term_days", FormField).display = custom

    @on(Select.Changed, "#payment_terms")
    @on(Input.Changed, "#issue_date")
    @on(Input.Changed, "#payment_term_days")
    def terms_changed(self) -> None:
        """The due date follows the issue date and the terms, as the service sets it."""
        from keito_core.services.billing.invoices import TERM_DAYS

        self.show_days()
        values, was = self.typed(), self.original()
        if all(values[k] == was[k] for k in ("issue_date", "payment_terms",
                                              "payment_term_days")):
            return
        try:
            issued = parse_date(values["issue_date"], today=self.invoice.today)
        except KeitoError:
            return
        terms = values["payment_terms"]
        if terms == "custom":
            days = int(values["payment_term_days"]) if values["payment_term_days"].isdigit() \
                else None
        else:
            days = TERM_DAYS.get(terms)  # type: ignore[call-overload]
        if days is not None:
            self.due_auto = (issued + timedelta(days=days)).isoformat()
            self.query_one("#due_date", Input).value = self.due_auto

    def percents(self) -> tuple[Decimal | None, Decimal | None, Decimal | None] | str:
        values = self.typed()
        out = []
        for name in ("discount", "tax", "tax2"):
            text = values[name].removesuffix("%").strip()
            value = parse_decimal(text)
            if text and value is None:
                return f"{name}: not a number ({values[name]})"
            out.append(value or None)
        return out[0], out[1], out[2]

    @on(Input.Changed)
    def show_preview(self) -> None:
        percents = self.percents()
        shown = self.query_one("#form-preview", Static)
        if isinstance(percents, str):
            shown.update(Text(percents, style="red"))
            return
        totals = preview_totals(self.invoice, line_inputs(self.invoice), percents=percents)
        shown.update(Text(totals, style="red") if isinstance(totals, str)
                     else totals_text(totals, self.invoice, unsaved=bool(self.changes())))

    @on(Input.Submitted)
    def submitted(self) -> None:
        self.action_save()

    def changes(self) -> dict[str, str]:
        """The fields that differ from the saved header (the service takes them as typed). A
        due date the terms set is left to the service; one typed over them makes the terms
        custom."""
        was, now = self.original(), self.typed()
        changes = {k: v for k, v in now.items() if was[k] != v}
        if changes.get("due_date") is not None and changes["due_date"] == self.due_auto:
            del changes["due_date"]
        if changes.get("payment_terms") == "custom" or (
                "payment_term_days" in changes and now["payment_terms"] == "custom"):
            changes["payment_terms"] = "custom"
            changes["payment_term_days"] = now["payment_term_days"]
        else:
            changes.pop("payment_term_days", None)
        if "due_date" in changes:
            changes.pop("payment_terms", None)
            changes.pop("payment_term_days", None)
        return changes

    def change(self) -> Change | None:
        changes = self.changes()
        if not changes:
            self.dismiss(None)
            return None
        invoice = self.invoice.id

        def save(session: Any, actor: Any, now: Any) -> Saved:
            from keito_core.services.billing.invoices import edit_invoice

            edit_invoice(session, actor=actor, ref=invoice, changes=changes, now=now)
            return Saved("Header saved.")

        return save
