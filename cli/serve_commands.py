"""`northstar serve`: the dashboard's development server (production: gunicorn, see README)."""

from __future__ import annotations

import typer

from settings import Settings


def register(app: typer.Typer) -> None:
    @app.command()
    def serve(
        host: str = typer.Option(None, help="address to listen on (default: settings host)"),
        port: int = typer.Option(None, help="port (default: settings port, 8050)"),
        debug: bool = typer.Option(False, help="Dash debug mode with hot reload"),
    ) -> None:
        """Serve the dashboard on the newest published snapshot (read-only)."""
        from dashboard.server import create_dash
        from metric_layer.errors import SpecError

        settings = Settings.load()
        try:
            dash_app = create_dash(settings)
        except SpecError as exc:  # the app refuses to start on an invalid spec
            typer.echo(str(exc), err=True)
            raise typer.Exit(1) from None
        host = host or settings.host
        port = port or settings.port
        typer.echo(f"Northstar dashboard on http://{host}:{port}/ (Ctrl+C to stop)")
        dash_app.run(host=host, port=port, debug=debug)
