"""The Approvals view: the approval queue. A row per submission (member and period) with hours,
billable and not, hours by source and flags; status and source filters; marks for bulk
decisions; Enter drills in. Everyone sees the submissions the policy lets them see (their own
included) and submits their own week from here.

Reads run in a worker (one read-only session) and hand over a QueueData; every decision and
the submit are one transaction each.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import date
from typing import ClassVar

from rich.text import Text
from textual import events, on, work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal
from textual.message import Message
from textual.widgets import DataTable, Header, Select, Static

from keito_core.errors import KeitoError
from keito_core.reports.approval_queue import SubmissionSummary
from keito_tui.app.bindings import KeitoAction, view_bindings
from keito_tui.app.screens.approval_detail import (
    DECISION_ACTIONS,
    ApprovalDetailScreen,
    DecidingView,
    ItemTable,
    flag_markers,
    hours,
    member_cell,
    period_label,
    sources_text,
    status_text,
    summary_text,
)
from keito_tui.app.screens.submitting import SubmitsWeek
from keito_tui.app.values import ErrorInfo
from keito_tui.app.widgets.footer import KeitoFooter

STATUS_LABELS = {"submitted": "Awaiting a decision", "approved": "Approved",
                 "rejected": "Rejected", "all": "Every status"}
SOURCE_LABELS = {"all": "All sources", "tui": "App", "web": "Web", "cli": "CLI", "api": "API",
                 "agent": "Agents"}
MARK = "■"

SELECT = Binding.Group("Pick", compact=True)
LIST = Binding.Group("List", compact=True)

VIEW_ACTIONS: tuple[KeitoAction, ...] = (
    KeitoAction("approvals.open", "enter", "open_submission", "Open",
                "Show the selected submission's entries, expenses and daily totals",
                key_display="⏎", group=SELECT),
    KeitoAction("approvals.mark", "space", "toggle_mark", "Mark",
                "Mark or unmark the selected submission for a bulk decision",
                key_display="␣", group=SELECT),
    KeitoAction("approvals.mark_all", "asterisk", "mark_all", "Mark all",
                "Mark every listed submission (again: clear the marks)", key_display="*",
                show=False),
    *DECISION_ACTIONS,
    KeitoAction("approvals.status", "f", "cycle_status", "Status",
                "Show awaiting, approved, rejected or every submission", group=LIST),
    KeitoAction("approvals.source", "ctrl+f", "cycle_source", "Source",
                "Only submissions with time or expenses from one source (app, CLI, agents…)",
                key_display="^f", show=False),
    KeitoAction("approvals.submit", "S", "submit_week", "Submit week",
                "Submit your unsubmitted time and expenses of this week (or the week you pick)",
                group=LIST),
    KeitoAction("approvals.list", "escape", "focus_list", "List", "Back to the list",
                show=False, in_palette=False),
)


@dataclass(frozen=True)
class QueueFilter:
    """What the queue shows: a status (or all) and a source (or all)."""

    status: str = "submitted"
    source: str = "all"


@dataclass(frozen=True)
class QueueData:
    """One read of the queue for a filter."""

    filter: QueueFilter
    enabled: bool
    rows: tuple[SubmissionSummary, ...]
    duration_format: str
    today: date
    week_start: str
    actor_id: str


def queue_cells(row: SubmissionSummary, *, fmt: str, today: date, marked: bool,
                member_width: int, sources_width: int, with_status: bool) -> list[Text]:
    """The cells of one queue row."""
    member = Text.assemble((f"{MARK} " if marked else "  ", "bold cyan"),
                           member_cell(row.user_name, row.user_type))
    member.truncate(member_width, overflow="ellipsis")
    sources = sources_text(row.seconds_by_source, fmt)
    sources.truncate(sources_width, overflow="ellipsis")
    cells = [member, Text(period_label(row.period_start, row.period_end, today=today))]
    if with_status:
        cells.append(status_text(row.status))
    cells += [Text(hours(row.total_seconds, fmt), justify="right"),
              Text(hours(row.billable_seconds, fmt), justify="right"),
              Text(hours(row.non_billable_seconds, fmt), justify="right"),
              sources, flag_markers(row.flags)]
    return cells


def queue_widths(width: int, data: QueueData) -> tuple[int, int]:
    """(member, sources) column widths for a table `width` cells wide, the rest fitted."""
    fmt, with_status = data.duration_format, data.filter.status == "all"
    period = max((len(period_label(r.period_start, r.period_end, today=data.today))
                  for r in data.rows), default=9)
    number = max((len(hours(s, fmt)) for r in data.rows
                  for s in (r.total_seconds, r.billable_seconds)), default=5)
    fixed = period + (9 if with_status else 0) + 3 * max(number, 5) + 5
    padding = 2 * (8 if with_status else 7) + 2
    room = max(24, width - fixed - padding)
    member = max(12, min(28, room // 2))
    return member, max(10, room - member)


class ApprovalsScreen(SubmitsWeek, DecidingView):
    """The approval queue: decide submissions, alone or marked together; submit your week."""

    VIEW_NAME = "Approvals"
    CSS_PATH = "approvals.tcss"
    VIEW_ACTIONS: ClassVar[tuple[KeitoAction, ...]] = VIEW_ACTIONS
    BINDINGS = view_bindings(VIEW_ACTIONS)

    class Loaded(Message):
        def __init__(self, data: QueueData) -> None:
            super().__init__()
            self.data = data

    def __init__(self) -> None:
        super().__init__()
        self.filter = QueueFilter()
        self.data: QueueData | None = None
        self.marked: set[str] = set()
        self.width = 80
        #: The list had the focus when it emptied and hid: give it back when rows return.
        self.list_hidden_with_focus = False

    def compose(self) -> ComposeResult:
        yield Header()
        with Horizontal(id="queue-bar"):
            yield Static("", id="queue-title", markup=False)
            yield Select([(label, key) for key, label in STATUS_LABELS.items()],
                         value=self.filter.status, allow_blank=False, id="queue-status",
                         compact=True, tooltip="Status")
            yield Select([(label, key) for key, label in SOURCE_LABELS.items()],
                         value=self.filter.source, allow_blank=False, id="queue-source",
                         compact=True, tooltip="Source")
        yield ItemTable(id="queue", cursor_type="row", zebra_stripes=True)
        yield Static("", id="queue-empty", markup=False)
        yield Static("", id="queue-detail")
        yield Static("", id="approvals-off", markup=False)
        yield KeitoFooter(compact=True)

    def on_mount(self) -> None:
        self.query_one("#queue", ItemTable).focus()

    def on_resize(self, event: events.Resize) -> None:
        if event.size.width != self.width:
            self.width = event.size.width
            self.show_queue()

    # --- reading ------------------------------------------------------------------------------

    def reload(self) -> None:
        self.load(self.filter)

    @work(thread=True, exclusive=True, group="approvals-read")
    def load(self, chosen: QueueFilter) -> None:
        from keito_core.platform.identity import get_workspace
        from keito_core.reports.approval_queue import list_submissions

        try:
            with self.runtime.session(readonly=True) as session:
                actor = self.runtime.actor(session)
                workspace = get_workspace(session)
                enabled = bool(workspace.feature_approvals)
                rows = list_submissions(
                    session, actor=actor,
                    status=None if chosen.status == "all" else chosen.status,
                    source=None if chosen.source == "all" else chosen.source,
                    now=self.runtime.clock(), newest_first=True) if enabled else []
                data = QueueData(filter=chosen, enabled=enabled, rows=tuple(rows),
                                 duration_format=str(workspace.duration_format),
                                 today=self.runtime.today(workspace.timezone),
                                 week_start=str(workspace.week_start), actor_id=actor.user_id)
        except KeitoError as exc:
            self.post_message(self.LoadFailed(ErrorInfo.of(exc)))
            return
        self.post_message(self.Loaded(data))

    def on_approvals_screen_loaded(self, message: Loaded) -> None:
        if message.data.filter != self.filter:
            return  # an older read, for a filter no longer chosen
        self.data = message.data
        self.marked &= {row.id for row in self.data.rows}
        self.show_queue()

    def set_filter(self, **changes: str) -> None:
        chosen = replace(self.filter, **changes)
        if chosen != self.filter:
            self.filter = chosen
            self.marked.clear()
            self.reload()

    # --- showing ------------------------------------------------------------------------------

    def show_queue(self) -> None:
        data = self.data
        if data is None:
            return
        self.set_class(not data.enabled, "-off")
        if not data.enabled:
            self.query_one("#approvals-off", Static).update(
                "Approvals are turned off in this workspace: entries are final when saved.\n\n"
                "An administrator can turn them on in Settings (s, then features.approvals).")
            return
        table = self.query_one("#queue", ItemTable)
        selected = self.selected()
        with_status = data.filter.status == "all"
        member_width, sources_width = queue_widths(table.size.width or self.width, data)
        table.clear(columns=True)
        headings = ["Member", "Period", *(["Status"] if with_status else []), "Total", "Bill",
                    "Non", "Sources", "Flags"]
        for heading in headings:
            table.add_column(heading, key=heading.lower())
        for row in data.rows:
            table.add_row(*queue_cells(row, fmt=data.duration_format, today=data.today,
                                       marked=row.id in self.marked,
                                       member_width=member_width, sources_width=sources_width,
                                       with_status=with_status), key=row.id)
        if selected is not None and selected.id in table.rows:
            table.move_cursor(row=table.get_row_index(selected.id))
        if not data.rows and table.has_focus:
            self.list_hidden_with_focus = True  # Textual moves the focus on; take it back later
        table.set_class(not data.rows, "-empty")
        if data.rows and self.list_hidden_with_focus:
            self.list_hidden_with_focus = False
            table.focus()
        empty = self.query_one("#queue-empty", Static)
        empty.set_class(not data.rows, "-visible")
        empty.update(self.empty_text(data))
        self.show_title_bar()
        self.show_selected()

    def empty_text(self, data: QueueData) -> str:
        what = {"submitted": "No submission is awaiting a decision",
                "approved": "No approved submission", "rejected": "No rejected submission",
                "all": "No submission"}[data.filter.status]
        if data.filter.source != "all":
            what += f" with {SOURCE_LABELS[data.filter.source].lower()} time or expenses"
        return f"{what}.\nPress S to submit your own week, f to see another status."

    def show_title_bar(self) -> None:
        data = self.data
        if data is None:
            return
        count = len(data.rows)
        text = f"{STATUS_LABELS[data.filter.status]}: {count}"
        if self.marked:
            text += f" · {len(self.marked)} marked"
        self.query_one("#queue-title", Static).update(text)

    def selected(self) -> SubmissionSummary | None:
        data = self.data
        table = self.query_one("#queue", ItemTable)
        if data is None or not data.rows or not table.row_count:
            return None
        index = min(max(table.cursor_row, 0), len(data.rows) - 1)
        return data.rows[index]

    @on(DataTable.RowHighlighted, "#queue")
    def show_selected(self) -> None:
        row = self.selected()
        data = self.data
        text = (summary_text(row, data.duration_format, today=data.today)
                if row is not None and data is not None else Text(""))
        self.query_one("#queue-detail", Static).update(text)

    # --- marks, filters, drill-in -------------------------------------------------------------

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        enabled = self.data is None or self.data.enabled
        return enabled or action not in ("open_submission", "toggle_mark", "mark_all", "decide",
                                         "cycle_status", "cycle_source")

    def action_toggle_mark(self) -> None:
        row = self.selected()
        if row is None:
            return
        self.marked ^= {row.id}
        self.show_queue()
        table = self.query_one("#queue", ItemTable)
        if table.cursor_row < table.row_count - 1:
            table.move_cursor(row=table.cursor_row + 1)

    def action_mark_all(self) -> None:
        if self.data is None:
            return
        every = {row.id for row in self.data.rows}
        self.marked = set() if every and self.marked == every else every
        self.show_queue()

    def decision_targets(self) -> list[SubmissionSummary]:
        if self.data is None:
            return []
        if self.marked:
            return [row for row in self.data.rows if row.id in self.marked]
        row = self.selected()
        return [row] if row is not None else []

    def action_open_submission(self) -> None:
        row = self.selected()
        if row is not None:
            self.open_submission(row.id)

    def open_submission(self, submission_id: str) -> None:
        """Drill into a submission (from the list, or from the inbox)."""
        self.app.push_screen(ApprovalDetailScreen(submission_id))

    def cycle(self, options: list[str], current: str) -> str:
        return options[(options.index(current) + 1) % len(options)]

    def action_cycle_status(self) -> None:
        self.query_one("#queue-status", Select).value = self.cycle(list(STATUS_LABELS),
                                                                   self.filter.status)

    def action_cycle_source(self) -> None:
        self.query_one("#queue-source", Select).value = self.cycle(list(SOURCE_LABELS),
                                                                   self.filter.source)

    @on(Select.Changed)
    def filter_changed(self, event: Select.Changed) -> None:
        if not isinstance(event.value, str):
            return
        if event.select.id == "queue-status":
            self.set_filter(status=event.value)
        elif event.select.id == "queue-source":
            self.set_filter(source=event.value)

    def action_focus_list(self) -> None:
        self.query_one("#queue", ItemTable).focus()

    # --- submitting ---------------------------------------------------------------------------

    def submit_week_today(self) -> date | None:
        return self.data.today if self.data is not None else None

