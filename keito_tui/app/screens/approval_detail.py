"""One submission in full (entries, expenses, daily totals, flags), and what the Approvals view
and this drill-in share: the text of a submission, and deciding (approve, reject, withdraw).

A decision goes in two steps, each in a worker: the service's own read-only check
(keito_core.services.approvals.workflow.check_decision), whose refusal is the core's message;
then a dialog asking for the note or reason, which saves the decision itself (one transaction)
and shows a refusal in place.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import date
from typing import TYPE_CHECKING, ClassVar

from rich.text import Text
from textual import on, work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical
from textual.message import Message
from textual.screen import ModalScreen
from textual.widgets import Button, DataTable, Header, Input, Static

from keito_core.errors import KeitoError
from keito_core.reports.approval_queue import SubmissionDetail, SubmissionSummary
from keito_core.rules.durations import format_duration, format_duration_unit
from keito_core.rules.money import format_money
from keito_tui.app.bindings import KeitoAction, view_bindings
from keito_tui.app.screens.base import MainView
from keito_tui.app.screens.dialogs import DIALOG_CSS
from keito_tui.app.values import ErrorInfo
from keito_tui.app.widgets.badges import source_badge
from keito_tui.app.widgets.footer import KeitoFooter

if TYPE_CHECKING:
    from keito_core.platform.runtime import Runtime

#: flag -> (marker letter, words). The letters show in lists; the words under them.
FLAG_MARKS: dict[str, tuple[str, str]] = {
    "over_capacity": ("C", "over weekly capacity"),
    "long_day": ("L", "long day"),
    "missing_notes": ("N", "missing notes"),
    "running_timer": ("T", "timer running"),
    "agent_time": ("A", "agent time"),
}
STATUS_STYLES = {"submitted": "yellow", "approved": "green", "rejected": "red"}
#: Source names as the lists show them (badged sources show their badge instead).
SOURCE_NAMES = {"tui": "app", "web": "web"}

DECIDE = Binding.Group("Decide", compact=True)

DECISION_ACTIONS: tuple[KeitoAction, ...] = (
    KeitoAction("approvals.approve", "y", "decide('approve')", "Approve",
                "Approve the marked submissions (or the selected one), with an optional note",
                group=DECIDE),
    KeitoAction("approvals.reject", "x", "decide('reject')", "Reject",
                "Reject the marked submissions (or the selected one) with a reason",
                group=DECIDE),
    KeitoAction("approvals.withdraw", "u", "decide('withdraw')", "Withdraw",
                "Withdraw the approval of the marked submissions (or the selected one)",
                group=DECIDE),
)


# --- text (plain functions, easy to test) -----------------------------------------------------


def hours(seconds: int, fmt: str) -> str:
    """Hours in the workspace's duration format."""
    return format_duration(seconds, fmt)


def period_label(first: date, last: date, *, today: date | None = None) -> str:
    """`02–08 Mar`, `23 Feb–01 Mar`; the year is added unless it is today's."""
    if first.month == last.month and first.year == last.year:
        text = f"{first:%d}–{last:%d %b}"
    else:
        text = f"{first:%d %b}–{last:%d %b}"
    if today is None or last.year != today.year or first.year != today.year:
        text += f" {last:%Y}"
    return text


def flag_markers(flags: Sequence[str]) -> Text:
    """The flags as letters (`NA`), in a warning colour."""
    return Text("".join(FLAG_MARKS[f][0] for f in flags if f in FLAG_MARKS), style="bold yellow")


def flag_words(flags: Sequence[str]) -> str:
    """`missing notes, agent time`."""
    return ", ".join(FLAG_MARKS.get(f, (f, f.replace("_", " ")))[1] for f in flags)


def member_cell(name: str, user_type: str) -> Text:
    """The member's name, after an Agent badge for agents."""
    if user_type == "agent":
        return Text.assemble(source_badge("agent"), " ", name)
    return Text(name)


def status_text(status: str) -> Text:
    return Text(status, style=STATUS_STYLES.get(status, ""))


def source_label(source: str) -> Text:
    """The source's badge, or its name for sources without one."""
    badge = source_badge(source)
    return badge if badge.cell_len else Text(SOURCE_NAMES.get(source, source), style="dim")


