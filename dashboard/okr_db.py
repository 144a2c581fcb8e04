"""The app database as the OKR page uses it: check-ins read on every render, written by editors.

With sign-in on, the sign-in side's database (already migrated at start). With sign-in off (the
demo), one AppDb per process on `NORTHSTAR_APP_DB`, migrated once when first used; a SQLite file
that does not exist yet is not made by reading the page (there is nothing to read), only by the
first check-in. Who wrote is the signed-in person, or `local` with sign-in off.
"""

from __future__ import annotations

import threading

from flask import current_app, has_request_context, request

from appdb import AppDb
from appdb.engine import database_url, is_sqlite_file
from auth.principal import EXTENSION as SIGN_IN
from auth.principal import NOBODY, Principal, current_principal
from dashboard.serving import serving

EXTENSION = "northstar.okr_db"
LOCAL = "local"  # who a check-in names with sign-in off
WRITE_ROLE = "editor"
_lock = threading.Lock()


def okr_db(for_write: bool = False) -> AppDb | None:
    """The app database, migrated; None for a read when it does not exist yet."""
    state = current_app.extensions.get(SIGN_IN)
    if state is not None:
        return state.db
    settings = serving().settings
    url = database_url(settings.app_db)
    if not for_write and is_sqlite_file(url) and not _exists(url.database):
        return None
    with _lock:
        db = current_app.extensions.get(EXTENSION)
        if db is None:
            db = AppDb(settings.app_db)
            db.upgrade()
            current_app.extensions[EXTENSION] = db
    return db


def _exists(path: str | None) -> bool:
    from pathlib import Path

    return path is not None and Path(path).exists()


def writer() -> tuple[str | None, str]:
    """(name a check-in is recorded under, or None when this request may not write; the reason)."""
    who: Principal | None = current_principal()
    if who is None:
        return None, "Not signed in: sign in to check in."
    if not who.may(WRITE_ROLE):
        return None, (
            f"Check-ins need the {WRITE_ROLE} role; you are signed in as {who.name} ({who.role}). "
            f"An admin grants it with `northstar users set-role {who.name} {WRITE_ROLE}`."
        )
    return (LOCAL if who.kind == NOBODY else who.name), ""


def client_address() -> str | None:
    return request.remote_addr if has_request_context() else None
