"""Fixtures of the command-line tests: the CLI as people see it on a terminal."""

from __future__ import annotations

import pytest


@pytest.fixture
def terminal(cli, monkeypatch: pytest.MonkeyPatch):  # noqa: ANN201
    """Run `keito ARGS...` as on an 80-column terminal: text, not JSON (unless --json)."""
    from keito_tui.cli.output import Output

    def detect(*, json_flag: bool, quiet: bool) -> Output:
        return Output(json=json_flag, quiet=quiet)

    monkeypatch.setattr(Output, "detect", staticmethod(detect))
    monkeypatch.setenv("COLUMNS", "80")
    monkeypatch.setenv("LINES", "24")
    return cli