def sources_text(by_source: dict[str, int], fmt: str) -> Text:
    """`app 3.00  Agent 2.00`: hours per source."""
    text = Text()
    for source, seconds in by_source.items():
        if text:
            text.append(" ")
        text.append_text(source_label(source))
        text.append(("" if source_badge(source).cell_len else " ") + hours(seconds, fmt))
    return text


def expenses_text(summary: SubmissionSummary) -> str:
    """`2 expenses (£24.00)`, or empty without expenses: money as the Expenses view shows it."""
    if not summary.expense_count:
        return ""
    money = ", ".join(format_money(t.total_cost, t.currency) for t in summary.expense_totals)
    noun = "expense" if summary.expense_count == 1 else "expenses"
    return f"{summary.expense_count} {noun} ({money})"


def summary_text(summary: SubmissionSummary, fmt: str, *, today: date | None = None) -> Text:
    """A submission in a few lines: who, period, status, hours, sources, expenses, flags."""
    text = Text.assemble(member_cell(summary.user_name, summary.user_type),
                         f" · {period_label(summary.period_start, summary.period_end, today=today)}"
                         " · ", status_text(summary.status))
    if summary.decided_by_name and summary.status != "submitted":
        text.append(f" by {summary.decided_by_name}", style="dim")
    if summary.reason:
        text.append(f": “{' '.join(summary.reason.split())}”", style="italic")
    text.append(f"\n{format_duration_unit(summary.total_seconds, fmt)}: "
                f"{hours(summary.billable_seconds, fmt)} billable, "
                f"{hours(summary.non_billable_seconds, fmt)} not  ")
    text.append_text(sources_text(summary.seconds_by_source, fmt))
    money = expenses_text(summary)
    if money:
        text.append(f"  · {money}")
    if summary.flags:
        text.append(f"\n⚑ {flag_words(summary.flags)}", style="yellow")
    return text


# --- deciding ---------------------------------------------------------------------------------

VERBS = {"approve": "Approved", "reject": "Rejected", "withdraw": "Withdrew the approval of"}


def decision_prompt(kind: str, targets: Sequence[SubmissionSummary]) -> tuple[str, str]:
    """(title, message) of the dialog for a decision on these submissions."""
    who = (f"{targets[0].user_name}'s timesheet for "
           f"{period_label(targets[0].period_start, targets[0].period_end)}"
           if len(targets) == 1 else f"{len(targets)} timesheets")
    its = "Its" if len(targets) == 1 else "Their"
    return {
        "approve": ("Approve", f"Approve {who}? {its} items lock and can be invoiced.\n"
                               "A note for the member (optional), then Enter:"),
        "reject": ("Reject", f"Reject {who}? {its} items become editable again.\n"
                             "The reason (required), then Enter:"),
        "withdraw": ("Withdraw approval", f"Withdraw the approval of {who}? It returns to "
                                          "awaiting a decision.\nA note (optional), then Enter:"),
    }[kind]


def check_decision(runtime: Runtime, kind: str, submission_ids: Sequence[str]) -> None:
    """Raise the core's refusal of a decision (off, not allowed, wrong state) without acting."""
    from keito_core.services.approvals import workflow

    with runtime.session(readonly=True) as session:
        workflow.check_decision(session, actor=runtime.actor(session), kind=kind,
                                submission_ids=submission_ids)


def run_decision(runtime: Runtime, kind: str, submission_ids: Sequence[str],
                 note: str | None) -> str:
    """Take the decision in one transaction; the text to tell the user."""
    from keito_core.services.approvals.workflow import (
        approve_submissions,
        reject_submissions,
        withdraw_approvals,
    )

    with runtime.session() as session:
        actor = runtime.actor(session)
        now = runtime.clock()
        ids = list(submission_ids)
        if kind == "approve":
            done = approve_submissions(session, actor=actor, submission_ids=ids, note=note,
                                       now=now)
        elif kind == "reject":
            done = reject_submissions(session, actor=actor, submission_ids=ids,
                                      reason=note or "", now=now)
        else:
            done = withdraw_approvals(session, actor=actor, submission_ids=ids, note=note,
                                      now=now)
        count = len(done)
    return f"{VERBS[kind]} {count} submission{'' if count == 1 else 's'}."


