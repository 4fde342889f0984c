"""Shell completion of project, task and expense-category handles (`keito --install-completion`).

Each function is a Typer `autocompletion=` callback: it gets the word being typed and returns
(value, description) pairs. They read the workspace as the command would (the same database
and acting user), show only what the user may log to, and are quick and silent: any problem
(no workspace yet, a bad key, a locked database) completes nothing rather than printing a
traceback into the shell.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING

import typer

if TYPE_CHECKING:
    from sqlmodel import Session

    from keito_core.rules.permissions import Actor

Completions = list[tuple[str, str]]
#: At most this many suggestions; a shell shows nothing useful beyond it.
LIMIT = 200


@contextmanager
def _reading() -> Iterator[tuple[Session, Actor]]:
    """A read-only session and the acting user, without recording the API key's use."""
    from keito_core.platform import db
    from keito_core.platform.identity import resolve_actor
    from keito_core.platform.runtime import make_runtime

    runtime = make_runtime()
    try:
        if not runtime.database_exists():
            raise LookupError("no workspace")
        api_key, _ = runtime.credentials()
        with db.transaction(runtime.engine(), readonly=True) as session:
            yield session, resolve_actor(session, api_key=api_key, now=runtime.clock())
    finally:
        runtime.close()


def _safely(find: Callable[[Session, Actor], Completions]) -> Completions:
    try:
        with _reading() as (session, actor):
            return find(session, actor)[:LIMIT]
    except Exception:  # noqa: BLE001 - completion must never print a traceback
        return []


def _matches(incomplete: str, *values: str | None) -> bool:
    typed = incomplete.lower()
    return any(v and v.lower().startswith(typed) for v in values)


def project_completions(session: Session, actor: Actor, incomplete: str) -> Completions:
    """Handles and codes of the active projects the actor may see."""
    from keito_core.reports.completions import project_handles

    found: Completions = []
    for project in project_handles(session, viewer=actor):
        described = f"{project.name} ({project.code})" if project.code else project.name
        same = (project.code or "").lower() == project.handle.lower()
        for value in (project.handle, None if same else project.code):
            if value and _matches(incomplete, value):
                found.append((value, described))
    return found


def task_completions(session: Session, actor: Actor, incomplete: str,
                     project_ref: str | None) -> Completions:
    """Handles of the tasks enabled on `project_ref`, or of every active task without one."""
    from keito_core.reports.completions import task_handles

    tasks = task_handles(session, project_ref=project_ref)
    return [(t.handle, t.name) for t in tasks if _matches(incomplete, t.handle, t.name)]


def category_completions(session: Session, actor: Actor, incomplete: str) -> Completions:
    """Handles of the active expense categories."""
    from keito_core.reports.completions import category_handles

    rows = category_handles(session)
    return [(c.handle, c.name) for c in rows if _matches(incomplete, c.handle, c.name)]


def _typed_project(ctx: typer.Context) -> str | None:
    """The --project already on the command line, else the configured default project."""
    typed = ctx.params.get("project") if ctx is not None else None
    if isinstance(typed, str) and typed.strip():
        return typed.strip()
    from keito_core.platform.cli_config import resolve_defaults
    from keito_core.platform.config import load_settings

    settings = load_settings()
    return resolve_defaults(env=os.environ, cwd=Path.cwd(),
                            config_file=settings.config_file).project


# --- the Typer callbacks ------------------------------------------------------------------


def complete_project(incomplete: str) -> Completions:
    """--project: project handles and codes."""
    return _safely(lambda s, a: project_completions(s, a, incomplete))


def complete_task(ctx: typer.Context, incomplete: str) -> Completions:
    """--task: the tasks of the project being typed (or the default project), else all."""

    def find(session: Session, actor: Actor) -> Completions:
        return task_completions(session, actor, incomplete, _typed_project(ctx))

    return _safely(find)


def complete_category(incomplete: str) -> Completions:
    """--category: expense category handles."""
    return _safely(lambda s, a: category_completions(s, a, incomplete))
