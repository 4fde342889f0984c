"""The invoice editor: the header, the lines in a table edited from the keyboard, the totals
recomputed as you type, payments, sending, the PDF and the invoice's states.

`enter` on a description, quantity or unit price edits it in place (the line under the table);
the totals show what the unsaved value makes, by the money rule (keito_core.rules.invoices).
Every change is one transaction through the billing services, in a worker; the editor reads
the invoice again after it. Paid and closed invoices are locked: a change says so.
"""

from __future__ import annotations

from typing import Any, ClassVar

from rich.text import Text
from textual import events, on, work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal
from textual.message import Message
from textual.widgets import DataTable, Header, Input, Label, Static

from keito_core.errors import KeitoError
from keito_core.reports.invoice_views import EditorLine, InvoiceEditorView
from keito_core.rules.invoices import LineInput, line_amount
from keito_tui.app.bindings import KeitoAction, view_bindings
from keito_tui.app.screens.approval_detail import ItemTable
from keito_tui.app.screens.base import MainView
from keito_tui.app.screens.dialogs import ConfirmDialog
from keito_tui.app.screens.invoice_forms import HeaderDialog, LineDialog
from keito_tui.app.screens.invoice_payments import PaymentDialog, PaymentsDialog
from keito_tui.app.screens.invoice_saving import Change, Saved, error_text, write
from keito_tui.app.screens.invoice_send import PdfDialog, SendDialog, compose, first_kind
from keito_tui.app.screens.invoice_text import (
    LOCK_MARK,
    day,
    exact,
    header_text,
    line_inputs,
    money,
    money_text,
    parse_decimal,
    preview_totals,
    quantity_text,
    totals_text,
)
from keito_tui.app.values import ErrorInfo
from keito_tui.app.widgets.footer import KeitoFooter

LINE = Binding.Group("Line", compact=True)
INVOICE = Binding.Group("Invoice", compact=True)

EDITOR_ACTIONS: tuple[KeitoAction, ...] = (
    KeitoAction("invoice.add_line", "n", "add_line", "Add line",
                "Add a line in a small form (kind, description, quantity, price, taxes, project)",
                group=LINE),
    KeitoAction("invoice.edit_cell", "enter", "edit_cell", "Edit",
                "Edit the selected cell in place (description, quantity or unit price); on a "
                "tax column, switch that tax; elsewhere, the line's form", key_display="⏎",
                group=LINE),
    KeitoAction("invoice.line_form", "f", "line_form", "Form",
                "Edit the selected line in a form (every field, its kind and project)",
                group=LINE),
    KeitoAction("invoice.move_up", "ctrl+up,K", "move_line(-1)", "Move up",
                "Move the selected line up", key_display="K", group=LINE),
    KeitoAction("invoice.move_down", "ctrl+down,J", "move_line(1)", "Move down",
                "Move the selected line down", key_display="J", group=LINE),
    KeitoAction("invoice.remove_line", "delete,x", "remove_line", "Remove",
                "Remove the selected line (asks first); what it billed can be billed again",
                key_display="x", group=LINE),
    KeitoAction("invoice.taxed", "t", "toggle_tax('')", "Tax",
                "Switch a tax on or off for the selected line: the one whose column the cursor "
                "is on, else the first", group=LINE),
    KeitoAction("invoice.taxed2", "T", "toggle_tax('taxed2')", "Tax 2",
                "Switch the second tax on or off for the selected line", group=LINE,
                show=False),
    KeitoAction("invoice.header", "h", "edit_header", "Header",
                "Edit the header: issue date, terms, due date, subject, PO, notes, discount "
                "and taxes", group=INVOICE),
    KeitoAction("invoice.payment", "p", "record_payment", "Payment",
                "Record a payment (amount, date, notes, transaction ID)", group=INVOICE),
    KeitoAction("invoice.payments", "P", "show_payments", "Payments",
                "The payment history with the running balance, and the messages sent",
                group=INVOICE),
    KeitoAction("invoice.send", "S", "send_invoice", "Send",
                "Email the invoice (or a reminder, or a thank-you) with its PDF",
                group=INVOICE),
    KeitoAction("invoice.pdf", "o", "write_pdf", "PDF",
                "Write the invoice's PDF (to the current directory, or a path you give)",
                group=INVOICE),
    KeitoAction("invoice.issue", "I", "issue", "Issue",
                "Mark the draft as sent (it becomes open) without an email", group=INVOICE),
    KeitoAction("invoice.close", "c", "close_invoice", "Close",
                "Close the invoice (write it off): no longer owed", group=INVOICE),
    KeitoAction("invoice.reopen", "R", "reopen", "Reopen",
                "Reopen a closed invoice", group=INVOICE),
    KeitoAction("invoice.delete", "X", "delete_invoice", "Delete",
                "Delete the invoice (asks first); what it billed can be billed again",
                group=INVOICE),
    KeitoAction("invoice.back", "escape", "back", "Back",
                "Back to the list (or, while a cell is edited, cancel the edit)",
                key_display="esc", show=False),
)