class NoteDialog(ModalScreen[str | None]):
    """Asks for a note (or a required reason), then saves with it; the result text, or None."""

    DEFAULT_CSS = DIALOG_CSS + """
    NoteDialog { align: center middle; }
    NoteDialog .dialog { width: 70; }
    """
    BINDINGS = [
        Binding("escape", "cancel", "Cancel", id="dialog.cancel", tooltip="Close; nothing changes"),
    ]

    class Failed(Message):
        def __init__(self, error: ErrorInfo) -> None:
            super().__init__()
            self.error = error

    class Saved(Message):
        def __init__(self, text: str) -> None:
            super().__init__()
            self.text = text

    def __init__(self, title: str, message: str, save: Callable[[str | None], str], *,
                 required: bool = False, confirm_label: str = "OK") -> None:
        super().__init__()
        self.title_text = title
        self.message = message
        self.save = save
        self.required = required
        self.confirm_label = confirm_label

    def compose(self) -> ComposeResult:
        with Vertical(classes="dialog", id="note-dialog"):
            yield Static(self.title_text, classes="dialog--title", markup=False)
            yield Static(self.message, id="note-message", markup=False)
            yield Input(placeholder="reason" if self.required else "note (optional)",
                        id="note-input", compact=True)
            yield Static("", classes="dialog--error", id="note-error", markup=False)
            with Horizontal(classes="dialog--buttons"):
                yield Button("Cancel", id="note-cancel", compact=True)
                yield Button(self.confirm_label, id="note-ok", variant="primary", compact=True)

    def on_mount(self) -> None:
        self.query_one("#note-input", Input).focus()

    @on(Input.Submitted, "#note-input")
    @on(Button.Pressed, "#note-ok")
    def accept(self) -> None:
        note = self.query_one("#note-input", Input).value.strip() or None
        if self.required and note is None:
            self.query_one("#note-error", Static).update("A reason is required.")
            return
        self.query_one("#note-error", Static).update("Saving…")
        self.saving(note)

    @work(thread=True, exclusive=True, group="note-dialog")
    def saving(self, note: str | None) -> None:
        try:
            text = self.save(note)
        except KeitoError as exc:
            self.post_message(self.Failed(ErrorInfo.of(exc)))
            return
        self.post_message(self.Saved(text))

    def on_note_dialog_failed(self, message: Failed) -> None:
        error = message.error
        text = f"{error.message} ({error.hint})" if error.hint else error.message
        self.query_one("#note-error", Static).update(text)

    def on_note_dialog_saved(self, message: Saved) -> None:
        self.dismiss(message.text)

    @on(Button.Pressed, "#note-cancel")
    def action_cancel(self) -> None:
        self.dismiss(None)


class DecidingView(MainView):
    """A view that approves, rejects and withdraws the submissions `decision_targets` names."""

    class Refused(Message):
        """A step the core refused (before any dialog, or a write)."""

        def __init__(self, error: ErrorInfo) -> None:
            super().__init__()
            self.error = error

    class Checked(Message):
        """The core allows the decision: ask for the note."""

        def __init__(self, kind: str, targets: tuple[SubmissionSummary, ...]) -> None:
            super().__init__()
            self.kind = kind
            self.targets = targets

    def decision_targets(self) -> list[SubmissionSummary]:
        """The submissions a decision applies to."""
        raise NotImplementedError

    def action_decide(self, kind: str) -> None:
        targets = tuple(self.decision_targets())
        if not targets:
            self.notify("Select a submission first.", severity="warning", markup=False)
            return
        self.check(kind, targets)

    @work(thread=True, exclusive=True, group="approvals-check")
    def check(self, kind: str, targets: tuple[SubmissionSummary, ...]) -> None:
        try:
            check_decision(self.runtime, kind, [t.id for t in targets])
        except KeitoError as exc:
            self.post_message(self.Refused(ErrorInfo.of(exc)))
            return
        self.post_message(self.Checked(kind, targets))

    def on_deciding_view_refused(self, message: Refused) -> None:
        error = message.error
        title = {"authorization_error": "Not allowed", "conflict": "Not now"}.get(
            error.code, "Not done")
        text = f"{error.message} ({error.hint})" if error.hint else error.message
        self.notify(text, title=title, severity="warning", markup=False)

    def on_deciding_view_checked(self, message: Checked) -> None:
        kind, ids = message.kind, [t.id for t in message.targets]
        title, prompt = decision_prompt(kind, message.targets)
        runtime = self.runtime

        def save(note: str | None) -> str:
            return run_decision(runtime, kind, ids, note)

        self.app.push_screen(NoteDialog(title, prompt, save, required=kind == "reject",
                                        confirm_label=title.split()[0]), self.decided)

    def decided(self, text: str | None) -> None:
        if text is not None:
            self.notify(text, markup=False)
            self.after_decision()

    def after_decision(self) -> None:
        self.reload()


