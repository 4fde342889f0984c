"""The layers' import contracts (docs/architecture.md, "What may import what"), checked in CI.

A static checker reads every module of keito_core and keito_tui with `ast` and lists the imports
each contract forbids; imports under `if TYPE_CHECKING:` are for annotations and do not count.
It takes the source root as a parameter, so the same checker runs on the project and on a
temporary copy with a deliberate violation planted, which it must report.

Two checks run real imports in a fresh interpreter, because a third-party package can load more
than any source line says: importing the core loads no terminal code, and the command line
starts without the app or the database layer.
"""

from __future__ import annotations

import ast
import functools
import json
import shutil
import subprocess
import sys
from collections import deque
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
PACKAGES = ("keito_core", "keito_tui")

#: Terminal libraries (and the terminal front end) the domain core never imports.
TERMINAL = ("textual", "typer", "rich", "keito_tui")
#: What keito_core.rules may import besides the standard library.
RULES_MAY_IMPORT = ("keito_core.errors", "keito_core.enums", "keito_core.rules")
#: The ORM and the modules that load it.
ORM = ("sqlalchemy", "sqlmodel", "keito_core.models")


@dataclass(frozen=True)
class Import:
    """One import statement's target as seen from the module that runs it."""

    module: str  # the importing module, e.g. keito_core.reports.day
    target: str  # the imported module, e.g. keito_core.models
    names: tuple[str, ...]  # for `from target import a, b`: a and b; () for `import target`
    line: int
    top_level: bool  # runs when the module is imported (not inside a function)
    bound: tuple[str, ...]  # the local names it binds

    def targets(self) -> Iterator[str]:
        """The target, and each `target.name` (a name may be a submodule)."""
        yield self.target
        for name in self.names:
            yield f"{self.target}.{name}"

    def __str__(self) -> str:
        what = f"from {self.target} import {', '.join(self.names)}" if self.names else (
            f"import {self.target}")
        return f"{self.module}:{self.line}: {what}"


def inside(name: str, packages: tuple[str, ...]) -> bool:
    """Whether `name` is one of `packages` or a module inside one."""
    return any(name == p or name.startswith(p + ".") for p in packages)


def _is_type_checking(test: ast.expr) -> bool:
    return (isinstance(test, ast.Name) and test.id == "TYPE_CHECKING") or (
        isinstance(test, ast.Attribute) and test.attr == "TYPE_CHECKING")


def _module_name(root: Path, path: Path) -> tuple[str, bool]:
    """The dotted name of the module at `path`, and whether it is a package's __init__."""
    parts = path.relative_to(root).with_suffix("").parts
    if parts[-1] == "__init__":
        return ".".join(parts[:-1]), True
    return ".".join(parts), False


def _absolute(module: str, is_package: bool, node: ast.ImportFrom) -> str:
    """The absolute module of a `from ... import` (relative ones resolved against `module`)."""
    if not node.level:
        return node.module or ""
    base = module.split(".") if is_package else module.split(".")[:-1]
    base = base[: len(base) - (node.level - 1)]
    return ".".join([*base, node.module] if node.module else base)


def _imports_in(module: str, is_package: bool, tree: ast.AST) -> Iterator[Import]:
    """Every import in `tree` outside `if TYPE_CHECKING:` blocks."""

    def walk(node: ast.AST, top_level: bool) -> Iterator[Import]:
        for child in ast.iter_child_nodes(node):
            if isinstance(child, ast.If) and _is_type_checking(child.test):
                for orelse in child.orelse:
                    yield from walk_one(orelse, top_level)
                continue
            yield from walk_one(child, top_level)

    def walk_one(node: ast.AST, top_level: bool) -> Iterator[Import]:
        if isinstance(node, ast.Import):
            for alias in node.names:
                yield Import(module, alias.name, (), node.lineno, top_level,
                             (alias.asname or alias.name.split(".")[0],))
        elif isinstance(node, ast.ImportFrom):
            names = tuple(alias.name for alias in node.names)
            bound = tuple(alias.asname or alias.name for alias in node.names)
            yield Import(module, _absolute(module, is_package, node), names, node.lineno,
                         top_level, bound)
        else:
            nested = isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef | ast.Lambda)
            yield from walk(node, top_level and not nested)

    yield from walk(tree, True)


