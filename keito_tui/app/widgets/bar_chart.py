"""A bar chart of hours per day, week or month, drawn with block characters.

Each bar stacks two series (billable under non-billable, or people under agents): the lower
series in `█`, the upper in `▒`, so the chart reads without colour too. The y axis is
labelled with the tallest bar's hours, the x axis with each bucket's day, week or month (as
many labels as fit), and the last line is the legend with each series' total. Bars narrow to
fit the width; when even one column a bar is too wide, the latest buckets are drawn and the
legend says how many earlier ones are not.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from decimal import ROUND_HALF_UP, Decimal
from typing import ClassVar

from rich.style import Style
from rich.text import Text
from textual.reactive import reactive
from textual.widget import Widget

from keito_core.reports.analysis.result import Chart
from keito_tui.app.widgets.badges import AGENT_COLOUR

LOWER, UPPER = "█", "▒"
#: A bar too short for one cell, but not empty.
SLIVER = "▁"
#: The widest a bar is drawn, and the space between bars (when they fit with one).
MAX_BAR, GAP = 6, 1
#: The lines under the plot: the axis, the x labels and the legend.
UNDER_PLOT = 3

SERIES_LABELS = {"billable": "billable", "non_billable": "non-billable", "human": "people",
                 "agent": "agents"}
SERIES_STYLES = {
    "billable": Style(color="green"),
    "non_billable": Style(color="bright_black"),
    "human": Style(color="#3b82f6"),
    "agent": Style(color=AGENT_COLOUR),
}
AXIS_STYLE = Style(dim=True)


def hours_label(hours: Decimal) -> str:
    """`40h`, `7.5h`, `0h`: whole hours bare, others to one decimal place."""
    text = f"{hours.quantize(Decimal('0.1'), rounding=ROUND_HALF_UP):,f}"
    return f"{text.removesuffix('.0')}h"


def bucket_label(start: date, bucket: str) -> str:
    """A bucket's name on the x axis: `07` (a day), `07 Mar` (a week), `Mar` (a month)."""
    if bucket == "month":
        return f"{start:%b}"
    if bucket == "week":
        return f"{start:%d %b}"
    return f"{start:%d}"


def cells(value: Decimal, top: Decimal, rows: int) -> int:
    """How many rows of `rows` a value reaches when `top` fills them all (half rounds up)."""
    if top <= 0:
        return 0
    return int((value * rows / top).quantize(Decimal(1), rounding=ROUND_HALF_UP))


@dataclass(frozen=True)
class Layout:
    """Where the bars go: how many are drawn (the latest), their width and the gap."""

    shown: int
    bar: int
    gap: int

    @property
    def slot(self) -> int:
        return self.bar + self.gap


def fit(count: int, room: int) -> Layout:
    """The widest bars (up to MAX_BAR) that put `count` bars in `room` columns; bars of one
    column with no gap when nothing wider fits; the latest `room` bars when even those do not."""
    if count <= 0 or room <= 0:
        return Layout(0, 1, GAP)
    width = (room + GAP) // count - GAP
    if width >= 1:
        return Layout(count, min(MAX_BAR, width), GAP)
    return Layout(min(count, room), 1, 0)


def draw(chart: Chart, width: int, height: int) -> list[Text]:
    """The chart as `height` lines of at most `width` cells (plain text: `Text.plain`)."""
    rows = max(1, height - UNDER_PLOT)
    lower, upper = (chart.series + ("", ""))[:2]
    totals = [sum((Decimal(bar.values.get(name, 0) or 0) for name in chart.series), Decimal(0))
              for bar in chart.bars]
    top = max(totals, default=Decimal(0))
    top_label, zero_label = hours_label(top), "0h"
    gutter = max(len(top_label), len(zero_label))
    room = max(1, width - gutter - 2)
    layout = fit(len(chart.bars), room)
    first = len(chart.bars) - layout.shown
    bars = chart.bars[first:]
    heights: list[tuple[int, int, bool]] = []  # lower cells, upper cells, a sliver
    for bar, total in zip(bars, totals[first:], strict=True):
        whole = cells(total, top, rows)
        low = min(whole, cells(Decimal(bar.values.get(lower, 0) or 0), top, rows))
        heights.append((low, whole - low, total > 0 and whole == 0))

    lines: list[Text] = []
    for level in range(rows, 0, -1):  # the top row first
        label = top_label if level == rows else ""
        line = Text(f"{label:>{gutter}} {'┤' if level == rows else '│'}", style=AXIS_STYLE)
        for index, (low, high, sliver) in enumerate(heights):
            if index and layout.gap:
                line.append(" " * layout.gap)
            if level <= low:
                line.append(LOWER * layout.bar, style=SERIES_STYLES.get(lower))
            elif level <= low + high:
                line.append(UPPER * layout.bar, style=SERIES_STYLES.get(upper))
            elif level == 1 and sliver:
                line.append(SLIVER * layout.bar, style=SERIES_STYLES.get(lower))
            else:
                line.append(" " * layout.bar)
        lines.append(line)
    span = max(0, layout.shown * layout.slot - layout.gap)
    lines.append(Text(f"{zero_label:>{gutter}} └" + "─" * span, style=AXIS_STYLE))
    lines.append(axis_labels(chart, first, layout, gutter + 2))
    lines.append(legend(chart, first))
    for line in lines:
        line.rstrip()
        line.truncate(width)
    return lines


def axis_labels(chart: Chart, first: int, layout: Layout, indent: int) -> Text:
    """Each bucket's label under its bar's left edge, skipping those that would touch."""
    out = [" "] * (indent + layout.shown * layout.slot + 8)
    free = 0  # the first column a label may start at
    for index, bar in enumerate(chart.bars[first:]):
        column = indent + index * layout.slot
        label = bucket_label(bar.start, chart.bucket)
        if column < free:
            continue
        out[column:column + len(label)] = label
        free = column + len(label) + 1
    return Text("".join(out).rstrip(), style=AXIS_STYLE)


def legend(chart: Chart, first: int) -> Text:
    """`█ billable 12h  ▒ non-billable 3h  by day`, and how many buckets are not drawn."""
    text = Text()
    for glyph, name in zip((LOWER, UPPER), chart.series, strict=False):
        total = sum((Decimal(bar.values.get(name, 0) or 0) for bar in chart.bars), Decimal(0))
        if len(text):
            text.append("  ")
        text.append(glyph, style=SERIES_STYLES.get(name))
        text.append(f" {SERIES_LABELS.get(name, name)} {hours_label(total)}")
    text.append(f"  by {chart.bucket}", style=AXIS_STYLE)
    if first:
        text.append(f" · {first} earlier not shown", style=AXIS_STYLE)
    return text


class BarChart(Widget):
    """Draws `chart` (None: nothing to draw) in the widget's size."""

    DEFAULT_CSS: ClassVar[str] = """
    BarChart {
        height: 8;
        padding: 0 1;
    }
    """

    chart: reactive[Chart | None] = reactive(None)
    #: Shown when there is no chart (e.g. a report without hours).
    message: reactive[str] = reactive("")

    def render(self) -> Text:
        chart = self.chart
        if chart is None or not chart.bars:
            return Text(self.message or "No hours in this period.", style=AXIS_STYLE)
        size = self.content_size
        return Text("\n").join(draw(chart, size.width, size.height))
