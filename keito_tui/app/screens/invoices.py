"""The Invoices view: the newest invoices with state, client, dates, amounts and days past
due, filtered by state and client, with what is owed per currency under the list (aging).
`n` makes an invoice from tracked time and expenses (with a preview first), `N` a free-form
one; `enter` opens the invoice editor. With an accounting system connected, each invoice has
a sync badge (synced, pending, failed) and the line under the list says why one failed.

Reads run in a worker (one read-only session, keito_core.reports.invoice_views, and the page's
sync statuses in the same read); creating is
one transaction in the dialog that asks for it.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, ClassVar

from rich.cells import cell_len
from rich.text import Text
from textual import events, on, work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal
from textual.message import Message
from textual.widgets import DataTable, Header, Select, Static

from keito_core.errors import KeitoError
from keito_core.reports.invoice_views import LIST_STATES, InvoiceListView, NewInvoiceChoices
from keito_core.reports.invoices import InvoiceRow
from keito_tui.app.bindings import KeitoAction, view_bindings
from keito_tui.app.screens.approval_detail import ItemTable
from keito_tui.app.screens.base import MainView
from keito_tui.app.screens.invoice_new import FreeFormDialog, NewInvoiceDialog
from keito_tui.app.screens.invoice_text import (
    aging_text,
    day,
    late_text,
    money,
    row_detail,
    sync_badge,
)
from keito_tui.app.screens.invoice_text import state_text as state_cell
from keito_tui.app.values import ErrorInfo
from keito_tui.app.widgets.footer import KeitoFooter

STATE_LABELS = {"all": "All states", "draft": "Draft", "open": "Open", "overdue": "Overdue",
                "paid": "Paid", "closed": "Closed"}
#: The client select's value for every client.
EVERY = ""

INVOICE = Binding.Group("Invoice", compact=True)
LIST = Binding.Group("List", compact=True)

VIEW_ACTIONS: tuple[KeitoAction, ...] = (
    KeitoAction("invoices.open", "enter", "open_invoice", "Open",
                "Open the selected invoice in the editor", key_display="⏎", group=INVOICE),
    KeitoAction("invoices.new", "n", "new_invoice", "New",
                "New invoice from tracked time and expenses (a preview before it is made)",
                group=INVOICE),
    KeitoAction("invoices.new_blank", "N", "new_blank", "Free-form",
                "New free-form invoice for a client, with no lines yet", group=INVOICE),
    KeitoAction("invoices.state", "f", "cycle_state", "State",
                "Show all, draft, open, overdue, paid or closed invoices", group=LIST),
    KeitoAction("invoices.client", "c", "choose_client", "Client",
                "Show one client's invoices (choose from the list)", group=LIST),
    KeitoAction("invoices.list", "escape", "focus_list", "List", "Back to the list",
                show=False, in_palette=False),
)


@dataclass(frozen=True)
class ListFilter:
    state: str = "all"
    client_id: str | None = None


#: Columns whose cells and heading are right-justified.
RIGHT = frozenset({"amount", "due_amount", "late"})
#: The money columns' narrowest and widest widths (the longest amount listed decides).
MIN_MONEY, MAX_MONEY = 10, 16
#: The sync badge's width (`… pending`), and the client column's least width beside it:
#: narrower (with no subject to give room), the badge is its mark alone.
SYNC_WIDTH, CLIENT_BESIDE_SYNC = 9, 16


def column_plan(width: int, money_width: int = MIN_MONEY, *,
                sync: bool = False) -> list[tuple[str, str, int]]:
    """(key, heading, width) of the list's columns for a table `width` cells wide: 80
    columns leave out the issue date and subject (the line under the list shows them).
    With `sync` (an accounting system is connected) a last column holds each invoice's
    sync badge, only its mark when the client's name would otherwise get too narrow."""
    wide = width >= 110
    cash = min(MAX_MONEY, max(MIN_MONEY, money_width))
    fixed = {"number": 13, "state": 7, "due_date": 11 if wide else 6, "amount": cash,
             "due_amount": cash, "late": 4}
    if wide:
        fixed["issue_date"] = 11
    flexible = ["client", *(["subject"] if wide else [])]
    room = max(10, width - sum(fixed.values()) - 2 * (len(fixed) + len(flexible)) - 2)
    sizes = ({"client": min(32, room * 45 // 100)} if wide else {"client": room})
    if wide:
        sizes["subject"] = room - sizes["client"]
    badge = _fit_badge(sizes) if sync else 0
    plan = [("number", "Number", fixed["number"]), ("client", "Client", sizes["client"])]
    if wide:
        plan.append(("subject", "Subject", sizes["subject"]))
    plan.append(("state", "State", fixed["state"]))
    if wide:
        plan.append(("issue_date", "Issued", fixed["issue_date"]))
    plan += [("due_date", "Due", fixed["due_date"]), ("amount", "Amount", fixed["amount"]),
             ("due_amount", "Due amt", fixed["due_amount"]), ("late", "Late", fixed["late"])]
    if sync:
        plan.append(("sync", "Sync" if badge > 1 else "⇄", badge))
    return plan


def _fit_badge(sizes: dict[str, int]) -> int:
    """The sync badge's width, taken from the flexible columns' `sizes` (changed in place):
    from the subject first (down to 8), then the client; the mark alone when the client
    would get narrower than CLIENT_BESIDE_SYNC without a subject to give."""
    full = SYNC_WIDTH + 2
    if "subject" in sizes:
        given = min(full, max(0, sizes["subject"] - 8))
        sizes["subject"] -= given
        sizes["client"] = max(10, sizes["client"] - (full - given))
        return SYNC_WIDTH
    badge = SYNC_WIDTH if sizes["client"] - full >= CLIENT_BESIDE_SYNC else 1
    sizes["client"] = max(10, sizes["client"] - badge - 2)
    return badge


def row_cells(row: InvoiceRow, plan: list[tuple[str, str, int]],
              sync: Mapping[str, Any] | None = None) -> list[Text]:
    """The cells of one invoice, in the plan's order (`sync`: its sync status, for the
    badge)."""
    widths = {key: width for key, _, width in plan}
    wide = "issue_date" in widths

    def cut(text: str, key: str, style: str = "", justify: str = "left") -> Text:
        cell = Text(" ".join(text.split()), style=style, justify=justify)  # type: ignore[arg-type]
        cell.truncate(widths.get(key, 0), overflow="ellipsis")
        return cell

    cells = {
        "number": cut(row.number, "number", "bold"),
        "client": cut(row.client, "client"),
        "subject": cut(row.subject or "", "subject", "italic"),
        "state": state_cell(row.state, overdue=row.overdue),
        "issue_date": Text(day(row.issue_date, year=True)),
        "due_date": Text(day(row.due_date, year=wide), style="red" if row.overdue else ""),
        "amount": cut(money(row.amount, row.currency), "amount", justify="right"),
        "due_amount": cut(money(row.due_amount, row.currency) if row.due_amount else "",
                          "due_amount", "bold" if row.due_amount else "", justify="right"),
        "late": late_text(row.days_past_due if row.overdue else 0),
        "sync": sync_badge(sync, compact=widths.get("sync", 0) < SYNC_WIDTH),
    }
    return [cells[key] for key, _, _ in plan]


def title_text(data: InvoiceListView) -> str:
    """`18 invoices`, `Open: 5 invoices`, `10,000 invoices (newest 200 listed)`."""
    count = data.total
    text = f"{count:,} invoice{'s' if count != 1 else ''}"
    if data.state != "all":
        text = f"{STATE_LABELS.get(data.state, data.state)}: {text}"
    if len(data.rows) < count:
        text += f" (newest {len(data.rows)} listed)"
    return text


class InvoicesScreen(MainView):
    """The invoice list; a new invoice, and the editor, from here."""

    VIEW_NAME = "Invoices"
    CSS_PATH = "invoices.tcss"
    VIEW_ACTIONS: ClassVar[tuple[KeitoAction, ...]] = VIEW_ACTIONS
    BINDINGS = view_bindings(VIEW_ACTIONS)

    class Loaded(Message):
        """The list; `sync` maps its invoices to their sync status (None: no accounting
        system is connected)."""

        def __init__(self, data: InvoiceListView, read: int,
                     sync: dict[str, dict[str, Any]] | None = None) -> None:
            super().__init__()
            self.data = data
            self.read = read
            self.sync = sync

    class ChoicesRead(Message):
        """The clients and projects a new invoice may bill, for the dialog `kind`."""

        def __init__(self, choices: NewInvoiceChoices, kind: str) -> None:
            super().__init__()
            self.choices = choices
            self.kind = kind

    def __init__(self) -> None:
        super().__init__()
        self.filter = ListFilter()
        self.data: InvoiceListView | None = None
        #: Each listed invoice's sync status; None when no accounting system is connected.
        self.sync: dict[str, dict[str, Any]] | None = None
        self.width = 80
        self.select_id: str | None = None
        self.offered_clients: list[tuple[str, str]] = []

    def compose(self) -> ComposeResult:
        yield Header()
        with Horizontal(id="invoice-bar"):
            yield Static("", id="invoice-title", markup=False)
            yield Select([(label, key) for key, label in STATE_LABELS.items()],
                         value=self.filter.state, allow_blank=False, id="invoice-state",
                         compact=True, tooltip="State")
            yield Select([("All clients", EVERY)], value=EVERY, allow_blank=False,
                         id="invoice-client", compact=True, tooltip="Client")
        yield ItemTable(id="invoice-list", cursor_type="row", zebra_stripes=True)
        yield Static("", id="invoice-empty", markup=False)
        yield Static("", id="invoice-detail")
        yield Static("", id="invoice-aging")
        yield Static("", id="invoices-off", markup=False)
        yield KeitoFooter(compact=True)

    def on_mount(self) -> None:
        self.query_one("#invoice-list", ItemTable).focus()

    def on_resize(self, event: events.Resize) -> None:
        if event.size.width != self.width:
            self.width = event.size.width
            self.show_list()

    # --- reading ------------------------------------------------------------------------------

    def reload(self) -> None:
        self.load(self.filter, self.start_read())

    @work(thread=True, exclusive=True, group="invoices-read")
    def load(self, chosen: ListFilter, read: int) -> None:
        from keito_core.reports.invoice_views import invoice_list_view
        from keito_core.reports.invoices import sync_states

        try:
            with self.runtime.session(readonly=True) as session:
                data = invoice_list_view(session, actor=self.runtime.actor(session),
                                         now=self.runtime.clock(), state=chosen.state,
                                         client_id=chosen.client_id)
                sync = (sync_states(session, [row.id for row in data.rows])
                        if data.access.shown else None)
        except KeitoError as exc:
            self.post_message(self.LoadFailed(ErrorInfo.of(exc)))
            return
        self.post_message(self.Loaded(data, read, sync))

    def on_invoices_screen_loaded(self, message: Loaded) -> None:
        if not self.is_last_read(message.read):
            return
        self.data = message.data
        self.sync = message.sync
        self.set_class(message.sync is not None, "-synced")
        self.show_list()

    def set_filter(self, **changes: str | None) -> None:
        chosen = ListFilter(**{**self.filter.__dict__, **changes})
        if chosen != self.filter:
            self.filter = chosen
            self.reload()

    # --- showing ------------------------------------------------------------------------------

    def show_list(self) -> None:
        data = self.data
        if data is None:
            return
        shown = data.access.shown
        self.set_class(not shown, "-off")
        if not shown:
            self.query_one("#invoices-off", Static).update(
                "Invoicing is turned off in this workspace.\n\nAn administrator can turn it on "
                "in Settings (s, then features.invoicing)." if not data.access.enabled else
                "You may not view invoices: administrators, and managers with the "
                "\"Draft invoices\" or \"Send/edit invoices\" permission, may.")
            return
        self.query_one("#invoice-title", Static).update(title_text(data))
        self.show_clients(data)
        table = self.query_one("#invoice-list", ItemTable)
        keep = self.select_id or self.selected_id()
        self.select_id = None
        longest = max((cell_len(money(r.amount, r.currency)) for r in data.rows), default=0)
        plan = column_plan(table.size.width or self.width, longest, sync=self.sync is not None)
        table.clear(columns=True)
        for key, label, width in plan:
            table.add_column(Text(label, justify="right" if key in RIGHT else "left"), key=key,
                             width=width)
        sync = self.sync or {}
        for row in data.rows:
            table.add_row(*row_cells(row, plan, sync.get(row.id)), key=row.id)
        ids = [row.id for row in data.rows]
        if keep in ids:
            table.move_cursor(row=ids.index(keep))
        empty = self.query_one("#invoice-empty", Static)
        empty.set_class(not ids, "-visible")
        empty.update("" if ids else "No invoice matches. Press n for a new invoice from "
                     "tracked time, N for a free-form one, or change the filters (f, c).")
        self.query_one("#invoice-aging", Static).update(aging_text(data.aging))
        self.show_detail()

    def show_clients(self, data: InvoiceListView) -> None:
        options = [("All clients", EVERY), *((name, cid) for cid, name in data.clients)]
        if options != self.offered_clients:
            self.offered_clients = options
            select: Select[str] = self.query_one("#invoice-client", Select)
            with select.prevent(Select.Changed):
                select.set_options(options)
                chosen = data.client_id or EVERY
                select.value = chosen if chosen in {v for _, v in options} else EVERY

    def selected(self) -> InvoiceRow | None:
        data = self.data
        table = self.query_one("#invoice-list", ItemTable)
        if data is None or not data.rows or not table.row_count:
            return None
        return data.rows[min(max(table.cursor_row, 0), len(data.rows) - 1)]

    def selected_id(self) -> str | None:
        row = self.selected()
        return row.id if row is not None else None

    @on(DataTable.RowHighlighted, "#invoice-list")
    def show_detail(self) -> None:
        row = self.selected()
        sync = self.sync.get(row.id) if row is not None and self.sync is not None else None
        self.query_one("#invoice-detail", Static).update(row_detail(row, sync))

    # --- filters ------------------------------------------------------------------------------

    @on(Select.Changed)
    def filter_changed(self, event: Select.Changed) -> None:
        if not isinstance(event.value, str):
            return
        if event.select.id == "invoice-state":
            self.set_filter(state=event.value)
        elif event.select.id == "invoice-client":
            self.set_filter(client_id=event.value or None)

    def action_cycle_state(self) -> None:
        states = list(LIST_STATES)
        following = states[(states.index(self.filter.state) + 1) % len(states)]
        self.query_one("#invoice-state", Select).value = following

    def action_choose_client(self) -> None:
        select = self.query_one("#invoice-client", Select)
        select.focus()
        select.expanded = True

    def action_focus_list(self) -> None:
        self.query_one("#invoice-list", ItemTable).focus()

    # --- opening and creating -----------------------------------------------------------------

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        data = self.data
        if data is not None and not data.access.shown and action in (
                "open_invoice", "new_invoice", "new_blank", "cycle_state", "choose_client"):
            return False
        if action in ("new_invoice", "new_blank") and data is not None \
                and not data.access.draft:
            return False
        if action == "open_invoice":
            return self.focused is self.query_one("#invoice-list", ItemTable)
        return True

    def action_open_invoice(self) -> None:
        row = self.selected()
        if row is not None:
            self.open_editor(row.id)

    def open_editor(self, invoice_id: str) -> None:
        from keito_tui.app.screens.invoice_editor import InvoiceEditorScreen

        self.select_id = invoice_id
        self.app.push_screen(InvoiceEditorScreen(invoice_id))

    def action_new_invoice(self) -> None:
        self.read_choices("tracked")

    def action_new_blank(self) -> None:
        self.read_choices("blank")

    @work(thread=True, exclusive=True, group="invoices-choices")
    def read_choices(self, kind: str) -> None:
        from keito_core.reports.invoice_views import new_invoice_choices

        try:
            with self.runtime.session(readonly=True) as session:
                choices = new_invoice_choices(session, actor=self.runtime.actor(session),
                                              now=self.runtime.clock())
        except KeitoError as exc:
            self.post_message(self.LoadFailed(ErrorInfo.of(exc)))
            return
        self.post_message(self.ChoicesRead(choices, kind))

    def on_invoices_screen_choices_read(self, message: ChoicesRead) -> None:
        choices = message.choices
        if not choices.clients:
            self.notify("There is no client with a billable project you may invoice: add one "
                        "in Manage (m).", title="No client", severity="warning", markup=False)
            return
        dialog = (NewInvoiceDialog(self.runtime, choices) if message.kind == "tracked"
                  else FreeFormDialog(self.runtime, choices))
        self.app.push_screen(dialog, self.created)

    def created(self, invoice_id: str | None) -> None:
        if invoice_id is not None:
            self.open_editor(invoice_id)
