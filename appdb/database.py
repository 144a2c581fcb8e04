"""Open the app database by URL: one engine per process, sessions that commit or roll back whole.

SQLite (the default) runs in WAL mode with a busy timeout, so the gunicorn workers' writes wait
for each other instead of failing with "database is locked"; `postgresql://` URLs use psycopg 3
(the driver the project installs) unless a driver is named. After a fork (gunicorn workers) the
child drops the parent's pooled connections without closing them: a connection shared by two
processes corrupts both sides' conversations with the server.
"""

from __future__ import annotations

import os
import weakref
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import sqlalchemy as sa
from sqlalchemy import event
from sqlalchemy.engine import URL, Engine
from sqlalchemy.exc import ArgumentError, OperationalError
from sqlalchemy.orm import Session, sessionmaker
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


def _forget_pool_after_fork(db: AppDb):  # type: ignore[no-untyped-def]
    ref = weakref.ref(db)  # a closed AppDb must not be kept alive by the fork hook

    def forget() -> None:
        alive = ref()
        if alive is not None:
            alive.engine.dispose(close=False)

    return forget


class AppDb:
    """The app database of one process: `session()` for reads and writes, `upgrade()` to migrate."""

    def __init__(self, url: str) -> None:
        self.url = database_url(url)
        self.engine = make_engine(self.url)
        self._sessions = sessionmaker(self.engine, expire_on_commit=False)
        os.register_at_fork(after_in_child=_forget_pool_after_fork(self))

    def __repr__(self) -> str:
        return f"AppDb({shown(self.url)!r})"

    @contextmanager
    def session(self) -> Iterator[Session]:
        """A session committed when the block ends, rolled back (and the error raised) otherwise."""
        session = self._sessions()
        try:
            yield session
            session.commit()
        except OperationalError as exc:
            session.rollback()
            raise self._error(exc) from None
        except BaseException:
            session.rollback()
            raise
        finally:
            session.close()

    def upgrade(self) -> None:
        """Bring the schema to the newest migration (`alembic upgrade head`); safe to run from many
        processes at once (see appdb.migrate)."""
        from appdb.migrate import upgrade

        try:
            upgrade(self.url, self.engine)
        except OperationalError as exc:
            raise self._error(exc) from None

    def close(self) -> None:
        self.engine.dispose()

    def _error(self, exc: OperationalError) -> AppDbError:
        reason = str(exc.orig).strip().splitlines()[0] if exc.orig else str(exc)
        return AppDbError(
            f"cannot use the app database {shown(self.url)}: {reason} "
            "(check NORTHSTAR_APP_DB and that the database is reachable)"
        )