@dataclass(frozen=True)
class Source:
    """The parsed modules under a source root."""

    trees: dict[str, ast.Module]
    imports: dict[str, tuple[Import, ...]]


@functools.cache
def _parsed(name: str, is_package: bool, text: str) -> tuple[ast.Module, tuple[Import, ...]]:
    """A module's tree and imports (cached: a planted copy differs from the project in one file)."""
    tree = ast.parse(text, filename=name)
    return tree, tuple(_imports_in(name, is_package, tree))


def read_source(root: Path) -> Source:
    """Parse every module of PACKAGES under `root`."""
    trees: dict[str, ast.Module] = {}
    imports: dict[str, tuple[Import, ...]] = {}
    for package in PACKAGES:
        for path in sorted((root / package).rglob("*.py")):
            name, is_package = _module_name(root, path)
            trees[name], imports[name] = _parsed(name, is_package, path.read_text("utf-8"))
    return Source(trees, imports)


def _stdlib(name: str) -> bool:
    return name.split(".")[0] in sys.stdlib_module_names or name == "__future__"


def _domain(name: str) -> str | None:
    """`tracking` for keito_core.services.tracking and anything in it; None elsewhere."""
    parts = name.split(".")
    return parts[2] if len(parts) >= 3 and parts[:2] == ["keito_core", "services"] else None


def _private(parts: list[str]) -> bool:
    return any(p.startswith("_") and not p.startswith("__") for p in parts)


def core_terminal(source: Source) -> Iterator[str]:
    """(a) keito_core never imports textual, typer, rich or keito_tui."""
    for module, found in source.imports.items():
        if inside(module, ("keito_core",)):
            yield from (str(i) for i in found if inside(i.target, TERMINAL))


def rules_pure(source: Source) -> Iterator[str]:
    """(b) keito_core.rules imports only the standard library, errors, enums and other rules."""
    for module, found in source.imports.items():
        if not inside(module, ("keito_core.rules",)):
            continue
        for i in found:
            if _stdlib(i.target) or inside(i.target, RULES_MAY_IMPORT):
                continue
            if i.target == "keito_core" and i.names and all(
                    inside(f"keito_core.{n}", RULES_MAY_IMPORT) for n in i.names):
                continue
            yield str(i)


def reports_without_services(source: Source) -> Iterator[str]:
    """(c) keito_core.reports never imports keito_core.services."""
    for module, found in source.imports.items():
        if inside(module, ("keito_core.reports",)):
            yield from (str(i) for i in found
                        if any(inside(t, ("keito_core.services",)) for t in i.targets()))


def fastpath_without_orm(source: Source) -> Iterator[str]:
    """(d) keito_core.fastpath never imports the ORM, directly or through the modules it
    imports when it is loaded (each module's top-level imports, and its packages)."""
    for module, found in source.imports.items():
        if not inside(module, ("keito_core.fastpath",)):
            continue
        for i in found:
            if any(inside(t, ORM) for t in i.targets()):
                yield str(i)
        for chain in _loaded_chains(source, module):
            yield " -> ".join(str(i) for i in chain)


def _loaded_chains(source: Source, start: str) -> Iterator[list[Import]]:
    """Import chains by which running `start` loads the ORM through other modules: every import
    of a fast path module counts (a function's import runs when the fast path does), and the
    top-level imports of the modules they load, with their packages."""
    seen = {start}
    queue: deque[tuple[str, list[Import]]] = deque([(start, [])])
    while queue:
        module, chain = queue.popleft()
        for i in source.imports.get(module, ()):
            if not (i.top_level or inside(module, ("keito_core.fastpath",))):
                continue
            if chain and any(inside(t, ORM) for t in i.targets()):
                yield [*chain, i]
                continue
            for loaded in {p for t in i.targets() for p in _with_packages(t)}:
                if loaded in source.imports and loaded not in seen:
                    seen.add(loaded)
                    queue.append((loaded, [*chain, i]))


