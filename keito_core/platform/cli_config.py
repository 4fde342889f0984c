"""Command-line defaults (project, task, source, agent ID, account) and the files that hold them.

Precedence, highest first (DESIGN.md, Interfaces; the reference's Configuration page):
flags > environment (KEITO_PROJECT, KEITO_TASK, KEITO_SOURCE, KEITO_AGENT_ID, KEITO_ACCOUNT_ID)
> the nearest `.keito.toml` up from the current directory > the user's config.toml
(KEITO_HOME/config.toml, else ~/.keito/config.toml) > defaults (none).

Everything here takes the environment, directory and file as parameters; nothing reads the
process state, so the rules are tested without touching the real home directory.
"""

from __future__ import annotations

import tomllib
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import date, time
from pathlib import Path
from typing import Any

from keito_core.enums import Source
from keito_core.errors import KeitoError
from keito_core.rules.agent_mode import parse_source

LOCAL_FILE = ".keito.toml"


@dataclass(frozen=True)
class Setting:
    """One configurable value: its dotted key, environment variable and flag."""

    key: str
    env: str | None
    flag: str | None
    help: str


#: The values `resolve_defaults` resolves, by the field name of Defaults.
SETTINGS: dict[str, Setting] = {
    "project": Setting("defaults.project", "KEITO_PROJECT", "project", "Default project."),
    "task": Setting("defaults.task", "KEITO_TASK", "task", "Default task."),
    "source": Setting(
        "defaults.source", "KEITO_SOURCE", "source", "Default source: tui, web, cli, api, agent."
    ),
    "agent_id": Setting(
        "agent.agent_id", "KEITO_AGENT_ID", "agent_id", "metadata.agent_id in agent mode."
    ),
    "account_id": Setting(
        "auth.account_id", "KEITO_ACCOUNT_ID", None, "The workspace ID commands expect."
    ),
}

#: Keys `keito config set` accepts, and in which files.
SETTABLE_KEYS: dict[str, str] = {s.key: s.help for s in SETTINGS.values()} | {
    "database.url": "Database URL (user config file only; KEITO_DATABASE_URL wins).",
}
USER_ONLY_KEYS = {"database.url"}
SECRET_KEYS = {"auth.api_key"}

FLAG = "flag"
DEFAULT = "default"


@dataclass(frozen=True)
class Defaults:
    """Resolved defaults; `sources` says where each came from ("flag", "env:NAME", a path)."""

    project: str | None = None
    task: str | None = None
    source: Source | None = None
    agent_id: str | None = None
    account_id: str | None = None
    sources: dict[str, str] = field(default_factory=dict)


def read_toml(path: Path) -> dict[str, Any]:
    """A TOML file's content, {} when it does not exist, config_error naming it when broken."""
    try:
        with path.open("rb") as handle:
            return tomllib.load(handle)
    except FileNotFoundError:
        return {}
    except IsADirectoryError as exc:
        raise KeitoError("config_error", f"{path} is a directory, not a TOML file") from exc
    except (tomllib.TOMLDecodeError, OSError, UnicodeDecodeError) as exc:
        raise KeitoError("config_error", f"cannot read {path}: {exc}") from exc


def find_local_config(cwd: Path) -> Path | None:
    """The nearest .keito.toml in `cwd` or one of its parents, up to the filesystem root."""
    directory = cwd.absolute()
    while True:
        candidate = directory / LOCAL_FILE
        if candidate.is_file():
            return candidate
        if directory.parent == directory:
            return None
        directory = directory.parent


def lookup(data: Mapping[str, Any], key: str, *, path: Path) -> str | None:
    """The string at dotted `key` ("defaults.project") in a parsed file, or None."""
    section, _, name = key.partition(".")
    table = data.get(section)
    if table is None:
        return None
    if not isinstance(table, Mapping):
        raise KeitoError("config_error", f"{path}: [{section}] must be a table")
    value = table.get(name)
    if value is None:
        return None
    if not isinstance(value, str):
        raise KeitoError(
            "config_error", f"{path}: {key} must be a string, not {type(value).__name__}"
        )
    return value.strip() or None


