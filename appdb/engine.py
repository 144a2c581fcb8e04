"""Engines for the app database's URLs: which drivers, and SQLite set up for several processes.

SQLite (the default) runs in WAL mode with a busy timeout, so the gunicorn workers' writes wait
for each other instead of failing with "database is locked"; `postgresql://` URLs use psycopg 3
(the driver the project installs) unless a driver is named.
"""

from __future__ import annotations

from pathlib import Path

import sqlalchemy as sa
from sqlalchemy import event
from sqlalchemy.engine import URL, Engine
from sqlalchemy.exc import ArgumentError
from sqlalchemy.pool import StaticPool

SQLITE_BUSY_MS = 30_000  # a migration in another process holds the file for well under this


class AppDbError(RuntimeError):
    """The app database cannot be opened or migrated; the message says what to check."""


def database_url(text: str) -> URL:
    """NORTHSTAR_APP_DB as a SQLAlchemy URL; AppDbError for anything that is not one."""
    try:
        url = sa.make_url(text.strip())
    except ArgumentError:
        raise AppDbError(
            f"NORTHSTAR_APP_DB must be a database URL such as sqlite:///data/app.db or "
            f"postgresql://user@host/db, not {text!r}"
        ) from None
    if url.drivername in ("postgresql", "postgres"):
        url = url.set(drivername="postgresql+psycopg")
    if url.get_backend_name() not in ("sqlite", "postgresql"):
        raise AppDbError(
            f"the app database must be SQLite or PostgreSQL, not {url.get_backend_name()} "
            "(NORTHSTAR_APP_DB)"
        )
    return url


def shown(url: URL) -> str:
    """The URL as printed: never with its password."""
    return url.render_as_string(hide_password=True)


def is_sqlite_file(url: URL) -> bool:
    return url.get_backend_name() == "sqlite" and url.database not in (None, "", ":memory:")


def make_engine(url: URL, **kwargs: object) -> Engine:
    if is_sqlite_file(url):
        Path(url.database).parent.mkdir(parents=True, exist_ok=True)  # type: ignore[arg-type]
    elif url.get_backend_name() == "sqlite":  # in memory: one connection, or each sees its own
        kwargs.setdefault("poolclass", StaticPool)
        kwargs.setdefault("connect_args", {"check_same_thread": False})
    else:
        kwargs.setdefault("pool_pre_ping", True)  # a restarted server must not fail one request
    engine = sa.create_engine(url, **kwargs)  # type: ignore[arg-type]
    if url.get_backend_name() == "sqlite":
        event.listen(engine, "connect", _sqlite_pragmas)
    return engine


def _sqlite_pragmas(dbapi_connection, _record) -> None:  # type: ignore[no-untyped-def]
    cursor = dbapi_connection.cursor()
    cursor.execute(f"PRAGMA busy_timeout = {SQLITE_BUSY_MS}")
    cursor.execute("PRAGMA foreign_keys = ON")
    if cursor.execute("PRAGMA journal_mode").fetchone()[0] not in ("wal", "memory"):
        cursor.execute("PRAGMA journal_mode = WAL")  # readers never wait for a writer
    cursor.close()