#: Cells edited in place: column key -> (line field, words).
IN_PLACE = {"description": ("description", "Description"), "quantity": ("quantity", "Quantity"),
            "unit_price": ("unit_price", "Unit price")}
TAX_COLUMNS = ("taxed", "taxed2")
#: Actions that change the invoice's lines or header (refused on a locked invoice).
EDITING = frozenset({"add_line", "edit_cell", "line_form", "move_line", "remove_line",
                     "toggle_tax", "edit_header"})
#: The state each state-changing action needs.
STATE_ACTIONS = {"issue": ("draft",), "close_invoice": ("open", "paid"), "reopen": ("closed",)}
REFUSAL_TITLES = {"locked": "Locked", "authorization_error": "Not allowed",
                  "conflict": "Not now", "config_error": "Not set up",
                  "not_found": "Not found"}


def column_plan(width: int, invoice: InvoiceEditorView) -> list[tuple[str, str, int]]:
    """(key, heading, width) of the line table's columns for a table `width` cells wide."""
    wide = width >= 110
    cur = invoice.currency
    amount = max([10, *(len(money(line.amount, cur)) for line in invoice.lines)])
    price = max([10, *(len(money_text(line.unit_price, cur)) for line in invoice.lines)])
    quantity = max([6, *(len(quantity_text(line.quantity)) for line in invoice.lines)])
    tax = max(4, min(8, len(invoice.tax_label or "Tax")))
    tax2 = max(5, min(8, len(invoice.tax2_label or "Tax 2")))
    fixed = {"number": 3, "quantity": min(quantity, 12), "unit_price": min(price, 14),
             "amount": min(amount, 16), "taxed": tax, "taxed2": tax2}
    if wide:
        fixed["kind"] = 7
    flexible = 2 if wide else 1
    room = max(12, width - sum(fixed.values()) - 2 * (len(fixed) + flexible) - 2)
    plan = [("number", "#", 3)]
    if wide:
        plan.append(("kind", "Kind", 7))
        project = min(24, room // 3)
        plan += [("description", "Description", room - project), ("project", "Project", project)]
    else:
        plan.append(("description", "Description", room))
    plan += [("quantity", "Qty", fixed["quantity"]), ("unit_price", "Price", fixed["unit_price"]),
             ("amount", "Amount", fixed["amount"]),
             ("taxed", (invoice.tax_label or "Tax")[:tax], tax),
             ("taxed2", (invoice.tax2_label or "Tax 2")[:tax2], tax2)]
    return plan


def line_cells(line: EditorLine, invoice: InvoiceEditorView,
               plan: list[tuple[str, str, int]]) -> list[Text]:
    widths = {key: width for key, _, width in plan}
    cur = invoice.currency

    def cut(text: str, key: str, style: str = "") -> Text:
        cell = Text(" ".join(text.split()), style=style)
        cell.truncate(widths.get(key, 0), overflow="ellipsis")
        return cell

    description = line.description + (" (agent)" if line.is_agent and "agent" not in
                                       line.description.lower() else "")
    cells = {
        "number": Text(str(line.number), style="dim"),
        "kind": Text(line.kind, style="dim"),
        "description": cut(description or "(no description)", "description",
                           "" if line.description else "dim italic"),
        "project": cut(line.project_name or "", "project", "dim"),
        "quantity": Text(quantity_text(line.quantity), justify="right"),
        "unit_price": Text(money_text(line.unit_price, cur), justify="right"),
        "amount": Text(money(line.amount, cur), justify="right", style="bold"),
        "taxed": Text("✓" if line.taxed else "·", justify="center",
                      style="green" if line.taxed else "dim"),
        "taxed2": Text("✓" if line.taxed2 else "·", justify="center",
                       style="green" if line.taxed2 else "dim"),
    }
    return [cells[key] for key, _, _ in plan]


def line_detail(line: EditorLine | None, invoice: InvoiceEditorView,
                amount: Text | None = None, typed: LineInput | None = None) -> Text:
    """The selected line whole: kind, project, description, the product and its taxes (with
    the quantity and price being `typed`, and their `amount`, when they are unsaved)."""
    if line is None:
        return Text("No lines yet: n adds one." if not invoice.lines else "", style="dim")
    cur = invoice.currency
    text = Text.assemble((f"Line {line.number}", "bold"), f" · {line.kind}")
    if line.project_name:
        text.append(f" · {line.project_name}")
    quantity, price = (typed.quantity, typed.unit_price) if typed else (line.quantity,
                                                                         line.unit_price)
    text.append(f" · {quantity_text(quantity)} × {money_text(price, cur)} = ")
    text.append_text(amount or Text(money(line.amount, cur), style="bold"))
    taxes = [name for name, on in ((invoice.tax_label or "Tax", line.taxed),
                                   (invoice.tax2_label or "Tax 2", line.taxed2)) if on]
    text.append(f" · {', '.join(taxes) if taxes else 'no tax'}", style="dim")
    if line.bills_time:
        text.append(" · bills tracked time", style="dim")
    if line.description:
        text.append(f" · {' '.join(line.description.split())}", style="italic")
    return text


def payments_cells(invoice: InvoiceEditorView) -> list[list[Text]]:
    cur = invoice.currency
    return [[Text(day(p.paid_on, year=True)), Text(money(p.amount, cur), justify="right"),
             Text(" ".join(filter(None, (p.notes, p.transaction_id)))),
             Text(money(p.balance, cur), justify="right")] for p in invoice.payments]


class LineTable(ItemTable):
    """The lines, a cell cursor: the arrows move it; enter and the letters belong to the view."""

    BINDINGS = [
        *ItemTable.BINDINGS,
        Binding("left", "cursor_left", "Left", show=False),
        Binding("right", "cursor_right", "Right", show=False),
    ]


class InvoiceEditorScreen(MainView):
    """One invoice: its header, lines, totals and payments; every change from the keyboard."""

    VIEW_NAME = "Invoice"
    CSS_PATH = "invoices.tcss"
    VIEW_ACTIONS: ClassVar[tuple[KeitoAction, ...]] = EDITOR_ACTIONS
    BINDINGS = view_bindings(EDITOR_ACTIONS)

    class Loaded(Message):
        def __init__(self, invoice: InvoiceEditorView, read: int) -> None:
            super().__init__()
            self.invoice = invoice
            self.read = read

    class Changed(Message):
        def __init__(self, saved: Saved) -> None:
            super().__init__()
            self.saved = saved

    class Refused(Message):
        def __init__(self, error: ErrorInfo) -> None:
            super().__init__()
            self.error = error

    class Composed(Message):
        """The prefilled email (or why there is none), for the send dialog."""

        def __init__(self, draft: Any, error: ErrorInfo | None) -> None:
            super().__init__()
            self.draft = draft
            self.error = error

    def __init__(self, invoice_id: str) -> None:
        super().__init__()
        self.invoice_id = invoice_id
        self.invoice: InvoiceEditorView | None = None
        #: The cell being edited in place: (line, column key), or None.
        self.editing: tuple[EditorLine, str] | None = None
        #: Where the cursor goes once the invoice is read again: (line number, column key).
        self.keep: tuple[int, str] | None = None
        self.deleted = False

    def compose(self) -> ComposeResult:
        yield Header()
        yield Static("Reading the invoice…", id="editor-head")
        yield LineTable(id="editor-lines", cursor_type="cell", zebra_stripes=True)
        with Horizontal(id="cell-edit"):
            yield Label("", id="cell-label")
            yield Input(id="cell-input", compact=True)
        yield Static("", id="editor-line")
        yield Static("", id="editor-totals")
        yield ItemTable(id="editor-payments", cursor_type="row")
        yield KeitoFooter(compact=True)

    def on_mount(self) -> None:
        self.query_one("#cell-input", Input).select_on_focus = False
        payments = self.query_one("#editor-payments", ItemTable)
        payments.add_columns("Paid on", Text("Amount", justify="right"), "Notes",
                             Text("Balance", justify="right"))
        payments.can_focus = False
        self.query_one("#editor-lines", LineTable).focus()

    def on_resize(self, event: events.Resize) -> None:
        self.set_class(event.size.height >= 36, "-tall")
        self.show_invoice()

    # --- reading ------------------------------------------------------------------------------

    def reload(self) -> None:
        if not self.deleted:
            self.load(self.invoice_id, self.start_read())

    @work(thread=True, exclusive=True, group="invoice-read")
    def load(self, invoice_id: str, read: int) -> None:
        from keito_core.reports.invoice_views import invoice_editor_view

        try:
            with self.runtime.session(readonly=True) as session:
                invoice = invoice_editor_view(session, actor=self.runtime.actor(session),
                                              ref=invoice_id, now=self.runtime.clock())
        except KeitoError as exc:
            self.post_message(self.LoadFailed(ErrorInfo.of(exc)))
            return
        self.post_message(self.Loaded(invoice, read))

    def on_invoice_editor_screen_loaded(self, message: Loaded) -> None:
        if not self.is_last_read(message.read):
            return
        table = self.query_one("#editor-lines", LineTable)
        if self.keep is None and self.invoice is not None and table.row_count:
            self.keep = self.cursor_place()
        self.invoice = message.invoice
        self.show_invoice()
        self.refresh_bindings()

    # --- showing ------------------------------------------------------------------------------

    def cursor_place(self) -> tuple[int, str]:
        table = self.query_one("#editor-lines", LineTable)
        plan = self.plan()
        column = plan[min(table.cursor_column, len(plan) - 1)][0] if plan else "description"
        return table.cursor_row + 1, column

    def plan(self) -> list[tuple[str, str, int]]:
        if self.invoice is None:
            return []
        table = self.query_one("#editor-lines", LineTable)
        return column_plan(table.size.width or self.size.width, self.invoice)

    def show_invoice(self) -> None:
        invoice = self.invoice
        if invoice is None:
            return
        self.query_one("#editor-head", Static).update(header_text(invoice))
        table = self.query_one("#editor-lines", LineTable)
        place = self.keep or (self.cursor_place() if table.row_count else (1, "description"))
        self.keep = None
        plan = self.plan()
        table.clear(columns=True)
        for key, label, width in plan:
            right = key in ("quantity", "unit_price", "amount")
            table.add_column(Text(label, justify="right" if right else "left"), key=key,
                             width=width)
        for line in invoice.lines:
            table.add_row(*line_cells(line, invoice, plan), key=line.id)
        keys = [key for key, _, _ in plan]
        if invoice.lines:
            row = min(max(place[0], 1), len(invoice.lines)) - 1
            column = keys.index(place[1]) if place[1] in keys else keys.index("description")
            table.move_cursor(row=row, column=column, animate=False)
        payments = self.query_one("#editor-payments", ItemTable)
        payments.clear()
        for cells in payments_cells(invoice):
            payments.add_row(*cells)
        payments.set_class(not invoice.payments, "-empty")
        self.show_totals()

    def selected_line(self) -> EditorLine | None:
        invoice, table = self.invoice, self.query_one("#editor-lines", LineTable)
        if invoice is None or not invoice.lines or not table.row_count:
            return None
        return invoice.lines[min(max(table.cursor_row, 0), len(invoice.lines) - 1)]

    def selected_column(self) -> str:
        plan = self.plan()
        column = self.query_one("#editor-lines", LineTable).cursor_column
        return plan[column][0] if 0 <= column < len(plan) else ""

    @on(DataTable.CellHighlighted, "#editor-lines")
    def show_totals(self) -> None:
        """The totals (with the value being typed, unsaved) and the selected line whole."""
        invoice = self.invoice
        if invoice is None:
            return
        line = self.editing[0] if self.editing else self.selected_line()
        unsaved = self.unsaved_line()
        shown_line = self.query_one("#editor-line", Static)
        totals_box = self.query_one("#editor-totals", Static)
        if isinstance(unsaved, str):
            shown_line.update(line_detail(line, invoice, Text(unsaved, style="red")))
            totals_box.update(Text(f"unsaved: {unsaved}", style="red"))
            return
        if unsaved is None:
            shown_line.update(line_detail(line, invoice))
            totals = preview_totals(invoice, line_inputs(invoice))
        else:
            index, value = unsaved
            lines = line_inputs(invoice)
            lines[index] = value
            totals = preview_totals(invoice, lines)
            amount = (Text(money(totals.line_amounts[index], invoice.currency),
                           style="bold yellow") if not isinstance(totals, str) else None)
            shown_line.update(line_detail(line, invoice, amount, value))
        totals_box.update(Text(totals, style="red") if isinstance(totals, str)
                          else totals_text(totals, invoice, unsaved=unsaved is not None))

    def unsaved_line(self) -> tuple[int, LineInput] | str | None:
        """The edited line as the money rule would take it with the typed value (None when no
        number is being typed; the problem when the value is not one)."""
        if self.editing is None or self.editing[1] == "description":
            return None
        line, column = self.editing
        typed = self.query_one("#cell-input", Input).value
        value = parse_decimal(typed)
        if value is None:
            return f"{IN_PLACE[column][1].lower()}: not a number ({typed})" if typed.strip() \
                else f"{IN_PLACE[column][1].lower()}: give a number"
        quantity = value if column == "quantity" else line.quantity
        price = value if column == "unit_price" else line.unit_price
        try:
            line_amount(quantity, price, self.invoice.currency if self.invoice else "GBP")
        except KeitoError as exc:
            return exc.message
        return line.number - 1, LineInput(quantity, price, line.taxed, line.taxed2)

    # --- actions: availability and refusals ---------------------------------------------------

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        invoice = self.invoice
        if action == "edit_cell":
            return self.focused is self.query_one("#editor-lines", LineTable)
        if invoice is None or action == "back":
            return True
        access = invoice.access
        if action in EDITING and not access.edit:
            return False
        needs = {"record_payment": access.pay, "show_payments": True, "send_invoice": access.send,
                 "write_pdf": True, "issue": access.send, "close_invoice": access.close,
                 "reopen": access.close, "delete_invoice": access.delete}
        if not needs.get(action, True):
            return False
        if action in STATE_ACTIONS:
            return invoice.state in STATE_ACTIONS[action]
        if action == "move_line":
            return len(invoice.lines) > 1
        if action == "toggle_tax":
            # A tax the invoice does not charge: its flag is set in the line's form.
            return invoice.tax2 is not None if parameters[:1] == ("taxed2",) else (
                invoice.tax is not None or invoice.tax2 is not None)
        if action == "delete_invoice":
            return not invoice.payments  # refused while it has payments: delete those first
        return True

    def refuse_locked(self) -> bool:
        """Say that a paid or closed invoice is locked (and how to unlock it); True if so."""
        invoice = self.invoice
        if invoice is None or not invoice.locked:
            return invoice is None
        hint = ("reopen it first (R)" if invoice.state == "closed"
                else "delete its payments first (P, then x)")
        self.notify(f"Invoice {invoice.number} is {invoice.state}: it is locked and cannot be "
                    f"edited ({hint}).", title=f"{LOCK_MARK} Locked", severity="warning",
                    markup=False)
        return True

    def need_line(self) -> EditorLine | None:
        line = self.selected_line()
        if line is None:
            self.notify("The invoice has no lines yet: n adds one.", severity="warning",
                        markup=False)
        return line

    # --- changing -----------------------------------------------------------------------------

    def run(self, change: Change, *, keep: tuple[int, str] | None = None) -> None:
        """Save `change` in a worker, then read the invoice again (the cursor at `keep`)."""
        self.keep = keep
        self.apply(change)

    @work(thread=True, group="invoice-write")
    def apply(self, change: Change) -> None:
        try:
            saved = write(self.runtime, change)
        except KeitoError as exc:
            self.post_message(self.Refused(ErrorInfo.of(exc)))
            return
        self.post_message(self.Changed(saved))

    def on_invoice_editor_screen_changed(self, message: Changed) -> None:
        self.after_save(message.saved)

    def after_save(self, saved: Saved | None) -> None:
        """A change went through (in a dialog or here): say so, and read the invoice again."""
        if saved is None:
            return
        if saved.line is not None:
            self.keep = (saved.line, self.keep[1] if self.keep else self.selected_column()
                         or "description")
        self.notify(saved.text, markup=False)
        for warning in saved.warnings:
            self.notify(warning, title="Already sent", severity="warning", markup=False)
        self.reload()

    def on_invoice_editor_screen_refused(self, message: Refused) -> None:
        error = message.error
        self.notify(error_text(error), title=REFUSAL_TITLES.get(error.code, "Not done"),
                    severity="warning", markup=False)
        self.keep = None
        self.reload()

    # --- lines --------------------------------------------------------------------------------

    def action_add_line(self) -> None:
        if not self.refuse_locked() and self.invoice is not None:
            self.app.push_screen(LineDialog(self.runtime, self.invoice), self.after_save)

    def action_line_form(self) -> None:
        if self.refuse_locked() or self.invoice is None:
            return
        line = self.need_line()
        if line is not None:
            self.app.push_screen(LineDialog(self.runtime, self.invoice, line), self.after_save)

    def action_edit_cell(self) -> None:
        if self.refuse_locked():
            return
        line, column = self.need_line(), self.selected_column()
        if line is None:
            return
        if column in TAX_COLUMNS:
            self.action_toggle_tax(column)
        elif column in IN_PLACE:
            self.start_editing(line, column)
        else:
            self.action_line_form()

    def start_editing(self, line: EditorLine, column: str) -> None:
        self.editing = (line, column)
        value = {"description": line.description, "quantity": quantity_text(line.quantity),
                 "unit_price": exact(line.unit_price)}[column]
        self.query_one("#cell-label", Label).update(
            f"Line {line.number}, {IN_PLACE[column][1].lower()} (⏎ saves, esc cancels):")
        box = self.query_one("#cell-input", Input)
        box.value = value
        box.cursor_position = len(value)
        self.add_class("-editing")
        box.focus()
        self.show_totals()

    def stop_editing(self) -> None:
        self.editing = None
        self.remove_class("-editing")
        self.query_one("#editor-lines", LineTable).focus()
        self.show_totals()

    @on(Input.Changed, "#cell-input")
    def typed(self) -> None:
        if self.editing is not None:
            self.show_totals()

    @on(Input.Submitted, "#cell-input")
    def save_cell(self) -> None:
        if self.editing is None or self.invoice is None:
            return
        line, column = self.editing
        field = IN_PLACE[column][0]
        typed = self.query_one("#cell-input", Input).value
        before = {"description": line.description, "quantity": quantity_text(line.quantity),
                  "unit_price": exact(line.unit_price)}[column]
        self.stop_editing()
        if typed.strip() == before.strip():
            return
        invoice, number = self.invoice.id, line.number

        def save(session: Any, actor: Any, now: Any) -> Saved:
            from keito_core.services.billing.lines import edit_line

            edit_line(session, actor=actor, invoice_ref=invoice, line_ref=line.id,
                      values={field: typed}, now=now)
            return Saved(f"Line {number}: {IN_PLACE[column][1].lower()} saved.", line=number)

        self.run(save, keep=(number, column))

    def action_toggle_tax(self, which: str) -> None:
        """Switch tax `which` (taxed or taxed2; empty: the tax column under the cursor, else
        the first tax the invoice charges)."""
        if self.refuse_locked() or self.invoice is None:
            return
        line = self.need_line()
        if line is None:
            return
        if not which:
            column = self.selected_column()
            which = column if column in TAX_COLUMNS else (
                "taxed" if self.invoice.tax is not None or self.invoice.tax2 is None
                else "taxed2")
        on_now = not (line.taxed if which == "taxed" else line.taxed2)
        label = (self.invoice.tax_label or "Tax") if which == "taxed" else (
            self.invoice.tax2_label or "Tax 2")
        invoice, number = self.invoice.id, line.number

        def save(session: Any, actor: Any, now: Any) -> Saved:
            from keito_core.services.billing.lines import edit_line

            edit_line(session, actor=actor, invoice_ref=invoice, line_ref=line.id,
                      values={which: on_now}, now=now)
            return Saved(f"Line {number}: {label} {'on' if on_now else 'off'}.", line=number)

        self.run(save, keep=(number, which))

    def action_move_line(self, steps: int) -> None:
        if self.refuse_locked() or self.invoice is None:
            return
        line = self.need_line()
        if line is None:
            return
        target = line.number + steps
        if not 1 <= target <= len(self.invoice.lines):
            return
        invoice, column = self.invoice.id, self.selected_column()

        def save(session: Any, actor: Any, now: Any) -> Saved:
            from keito_core.services.billing.lines import move_line

            move_line(session, actor=actor, invoice_ref=invoice, line_ref=line.id,
                      position=target, now=now)
            return Saved(f"Line {line.number} moved to {target}.", line=target)

        self.run(save, keep=(target, column))

    def action_remove_line(self) -> None:
        if self.refuse_locked() or self.invoice is None:
            return
        line = self.need_line()
        if line is None:
            return
        invoice, currency = self.invoice, self.invoice.currency
        question = (f"Remove line {line.number} ({' '.join(line.description.split())[:60]}, "
                    f"{money(line.amount, currency)}) from {invoice.number}?")
        if line.bills_time:
            question += " The time and expenses it billed can be billed again."

        def save(session: Any, actor: Any, now: Any) -> Saved:
            from keito_core.services.billing.lines import remove_line

            _, released = remove_line(session, actor=actor, invoice_ref=invoice.id,
                                      line_ref=line.id, now=now)
            freed = f" ({released} item{'s' if released != 1 else ''} can be billed again)" \
                if released else ""
            return Saved(f"Line {line.number} removed{freed}.",
                         line=max(1, line.number - 1))

        def answered(yes: bool | None) -> None:
            if yes:
                self.run(save)

        self.app.push_screen(ConfirmDialog(question, title="Remove line",
                                           confirm_label="Remove"), answered)

    # --- the invoice --------------------------------------------------------------------------

    def action_edit_header(self) -> None:
        if not self.refuse_locked() and self.invoice is not None:
            self.app.push_screen(HeaderDialog(self.runtime, self.invoice), self.after_save)

    def action_record_payment(self) -> None:
        invoice = self.invoice
        if invoice is None:
            return
        if invoice.state != "open":
            hint = {"draft": "send it or issue it (I) first", "paid": "it is paid in full",
                    "closed": "reopen it first (R)"}.get(invoice.state, "")
            self.notify(f"Invoice {invoice.number} is {invoice.state}: payments are recorded "
                        f"against open invoices ({hint}).", title="Not now",
                        severity="warning", markup=False)
            return
        self.app.push_screen(PaymentDialog(self.runtime, invoice), self.after_save)

    def action_show_payments(self) -> None:
        if self.invoice is not None:
            self.app.push_screen(PaymentsDialog(self.runtime, self.invoice), self.delete_payment)

    def delete_payment(self, payment_id: str | None) -> None:
        if payment_id is None or self.invoice is None:
            return
        invoice = self.invoice.id

        def save(session: Any, actor: Any, now: Any) -> Saved:
            from keito_core.platform.lookup import find_invoice
            from keito_core.services.billing.payments import delete_payment

            payment = delete_payment(session, actor=actor, invoice_ref=invoice,
                                     payment_ref=payment_id, now=now)
            found = find_invoice(session, invoice)
            return Saved(f"Payment of {money(payment.amount, found.currency)} deleted: the "
                         f"invoice is {found.state.value}.")

        self.run(save)

    def action_send_invoice(self) -> None:
        if self.invoice is not None:
            self.compose_email(self.invoice.id, first_kind(self.invoice))

    @work(thread=True, exclusive=True, group="invoice-compose")
    def compose_email(self, invoice_id: str, kind: str) -> None:
        try:
            draft = compose(self.runtime, invoice_id, kind)
        except KeitoError as exc:
            self.post_message(self.Composed(None, ErrorInfo.of(exc)))
            return
        self.post_message(self.Composed(draft, None))

    def on_invoice_editor_screen_composed(self, message: Composed) -> None:
        if message.error is not None:
            self.post_message(self.Refused(message.error))
        elif self.invoice is not None:
            self.app.push_screen(SendDialog(self.runtime, self.invoice, message.draft),
                                 self.after_save)

    def action_write_pdf(self) -> None:
        if self.invoice is not None:
            self.app.push_screen(PdfDialog(self.runtime, self.invoice), self.after_save)

    def state_change(self, verb: str, service: str, done: str) -> None:
        invoice = self.invoice
        if invoice is None:
            return

        def save(session: Any, actor: Any, now: Any) -> Saved:
            from keito_core.services.billing import invoices

            changed = getattr(invoices, service)(session, actor=actor, ref=invoice.id, now=now)
            return Saved(f"{invoice.number} {done}: it is {changed.state.value}.")

        def answered(yes: bool | None) -> None:
            if yes:
                self.run(save)

        self.app.push_screen(ConfirmDialog(
            f"{verb} {invoice.number} ({invoice.client}, "
            f"{money(invoice.amount, invoice.currency)})?", title=verb,
            confirm_label=verb), answered)

    def action_issue(self) -> None:
        self.state_change("Issue", "mark_sent", "marked as sent")

    def action_close_invoice(self) -> None:
        self.state_change("Close", "close_invoice", "closed (written off)")

    def action_reopen(self) -> None:
        self.state_change("Reopen", "reopen_invoice", "reopened")

    def action_delete_invoice(self) -> None:
        invoice = self.invoice
        if invoice is None:
            return

        def answered(yes: bool | None) -> None:
            if yes:
                self.remove_invoice(invoice.id, invoice.number)

        self.app.push_screen(ConfirmDialog(
            f"Delete {invoice.number} ({invoice.client}, "
            f"{money(invoice.amount, invoice.currency)})? What it billed can be billed again; "
            "its number is never given again.", title="Delete invoice",
            confirm_label="Delete"), answered)

    @work(thread=True, group="invoice-write")
    def remove_invoice(self, invoice_id: str, number: str) -> None:
        def change(session: Any, actor: Any, now: Any) -> Saved:
            from keito_core.services.billing.invoices import delete_invoice

            delete_invoice(session, actor=actor, ref=invoice_id, now=now)
            return Saved(f"{number} deleted.")

        try:
            saved = write(self.runtime, change)
        except KeitoError as exc:
            self.post_message(self.Refused(ErrorInfo.of(exc)))
            return
        self.post_message(self.Deleted(saved))

    class Deleted(Message):
        def __init__(self, saved: Saved) -> None:
            super().__init__()
            self.saved = saved

    def on_invoice_editor_screen_deleted(self, message: Deleted) -> None:
        self.deleted = True
        self.notify(message.saved.text, markup=False)
        self.dismiss()

    def action_back(self) -> None:
        if self.editing is not None:
            self.stop_editing()
            return
        self.dismiss()
