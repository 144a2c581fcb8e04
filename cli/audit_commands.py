"""`northstar audit [--since 2026-03-01 | 24h | 7d]`: every write, with who and when (UTC)."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta
from typing import Annotated

import typer
from rich.table import Table

from appdb import audit_entries
from appdb.models import utc_now
from cli.app_db import open_app_db
from cli.output import console, say

AGO = re.compile(r"(\d+)\s*([mhdw])")
UNITS = {"m": "minutes", "h": "hours", "d": "days", "w": "weeks"}


def register(app: typer.Typer) -> None:
    app.command("audit")(audit)


def audit(
    since: Annotated[
        str | None,
        typer.Option(
            help="from this UTC day or time (2026-03-01, 2026-03-01T09:00) or ago (24h, 7d)"
        ),
    ] = None,
) -> None:
    """Print the audit log: sign-ins, user, role and team changes, screens, and later acks and
    notes."""
    start = parse_since(since) if since else None
    db = open_app_db()
    with db.session() as session:
        entries = audit_entries(session, start)
    if not entries:
        say(
            f"no audit entries since {start:%Y-%m-%d %H:%M} UTC"
            if start
            else "no audit entries yet"
        )
        return
    table = Table("when (UTC)", "who", "action", "detail", "address")
    for e in entries:
        table.add_row(f"{e.at:%Y-%m-%d %H:%M:%S}", e.who, e.action, e.detail, e.address or "")
    console().print(table)


def parse_since(text: str) -> datetime:
    """A naive-UTC start: an ISO day or time, or an age such as 30m, 24h, 7d, 2w."""
    ago = AGO.fullmatch(text.strip().lower())
    if ago:
        return utc_now() - timedelta(**{UNITS[ago.group(2)]: int(ago.group(1))})
    try:
        start = datetime.fromisoformat(text.strip())
    except ValueError:
        raise ValueError(
            f"--since takes a day or time (2026-03-01, 2026-03-01T09:00) or an age "
            f"(30m, 24h, 7d, 2w), not {text!r}"
        ) from None
    if start.tzinfo is not None:  # 2026-03-01T09:00+08:00: the same moment in UTC
        start = start.astimezone(UTC).replace(tzinfo=None)
    return start
