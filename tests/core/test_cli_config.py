"""Command-line defaults: precedence, the nearest .keito.toml, and editing TOML files."""

from __future__ import annotations

import tomllib

import pytest

from keito_core.enums import Source
from keito_core.errors import KeitoError
from keito_core.platform.cli_config import (
    SETTINGS,
    dump_toml,
    edit_toml,
    find_local_config,
    initial_config,
    resolve_defaults,
    set_value,
)

VALUES = {
    "project": ("flag-prj", "env-prj", "local-prj", "user-prj"),
    "task": ("flag-tsk", "env-tsk", "local-tsk", "user-tsk"),
    "source": ("api", "agent", "web", "tui"),
    "agent_id": ("flag-bot", "env-bot", "local-bot", "user-bot"),
    "account_id": (None, "env-acc", "local-acc", "user-acc"),
}
LAYERS = ["flag", "env", "local", "user", "default"]


def _section_toml(key: str, value: str) -> str:
    section, _, name = key.partition(".")
    return f'[{section}]\n{name} = "{value}"\n'


@pytest.fixture
def tree(tmp_path):
    """A project directory with a nested working directory, and a user config file."""
    project = tmp_path / "repo"
    cwd = project / "src" / "pkg"
    cwd.mkdir(parents=True)
    return project, cwd, tmp_path / "home" / "config.toml"


@pytest.mark.parametrize(
    ("name", "top"),
    [(n, top) for n in SETTINGS for top in LAYERS if SETTINGS[n].flag or top != "flag"],
)
def test_precedence_for_every_default(tree, name, top):
    """flag > env > .keito.toml > config file > default, with the layers above `top` removed."""
    project, cwd, user_file = tree
    flag, env_value, local_value, user_value = VALUES[name]
    setting = SETTINGS[name]
    present = LAYERS[LAYERS.index(top):]
    flags = {name: flag} if "flag" in present else {}
    env = {setting.env: env_value} if "env" in present else {}
    if "local" in present:
        (project / ".keito.toml").write_text(_section_toml(setting.key, local_value))
    if "user" in present:
        user_file.parent.mkdir(parents=True, exist_ok=True)
        user_file.write_text(_section_toml(setting.key, user_value))

    defaults = resolve_defaults(env=env, cwd=cwd, config_file=user_file, flags=flags)

    expected, origin = {
        "flag": (flag, "flag"),
        "env": (env_value, f"env:{setting.env}"),
        "local": (local_value, str(project / ".keito.toml")),
        "user": (user_value, str(user_file)),
        "default": (None, "default"),
    }[top]
    if name == "source" and expected is not None:
        expected = Source(expected)
    assert getattr(defaults, name) == expected
    assert defaults.sources[name] == origin


def test_layers_resolve_independently(tree):
    project, cwd, user_file = tree
    (project / ".keito.toml").write_text('[defaults]\nproject = "acme-website"\n')
    user_file.parent.mkdir(parents=True)
    user_file.write_text(
        '[defaults]\nproject = "acme"\ntask = "development"\nsource = "cli"\n'
        '[agent]\nagent_id = "review-bot-01"\n'
    )
    defaults = resolve_defaults(env={"KEITO_TASK": "review"}, cwd=cwd, config_file=user_file)
    assert (defaults.project, defaults.task, defaults.source, defaults.agent_id) == (
        "acme-website", "review", Source.CLI, "review-bot-01",
    )
    assert defaults.sources == {
        "project": str(project / ".keito.toml"),
        "task": "env:KEITO_TASK",
        "source": str(user_file),
        "agent_id": str(user_file),
        "account_id": "default",
    }


def test_blank_values_fall_through(tree):
    project, cwd, user_file = tree
    (project / ".keito.toml").write_text('[defaults]\nproject = "  "\n')
    user_file.parent.mkdir(parents=True)
    user_file.write_text('[defaults]\nproject = "acme"\n')
    defaults = resolve_defaults(
        env={"KEITO_PROJECT": ""}, cwd=cwd, config_file=user_file, flags={"project": " "}
    )
    assert defaults.project == "acme"


def test_the_nearest_keito_toml_wins(tree):
    project, cwd, user_file = tree
    (project / ".keito.toml").write_text('[defaults]\nproject = "outer"\n')
    (project / "src" / ".keito.toml").write_text('[defaults]\ntask = "inner-task"\n')
    assert find_local_config(cwd) == project / "src" / ".keito.toml"
    defaults = resolve_defaults(env={}, cwd=cwd, config_file=user_file)
    # The nearest file is the project's file: the outer one is not merged in.
    assert defaults.task == "inner-task"
    assert defaults.project is None


def test_walking_up_stops_at_the_root(tmp_path):
    deep = tmp_path / "a" / "b"
    deep.mkdir(parents=True)
    assert find_local_config(deep) is None
    (tmp_path / ".keito.toml").write_text("")
    assert find_local_config(deep) == tmp_path / ".keito.toml"


@pytest.mark.parametrize("which", ["local", "user"])
def test_a_broken_file_is_a_config_error_naming_it(tree, which):
    project, cwd, user_file = tree
    user_file.parent.mkdir(parents=True)
    bad = project / ".keito.toml" if which == "local" else user_file
    bad.write_text("[defaults\nproject = ")
    with pytest.raises(KeitoError) as caught:
        resolve_defaults(env={}, cwd=cwd, config_file=user_file)
    assert caught.value.code == "config_error"
    assert caught.value.exit_code == 8
    assert str(bad) in caught.value.message


