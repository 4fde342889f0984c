"""Time rounding: the workspace's increment applied to an entry's duration.

The rule: rounding applies once, when an entry is saved, to the entry's whole duration in
seconds (never to each timer segment, never again in reports or invoices). An increment of
0 means rounding is off. Modes:

- ``nearest``: to the closest multiple; exactly halfway rounds up (7m30s at 15 -> 15m).
  A positive duration never rounds to zero: anything below one increment becomes one
  increment (a 1-minute entry at 15 is billed as 15 minutes).
- ``up``: to the next multiple at or above the duration.
- ``down``: to the multiple at or below the duration; this may give zero.

A duration that is already a multiple of the increment is unchanged in every mode, so
rounding an already-rounded duration again is a no-op and a re-save never drifts.
"""

from __future__ import annotations

from keito_core.errors import validation

#: Allowed increments in minutes; 0 means rounding is off.
ROUNDING_INCREMENTS: tuple[int, ...] = (0, 5, 6, 10, 15, 30)
ROUNDING_MODES: tuple[str, ...] = ("nearest", "up", "down")

_OFF_WORDS = frozenset({"off", "none", "no"})
_MINUTE_SUFFIXES = ("minutes", "minute", "mins", "min", "m")


def _check_increment(increment_minutes: int) -> None:
    """Raise unless `increment_minutes` is one of ROUNDING_INCREMENTS."""
    if isinstance(increment_minutes, bool) or increment_minutes not in ROUNDING_INCREMENTS:
        allowed = ", ".join(str(i) for i in ROUNDING_INCREMENTS[1:])
        raise validation(
            f"rounding must be off or one of {allowed} minutes, not {increment_minutes!r}",
            field="rounding",
        )


def round_duration(seconds: int, increment_minutes: int, mode: str = "nearest") -> int:
    """`seconds` rounded to the increment by `mode` (see the module docstring for the rule)."""
    _check_increment(increment_minutes)
    if mode not in ROUNDING_MODES:
        raise validation(
            f"rounding mode must be nearest, up or down, not {mode!r}", field="rounding"
        )
    if seconds < 0:
        raise validation("duration cannot be negative", field="duration")
    if increment_minutes == 0 or seconds == 0:
        return seconds
    step = increment_minutes * 60
    whole, rest = divmod(seconds, step)
    if rest == 0:
        return seconds
    if mode == "down":
        return whole * step
    if mode == "up" or rest * 2 >= step or whole == 0:
        return (whole + 1) * step
    return whole * step


def parse_increment(text: str | int) -> int:
    """Minutes from `15`, `15m`, `15 min`, `off`, `0`; validated against ROUNDING_INCREMENTS."""
    if isinstance(text, int) and not isinstance(text, bool):
        _check_increment(text)
        return text
    cleaned = str(text).strip().lower()
    if cleaned in _OFF_WORDS:
        return 0
    for suffix in _MINUTE_SUFFIXES:
        if cleaned.endswith(suffix):
            cleaned = cleaned[: -len(suffix)].rstrip()
            break
    if not cleaned.isascii() or not cleaned.isdigit():
        raise validation(
            f"not a rounding increment: {str(text).strip()!r}",
            field="rounding",
            hint="use off, 5m, 6m, 10m, 15m or 30m",
        )
    minutes = int(cleaned)
    _check_increment(minutes)
    return minutes
