"""The test business on each warehouse engine, for tests that ask every engine the same questions.

SHOPS maps an engine (settings `engine`) to a context manager that loads a tests/conftest.py
Dataset into a fresh warehouse of that engine — raw.customers, raw.orders, raw.sessions with the
DuckDB warehouse's column types — yields it, and removes it afterwards. ENGINES is the pytest
parameter list, each engine marked as its tests need (postgres: `db`). A new engine (Spark) adds
a loader here and one entry in each.

PostgreSQL: a database of its own (northstar_engine_<random>) on the local server, its session in
America/New_York while DuckDB runs in UTC, so SQL leaning on a session's zone shows; dropped with
every connection to it (WITH (FORCE)) at the end.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable, Iterator
from contextlib import AbstractContextManager, contextmanager
from urllib.parse import quote

import pytest

from tests.app_db_support import pg_user
from tests.conftest import Dataset, build_warehouse
from warehouse.engines import WarehouseReader

PG_SERVER = "postgresql://{user}@127.0.0.1:5432/{db}"
PG_ZONE = "America/New_York"


@contextmanager
def duckdb_shop(data: Dataset) -> Iterator[WarehouseReader]:
    wh = build_warehouse(data)
    try:
        yield wh
    finally:
        wh.close()


@contextmanager
def postgres_database(data: Dataset) -> Iterator[str]:
    """The URL of a fresh PostgreSQL database holding `data` in schema raw (sessions in New York)."""
    import psycopg

    from tests.sql.test_postgres_portability import copy_tables

    user = pg_user()
    name = f"northstar_engine_{uuid.uuid4().hex[:12]}"
    with psycopg.connect(PG_SERVER.format(user=user, db="test"), autocommit=True) as admin:
        admin.execute(f'CREATE DATABASE "{name}"')  # a generated name, not outside input
    url = PG_SERVER.format(user=user, db=name)
    try:
        source = build_warehouse(data)
        with psycopg.connect(url, autocommit=True) as conn:
            copy_tables(source, conn)
        source.close()
        yield f"{url}?options={quote(f'-c TimeZone={PG_ZONE} -c jit=off')}"
    finally:
        with psycopg.connect(PG_SERVER.format(user=user, db="test"), autocommit=True) as admin:
            admin.execute(f'DROP DATABASE "{name}" WITH (FORCE)')


@contextmanager
def postgres_shop(data: Dataset) -> Iterator[WarehouseReader]:
    from warehouse.postgres import PostgresWarehouse

    with postgres_database(data) as url:
        wh = PostgresWarehouse(url)
        try:
            yield wh
        finally:
            wh.close()


SHOPS: dict[str, Callable[[Dataset], AbstractContextManager[WarehouseReader]]] = {
    "duckdb": duckdb_shop,
    "postgres": postgres_shop,
}
ENGINES = [
    pytest.param("duckdb", id="duckdb"),
    pytest.param("postgres", id="postgres", marks=pytest.mark.db),
]
