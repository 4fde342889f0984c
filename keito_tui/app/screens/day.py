"""The Day view: one day's entries, its totals against the weekly capacity, and the timer.

Reads run in workers (one read-only session each) and hand over a DayReport; every change
is one transaction in a worker too. The running timer ticks each second from its start and
the runtime's clock, without touching the database; the database is read again every few
seconds, so a timer started elsewhere (the command line, an agent) shows up and ticks.
"""

from __future__ import annotations

from datetime import date, datetime, timedelta
from typing import ClassVar

from rich.text import Text
from textual import events, on, work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal
from textual.message import Message
from textual.timer import Timer
from textual.widgets import DataTable, Header, Input, Static

from keito_core.errors import KeitoError
from keito_core.reports.day_values import (
    SOURCE_FILTERS,
    DayEntry,
    DayReport,
    ProjectChoice,
    matching_entries,
)
from keito_core.rules.durations import MAX_DURATION_SECONDS, format_duration
from keito_tui.app.bindings import KeitoAction, view_bindings
from keito_tui.app.screens.base import MainView
from keito_tui.app.screens.dialogs import ConfirmDialog, DateDialog
from keito_tui.app.screens.entry_dialog import EntryDialog, EntrySaved
from keito_tui.app.screens.submitting import SubmitsWeek
from keito_tui.app.values import ErrorInfo
from keito_tui.app.widgets.badges import source_badge
from keito_tui.app.widgets.footer import KeitoFooter

#: Seconds between reads of the database (a timer started elsewhere appears within this).
POLL_SECONDS = 3.0
FILTER_NAMES = tuple(SOURCE_FILTERS)
FILTER_LABELS = {"all": "all sources", "human": "people (app, web)", "cli": "CLI",
                 "api": "API", "agent": "agents"}
LOCK_LABELS = {"invoiced": "invoiced", "approved": "approved", "submitted": "submitted",
               "auto_locked": "auto-locked"}
LOCK_MARK = "🔒"

ENTRY = Binding.Group("Entry", compact=True)
DAY = Binding.Group("Day", compact=True)

VIEW_ACTIONS: tuple[KeitoAction, ...] = (
    KeitoAction("day.timer", "space", "toggle_timer", "Timer",
                "Start a timer (project, task, notes), or stop the running one",
                key_display="␣", group=ENTRY),
    KeitoAction("day.new", "n", "new_entry", "New", "Log a new time entry", group=ENTRY),
    KeitoAction("day.edit", "enter", "edit_entry", "Edit", "Edit the selected entry",
                key_display="⏎", group=ENTRY),
    KeitoAction("day.delete", "delete,x", "delete_entry", "Delete",
                "Delete the selected entry (asks first)", key_display="x", group=ENTRY),
    KeitoAction("day.copy", "c", "copy_entry", "Copy",
                "Copy the selected entry to a date (today by default)", group=ENTRY),
    KeitoAction("day.restart", "R", "restart_entry", "Restart",
                "Start a new timer like the selected entry", group=ENTRY),
    KeitoAction("day.previous", "left", "previous_day", "Previous day",
                "Show the day before", key_display="←", group=DAY),
    KeitoAction("day.next", "right", "next_day", "Next day", "Show the day after",
                key_display="→", group=DAY),
    KeitoAction("day.today", "t", "today", "Today", "Show today", group=DAY),
    KeitoAction("day.goto", "g", "go_to_date", "Go to date", "Show a date you type", group=DAY),
    KeitoAction("day.filter", "f", "cycle_filter", "Filter",
                "Show entries from one source: all, people, CLI, API or agents", group=DAY),
    KeitoAction("day.search", "slash", "search", "Search",
                "Show only entries whose project, client, task or notes hold what you type "
                "(Enter keeps it, Escape clears it)", key_display="/", group=DAY),
    KeitoAction("day.submit", "S", "submit_week", "Submit week",
                "Submit your time and expenses of this day's week (or the week you pick) "
                "for approval", show=False),
)


#: What logging time without a project to log to says.
NO_PROJECT = ("You are on no active project yet. Press m for Manage: add a client, then a "
              "project (it gets the default tasks), and log time to it here.")


# --- text the view shows (plain functions, so they are easy to test) --------------------------


