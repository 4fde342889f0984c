"""Per-invocation state of the command line, and the one place errors become exit codes."""

from __future__ import annotations

import contextlib
import os
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

import typer
from typer import _click as click  # Typer vendors Click; the version is pinned exactly
from typer.core import TyperGroup

from keito_core.errors import ExitCode, KeitoError
from keito_tui.cli.output import GLOBAL_FLAGS, Output

if TYPE_CHECKING:
    from sqlmodel import Session

    from keito_core.platform.runtime import Runtime
    from keito_core.rules.permissions import Actor


@dataclass
class CliState:
    output: Output
    _runtime: Runtime | None = field(default=None, repr=False)

    @property
    def runtime(self) -> Runtime:
        if self._runtime is None:
            from keito_core.platform.runtime import make_runtime

            self._runtime = make_runtime()
        return self._runtime

    @contextmanager
    def session(self, *, readonly: bool = False) -> Iterator[Session]:
        with self.runtime.session(readonly=readonly) as session:
            yield session

    @contextmanager
    def acting(self, *, readonly: bool = False) -> Iterator[tuple[Session, Actor]]:
        """A unit of work with the acting user resolved inside it."""
        with self.session(readonly=readonly) as session:
            yield session, self.runtime.actor(session)


_state: CliState | None = None


def set_state(state: CliState) -> None:
    global _state
    _state = state


def cli_state() -> CliState:
    """The state of the running invocation (made by the root callback)."""
    if _state is None:
        set_state(CliState(output=Output.detect(json_flag=False, quiet=False)))
    assert _state is not None
    return _state


class KeitoGroup(TyperGroup):
    """The root group: global flags anywhere, and domain errors mapped to exit codes."""

    def parse_args(self, ctx: click.core.Context, args: list[str]) -> list[str]:
        kept: list[str] = []
        flags: dict[str, bool] = {}
        passthrough = False
        for arg in args:
            if arg == "--":
                passthrough = True
            if not passthrough and arg in GLOBAL_FLAGS:
                flags[GLOBAL_FLAGS[arg]] = True
                continue
            kept.append(arg)
        ctx.meta["keito.flags"] = flags
        # Errors raised before the root callback runs (an unknown command) need this
        # invocation's output too, not one left over from an earlier run in the same process.
        set_state(
            CliState(
                output=Output.detect(
                    json_flag=flags.get("json", False), quiet=flags.get("quiet", False)
                )
            )
        )
        return super().parse_args(ctx, kept)

    def invoke(self, ctx: click.core.Context) -> Any:
        try:
            return super().invoke(ctx)
        except KeitoError as known:
            cli_state().output.error(known)
            raise typer.Exit(int(known.exit_code)) from None
        except click.exceptions.UsageError as exc:
            if not cli_state().output.json or isinstance(exc, click.exceptions.NoArgsIsHelpError):
                raise
            cli_state().output.error(KeitoError("validation_error", exc.format_message()))
            raise typer.Exit(int(ExitCode.INVALID_INPUT)) from None
        except (typer.Exit, typer.Abort, click.exceptions.ClickException):
            raise
        except KeyboardInterrupt:
            raise typer.Exit(130) from None
        except BrokenPipeError:
            # The reader went away (`keito ... | head`): the work is done and committed; stop
            # quietly, and keep Python from complaining while it flushes stdout at exit.
            import sys

            # When stdout is not a real file (tests) there is nothing to redirect.
            with contextlib.suppress(OSError, ValueError, AttributeError):
                os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
            raise typer.Exit(0) from None
        except Exception as exc:
            from keito_core.platform.db_errors import database_error

            error = database_error(exc)
            if error is None:
                if os.environ.get("KEITO_DEBUG"):
                    raise
                error = KeitoError(
                    "internal_error",
                    f"internal error: {exc.__class__.__name__}: {exc}",
                    hint="set KEITO_DEBUG=1 to see the traceback",
                )
                cli_state().output.error(error)
                raise typer.Exit(int(ExitCode.INTERNAL)) from None
            cli_state().output.error(error)
            raise typer.Exit(int(error.exit_code)) from None