def _with_packages(name: str) -> Iterator[str]:
    """`a.b.c` loads `a`, `a.b` and `a.b.c`."""
    parts = name.split(".")
    for n in range(1, len(parts) + 1):
        yield ".".join(parts[:n])


def services_keep_domains_apart(source: Source) -> Iterator[str]:
    """(e) keito_core.services.<a> never uses a private module or name of services.<b>."""
    for module, found in source.imports.items():
        own = _domain(module)
        if own is None:
            continue
        others: set[str] = set()  # local names bound to another domain's modules
        for i in found:
            foreign = [t for t in i.targets() if _domain(t) not in (None, own)]
            if any(_private(t.split(".")[3:]) for t in foreign):
                yield str(i)
            elif foreign or (i.target == "keito_core.services" and i.names):
                others |= set(i.bound)
        for node in ast.walk(source.trees[module]):
            if (isinstance(node, ast.Attribute) and isinstance(node.value, ast.Name)
                    and node.value.id in others and _private([node.attr])):
                yield f"{module}:{node.lineno}: {node.value.id}.{node.attr}"


def tui_without_orm(source: Source) -> Iterator[str]:
    """(f) keito_tui never imports keito_core.models, sqlmodel or sqlalchemy."""
    for module, found in source.imports.items():
        if inside(module, ("keito_tui",)):
            yield from (str(i) for i in found if any(inside(t, ORM) for t in i.targets()))


CONTRACTS = {
    "core_terminal": core_terminal,
    "rules_pure": rules_pure,
    "reports_without_services": reports_without_services,
    "fastpath_without_orm": fastpath_without_orm,
    "services_keep_domains_apart": services_keep_domains_apart,
    "tui_without_orm": tui_without_orm,
}


def broken(root: Path, contract: str) -> list[str]:
    """The imports under `root` that break `contract`, one line each."""
    return sorted(set(CONTRACTS[contract](read_source(root))))


@pytest.fixture(scope="module")
def project() -> Path:
    return ROOT


@pytest.mark.parametrize("contract", list(CONTRACTS))
def test_the_project_keeps_the_contract(contract: str) -> None:
    assert broken(ROOT, contract) == []


#: Deliberate violations: (contract, file, code appended to it, the report: {n} stands for the
#: code's first line, {m} for its second).
VIOLATIONS = [
    ("core_terminal", "keito_core/reports/week.py", "from textual.app import App",
     "keito_core.reports.week:{n}: from textual.app import App"),
    ("core_terminal", "keito_core/platform/clock.py", "def shout():\n    import rich.console",
     "keito_core.platform.clock:{m}: import rich.console"),
    ("rules_pure", "keito_core/rules/money.py", "from keito_core.platform.clock import utcnow",
     "keito_core.rules.money:{n}: from keito_core.platform.clock import utcnow"),
    ("rules_pure", "keito_core/rules/text.py", "from .. import models",
     "keito_core.rules.text:{n}: from keito_core import models"),
    ("reports_without_services", "keito_core/reports/day.py",
     "from keito_core.services.tracking import timers",
     "keito_core.reports.day:{n}: from keito_core.services.tracking import timers"),
    ("reports_without_services", "keito_core/reports/week.py", "from keito_core import services",
     "keito_core.reports.week:{n}: from keito_core import services"),
    ("fastpath_without_orm", "keito_core/fastpath/day.py", "import sqlalchemy",
     "keito_core.fastpath.day:{n}: import sqlalchemy"),
    ("fastpath_without_orm", "keito_core/reports/day_values.py", "from keito_core import models",
     "keito_core.reports.day_values:{n}: from keito_core import models"),
    ("services_keep_domains_apart", "keito_core/services/tracking/timers.py",
     "from keito_core.services.directory.users import _capacity",
     "keito_core.services.tracking.timers:{n}: "
     "from keito_core.services.directory.users import _capacity"),
    ("services_keep_domains_apart", "keito_core/services/approvals/reminders.py",
     "from keito_core.services.directory import users\nusers._capacity('1')",
     "keito_core.services.approvals.reminders:{m}: users._capacity"),
    ("tui_without_orm", "keito_tui/cli/launch.py", "from keito_core.models import TimeEntry",
     "keito_tui.cli.launch:{n}: from keito_core.models import TimeEntry"),
]