def _valid_source(value: str, where: str) -> Source:
    try:
        return Source(value.strip().lower())
    except ValueError:
        choices = ", ".join(s.value for s in Source)
        raise KeitoError(
            "config_error", f"{where}: source must be one of {choices}, not {value!r}"
        ) from None


def resolve_defaults(
    *,
    env: Mapping[str, str],
    cwd: Path,
    config_file: Path,
    flags: Mapping[str, str | None] | None = None,
) -> Defaults:
    """Each default from the first layer that sets it: flags, env, .keito.toml, config file.

    `flags` maps Defaults field names (project, task, source, agent_id) to flag values. A bad
    source is a validation_error from a flag, a config_error from the environment or a file.
    """
    flags = flags or {}
    local = find_local_config(cwd)
    files = [(p, read_toml(p)) for p in (local, config_file) if p is not None]
    values: dict[str, Any] = {}
    sources: dict[str, str] = {}
    for name, setting in SETTINGS.items():
        value: str | None = None
        origin = DEFAULT
        flagged = flags.get(name) if setting.flag else None
        if flagged is not None and flagged.strip():
            value, origin = flagged.strip(), FLAG
        elif setting.env and (env.get(setting.env) or "").strip():
            value, origin = env[setting.env].strip(), f"env:{setting.env}"
        else:
            for path, data in files:
                found = lookup(data, setting.key, path=path)
                if found is not None:
                    value, origin = found, str(path)
                    break
        if name == "source" and value is not None:
            values[name] = parse_source(value) if origin == FLAG else _valid_source(value, origin)
        else:
            values[name] = value
        sources[name] = origin
    return Defaults(**values, sources=sources)


# --- writing config files --------------------------------------------------------------------


def toml_value(value: Any) -> str:
    """A TOML literal for a string, bool, number or list of those."""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int | float):
        return repr(value)
    if isinstance(value, date | time):
        return value.isoformat()
    if isinstance(value, list | tuple):
        return "[" + ", ".join(toml_value(v) for v in value) + "]"
    if isinstance(value, str):
        out = []
        for char in value:
            if char in '"\\':
                out.append("\\" + char)
            elif ord(char) < 0x20 or ord(char) == 0x7F:
                out.append(f"\\u{ord(char):04x}")
            else:
                out.append(char)
        return '"' + "".join(out) + '"'
    raise TypeError(f"cannot write {type(value).__name__} to TOML")


def dump_toml(data: Mapping[str, Any]) -> str:
    """TOML text for nested tables of plain values (what config files hold)."""
    lines: list[str] = []

    def table(prefix: str, content: Mapping[str, Any]) -> None:
        scalars = {k: v for k, v in content.items() if not isinstance(v, Mapping)}
        tables = {k: v for k, v in content.items() if isinstance(v, Mapping)}
        if prefix and (scalars or not tables):
            lines.append(f"[{prefix}]")
        for key, value in scalars.items():
            lines.append(f"{_bare(key)} = {toml_value(value)}")
        if prefix and (scalars or not tables):
            lines.append("")
        for key, value in tables.items():
            table(f"{prefix}.{_bare(key)}" if prefix else _bare(key), value)

    table("", data)
    return "\n".join(lines).rstrip("\n") + "\n"


def _bare(key: str) -> str:
    ok = key and all(c.isascii() and (c.isalnum() or c in "-_") for c in key)
    return key if ok else toml_value(key)


def _header(line: str) -> str | None:
    """The table name of a `[name]` line (not `[[array]]`), else None."""
    text = line.split("#", 1)[0].strip()
    if text.startswith("[") and not text.startswith("[[") and text.endswith("]"):
        return text[1:-1].strip()
    return None


def _assigns(line: str, name: str) -> bool:
    """True if `line` sets `name` (`name = ...`), or is the commented `# name = ...` template."""
    text = line.strip().lstrip("#").strip()
    before, eq, _ = text.partition("=")
    return bool(eq) and before.strip() == name