# --- the drill-in -----------------------------------------------------------------------------


@dataclass(frozen=True)
class DetailData:
    """What the drill-in shows."""

    detail: SubmissionDetail
    duration_format: str
    today: date


class ItemTable(DataTable[Text], inherit_bindings=False):
    """Entries or expenses: only the vertical keys, so the view keeps enter and the letters."""

    BINDINGS = [
        Binding("up", "cursor_up", "Up", show=False),
        Binding("down", "cursor_down", "Down", show=False),
        Binding("pageup", "page_up", "Page up", show=False),
        Binding("pagedown", "page_down", "Page down", show=False),
        Binding("home", "scroll_top", "First", show=False),
        Binding("end", "scroll_bottom", "Last", show=False),
    ]


DETAIL_ACTIONS: tuple[KeitoAction, ...] = (
    *DECISION_ACTIONS,
    KeitoAction("approvals.back", "escape", "back", "Back", "Back to the approval queue",
                key_display="esc"),
)


def cut(text: str | None, width: int) -> Text:
    cell = Text(" ".join((text or "").split()))
    cell.truncate(width, overflow="ellipsis")
    return cell


class ApprovalDetailScreen(DecidingView):
    """A submission's entries (with notes and flags), expenses and daily totals."""

    VIEW_NAME = "Submission"
    CSS_PATH = "approvals.tcss"
    VIEW_ACTIONS: ClassVar[tuple[KeitoAction, ...]] = DETAIL_ACTIONS
    BINDINGS = view_bindings(DETAIL_ACTIONS)

    class Loaded(Message):
        def __init__(self, data: DetailData) -> None:
            super().__init__()
            self.data = data

    def __init__(self, submission_id: str) -> None:
        super().__init__()
        self.submission_id = submission_id
        self.data: DetailData | None = None

    def compose(self) -> ComposeResult:
        yield Header()
        yield Static("Loading…", id="detail-summary")
        yield ItemTable(id="detail-entries", cursor_type="row", zebra_stripes=True)
        yield ItemTable(id="detail-expenses", cursor_type="row", zebra_stripes=True)
        yield Static("", id="detail-item")
        yield Static("", id="detail-days")
        yield KeitoFooter(compact=True)

    def on_mount(self) -> None:
        self.query_one("#detail-entries", ItemTable).focus()

    def show_submission(self, submission_id: str) -> None:
        """Show another submission in this screen."""
        self.submission_id = submission_id
        self.reload()

    def reload(self) -> None:
        self.load(self.submission_id)

    @work(thread=True, exclusive=True, group="approval-detail")
    def load(self, submission_id: str) -> None:
        from keito_core.platform.identity import get_workspace
        from keito_core.reports.approval_queue import get_submission

        try:
            with self.runtime.session(readonly=True) as session:
                actor = self.runtime.actor(session)
                workspace = get_workspace(session)
                detail = get_submission(session, actor=actor, submission_id=submission_id)
                data = DetailData(detail=detail, duration_format=str(workspace.duration_format),
                                  today=self.runtime.today(workspace.timezone))
        except KeitoError as exc:
            self.post_message(self.LoadFailed(ErrorInfo.of(exc)))
            return
        self.post_message(self.Loaded(data))

    def on_approval_detail_screen_loaded(self, message: Loaded) -> None:
        if message.data.detail.summary.id != self.submission_id:
            return
        self.data = message.data
        self.show_detail()

    def show_detail(self) -> None:
        data = self.data
        if data is None:
            return
        detail, fmt = data.detail, data.duration_format
        self.query_one("#detail-summary", Static).update(
            summary_text(detail.summary, fmt, today=data.today))
        self.show_entries(detail, fmt)
        self.show_expenses(detail)
        days = Text("Days: ", style="bold")
        for n, day in enumerate(detail.daily_totals):
            if n:
                days.append(" · ")
            style = "bold yellow" if day.flags else ""
            days.append(f"{day.day:%a %d} {hours(day.seconds, fmt)}", style=style)
        self.query_one("#detail-days", Static).update(days)
        self.show_item()

    def room(self, fixed: int, columns: int) -> int:
        """Cells left for the flexible columns of a table with `fixed` cells of fixed columns."""
        return max(24, self.size.width - fixed - 2 * columns - 2)

    def show_entries(self, detail: SubmissionDetail, fmt: str) -> None:
        table = self.query_one("#detail-entries", ItemTable)
        number = max((len(hours(e.duration_seconds, fmt)) for e in detail.entries), default=5)
        room = self.room(7 + 6 + 12 + max(number, 5) + 4 + 5, 8)
        table.clear(columns=True)
        for heading in ("", "Date", "Project", "Task", "Notes", "Hours", "Bill", "Flags"):
            table.add_column(heading)
        for e in detail.entries:
            table.add_row(
                source_badge(e.source), Text(f"{e.spent_date:%a %d}"),
                cut(f"{e.client_name} › {e.project_name}" if e.client_name else e.project_name,
                    room * 4 // 10),
                cut(e.task_name, 12), cut(e.notes, room - room * 4 // 10),
                Text(hours(e.duration_seconds, fmt), justify="right"),
                Text("$" if e.is_billable else "", style="green"), flag_markers(e.flags),
                key=e.id)

    def show_expenses(self, detail: SubmissionDetail) -> None:
        table = self.query_one("#detail-expenses", ItemTable)
        table.set_class(not detail.expenses, "-empty")
        money = [f"{x.total_cost} {x.currency or ''}".strip() for x in detail.expenses]
        room = self.room(7 + 6 + max(map(len, money), default=8) + 4 + 5, 8)
        table.clear(columns=True)
        for heading in ("", "Date", "Project", "Category", "Notes", "Total", "Bill", "Flags"):
            table.add_column(heading)
        for x, total in zip(detail.expenses, money, strict=True):
            table.add_row(
                source_badge(x.source), Text(f"{x.spent_date:%a %d}"),
                cut(x.project_name, room * 4 // 10), cut(x.category_name, room * 3 // 10),
                cut(x.notes, room - room * 4 // 10 - room * 3 // 10),
                Text(total, justify="right"),
                Text("$" if x.is_billable else "", style="green"), flag_markers(x.flags),
                key=x.id)

    def on_resize(self) -> None:
        self.show_detail()

    @on(DataTable.RowHighlighted)
    def highlighted(self) -> None:
        self.show_item()

    def show_item(self) -> None:
        """The highlighted entry or expense in full (notes, flags, agent metadata)."""
        if self.data is None:
            return
        table = self.focused if isinstance(self.focused, ItemTable) else None
        table = table or self.query_one("#detail-entries", ItemTable)
        items = (self.data.detail.expenses if table.id == "detail-expenses"
                 else self.data.detail.entries)
        line = Text()
        if 0 <= table.cursor_row < len(items):
            item = items[table.cursor_row]
            line.append(f"{item.spent_date:%a %d %b} ", style="bold")
            line.append(" ".join((item.notes or "(no notes)").split()), style="italic")
            if item.flags:
                line.append(f"  ⚑ {flag_words(item.flags)}", style="yellow")
            meta = ", ".join(f"{k}: {v}" for k, v in sorted(item.metadata.items())
                             if isinstance(v, str | int | float))
            if meta:
                line.append(f"  {meta}", style="dim")
        self.query_one("#detail-item", Static).update(line)

    def on_descendant_focus(self) -> None:
        self.show_item()

    def decision_targets(self) -> list[SubmissionSummary]:
        return [self.data.detail.summary] if self.data is not None else []

    def action_back(self) -> None:
        self.dismiss()
