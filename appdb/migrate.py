"""Run the app database's Alembic migrations from code: `upgrade head` on start and in the CLI.

Several processes may start at once (gunicorn workers without preload, a CLI command beside the
web app), so the whole upgrade — reading the current revision, the DDL, stamping the new one —
runs in one transaction that holds a lock: PostgreSQL's transaction-level advisory lock (DDL is
transactional there), SQLite's `BEGIN EXCLUSIVE` on a connection of its own (Python's sqlite3
would otherwise commit before each DDL statement). The second process waits, then finds the
schema at head and does nothing.
"""

from __future__ import annotations

from pathlib import Path

from alembic import command
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import event, text
from sqlalchemy.engine import URL, Connection, Engine
from sqlalchemy.pool import NullPool

from appdb.engine import is_sqlite_file, make_engine

MIGRATIONS = Path(__file__).parent / "migrations"
ADVISORY_LOCK = 0x4E53_4150  # "NSAP": this app's key in PostgreSQL's advisory lock space


def alembic_config(connection: Connection | None = None) -> Config:
    """Alembic's configuration without an alembic.ini: the scripts live in this package."""
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS))
    config.attributes["connection"] = connection
    return config


def head() -> str:
    revision = ScriptDirectory.from_config(alembic_config()).get_current_head()
    assert revision is not None
    return revision


def current(connection: Connection) -> str | None:
    return MigrationContext.configure(connection).get_current_revision()


def upgrade(url: URL, engine: Engine, revision: str = "head") -> None:
    if url.get_backend_name() == "postgresql":
        with engine.begin() as conn:
            conn.execute(text("SELECT pg_advisory_xact_lock(:key)"), {"key": ADVISORY_LOCK})
            command.upgrade(alembic_config(conn), revision)
    elif is_sqlite_file(url):
        locked = _exclusive_sqlite(url)
        try:
            with locked.begin() as conn:
                command.upgrade(alembic_config(conn), revision)
        finally:
            locked.dispose()
    else:  # SQLite in memory: one connection, nobody to race with
        with engine.begin() as conn:
            command.upgrade(alembic_config(conn), revision)


def _exclusive_sqlite(url: URL) -> Engine:
    """An engine whose transactions start with BEGIN EXCLUSIVE and include DDL (the SQLAlchemy
    documentation's recipe for pysqlite)."""
    engine = make_engine(url, poolclass=NullPool)

    @event.listens_for(engine, "connect")
    def _autocommit_driver(dbapi_connection, _record) -> None:  # type: ignore[no-untyped-def]
        dbapi_connection.isolation_level = None

    @event.listens_for(engine, "begin")
    def _begin_exclusive(conn: Connection) -> None:
        conn.exec_driver_sql("BEGIN EXCLUSIVE")

    return engine