def _copy(tmp_path: Path) -> Path:
    for package in PACKAGES:
        shutil.copytree(ROOT / package, tmp_path / package,
                        ignore=shutil.ignore_patterns("__pycache__", "*.tcss"))
    return tmp_path


def _plant(root: Path, relative: str, code: str) -> int:
    """Append `code` to a module; the number of its first line."""
    path = root / relative
    text = path.read_text(encoding="utf-8").rstrip("\n") + "\n\n"
    path.write_text(text + code + "\n", encoding="utf-8")
    return text.count("\n") + 1


@pytest.mark.parametrize(("contract", "relative", "code", "report"), VIOLATIONS,
                         ids=[f"{v[0]}-{i}" for i, v in enumerate(VIOLATIONS)])
def test_a_planted_violation_breaks_its_contract(tmp_path: Path, contract: str, relative: str,
                                                 code: str, report: str) -> None:
    root = _copy(tmp_path)
    before = broken(root, contract)
    first = _plant(root, relative, code)
    expected = report.format(n=first, m=first + 1)
    if contract == "fastpath_without_orm" and not relative.startswith("keito_core/fastpath"):
        found = [line for line in broken(root, contract) if line.endswith(expected)]
        assert found and all(" -> " in line for line in found)
    else:
        assert set(broken(root, contract)) - set(before) == {expected}


def test_imports_for_type_checking_only_do_not_count(tmp_path: Path) -> None:
    root = _copy(tmp_path)
    before = broken(root, "reports_without_services")
    _plant(root, "keito_core/reports/day.py", "if TYPE_CHECKING:\n"
           "    from keito_core.services.tracking import timers\n"
           "else:\n    pass\n")
    assert broken(root, "reports_without_services") == before


# --- Run-time checks: what importing really loads ----------------------------------------------

#: Loaded by the domain core, which must never pull in a terminal library.
CORE_MODULES = [
    "keito_core",
    "keito_core.models",
    "keito_core.services.workspace.setup",
    "keito_core.platform.db",
    "keito_core.platform.runtime",
]


def loaded_modules(*imports: str) -> set[str]:
    """The names in sys.modules after importing `imports` in a fresh interpreter."""
    code = (
        "import importlib, json, sys\n"
        f"for name in {list(imports)!r}:\n"
        "    importlib.import_module(name)\n"
        "print(json.dumps(sorted(sys.modules)))\n"
    )
    result = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=False
    )
    assert result.returncode == 0, result.stderr
    return set(json.loads(result.stdout))


def offenders(modules: set[str], forbidden: tuple[str, ...]) -> list[str]:
    """The modules that are, or live inside, one of the forbidden packages."""
    return sorted(name for name in modules if inside(name, forbidden))


def test_importing_the_core_loads_no_terminal_code() -> None:
    """The issue's own check (`python -c "import keito_core"`), with the models, a service,
    storage and the composition root: third-party packages they load count too."""
    modules = loaded_modules(*CORE_MODULES)
    assert set(CORE_MODULES) <= modules
    assert offenders(modules, TERMINAL) == []


def test_command_line_starts_without_the_app_or_the_database_layer() -> None:
    """`keito --help` and friends must not pay for Textual, SQLModel or SQLAlchemy.

    The app loads only when it is opened; services (and so the ORM) are imported inside
    command functions. A failure names the modules that leaked; find the keito_tui.cli module
    that imports them at module level.
    """
    modules = loaded_modules("keito_tui.cli.main")
    assert "keito_tui.cli.main" in modules
    assert offenders(modules, ("textual", "sqlmodel", "sqlalchemy", "alembic")) == []


def test_the_run_time_probe_sees_a_leak() -> None:
    """The subprocess probe really reports what an import loads."""
    modules = loaded_modules("keito_tui.cli.main", "sqlalchemy")
    assert offenders(modules, ("sqlalchemy",)) != []
