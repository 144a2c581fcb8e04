"""Fixtures for connector tests: an isolated Settings, and throwaway Postgres/MariaDB schemas."""

from __future__ import annotations

import uuid
from pathlib import Path

import pytest

from settings import Settings

PG_URL = "postgresql://{user}@127.0.0.1:5432/test"
MYSQL_URL = "mysql://root@127.0.0.1:3306/{db}"


@pytest.fixture
def settings(tmp_path: Path) -> Settings:
    return Settings(
        metrics=tmp_path / "no-metrics.yml",
        sources=tmp_path / "sources.yml",
        warehouse=tmp_path / "warehouse.duckdb",
        serving_dir=tmp_path / "serving",
    )


def _pg_user() -> str:
    import psycopg

    for user in ("postgres", "root"):
        try:
            psycopg.connect(PG_URL.format(user=user), connect_timeout=3).close()
            return user
        except psycopg.OperationalError:
            continue
    pytest.skip("no local PostgreSQL at 127.0.0.1:5432")


@pytest.fixture
def pg():
    """(url, psycopg connection with search_path set to a fresh schema, schema name)."""
    import psycopg

    user = _pg_user()
    url = PG_URL.format(user=user)
    schema = f"ns_test_{uuid.uuid4().hex[:10]}"
    conn = psycopg.connect(url, autocommit=True)
    conn.execute(f'CREATE SCHEMA "{schema}"')
    try:
        yield url, conn, schema
    finally:
        conn.execute(f'DROP SCHEMA "{schema}" CASCADE')
        conn.close()


@pytest.fixture
def mysql():
    """(url, pymysql connection to a fresh database, database name)."""
    import pymysql

    try:
        admin = pymysql.connect(host="127.0.0.1", user="root", autocommit=True, connect_timeout=3)
    except pymysql.err.OperationalError:
        pytest.skip("no local MariaDB at 127.0.0.1:3306")
    db = f"ns_test_{uuid.uuid4().hex[:10]}"
    admin.cursor().execute(f"CREATE DATABASE `{db}`")
    conn = pymysql.connect(host="127.0.0.1", user="root", database=db, autocommit=True)
    try:
        yield MYSQL_URL.format(db=db), conn, db
    finally:
        conn.close()
        admin.cursor().execute(f"DROP DATABASE `{db}`")
        admin.close()
