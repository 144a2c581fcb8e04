"""The app database for a command: opened from settings and migrated to head first, so every
command that reads or writes users, screens or the audit log works on a fresh database too."""

from __future__ import annotations

import getpass

from appdb import AppDb
from settings import Settings


def open_app_db(settings: Settings | None = None) -> AppDb:
    db = AppDb((settings or Settings.load()).app_db)
    db.upgrade()
    return db


def cli_actor() -> str:
    """Who a command's audit entries name: the operating-system user who ran it."""
    try:
        return f"cli:{getpass.getuser()}"
    except (KeyError, OSError):  # no name for this uid (some containers)
        return "cli"
