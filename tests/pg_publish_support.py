"""A PostgreSQL database of a test module's own for publishing tests (engine = postgres), and
what the tests read back from it. The local server (127.0.0.1:5432, trust auth) holds it as
northstar_pub_<random>; it is dropped, with every connection to it, when the module ends."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from contextlib import contextmanager

from tests.app_db_support import pg_user

SERVER = "postgresql://{user}@127.0.0.1:5432/{db}"
OWNED = ("raw", "meta", "northstar_publish", "rollup")  # what a publish writes; reset() drops them


@contextmanager
def fresh_database() -> Iterator[str]:
    """The URL of an empty database of its own, dropped afterwards."""
    import psycopg

    user = pg_user()
    name = f"northstar_pub_{uuid.uuid4().hex[:12]}"
    with psycopg.connect(SERVER.format(user=user, db="test"), autocommit=True) as admin:
        admin.execute(f'CREATE DATABASE "{name}"')  # a generated name, not outside input
    try:
        yield SERVER.format(user=user, db=name)
    finally:
        with psycopg.connect(SERVER.format(user=user, db="test"), autocommit=True) as admin:
            admin.execute(f'DROP DATABASE "{name}" WITH (FORCE)')


def reset(url: str) -> None:
    """Drop everything a publish made (and any leftover schema): each test starts empty."""
    import psycopg

    with psycopg.connect(url, autocommit=True) as conn:
        names = [
            n
            for (n,) in conn.execute("SELECT nspname FROM pg_namespace").fetchall()
            if n in OWNED or "__next_" in n or "__old_" in n
        ]
        for name in names:
            conn.execute(f'DROP SCHEMA "{name}" CASCADE')


def schemas(url: str) -> set[str]:
    """The database's own schemas (not PostgreSQL's)."""
    import psycopg

    with psycopg.connect(url, autocommit=True) as conn:
        rows = conn.execute(
            "SELECT nspname FROM pg_namespace WHERE nspname NOT LIKE 'pg\\_%' "
            "AND nspname NOT IN ('information_schema', 'public')"
        ).fetchall()
    return {name for (name,) in rows}


def table_rows(url: str, table: str, order_by: str) -> list[tuple]:
    """Every row of `table` (a name the test wrote), in a fixed order."""
    import psycopg

    with psycopg.connect(url, autocommit=True) as conn:
        return conn.execute(f"SELECT * FROM {table} ORDER BY {order_by}").fetchall()
