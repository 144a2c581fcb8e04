"""Two publishes into one PostgreSQL database take turns (warehouse/pg_publish.py's advisory
lock): a publish that finds the lock held says it is waiting, then lands once the other lets go;
one that waits past `lock_wait` fails with a message that says why and what to do, and the tables
readers see stay as they were. The other publish is a session holding the lock by hand, released
from the waiting publish's own progress callback: no timing involved."""

from __future__ import annotations

import psycopg
import pytest

from tests.connectors.test_pg_publish import (
    database,  # noqa: F401 (a fixture)
    duckdb_orders,
    make_warehouse,
    publish,
    published_orders,
    url,  # noqa: F401 (a fixture)
)
from warehouse.pg_copy import PostgresPublishError
from warehouse.pg_publish import LOCK_KEY

pytestmark = [pytest.mark.db, pytest.mark.xdist_group("pg_publish")]


def test_a_publish_waits_for_the_lock_says_so_and_lands(url, tmp_path):  # noqa: F811
    path = tmp_path / "warehouse.duckdb"
    make_warehouse(path)
    steps = []
    with psycopg.connect(url, autocommit=True) as other:
        assert other.execute("SELECT pg_try_advisory_lock(%s)", [LOCK_KEY]).fetchone()[0]

        def on_step(event: str, detail: str) -> None:
            steps.append((event, detail))
            if event == "waiting":  # the other publish finishes now
                other.execute("SELECT pg_advisory_unlock(%s)", [LOCK_KEY])

        publish(url, path, on_step=on_step)
    assert steps[0] == ("waiting", "another publish is running")
    assert ("copied", "raw.shop__orders") in steps
    assert published_orders(url) == duckdb_orders(path)


def test_a_publish_that_waits_too_long_fails_and_changes_nothing(url, tmp_path):  # noqa: F811
    first = tmp_path / "first.duckdb"
    make_warehouse(first)
    publish(url, first)
    before = published_orders(url)
    second = tmp_path / "second.duckdb"
    make_warehouse(second, batches=2)
    with psycopg.connect(url, autocommit=True) as other:
        other.execute("SELECT pg_advisory_lock(%s)", [LOCK_KEY])
        with pytest.raises(PostgresPublishError) as caught:
            publish(url, second, lock_wait=0)
    message = str(caught.value)
    assert "another publish into" in message and "has run for over 0 s" in message
    assert "Run `northstar ingest` again when it is done." in message
    assert published_orders(url) == before and len(before) == 300
