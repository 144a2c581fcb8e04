"""A PostgreSQL database of a benchmark's own on the local server, dropped when it ends."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from contextlib import contextmanager

import psycopg

SERVER = "postgresql://postgres@127.0.0.1:5432/test"


@contextmanager
def scratch_database(server: str = SERVER) -> Iterator[str]:
    """The URL of a new database on `server`'s host (a generated name), dropped afterwards."""
    name = f"northstar_bench_{uuid.uuid4().hex[:10]}"
    with psycopg.connect(server, autocommit=True) as admin:
        admin.execute(f'CREATE DATABASE "{name}"')  # a generated name
    try:
        yield server.rsplit("/", 1)[0] + f"/{name}"
    finally:
        with psycopg.connect(server, autocommit=True) as admin:
            admin.execute(f'DROP DATABASE "{name}" WITH (FORCE)')
