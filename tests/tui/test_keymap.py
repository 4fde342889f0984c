"""Your own keys: config.toml's [keys] table rebinds the app's actions by id."""

from __future__ import annotations

import gc
from collections.abc import Iterator
from pathlib import Path

import pytest
from settling import finish_workers
from textual.pilot import Pilot
from textual.widgets._footer import FooterKey

from keito_core.models import Client, Project, ProjectMember
from keito_core.platform.ids import new_id
from keito_core.platform.runtime import Runtime, make_runtime
from keito_tui.app import keito_app
from keito_tui.app.bindings import KeitoAction
from keito_tui.app.keito_app import KeitoApp
from keito_tui.app.keymap import action_ids, clashes, read_keymap, unknown_ids
from keito_tui.app.screens.day import DayScreen
from keito_tui.app.screens.entry_dialog import EntryDialog
from keito_tui.app.screens.help import HelpScreen

pytestmark = pytest.mark.anyio
SIZE = (100, 30)


@pytest.fixture
def anyio_backend() -> str:
    return "asyncio"


@pytest.fixture
def runtime(keito_home: Path, workspace) -> Iterator[Runtime]:  # noqa: ANN001
    with workspace.session() as session:  # a project to log to, so the entry form opens
        session.add(Client(id=(client_id := new_id("client")), name="Acme", currency="GBP"))
        session.flush()
        session.add(Project(id=(project_id := new_id("project")), client_id=client_id,
                            name="Website", handle="web"))
        session.add(ProjectMember(id=new_id("project_member"), project_id=project_id,
                                  user_id=workspace.admin_id))
    rt = make_runtime()
    yield rt
    rt.close()


def write_keys(runtime: Runtime, text: str) -> None:
    path = runtime.settings.config_file
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text, encoding="utf-8")


async def settle(pilot: Pilot) -> None:
    app = pilot.app
    for _ in range(40):
        await finish_workers(app)
        await pilot.pause()
        screen = app.screen
        if (all(w.is_finished for w in app.workers) and isinstance(screen, DayScreen)
                and screen.projects is not None and list(screen.query(FooterKey))):
            return
    raise AssertionError("the app did not settle")


def notices(app: KeitoApp) -> list[str]:
    return [str(n.message) for n in app._notifications]


# --- reading the table ------------------------------------------------------------------------


def test_read_keymap_flattens_ids_and_reports_bad_entries(tmp_path: Path) -> None:
    path = tmp_path / "config.toml"
    path.write_text('[keys]\nweek = "W"\n"day.new" = "N"\nday.timer = " space , t "\n'
                    'day.copy = 3\n"day.goto" = ""\n', encoding="utf-8")
    keymap, problems = read_keymap(path)
    assert keymap == {"week": "W", "day.new": "N", "day.timer": "space,t"}
    assert problems == ['[keys] day.copy: give the key as text, such as "N"',
                        '[keys] day.goto: give the key as text, such as "N"']
    assert read_keymap(tmp_path / "none.toml") == ({}, [])
    path.write_text("keys = 3\n", encoding="utf-8")
    assert read_keymap(path)[1] == [f"[keys] in {path} must be a table of action ids and keys"]
    path.write_text("[keys\n", encoding="utf-8")
    keymap, problems = read_keymap(path)
    assert keymap == {} and problems and problems[0].startswith("cannot read")


def test_action_ids_are_every_action_the_app_defines() -> None:
    known = action_ids()
    defined = {obj.id for obj in gc.get_objects() if isinstance(obj, KeitoAction)}
    assert defined and defined <= known
    assert {"week", "day.new", "approvals.approve", "manage.tab_team"} <= known
    assert unknown_ids({"day.new": "N", "day.nwe": "M", "nothing": "x"}) == ["day.nwe",
                                                                             "nothing"]


def test_every_action_id_is_documented() -> None:
    text = (Path(__file__).parents[2] / "docs" / "app.md").read_text(encoding="utf-8")
    missing = sorted(i for i in action_ids() if f"`{i}`" not in text)
    assert missing == []


# --- in the app -------------------------------------------------------------------------------


async def test_keys_from_config_rebind_the_views_and_the_footer_and_help_show_them(
        runtime: Runtime) -> None:
    write_keys(runtime, '[keys]\nweek = "W"\n"day.new" = "N"\n')
    app = KeitoApp(runtime)
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        footer = [str(key.key_display) for key in app.screen.query(FooterKey)]
        assert "N" in footer and "n" not in footer
        await pilot.press("n")
        await pilot.pause()
        assert isinstance(app.screen, DayScreen)  # n no longer opens the form
        await pilot.press("N")
        for _ in range(40):  # the form opens once a re-read in flight has brought the projects
            if isinstance(app.screen, EntryDialog):
                break
            await finish_workers(app)
            await pilot.pause()
        assert isinstance(app.screen, EntryDialog)
        await pilot.press("escape")
        await pilot.pause()
        rows = {description: key for key, description, _ in app.help_rows()}
        assert rows["New"] == "N" and rows["Week"] == "W"
        await pilot.press("question_mark")
        await pilot.pause()
        assert isinstance(app.screen, HelpScreen)
        await pilot.press("escape")
        await pilot.pause()
        await pilot.press("w")
        await pilot.pause()
        assert app.current_mode == "day"
        await pilot.press("W")
        await pilot.pause()
        assert app.current_mode == "week"


async def test_unknown_ids_bad_values_and_clashes_are_reported(
        runtime: Runtime, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(keito_app, "KEYMAP_CHECK_DELAY", 0.01)
    write_keys(runtime, '[keys]\n"day.nwe" = "N"\n"day.copy" = 5\n"day.today" = "n"\n')
    app = KeitoApp(runtime)
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        for _ in range(20):
            if any("day.nwe" in n for n in notices(app)):
                break
            await pilot.pause(0.05)
        said = notices(app)
        assert '[keys] day.copy: give the key as text, such as "N"' in said
        assert any(n.startswith("No action has the id day.nwe") for n in said)
        assert any(n.startswith("Two actions of one view share a key")
                   and "n: day.new, day.today" in n for n in said)


def test_clashes_are_only_those_the_keymap_makes() -> None:
    assert clashes({}) == []
    assert clashes({"day.new": "N"}) == []
    assert clashes({"day.today": "n"}) == ["n: day.new, day.today"]
    assert clashes({"week": "?"}) == ["question_mark: help, week"]  # in every view
    assert clashes({"day.new": "t", "day.today": "n"}) == []  # a swap is fine
