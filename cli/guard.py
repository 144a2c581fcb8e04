"""Every command ends in clear lines and an exit code, never a traceback.

Typed errors from the layers below become their message on stderr: exit 2 when the user asked
for something that cannot be done as asked (a query, a date, a filter), exit 1 when it went wrong
(the spec, the sources file, the warehouse, a connector, the app database, the file system). Anything else is a bug
and keeps its traceback (without local variables: they may hold secrets, see app.py).
"""

from __future__ import annotations

import errno
import functools
from collections.abc import Callable
from typing import Any

import typer

from appdb import AppDbError
from cli.output import FAILED, USAGE, fail
from connectors.errors import ConnectorError, SourceConfigError
from metric_layer.errors import SpecError
from warehouse import WarehouseError

# Checked in order: SourceConfigError is a ValueError, but a broken file is a failure, not usage.
_FAILURES = (SpecError, SourceConfigError, WarehouseError, ConnectorError, AppDbError, OSError)


def guard_commands(app: typer.Typer) -> None:
    """Wrap the callback of every command of `app` and of its sub-apps (idempotent)."""
    for info in app.registered_commands:
        if info.callback is not None and not hasattr(info.callback, "__guarded__"):
            info.callback = guarded(info.callback)
    for group in app.registered_groups:
        if group.typer_instance is not None:
            guard_commands(group.typer_instance)


def guarded(command: Callable[..., Any]) -> Callable[..., Any]:
    """`command`, with typed errors printed as their message and turned into an exit code."""

    @functools.wraps(command)  # typer reads the wrapped signature for the options
    def run(*args: Any, **kwargs: Any) -> Any:
        try:
            return command(*args, **kwargs)
        except _FAILURES as exc:
            if isinstance(exc, OSError) and exc.errno == errno.EPIPE:
                raise  # `northstar metrics | head`: typer ends quietly on a closed pipe
            fail(describe(exc), FAILED)
        except ValueError as exc:  # QueryError and every parse error of user input
            fail(describe(exc), USAGE)

    run.__guarded__ = True  # type: ignore[attr-defined]
    return run


def describe(exc: BaseException) -> str:
    """The message a user reads: one problem per line, each `file:line: key: message (hint)`."""
    if isinstance(exc, SpecError):
        problems = [str(issue) for issue in exc.issues]
        return "\n".join([*problems, spec_summary(len(problems))])
    if isinstance(exc, SourceConfigError):
        problems = [str(issue) for issue in exc.issues]
        return "\n".join([*problems, f"{len(problems)} problem(s) in the sources file"])
    if isinstance(exc, OSError) and exc.filename is not None:
        return f"{exc.filename}: {exc.strerror or exc}"
    return str(exc)


def unreadable(exc: OSError | UnicodeDecodeError) -> str:
    """Why a file could not be read, in words (`cannot read: Is a directory`)."""
    if isinstance(exc, UnicodeDecodeError):
        return f"cannot read: not UTF-8 text (byte {exc.start}: {exc.reason})"
    return f"cannot read: {exc.strerror or exc}"


def spec_summary(count: int) -> str:
    return f"{count} problem(s) in the metrics spec; fix them and run `northstar validate` again"