def edit_toml(text: str, key: str, value: Any) -> str:
    """`text` with `section.name` set to `value` (None removes it), keeping everything else.

    Edits lines so comments survive; if the file's layout is beyond this simple editor
    (inline tables, dotted keys), rewrites it from its parsed content instead.
    """
    section, _, name = key.partition(".")
    lines = text.splitlines()
    start = next((i for i, line in enumerate(lines) if _header(line) == section), None)
    new_line = None if value is None else f"{name} = {toml_value(value)}"
    if start is None:
        if new_line is not None:
            lines += ([""] if lines and lines[-1].strip() else []) + [f"[{section}]", new_line]
    else:
        end = next(
            (i for i in range(start + 1, len(lines)) if _header(lines[i]) is not None), len(lines)
        )
        live = [i for i in range(start + 1, end) if _assigns(lines[i], name)
                and not lines[i].lstrip().startswith("#")]
        commented = [i for i in range(start + 1, end) if _assigns(lines[i], name)
                     and lines[i].lstrip().startswith("#")]
        if live:
            if new_line is None:
                del lines[live[0]]
            else:
                lines[live[0]] = new_line
        elif new_line is not None:
            if commented:
                lines.insert(commented[0] + 1, new_line)
            else:
                last = end
                while last > start + 1 and not lines[last - 1].strip():
                    last -= 1
                lines.insert(last, new_line)
    result = "\n".join(lines) + "\n"
    expected = _with_value(_parse(text), section, name, value)
    if _parse(result) != expected:
        result = dump_toml(expected)
    return result


def _parse(text: str) -> dict[str, Any]:
    try:
        return tomllib.loads(text)
    except tomllib.TOMLDecodeError:
        return {"\0unparseable": True}


def _with_value(data: dict[str, Any], section: str, name: str, value: Any) -> dict:
    if value is None and section not in data:
        return data
    table = dict(data.get(section) or {})
    if value is None:
        table.pop(name, None)
    else:
        table[name] = value
    return {**data, section: table}


def set_value(path: Path, key: str, value: str | None) -> None:
    """Set (or with None, remove) a dotted key in the TOML file at `path`, creating it (0600)."""
    from keito_core.platform.private_files import write_private_text

    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        text = ""
    except (OSError, UnicodeDecodeError) as exc:
        raise KeitoError("config_error", f"cannot read {path}: {exc}") from exc
    try:
        tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise KeitoError(
            "config_error", f"cannot read {path}: {exc}", hint="fix or remove the file first"
        ) from exc
    write_private_text(path, edit_toml(text, key, value))


TEMPLATE = """\
# Keito command-line configuration. Edit it here or with `keito config set KEY VALUE`.
# Precedence: flags > environment (KEITO_PROJECT, KEITO_TASK, KEITO_SOURCE ...)
#   > the nearest .keito.toml up from the current directory > this file > defaults.

[auth]
# Your API key is not kept here: `keito auth login` stores it in the OS keyring
# (KEITO_API_KEY in the environment wins over it).
# account_id = "ws_..."

[defaults]
# project = "acme"
# task = "development"
# source = "cli"

[agent]
# agent_id = "review-bot-01"

[database]
# url = "sqlite:////path/to/keito.db"
"""


LOCAL_TEMPLATE = """\
# Keito defaults for this project (commit it with the code). Precedence: flags >
# environment (KEITO_PROJECT, KEITO_TASK ...) > this file > ~/.keito/config.toml > defaults.

[defaults]
# project = "acme-website"
# task = "development"
# source = "cli"

[agent]
# agent_id = "review-bot-01"
"""


def initial_config(keep: Mapping[str, Any] | None = None, *, local: bool = False) -> str:
    """The commented config file `keito config init` writes, with the values in `keep` set."""
    keep = keep or {}
    flat = all(
        isinstance(table, Mapping) and not any(isinstance(v, Mapping) for v in table.values())
        for table in keep.values()
    )
    if not flat:
        return dump_toml(keep)  # a layout the template cannot hold: keep it all
    text = LOCAL_TEMPLATE if local else TEMPLATE
    for section, table in keep.items():
        for name, value in table.items():
            text = edit_toml(text, f"{section}.{name}", value)
    return text
