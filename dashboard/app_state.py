"""The app database as pages reach it, and who writes to it.

With sign-in on, the app database is already open and migrated (auth.web's SignIn holds it).
With sign-in off (`make demo`) nothing opens it at start, yet alerts live there: `page_db()`
opens it on first use (settings.app_db), migrates it to head once per process and keeps it on
the Flask app. A database that cannot be reached raises AppDbError, whose message pages show in
a banner; the next request after RETRY_SECONDS tries again (a refused connection is not
retried on every click, a restarted server is picked up without a restart of the app).

Charts only *read* alert history, and must never make a database appear: `existing_db()` gives
None when the SQLite file does not exist yet (nothing has ever fired), so the Overview of a
fresh demo creates no data/app.db.
"""

from __future__ import annotations

import logging
import threading
import time
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path

from flask import current_app

from appdb import AppDb, AppDbError
from appdb.engine import database_url, is_sqlite_file
from appdb.models import utc_now
from auth.principal import EXTENSION as SIGN_IN
from auth.principal import NOBODY, Principal, current_principal
from auth.roles import Role
from dashboard.serving import EXTENSION as SERVING

EXTENSION = "northstar.app_db"
CLOCK = (
    "northstar.clock"  # app.extensions: a clock giving naive UTC (tests set one; default utc_now)
)
RETRY_SECONDS = 15.0
LOCAL = "local"  # who a write is audited as with sign-in off (the demo on this machine)
WRITER_ROLE = Role.EDITOR

log = logging.getLogger(__name__)


def now() -> datetime:
    """The time alerts are shown and written at (naive UTC): the app's clock, the real one
    unless a test gave the app another."""
    return current_app.extensions.get(CLOCK, utc_now)()  # type: ignore[no-any-return]


@dataclass
class _Lazy:
    """One process's lazily opened app database (or the last failure to open it)."""

    lock: threading.Lock = field(default_factory=threading.Lock)
    db: AppDb | None = None
    failed: AppDbError | None = None
    failed_at: float = 0.0


def page_db() -> AppDb:
    """The app database of this Flask app, migrated to head; AppDbError says what to check."""
    signed = current_app.extensions.get(SIGN_IN)
    if signed is not None:
        return signed.db  # type: ignore[no-any-return]
    lazy: _Lazy = current_app.extensions.setdefault(EXTENSION, _Lazy())
    if lazy.db is not None:
        return lazy.db
    with lazy.lock:
        if lazy.db is not None:
            return lazy.db
        if lazy.failed is not None and time.monotonic() - lazy.failed_at < RETRY_SECONDS:
            raise lazy.failed
        url = current_app.extensions[SERVING].settings.app_db
        try:
            db = AppDb(url)
            try:
                db.upgrade()
            except BaseException:
                db.close()
                raise
        except AppDbError as exc:
            log.warning("app database unavailable: %s", exc)
            lazy.failed, lazy.failed_at = exc, time.monotonic()
            raise
        except Exception as exc:  # a migration that cannot run (permissions, a foreign schema)
            log.exception("app database unavailable")
            error = AppDbError(f"cannot open the app database: {exc.__class__.__name__}")
            lazy.failed, lazy.failed_at = error, time.monotonic()
            raise error from None
        lazy.db, lazy.failed = db, None
        return db


def existing_db() -> AppDb | None:
    """The app database for reading only, or None when there is none yet (a SQLite file not
    made) or it cannot be reached: charts then show no markers rather than an error."""
    lazy = current_app.extensions.get(EXTENSION)
    if current_app.extensions.get(SIGN_IN) is None and (lazy is None or lazy.db is None):
        try:
            url = database_url(current_app.extensions[SERVING].settings.app_db)
        except AppDbError:
            return None
        if is_sqlite_file(url) and not _exists(url.database):
            return None
    try:
        return page_db()
    except AppDbError:
        return None


def _exists(path: str | None) -> bool:
    return path is not None and Path(path).exists()


class WriteRefused(Exception):
    """The request may not change alerts; the message says why and who can grant it."""


def writer() -> str:
    """Who a write is recorded as: the signed-in person (editor or admin), or LOCAL with sign-in
    off. Viewers and meeting-room screens are refused (WriteRefused)."""
    who: Principal | None = current_principal()
    if who is None:
        raise WriteRefused("Sign in to change alerts.")
    if who.kind == NOBODY:
        return LOCAL
    if not who.may(WRITER_ROLE):
        raise WriteRefused(
            f"You are signed in as {who.name} ({who.role}): acknowledging and silencing alerts "
            f"needs the editor role. An admin grants it with "
            f"`northstar users set-role {who.name} editor`."
        )
    return who.name


def may_write() -> bool:
    try:
        writer()
    except WriteRefused:
        return False
    return True


def viewer_scope() -> dict[str, list[str]] | None:
    """The row scope of the one asking (None: every row). Alerts are checked on every row, so
    their values and details are not shown to a scoped account."""
    who = current_principal()
    return who.scope if who is not None and who.scope else None