def clock_duration(seconds: int) -> str:
    """h:mm:ss, for a running timer."""
    hours, rest = divmod(max(0, seconds), 3600)
    return f"{hours}:{rest // 60:02d}:{rest % 60:02d}"


def elapsed(started: datetime, now: datetime) -> int:
    """Whole seconds from `started` to `now`, from 0 up to the 24-hour longest entry."""
    return max(0, min(int((now - started).total_seconds()), MAX_DURATION_SECONDS))


def day_title(day: date, today: date, *, wide: bool) -> str:
    """The date as the bar shows it, with today / yesterday / tomorrow named."""
    text = day.strftime("%A %-d %B %Y") if wide else day.strftime("%a %-d %b %Y")
    relative = {0: "today", -1: "yesterday", 1: "tomorrow"}.get((day - today).days)
    return f"{text} · {relative}" if relative else text


def totals_text(report: DayReport, running_seconds: int) -> str:
    """`Day 3.50 · Week 12.00 / 40.00 (30%)`, a running timer's time included."""
    fmt = report.duration_format
    day_seconds, week_seconds = report.day_seconds, report.week_seconds
    running = report.running
    if running is not None:
        if running.spent_date == report.day:
            day_seconds += running_seconds
        if report.week_first <= running.spent_date <= report.week_last:
            week_seconds += running_seconds
    capacity = report.capacity_seconds
    share = f" ({week_seconds * 100 // capacity}%)" if capacity else ""
    return (f"Day {format_duration(day_seconds, fmt)} · Week "
            f"{format_duration(week_seconds, fmt)} / {format_duration(capacity, fmt)}{share}")


def timer_text(report: DayReport | None, running_seconds: int) -> Text:
    """The timer line: what runs and for how long, or how to start one."""
    if report is None:
        return Text("Reading the day…", style="dim")
    running = report.running
    if running is None:
        return Text("No timer running · ␣ starts one, R restarts the selected entry",
                    style="dim")
    what = f"{running.client} › {running.project}"
    if running.task:
        what += f" · {running.task}"
    if running.notes:
        what += f" — {running.notes}"
    line = Text.assemble(("▶ ", "bold green"), (clock_duration(running_seconds), "bold"),
                         "  ", what)
    if running.spent_date != report.day:
        line.append(f"  (dated {running.spent_date.isoformat()})", style="dim")
    return line


