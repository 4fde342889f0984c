"""Warnings a service raises without failing, kept on the session until an interface shows them.

A save that succeeds may still deserve a word (an entry dated in the future). The service
adds the text to its session (SQLAlchemy's ``Session.info``, which lives as long as the unit
of work); the command line takes them after the call and prints them on stderr and in JSON.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy.orm import Session

_KEY = "keito.warnings"


def warn(session: Session, text: str) -> None:
    """Add a warning for whoever shows this unit of work's outcome (each text once)."""
    pending: list[str] = session.info.setdefault(_KEY, [])
    if text not in pending:
        pending.append(text)


def take_warnings(session: Session) -> list[str]:
    """The warnings added so far, in order; they are cleared so none is shown twice."""
    pending: list[str] = session.info.pop(_KEY, [])
    return pending


_BUDGET_KEY = "keito.budget"


def note_budget(session: Session, data: dict[str, Any]) -> None:
    """Leave the over-budget warning of this unit of work (its project, status, percent used
    and, for those who may see the budget, its amounts); the last one noted wins."""
    session.info[_BUDGET_KEY] = data


def take_budget(session: Session) -> dict[str, Any] | None:
    """The over-budget warning noted, if any; cleared so it is shown once."""
    data: dict[str, Any] | None = session.info.pop(_BUDGET_KEY, None)
    return data