@pytest.mark.parametrize(
    "text", ['[defaults]\nproject = 5\n', 'defaults = "acme"\n', '[agent]\nagent_id = true\n']
)
def test_wrong_types_are_config_errors(tree, text):
    project, cwd, user_file = tree
    (project / ".keito.toml").write_text(text)
    with pytest.raises(KeitoError) as caught:
        resolve_defaults(env={}, cwd=cwd, config_file=user_file)
    assert caught.value.code == "config_error"
    assert ".keito.toml" in caught.value.message


def test_a_bad_configured_source_is_a_config_error_but_a_bad_flag_is_invalid_input(tree):
    project, cwd, user_file = tree
    (project / ".keito.toml").write_text('[defaults]\nsource = "robot"\n')
    with pytest.raises(KeitoError) as caught:
        resolve_defaults(env={}, cwd=cwd, config_file=user_file)
    assert caught.value.code == "config_error"
    with pytest.raises(KeitoError) as caught:
        resolve_defaults(env={"KEITO_SOURCE": "robot"}, cwd=cwd, config_file=user_file)
    assert caught.value.code == "config_error" and "KEITO_SOURCE" in caught.value.message
    with pytest.raises(KeitoError) as caught:
        resolve_defaults(env={}, cwd=cwd, config_file=user_file, flags={"source": "robot"})
    assert caught.value.code == "validation_error" and caught.value.field == "source"


# --- writing ---------------------------------------------------------------------------------

COMMENTED = """\
# my settings
[defaults]
# project = "acme"
task = "old"   # inline comment

[database]
url = "sqlite:////srv/keito.db"
"""


def test_setting_a_value_keeps_comments_and_other_keys():
    text = edit_toml(COMMENTED, "defaults.task", "development")
    assert "# my settings" in text and '# project = "acme"' in text
    assert tomllib.loads(text) == {
        "defaults": {"task": "development"},
        "database": {"url": "sqlite:////srv/keito.db"},
    }


def test_a_commented_template_line_gets_its_value_below_it():
    text = edit_toml(COMMENTED, "defaults.project", "acme")
    lines = text.splitlines()
    assert lines[lines.index('# project = "acme"') + 1] == 'project = "acme"'
    assert tomllib.loads(text)["defaults"] == {"project": "acme", "task": "old"}


def test_a_missing_section_is_appended():
    text = edit_toml(COMMENTED, "agent.agent_id", "review-bot-01")
    assert text.startswith(COMMENTED)
    assert tomllib.loads(text)["agent"] == {"agent_id": "review-bot-01"}
    assert tomllib.loads(edit_toml("", "agent.agent_id", "x")) == {"agent": {"agent_id": "x"}}


def test_removing_a_value():
    parsed = tomllib.loads(edit_toml(COMMENTED, "defaults.task", None))
    assert parsed["defaults"] == {}
    assert edit_toml(COMMENTED, "agent.agent_id", None).strip() == COMMENTED.strip()


def test_layouts_beyond_the_line_editor_are_rewritten_correctly():
    text = 'defaults = { project = "a", task = "t" }\n'
    assert tomllib.loads(edit_toml(text, "defaults.project", "b")) == {
        "defaults": {"project": "b", "task": "t"}
    }
    dotted = 'defaults.project = "a"\n[database]\nurl = "x"\n'
    assert tomllib.loads(edit_toml(dotted, "defaults.project", "b")) == {
        "defaults": {"project": "b"}, "database": {"url": "x"}
    }


@pytest.mark.parametrize(
    "value",
    ['say "hi"', "back\\slash", "tab\tand\nnewline", "ünïcödé ✓", "del\x7f", "#not comment"],
)
def test_values_round_trip(value):
    assert tomllib.loads(edit_toml("", "defaults.project", value)) == {
        "defaults": {"project": value}
    }


def test_dump_toml_round_trips_nested_tables():
    data = {"a": {"x": "1", "n": 2, "b": True, "l": ["p", "q"]}, "b": {"c": {"d": "e"}}}
    assert tomllib.loads(dump_toml(data)) == data


def test_set_value_creates_the_file_and_refuses_a_broken_one(tmp_path):
    path = tmp_path / "nested" / "config.toml"
    set_value(path, "defaults.project", "acme")
    assert tomllib.loads(path.read_text()) == {"defaults": {"project": "acme"}}
    path.write_text("[defaults\n")
    with pytest.raises(KeitoError) as caught:
        set_value(path, "defaults.project", "x")
    assert caught.value.code == "config_error" and str(path) in caught.value.message
    assert path.read_text() == "[defaults\n"


def test_the_initial_file_is_all_comments_and_keeps_values():
    assert tomllib.loads(initial_config()) == {
        "auth": {}, "defaults": {}, "agent": {}, "database": {}
    }
    assert tomllib.loads(initial_config(local=True)) == {"defaults": {}, "agent": {}}
    keep = {"database": {"url": "sqlite:////srv/keito.db"}, "defaults": {"project": "acme"},
            "extra": {"n": 3}}
    text = initial_config(keep)
    assert "# task = " in text
    assert tomllib.loads(text) == {"auth": {}, "agent": {}, **keep}
    nested = {"database": {"pool": {"size": 5}}}
    assert tomllib.loads(initial_config(nested)) == nested
