"""`northstar screens add|list|revoke`: meeting-room screens, links that open review mode
without signing in. The link is printed once, when the screen is added; only its hash is kept."""

from __future__ import annotations

from typing import Annotated

import typer
from rich.table import Table

from auth.screens import add_screen, list_screens, revoke_screen
from cli.app_db import cli_actor, open_app_db
from cli.output import console, say
from settings import Settings


def register(app: typer.Typer) -> None:
    screens = typer.Typer(
        help="Meeting-room screens: review mode by link, no sign-in. add | list | revoke",
        no_args_is_help=True,
    )
    screens.command("add")(add)
    screens.command("list")(list_command)
    screens.command("revoke")(revoke)
    app.add_typer(screens, name="screens")


def add(
    label: Annotated[str, typer.Argument(help="which screen, e.g. 'Boardroom TV'")],
    base_url: Annotated[
        str | None,
        typer.Option(help="the address people open the dashboard at (default: settings)"),
    ] = None,
) -> None:
    """Add a screen and print its link (shown this once: keep it on the TV)."""
    settings = Settings.load()
    screen, token = add_screen(open_app_db(settings), label, cli_actor())
    base = (base_url or settings.public_url or f"http://{settings.host}:{settings.port}").rstrip(
        "/"
    )
    say(f"screen #{screen.id} {screen.label}: {base}/screen/{token}")
    say(
        "Open it on the TV; add ?slides=nsm,why&interval=20 to choose the deck. "
        f"`northstar screens revoke {screen.id}` turns it off.",
        err=True,
    )


def list_command() -> None:
    """List screens (their links cannot be shown again: revoke and add to replace one)."""
    screens = list_screens(open_app_db())
    if not screens:
        say("no screens yet; add one with `northstar screens add LABEL`")
        return
    table = Table("id", "label", "status", "added (UTC)", "by", "revoked (UTC)")
    for s in screens:
        table.add_row(
            str(s.id),
            s.label,
            "active" if s.active else "revoked",
            f"{s.created_at:%Y-%m-%d %H:%M}",
            s.created_by,
            f"{s.revoked_at:%Y-%m-%d %H:%M}" if s.revoked_at else "",
        )
    console().print(table)


def revoke(
    screen_id: Annotated[int, typer.Argument(help="the screen's id (screens list)")],
) -> None:
    """Revoke a screen's link: its TV is refused from its next request on."""
    screen = revoke_screen(open_app_db(), screen_id, cli_actor())
    say(f"screen #{screen.id} {screen.label} is revoked")
