"""`northstar serve`: the dashboard's development server (production: gunicorn, see README)."""

from __future__ import annotations

from dataclasses import replace

import typer

from cli.context import spec_or_exit
from cli.output import USAGE, fail
from settings import Settings


def register(app: typer.Typer) -> None:
    @app.command()
    def serve(
        host: str = typer.Option(None, help="address to listen on (default: settings host)"),
        port: int = typer.Option(None, help="port (default: settings port, 8050)"),
        debug: bool = typer.Option(False, help="Dash debug mode with hot reload"),
        allow_public_without_auth: bool = typer.Option(
            False,
            "--allow-public-without-auth",
            help="listen on a non-local address with sign-in off (something in front checks)",
        ),
    ) -> None:
        """Serve the dashboard on the newest published snapshot (read-only)."""
        from auth.exposure import exposure_problem
        from dashboard.server import create_dash

        settings = Settings.load()
        host = host or settings.host
        port = port or settings.port
        if allow_public_without_auth:
            settings = replace(settings, allow_public_without_auth=True)
        problem = exposure_problem([host], settings)
        if problem:
            fail(problem, USAGE)
        # The app refuses to start on an invalid or unreadable spec: each problem on its own
        # line, exit 1 (read here first so a file that cannot be read says so; the app rereads).
        spec_or_exit(settings, None)
        dash_app = create_dash(settings)
        typer.echo(f"Northstar dashboard on http://{host}:{port}/ (Ctrl+C to stop)")
        dash_app.run(host=host, port=port, debug=debug)
