"""Empty app databases for tests: a SQLite file, or a PostgreSQL schema of its own in the local
server's `test` database (127.0.0.1:5432, trust auth), dropped afterwards."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest

PG_SERVER = "postgresql://{user}@127.0.0.1:5432/test"


def pg_user() -> str:
    import psycopg

    for user in ("postgres", "root"):
        try:
            psycopg.connect(PG_SERVER.format(user=user), connect_timeout=3).close()
            return user
        except psycopg.OperationalError:
            continue
    pytest.skip("no local PostgreSQL at 127.0.0.1:5432")


@contextmanager
def postgres_app_db() -> Iterator[str]:
    """The URL of a fresh schema (search_path) that is dropped when the block ends."""
    import psycopg

    server = PG_SERVER.format(user=pg_user())
    schema = f"ns_app_{uuid.uuid4().hex[:12]}"
    with psycopg.connect(server, autocommit=True) as conn:
        conn.execute(f'CREATE SCHEMA "{schema}"')  # a generated name, not outside input
    try:
        yield f"{server}?options=-csearch_path%3D{schema}"
    finally:
        with psycopg.connect(server, autocommit=True) as conn:
            conn.execute(f'DROP SCHEMA "{schema}" CASCADE')


def sqlite_app_db(folder: Path) -> str:
    return f"sqlite:///{folder / 'app.db'}"
