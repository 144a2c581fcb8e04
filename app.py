"""Wiring only: settings → services → CLI / Dash app. `northstar` console entry point.

The CLI's modules (typer, rich, the connectors…) are imported by build_cli, not here: gunicorn
imports this module for create_server in every worker, which serves pages and never runs a command.
"""

from __future__ import annotations

import sys
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    import typer


def build_cli() -> typer.Typer:
    import typer

    from cli import (
        alert_commands,
        audit_commands,
        demo_commands,
        explain_commands,
        ingest_commands,
        metric_commands,
        okr_commands,
        report_commands,
        review_commands,
        rollup_commands,
        screen_commands,
        serve_commands,
        team_commands,
        user_commands,
    )
    from cli.guard import guard_commands

    app = typer.Typer(
        help="Northstar: run a product team by its North Star Metric.",
        no_args_is_help=True,
        add_completion=False,
        # Piped (a CI log, a file, grep): click's own one-line usage errors and plain help, not
        # rich's boxes drawn at 80 columns; a terminal keeps them.
        rich_markup_mode="rich" if sys.stderr.isatty() else None,
    )
    for module in (
        metric_commands,
        explain_commands,
        ingest_commands,
        rollup_commands,
        serve_commands,
        demo_commands,
        user_commands,
        team_commands,
        screen_commands,
        audit_commands,
        okr_commands,
        alert_commands,
        report_commands,
        review_commands,
    ):
        module.register(app)
    guard_commands(app)  # every command: typed errors → one message and an exit code
    return app


def create_server():  # type: ignore[no-untyped-def]
    """The dashboard's Flask server for production: `gunicorn -w 4 'app:create_server()'`."""
    from dashboard.server import server_for
    from settings import Settings

    return server_for(Settings.load())


def main() -> None:
    build_cli()()


if __name__ == "__main__":
    main()
