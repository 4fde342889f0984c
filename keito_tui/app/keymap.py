"""Your own keys: the `[keys]` table of config.toml maps action ids to keys.

    [keys]
    week = "W"                 # an app-wide action
    "day.new" = "N"            # a view's action (quoted, or as day.new = "N")
    "day.timer" = "space,t"    # several keys, comma-separated

The ids are the ones the help screen and docs/app.md list. Keys use Textual's names
(`ctrl+s`, `f5`, `space`, `question_mark`, `W` for shift+w).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from importlib import import_module
from pathlib import Path
from typing import Any

# Textual's own one-character key naming (private, but Textual is pinned exactly).
from textual.keys import _character_to_key

from keito_core.errors import KeitoError
from keito_core.platform.config import read_config_file
from keito_tui.app.bindings import KeitoAction

#: The modules whose VIEW_ACTIONS (or other KeitoAction tuples) hold the views' action ids.
VIEW_MODULES = ("day", "week", "expenses", "approvals", "approval_detail", "inbox", "manage",
                "settings", "invoices", "invoice_editor", "reports")


def read_keymap(path: Path) -> tuple[dict[str, str], list[str]]:
    """The `[keys]` table of the config file at `path` as {action id: keys}, and what was
    wrong with it (each problem in words; those entries are left out)."""
    try:
        table = read_config_file(path).get("keys", {})
    except KeitoError as exc:
        return {}, [exc.message]
    if not isinstance(table, dict):
        return {}, [f"[keys] in {path} must be a table of action ids and keys"]
    keymap: dict[str, str] = {}
    problems: list[str] = []
    for action_id, keys in _flatten(table):
        if not isinstance(keys, str) or not keys.strip():
            problems.append(f"[keys] {action_id}: give the key as text, such as \"N\"")
            continue
        keymap[action_id] = ",".join(key.strip() for key in keys.split(",") if key.strip())
    return keymap, problems


def _flatten(table: Mapping[str, Any], prefix: str = "") -> Iterable[tuple[str, Any]]:
    """`day.new = "N"` (a nested table in TOML) and `"day.new" = "N"` both mean day.new."""
    for name, value in table.items():
        if isinstance(value, dict):
            yield from _flatten(value, f"{prefix}{name}.")
        else:
            yield f"{prefix}{name}", value


def action_groups() -> list[tuple[KeitoAction, ...]]:
    """The app's actions, then each view's (imports every view's module: call it off the UI
    thread). A view's keys are its own actions' and the app's."""
    from keito_tui.app.bindings import ACTIONS

    groups: list[tuple[KeitoAction, ...]] = [ACTIONS]
    for name in VIEW_MODULES:
        module = import_module(f"keito_tui.app.screens.{name}")
        for value in vars(module).values():
            found = getattr(value, "VIEW_ACTIONS", None) if isinstance(value, type) else value
            if (isinstance(found, tuple) and found
                    and all(isinstance(action, KeitoAction) for action in found)
                    and found not in groups):
                groups.append(found)
    return groups


def action_ids() -> set[str]:
    """Every action id in the app."""
    return {action.id for group in action_groups() for action in group}


def unknown_ids(keymap: Mapping[str, str]) -> list[str]:
    """The ids in `keymap` that name no action, sorted."""
    known = action_ids()
    return sorted(action_id for action_id in keymap if action_id not in known)


def clashes(keymap: Mapping[str, str]) -> list[str]:
    """Keys that `keymap` gives to an action while another in the same view keeps or gets
    them, as `key: id, id` (Textual would run only one of the two)."""
    groups = action_groups()
    app, views = groups[0], groups[1:]
    found: set[str] = set()
    for view in views:
        owners: dict[str, set[str]] = {}
        for action in (*app, *view):
            for key in _keys(keymap.get(action.id, action.key)):
                owners.setdefault(key, set()).add(action.id)
        found.update(f"{key}: {', '.join(sorted(ids))}" for key, ids in owners.items()
                     if len(ids) > 1 and ids & set(keymap))
    return sorted(found)


def _keys(keys: str) -> list[str]:
    """Textual's key names, so that `?` and `question_mark` are one key."""
    return [_character_to_key(key) if len(key) == 1 else key
            for key in (part.strip() for part in keys.split(",")) if key]
