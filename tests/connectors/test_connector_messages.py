"""Messages a user acts on, exactly as written: a row filter that is not one condition, a table
the source does not have, and a publish that failed after a load (logged by the worker)."""

from __future__ import annotations

import logging
import sqlite3
from types import SimpleNamespace

import pytest
from ingest_helpers import query, sqlite_source, write_sources

from connectors import run_ingest, worker
from connectors.sql_query import FilterError, parse_filter


@pytest.mark.parametrize("text", ["id IN (SELECT id FROM banned)", "status = 'a' UNION SELECT 1"])
def test_a_filter_with_a_subquery_is_refused_with_the_syntax(text):
    with pytest.raises(FilterError) as caught:
        parse_filter(text, "postgresql://h/db")
    assert str(caught.value) == (
        "filter must be one condition such as `status <> 'test'` (no subqueries)"
    )


def test_a_table_the_source_lacks_is_named_with_where_to_fix_it(settings, tmp_path):
    db = tmp_path / "app.sqlite"
    sqlite3.connect(db).execute("CREATE TABLE orders (id INTEGER PRIMARY KEY)").connection.close()
    write_sources(
        settings,
        f"sources:\n  - name: legacy\n    kind: sql\n    url: sqlite:///{db}\n    tables:\n"
        "      - {name: orders, table: order_lines, primary_key: [id]}\n",
    )
    report = run_ingest(settings)
    assert not report.ok
    [outcome] = report.outcomes
    assert outcome.status != "ok"
    assert "table order_lines not found; check `table:` in the sources file" in outcome.error
    # the run log records the failure with nothing loaded: no rows, no bytes
    logged = query(settings, 'SELECT "table", rows, bytes, status, error FROM meta.loads')
    assert [row[:4] for row in logged] == [("orders", 0, 0, "failed")]
    assert "order_lines not found" in logged[0][4]


def test_the_worker_logs_a_publish_that_failed(settings, monkeypatch, caplog):
    failed = SimpleNamespace(
        outcomes=[], publish_error="publish failed: serving folder is read-only", rows=3,
        published=False,
    )  # fmt: skip
    monkeypatch.setattr(worker, "run_ingest", lambda *a, **k: failed)
    with caplog.at_level(logging.INFO, logger="northstar.worker"):
        worker.ingest_job(settings, SimpleNamespace(), "shop", None)
    errors = [r.getMessage() for r in caplog.records if r.levelno == logging.ERROR]
    assert errors == ["publish failed: serving folder is read-only"]


def test_a_value_that_does_not_fit_its_declared_type_names_the_column(settings, tmp_path):
    """SQLite keeps any value in any column: text in an INTEGER one cannot become a number."""
    sqlite_source(
        settings,
        tmp_path,
        "orders",
        "CREATE TABLE orders (id INTEGER PRIMARY KEY, qty INTEGER)",
        "INSERT INTO orders VALUES (1, 2), (2, 'three')",
    )
    [outcome] = run_ingest(settings).outcomes
    assert outcome.status != "ok"
    assert "column qty: value does not fit int64: " in outcome.error
