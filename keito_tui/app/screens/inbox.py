"""The Inbox view: the acting user's notifications, newest first, unread ones marked; Enter
opens one (marks it read and, for a submission, shows it in the Approvals view).

Reads run in a worker (one read-only session) and hand over an InboxData; marking read is one
transaction per key press. The unread count shows in the title.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import ClassVar

from rich.text import Text
from textual import on, work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal
from textual.message import Message
from textual.widgets import DataTable, Header, Static

from keito_core.errors import KeitoError
from keito_tui.app.bindings import KeitoAction, view_bindings
from keito_tui.app.screens.base import MainView
from keito_tui.app.values import ErrorInfo
from keito_tui.app.widgets.footer import KeitoFooter

#: How many notifications the view reads (the newest).
LIMIT = 200
UNREAD_MARK = "●"
KIND_LABELS = {
    "timesheet_submitted": "Submitted",
    "timesheet_approved": "Approved",
    "timesheet_rejected": "Rejected",
    "timesheet_withdrawn": "Withdrawn",
    "timesheet_reminder": "Reminder",
    "timesheet_deadline": "Deadline",
}
KIND_STYLES = {"timesheet_approved": "green", "timesheet_rejected": "red",
               "timesheet_withdrawn": "yellow", "timesheet_deadline": "yellow"}

INBOX = Binding.Group("Inbox", compact=True)

VIEW_ACTIONS: tuple[KeitoAction, ...] = (
    KeitoAction("inbox.open", "enter", "open_notification", "Open",
                "Mark the selected notification read; a submission opens in Approvals",
                key_display="⏎", group=INBOX),
    KeitoAction("inbox.read", "space", "mark_read", "Read",
                "Mark the selected notification read", key_display="␣", group=INBOX),
    KeitoAction("inbox.read_all", "R", "mark_all_read", "Read all",
                "Mark every notification read", group=INBOX),
    KeitoAction("inbox.unread", "u", "toggle_unread", "Unread only",
                "Show only unread notifications, or all of them"),
)


@dataclass(frozen=True)
class InboxItem:
    """One notification as the inbox shows it."""

    id: str
    kind: str
    title: str
    body: str | None
    subject_type: str | None
    subject_id: str | None
    is_read: bool
    created_at: datetime


@dataclass(frozen=True)
class InboxData:
    """One read of the inbox."""

    unread_only: bool
    items: tuple[InboxItem, ...]
    unread: int
    has_more: bool
    timezone: str
    now: datetime


def when_text(moment: datetime, now: datetime, tz: str) -> str:
    """`Fri 06 Mar 14:30` in the workspace's timezone (with the year when not this year's)."""
    from zoneinfo import ZoneInfo

    zone = ZoneInfo(tz)
    local = moment.astimezone(zone)
    if local.year != now.astimezone(zone).year:
        return f"{local:%d %b %Y %H:%M}"
    return f"{local:%a %d %b %H:%M}"


def kind_text(kind: str) -> Text:
    return Text(KIND_LABELS.get(kind, kind.replace("_", " ").capitalize()),
                style=KIND_STYLES.get(kind, ""))


def item_cells(item: InboxItem, data: InboxData, title_width: int) -> list[Text]:
    style = "" if item.is_read else "bold"
    title = Text(" ".join(item.title.split()), style=style)
    title.truncate(title_width, overflow="ellipsis")
    return [Text("" if item.is_read else UNREAD_MARK, style="bold cyan"),
            Text(when_text(item.created_at, data.now, data.timezone), style=style),
            kind_text(item.kind), title]


class InboxTable(DataTable[Text], inherit_bindings=False):
    """The notifications: only the vertical keys, so the view keeps enter and space."""

    BINDINGS = [
        Binding("up", "cursor_up", "Up", show=False),
        Binding("down", "cursor_down", "Down", show=False),
        Binding("pageup", "page_up", "Page up", show=False),
        Binding("pagedown", "page_down", "Page down", show=False),
        Binding("home", "scroll_top", "First", show=False),
        Binding("end", "scroll_bottom", "Last", show=False),
    ]


class InboxScreen(MainView):
    """Notifications about timesheets: submitted, approved, rejected, withdrawn, reminders."""

    VIEW_NAME = "Inbox"
    CSS_PATH = "inbox.tcss"
    VIEW_ACTIONS: ClassVar[tuple[KeitoAction, ...]] = VIEW_ACTIONS
    BINDINGS = view_bindings(VIEW_ACTIONS)

    class Loaded(Message):
        def __init__(self, data: InboxData) -> None:
            super().__init__()
            self.data = data

    class Marked(Message):
        """Notifications marked read (their ids)."""

        def __init__(self, ids: tuple[str, ...], unread: int) -> None:
            super().__init__()
            self.ids = ids
            self.unread = unread

    def __init__(self) -> None:
        super().__init__()
        self.unread_only = False
        self.data: InboxData | None = None
        self.workspace_name = ""

    def compose(self) -> ComposeResult:
        yield Header()
        with Horizontal(id="inbox-bar"):
            yield Static("", id="inbox-title", markup=False)
        yield InboxTable(id="inbox", cursor_type="row", zebra_stripes=True)
        yield Static("", id="inbox-empty", markup=False)
        yield Static("", id="inbox-detail")
        yield KeitoFooter(compact=True)

    def on_mount(self) -> None:
        self.query_one(InboxTable).focus()

    def show_title(self, workspace_name: str) -> None:
        self.workspace_name = workspace_name
        unread = self.data.unread if self.data is not None else 0
        self.title = f"{workspace_name} · Inbox" + (f" ({unread} unread)" if unread else "")

    # --- reading ------------------------------------------------------------------------------

    def reload(self) -> None:
        self.load(self.unread_only)

    @work(thread=True, exclusive=True, group="inbox-read")
    def load(self, unread_only: bool) -> None:
        from keito_core.platform.identity import get_workspace
        from keito_core.services.inbox.notifications import (
            list_notifications,
            notification_view,
            unread_count,
        )

        try:
            with self.runtime.session(readonly=True) as session:
                actor = self.runtime.actor(session)
                page = list_notifications(session, actor=actor, unread_only=unread_only,
                                          limit=LIMIT)
                views = [notification_view(row) for row in page.items]
                data = InboxData(
                    unread_only=unread_only,
                    items=tuple(InboxItem(
                        id=v["id"], kind=v["kind"], title=v["title"], body=v["body"],
                        subject_type=v["subject_type"], subject_id=v["subject_id"],
                        is_read=v["is_read"], created_at=v["created_at"]) for v in views),
                    unread=unread_count(session, actor=actor), has_more=page.has_more,
                    timezone=get_workspace(session).timezone, now=self.runtime.clock())
        except KeitoError as exc:
            self.post_message(self.LoadFailed(ErrorInfo.of(exc)))
            return
        self.post_message(self.Loaded(data))

    def on_inbox_screen_loaded(self, message: Loaded) -> None:
        if message.data.unread_only != self.unread_only:
            return
        self.data = message.data
        self.show_inbox()

    # --- showing ------------------------------------------------------------------------------

    def show_inbox(self) -> None:
        data = self.data
        if data is None:
            return
        table = self.query_one(InboxTable)
        selected = self.selected()
        table.clear(columns=True)
        for heading in ("", "When", "Kind", "Title"):
            table.add_column(heading)
        title_width = max(20, (table.size.width or self.size.width) - 1 - 16 - 9 - 2 * 4 - 2)
        for item in data.items:
            table.add_row(*item_cells(item, data, title_width), key=item.id)
        if selected is not None and selected.id in table.rows:
            table.move_cursor(row=table.get_row_index(selected.id))
        table.set_class(not data.items, "-empty")
        empty = self.query_one("#inbox-empty", Static)
        empty.set_class(not data.items, "-visible")
        empty.update("No unread notifications." if data.unread_only else
                     "No notifications yet. Timesheet submissions, approvals, rejections and "
                     "reminders arrive here.")
        shown = "Unread" if data.unread_only else "All notifications"
        more = f" · newest {len(data.items)} shown" if data.has_more else ""
        self.query_one("#inbox-title", Static).update(f"{shown} · {data.unread} unread{more}")
        self.show_title(self.workspace_name or self.app.title)
        self.show_selected()

    def selected(self) -> InboxItem | None:
        data = self.data
        table = self.query_one(InboxTable)
        if data is None or not data.items or not table.row_count:
            return None
        return data.items[min(max(table.cursor_row, 0), len(data.items) - 1)]

    @on(DataTable.RowHighlighted)
    def show_selected(self) -> None:
        item = self.selected()
        text = Text()
        if item is not None:
            text.append(" ".join(item.title.split()), style="bold")
            if item.body:
                text.append(f"\n{item.body}")
            if item.subject_type == "submission":
                text.append("\nEnter opens the submission in Approvals.", style="dim")
        self.query_one("#inbox-detail", Static).update(text)

    # --- actions ------------------------------------------------------------------------------

    def action_open_notification(self) -> None:
        item = self.selected()
        if item is None:
            return
        if not item.is_read:
            self.mark((item.id,))
        if item.subject_type == "submission" and item.subject_id:
            self.open_submission(item.subject_id)

    def open_submission(self, submission_id: str) -> None:
        """Show the submission in the Approvals view (its drill-in)."""
        from keito_tui.app.screens.approval_detail import ApprovalDetailScreen
        from keito_tui.app.screens.approvals import ApprovalsScreen

        self.app.switch_mode("approvals")
        screen = self.app.screen
        if isinstance(screen, ApprovalDetailScreen):
            screen.show_submission(submission_id)
        elif isinstance(screen, ApprovalsScreen):
            screen.open_submission(submission_id)
        else:
            self.app.push_screen(ApprovalDetailScreen(submission_id))

    def action_mark_read(self) -> None:
        item = self.selected()
        if item is not None and not item.is_read:
            self.mark((item.id,))
            table = self.query_one(InboxTable)
            if table.cursor_row < table.row_count - 1:
                table.move_cursor(row=table.cursor_row + 1)

    def action_mark_all_read(self) -> None:
        if self.data is not None and self.data.unread:
            self.mark(None)
        else:
            self.notify("Nothing unread.", markup=False)

    def action_toggle_unread(self) -> None:
        self.unread_only = not self.unread_only
        self.reload()

    @work(thread=True, group="inbox-write")
    def mark(self, ids: tuple[str, ...] | None) -> None:
        from keito_core.services.inbox.notifications import mark_read, unread_count

        try:
            with self.runtime.session() as session:
                actor = self.runtime.actor(session)
                changed = mark_read(session, actor=actor, notification_ids=ids,
                                    all=ids is None, now=self.runtime.clock())
                left = unread_count(session, actor=actor)
        except KeitoError as exc:
            self.post_message(self.LoadFailed(ErrorInfo.of(exc)))
            return
        self.post_message(self.Marked(tuple(row.id for row in changed), left))

    def on_inbox_screen_marked(self, message: Marked) -> None:
        if len(message.ids) > 1:
            self.notify(f"Marked {len(message.ids)} notifications read.", markup=False)
        self.reload()
