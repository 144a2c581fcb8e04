"""How every command writes: user text exactly as written, one problem per line, full width in a pipe.

rich reads `metrics.yml:100:` as an emoji and `[x]` as markup, and wraps or crops at 80 columns
when the output is not a terminal; editors, CI logs and grep need the text as it is. So messages
go through click (nothing interpreted; colour only on a terminal, click strips it in a pipe), and
rich only draws tables and progress bars, on consoles that interpret nothing and never crop in a pipe.
"""

from __future__ import annotations

from typing import NoReturn

import typer
from rich.console import Console

# Wide enough for any row: a pipe has no width, and cropping there loses data.
PIPE_WIDTH = 100_000

USAGE = 2  # exit code: the user asked for something that cannot be done as asked
FAILED = 1  # exit code: it was asked right and went wrong (files, warehouse, spec, sources)


def console(stderr: bool = False) -> Console:
    """A rich console for tables and progress bars (built per call: the terminal may change)."""
    width = None if Console(stderr=stderr).is_terminal else PIPE_WIDTH
    return Console(
        stderr=stderr, width=width, markup=False, emoji=False, highlight=False, soft_wrap=True
    )


def say(text: str, *, err: bool = False, color: str | None = None) -> None:
    """Print one message exactly as written (stdout, or stderr with `err`)."""
    typer.echo(typer.style(text, fg=color) if color else text, err=err)


def fail(message: str, code: int = USAGE) -> NoReturn:
    """Print the message on stderr and end the command with `code`."""
    say(message, err=True, color="red")
    raise typer.Exit(code)