def column_widths(width: int) -> dict[str, int]:
    """Column widths for a table `width` cells wide: notes take what the others leave."""
    fixed = {"source": 7, "hours": 7, "billable": 4, "lock": lock_width(width)}
    padding = 2 * (len(fixed) + 3) + 2  # two cells per column, and the scrollbar
    room = max(24, width - padding - sum(fixed.values()))
    project = max(14, min(40, room * 4 // 10))
    task = max(8, min(28, room * 2 // 10))
    return {**fixed, "project": project, "task": task, "notes": max(8, room - project - task)}


def lock_width(width: int) -> int:
    """Wide tables name the lock reason next to the mark."""
    return 14 if width >= 120 else 2


COLUMNS = (("source", ""), ("project", "Project · Client"), ("task", "Task"),
           ("notes", "Notes"), ("hours", "Hours"), ("billable", "Bill"), ("lock", ""))


def cut(text: str, width: int, style: str = "") -> Text:
    """One line of text, cut with an ellipsis to `width` cells."""
    line = Text(" ".join(text.split()), style=style)
    line.truncate(width, overflow="ellipsis")
    return line


def project_cell(entry: DayEntry, width: int) -> Text:
    """The project's name, then its client's (dimmed), cut to `width`."""
    line = Text.assemble(" ".join(entry.project.split()),
                         (f" · {' '.join(entry.client.split())}", "dim"))
    line.truncate(width, overflow="ellipsis")
    return line


def entry_cells(entry: DayEntry, widths: dict[str, int], fmt: str,
                running_seconds: int) -> dict[str, Text]:
    """The table cells of one entry."""
    seconds = running_seconds if entry.is_running else entry.duration_seconds
    hours = Text(format_duration(seconds, fmt), justify="right")
    if entry.is_running:
        hours = Text.assemble(("▶ ", "green"), format_duration(seconds, fmt), justify="right")
    lock = Text("")
    if entry.lock_reason:
        label = LOCK_MARK
        if widths["lock"] > 2:
            label = f"{LOCK_MARK} {LOCK_LABELS.get(entry.lock_reason, entry.lock_reason)}"
        lock = Text(label, style="yellow")
    return {
        "source": source_badge(entry.source),
        "project": project_cell(entry, widths["project"]),
        "task": cut(entry.task or "–", widths["task"], "" if entry.task else "dim"),
        "notes": cut(entry.notes or "", widths["notes"]),
        "hours": hours,
        "billable": Text("  $" if entry.is_billable else "", style="green"),
        "lock": lock,
    }


class DayTable(DataTable[Text], inherit_bindings=False):
    """The day's entries, one row per entry keyed by its id.

    It keeps only the table's vertical keys: enter, left and right belong to the view.
    """

    BINDINGS = [
        Binding("up", "cursor_up", "Up", show=False),
        Binding("down", "cursor_down", "Down", show=False),
        Binding("pageup", "page_up", "Page up", show=False),
        Binding("pagedown", "page_down", "Page down", show=False),
        Binding("home", "scroll_top", "First", show=False),
        Binding("end", "scroll_bottom", "Last", show=False),
    ]


class DayScreen(SubmitsWeek, MainView):
    """Shows one day of the acting user's time; arrows move between days."""

    VIEW_NAME = "Day"
    CSS_PATH = "day.tcss"
    VIEW_ACTIONS: ClassVar[tuple[KeitoAction, ...]] = VIEW_ACTIONS
    #: Declared here too: Textual merges a class's bindings before MainView sets BINDINGS.
    BINDINGS = view_bindings(VIEW_ACTIONS)

    class Loaded(Message):
        """A fresh read of the day, and the projects the user may log to (None: not read)."""

        def __init__(self, report: DayReport, projects: tuple[ProjectChoice, ...] | None,
                     read: int) -> None:
            super().__init__()
            self.report = report
            self.projects = projects
            self.read = read

    class Changed(Message):
        """A change went through: say so, and show its day and entry."""

        def __init__(self, text: str, day: date | None, entry_id: str | None) -> None:
            super().__init__()
            self.text = text
            self.day = day
            self.entry_id = entry_id

    class Refused(Message):
        """A change was refused (locked, not allowed, invalid)."""

        def __init__(self, title: str, error: ErrorInfo) -> None:
            super().__init__()
            self.title = title
            self.error = error

    def __init__(self) -> None:
        super().__init__()
        #: The day shown; None until the first read says what today is.
        self.day: date | None = None
        self.source_filter = "all"
        #: Words an entry's project, client, task or notes must hold to be listed.
        self.search = ""
        self.report: DayReport | None = None
        #: The projects the entry forms offer; None until the first full read.
        self.projects: tuple[ProjectChoice, ...] | None = None
        #: An action that asked for the projects before they were read (run when they are).
        self.waiting_for_projects: str | None = None
        self.select_id: str | None = None
        self.widths = column_widths(80)
        self.ticker: Timer | None = None
        self.poller: Timer | None = None

    def compose(self) -> ComposeResult:
        yield Header()
        with Horizontal(id="day-bar"):
            yield Static("", id="day-date", markup=False)
            yield Static("", id="day-filter", markup=False)
            yield Static("", id="day-totals", markup=False)
        yield Static(timer_text(None, 0), id="day-timer")
        with Horizontal(id="day-search-bar"):
            yield Static("Search:", id="day-search-label")
            yield Input(placeholder="project, client, task or notes", id="day-search",
                        compact=True)
        yield DayTable(id="day-entries", cursor_type="row", zebra_stripes=True)
        yield Static("", id="day-empty", markup=False)
        yield KeitoFooter(compact=True)

    def on_mount(self) -> None:
        self.ticker = self.set_interval(1.0, self.tick)
        self.poller = self.set_interval(POLL_SECONDS, self.poll)
        self.query_one(DayTable).focus()

    def on_resize(self, event: events.Resize) -> None:
        widths = column_widths(event.size.width)
        if widths != self.widths:
            self.widths = widths
            self.show_report(force=True)

    # --- reading ----------------------------------------------------------------------------

    def submit_week_day(self) -> date | None:
        return self.day

    def submit_week_today(self) -> date | None:
        return self.report.today if self.report is not None else None

    def reload(self) -> None:
        self.load(self.day, self.source_filter, self.start_read(), lean=self.report is None)

    def poll(self) -> None:
        """Read again now and then, while the view is on screen."""
        if self.is_current and not self.writing():
            self.reload()

    def writing(self) -> bool:
        return any(w.group == "day-write" and not w.is_finished for w in self.workers)

    @work(thread=True, exclusive=True, group="day-read")
    def load(self, day: date | None, source_filter: str, read: int, *,
             lean: bool = False) -> None:
        """Read the day (and the projects for the entry forms) in one read-only session.

        `lean`: the app's first read, by plain sqlite3 without the ORM (keito_core.fastpath.day);
        it brings no projects, so a full read follows once the day is on screen.
        """
        if lean:
            from keito_core.fastpath.day import NotHandled
            from keito_core.fastpath.day import day_report as lean_day_report

            try:
                report = lean_day_report(self.runtime, day=day, now=self.runtime.clock(),
                                         source_filter=source_filter)
            except NotHandled:
                pass  # the full read below decides, and reports any error
            else:
                self.post_message(self.Loaded(report, None, read))
                return
        from keito_core.reports.day import day_report, project_choices

        try:
            with self.runtime.session(readonly=True) as session:
                actor = self.runtime.actor(session)
                report = day_report(session, actor=actor, day=day, now=self.runtime.clock(),
                                    source_filter=source_filter)
                projects = project_choices(session, actor=actor)
        except KeitoError as exc:
            self.post_message(self.LoadFailed(ErrorInfo.of(exc)))
            return
        self.post_message(self.Loaded(report, projects, read))

    def on_day_screen_loaded(self, message: Loaded) -> None:
        if not self.is_last_read(message.read):
            return  # an older read (of a day or filter no longer shown, or before a change)
        if message.projects is None:  # the lean first read: the full one follows the paint
            self.call_after_refresh(self.reload)
        else:
            if self.projects is None:  # the first full read: start-up is over
                self.call_after_refresh(self.app.freeze_startup_heap)  # type: ignore[attr-defined]
            self.projects = message.projects
            waiting, self.waiting_for_projects = self.waiting_for_projects, None
            if waiting is not None:
                self.call_after_refresh(self.run_action, waiting)
        if message.report == self.report:
            return
        self.report = message.report
        self.day = message.report.day
        self.show_report()

    def projects_ready(self, action: str) -> bool:
        """Whether the entry forms' projects are read and there is one to log to; if they
        are not read yet, run `action` once they are."""
        if self.projects is None:
            self.waiting_for_projects = action
            return False
        if not self.projects and action in ("new_entry", "toggle_timer"):
            self.notify(NO_PROJECT, title="No project yet", severity="warning", markup=False)
            return False
        return True

    # --- showing ----------------------------------------------------------------------------

    def running_seconds(self) -> int:
        report = self.report
        if report is None or report.running is None:
            return 0
        return elapsed(report.running.timer_started_at, self.runtime.clock())

    def show_report(self, *, force: bool = False) -> None:
        report = self.report
        if report is None:
            return
        width = self.size.width or 80
        self.query_one("#day-date", Static).update(
            day_title(report.day, report.today, wide=width >= 100))
        self.query_one("#day-filter", Static).update(
            f"Source: {FILTER_LABELS[report.source_filter]}")
        self.show_table(report)
        self.tick()

    def show_table(self, report: DayReport) -> None:
        table = self.query_one(DayTable)
        keep = self.select_id
        if keep is None and table.row_count and table.cursor_row < table.row_count:
            keep = str(table.coordinate_to_cell_key(table.cursor_coordinate).row_key.value)
        self.select_id = None
        table.clear(columns=True)
        for key, label in COLUMNS:
            heading = Text(label, justify="right" if key == "hours" else "left")
            table.add_column(heading, key=key, width=self.widths[key])
        running = self.running_seconds()
        entries = matching_entries(report.entries, self.search)
        for entry in entries:
            cells = entry_cells(entry, self.widths, report.duration_format, running)
            table.add_row(*(cells[key] for key, _ in COLUMNS), key=entry.id)
        ids = [entry.id for entry in entries]
        if keep in ids:
            table.move_cursor(row=ids.index(keep))
        empty = self.query_one("#day-empty", Static)
        if not ids:
            label = FILTER_LABELS[report.source_filter]
            shown = "" if report.source_filter == "all" else f" from {label}"
            if self.search.strip():
                empty.update(f"No entries{shown} on this day match “{self.search.strip()}”. "
                             "/ changes the search; Escape in it clears it.")
            else:
                empty.update(f"No entries{shown} on this day. n logs one, ␣ starts a timer.")
        empty.set_class(not ids, "-visible")

    def tick(self) -> None:
        """Once a second: the timer, its row and the totals, from the clock alone."""
        report = self.report
        if report is None:
            return
        running = self.running_seconds()
        self.query_one("#day-timer", Static).update(timer_text(report, running))
        self.query_one("#day-totals", Static).update(totals_text(report, running))
        if report.running is not None:
            table = self.query_one(DayTable)
            entry = next((e for e in report.entries if e.is_running), None)
            if entry is not None and entry.id in table.rows:
                cells = entry_cells(entry, self.widths, report.duration_format, running)
                table.update_cell(entry.id, "hours", cells["hours"])

    # --- the selected entry -----------------------------------------------------------------

    def selected(self) -> DayEntry | None:
        table = self.query_one(DayTable)
        if self.report is None or not table.row_count:
            return None
        key = table.coordinate_to_cell_key(table.cursor_coordinate).row_key.value
        return next((entry for entry in self.report.entries if entry.id == key), None)

    def selected_or_say(self) -> DayEntry | None:
        entry = self.selected()
        if entry is None:
            self.notify("No entry is selected.", severity="warning")
        return entry

    def refuse_locked(self, entry: DayEntry) -> bool:
        """Show the `locked` message for a read-only entry (and say it was refused)."""
        if entry.lock_message is None:
            return False
        self.notify(entry.lock_message, title="Locked", severity="error", markup=False)
        return True

    # --- actions ----------------------------------------------------------------------------

    def entry_dialog(self, mode: str, entry: DayEntry | None = None) -> EntryDialog:
        report = self.report
        assert report is not None
        return EntryDialog(self.runtime, mode=mode, day=report.day,  # type: ignore[arg-type]
                           projects=self.projects or (), timezone=report.timezone,
                           duration_format=report.duration_format, entry=entry,
                           time_format=report.time_format)

    def after_dialog(self, result: EntrySaved | None) -> None:
        if result is None:
            return
        self.notify(result.message, markup=False)
        self.go_to(result.day, select=result.entry_id)

    def action_toggle_timer(self) -> None:
        if self.report is None:
            return
        if self.report.running is not None:
            self.change("stop", None, None)
        elif self.projects_ready("toggle_timer"):
            self.app.push_screen(self.entry_dialog("timer"), self.after_dialog)

    def action_new_entry(self) -> None:
        if self.report is not None and self.projects_ready("new_entry"):
            self.app.push_screen(self.entry_dialog("new"), self.after_dialog)

    def action_edit_entry(self) -> None:
        entry = self.selected_or_say()
        if entry is None or self.refuse_locked(entry) or not self.projects_ready("edit_entry"):
            return
        self.app.push_screen(self.entry_dialog("edit", entry), self.after_dialog)

    def action_delete_entry(self) -> None:
        entry = self.selected_or_say()
        if entry is None or self.refuse_locked(entry):
            return
        what = f"{entry.client} › {entry.project}"
        if entry.task:
            what += f" · {entry.task}"
        shown = "running" if entry.is_running else format_duration(
            entry.duration_seconds, self.report.duration_format if self.report else "decimal")

        def answered(yes: bool | None) -> None:
            if yes:
                self.change("delete", entry.id, None)

        self.app.push_screen(
            ConfirmDialog(f"Delete this entry? {what} ({shown})", title="Delete entry",
                          confirm_label="Delete"), answered)

    def action_copy_entry(self) -> None:
        entry = self.selected_or_say()
        if entry is None or self.report is None:
            return
        entry_id = entry.id

        def chosen(day: date | None) -> None:
            if day is not None:
                self.change("copy", entry_id, day)

        self.app.push_screen(
            DateDialog(self.report.today, today=self.report.today, title="Copy to date"), chosen)

    def action_restart_entry(self) -> None:
        entry = self.selected_or_say()
        if entry is not None:
            self.change("restart", entry.id, None)

    def action_previous_day(self) -> None:
        if self.day is not None:
            self.go_to(self.day - timedelta(days=1))

    def action_next_day(self) -> None:
        if self.day is not None:
            self.go_to(self.day + timedelta(days=1))

    def action_today(self) -> None:
        self.go_to(self.report.today if self.report else None)

    def action_go_to_date(self) -> None:
        if self.report is None:
            return
        self.app.push_screen(DateDialog(self.report.day, today=self.report.today),
                             self.go_to)

    def action_search(self) -> None:
        self.query_one("#day-search-bar").add_class("-visible")
        self.query_one("#day-search", Input).focus()

    @on(Input.Changed, "#day-search")
    def search_changed(self, event: Input.Changed) -> None:
        self.search = event.value
        if self.report is not None:
            self.show_table(self.report)

    @on(Input.Submitted, "#day-search")
    def search_kept(self) -> None:
        self.end_search(clear=False)

    def end_search(self, *, clear: bool) -> None:
        """Back to the entries, keeping the search (the bar stays while it filters) or
        clearing it."""
        box = self.query_one("#day-search", Input)
        if clear:
            box.value = ""
            self.search = ""
            if self.report is not None:
                self.show_table(self.report)
        self.query_one("#day-search-bar").set_class(bool(self.search.strip()), "-visible")
        self.query_one(DayTable).focus()

    def on_key(self, event: events.Key) -> None:
        """Escape in the search box clears the search."""
        if event.key == "escape" and self.focused is self.query_one("#day-search", Input):
            event.stop()
            self.end_search(clear=True)

    def action_cycle_filter(self) -> None:
        index = FILTER_NAMES.index(self.source_filter)
        self.source_filter = FILTER_NAMES[(index + 1) % len(FILTER_NAMES)]
        self.query_one("#day-filter", Static).update(
            f"Source: {FILTER_LABELS[self.source_filter]} …")
        self.reload()

    def go_to(self, day: date | None, *, select: str | None = None) -> None:
        if day is None:
            return
        self.day = day
        self.select_id = select
        self.reload()

    # --- changes ----------------------------------------------------------------------------

    @work(thread=True, group="day-write")
    def change(self, what: str, entry_id: str | None, day: date | None) -> None:
        """One change in one transaction: stop, delete, copy or restart."""
        from keito_core.services.tracking import time_entries, timers

        titles = {"stop": "Could not stop the timer", "delete": "Could not delete",
                  "copy": "Could not copy", "restart": "Could not restart"}
        fmt = self.report.duration_format if self.report else "decimal"
        done: tuple[str, date | None, str | None]
        try:
            with self.runtime.session() as session:
                actor, now = self.runtime.actor(session), self.runtime.clock()
                if what == "stop":
                    entry = timers.stop_timer(session, actor=actor, now=now)
                    saved = format_duration(entry.duration_seconds, fmt)
                    done = (f"Timer stopped: {saved} saved", entry.spent_date, entry.id)
                elif what == "delete":
                    assert entry_id is not None
                    time_entries.delete_entry(session, actor=actor, entry_id=entry_id, now=now)
                    done = ("Entry deleted", None, None)
                elif what == "copy":
                    assert entry_id is not None
                    entry = time_entries.copy_entry(session, actor=actor, entry_id=entry_id,
                                                    spent_date=day, source="tui", now=now)
                    done = (f"Copied to {entry.spent_date.isoformat()}", entry.spent_date,
                            entry.id)
                else:
                    assert entry_id is not None
                    started = timers.restart_entry(session, actor=actor, entry_id=entry_id,
                                                   source="tui", now=now)
                    note = " (the running timer was stopped and saved)" if started.stopped else ""
                    done = (f"Timer restarted{note}", started.entry.spent_date,
                            started.entry.id)
        except KeitoError as exc:
            self.post_message(self.Refused(titles[what], ErrorInfo.of(exc)))
            return
        self.post_message(self.Changed(*done))

    def on_day_screen_changed(self, message: Changed) -> None:
        self.notify(message.text, markup=False)
        if message.day is not None:
            self.go_to(message.day, select=message.entry_id)
        else:
            self.reload()

    def on_day_screen_refused(self, message: Refused) -> None:
        error = message.error
        self.notify("\n".join(filter(None, (error.message, error.hint))), title=message.title,
                    severity="error", markup=False)
        self.reload()

    @on(DataTable.RowSelected)
    def row_chosen(self) -> None:
        """Enter (or a click) on a row edits it, when the table itself takes the key."""
        self.action_edit_entry()
