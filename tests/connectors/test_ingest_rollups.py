"""Rollups follow metrics.yml through `northstar ingest`, the worker and `northstar rollups`.

A user edits metrics.yml and runs ingest with no new rows: the rollups the edit touched are
rebuilt, a snapshot is published and the new metric is served from rollups, with numbers equal to
a pandas computation of the same rows.
"""

from __future__ import annotations

from dataclasses import replace
from datetime import date, datetime, timedelta

import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq
import pytest
from ingest_helpers import cli_env, write_sources
from typer.testing import CliRunner

from app import build_cli
from cli.rollup_commands import rollup_hook
from connectors import load_sources
from connectors.worker import ingest_job
from metric_layer.loader import load_spec
from metric_layer.query import MetricQuery
from metric_layer.service import MetricService
from warehouse import SnapshotStore, Warehouse

AS_OF = date(2026, 1, 26)
SOURCES = """\
sources:
  - name: shop
    kind: files
    path: files
    schedule: {every: 1h}
    tables: [{name: orders, glob: "orders*.parquet", primary_key: [order_id]}]
"""
METRICS = """\
version: 1
models:
  - name: orders
    table: raw.shop__orders
    primary_key: order_id
    time: {column: ordered_at}
    dimensions: [platform]
metrics:
  - {name: paid_orders, type: simple, model: orders, agg: count, filter: "status = 'paid'"}
  - {name: buyers, type: simple, model: orders, agg: count_distinct, expr: customer_id}
"""
NEW_METRIC = (
    "  - {name: revenue, type: simple, model: orders, agg: sum, expr: amount, "
    "filter: \"status = 'paid'\"}\n"
)


def _orders() -> pd.DataFrame:
    start = datetime(2026, 1, 1, 10)
    return pd.DataFrame(
        {
            "order_id": range(40),
            "customer_id": [f"c{i % 7}" for i in range(40)],
            "ordered_at": [start + timedelta(hours=13 * i) for i in range(40)],
            "amount": [10.0 + i for i in range(40)],
            "status": ["cancelled" if i % 5 == 0 else "paid" for i in range(40)],
            "platform": [("ios", "web")[i % 2] for i in range(40)],
        }
    )


@pytest.fixture
def project(settings, tmp_path):
    files = tmp_path / "files"
    files.mkdir()
    pq.write_table(pa.Table.from_pandas(_orders(), preserve_index=False), files / "orders1.parquet")
    write_sources(settings, SOURCES)
    settings = replace(settings, metrics=tmp_path / "metrics.yml", as_of=AS_OF.isoformat())
    settings.metrics.write_text(METRICS)
    return settings


def _env(settings) -> dict[str, str]:
    return {**cli_env(settings), "NORTHSTAR_AS_OF": settings.as_of, "COLUMNS": "300"}


def _run(settings, *args: str):
    return CliRunner().invoke(build_cli(), list(args), env=_env(settings))


def _published_service(settings) -> tuple[Warehouse, MetricService]:
    store = SnapshotStore(settings.serving_dir)
    wh = store.open_snapshot(store.current()[0])
    return wh, MetricService(wh, load_spec(settings.metrics, wh.table_columns()), as_of=AS_OF)


def _weekly_paid_revenue() -> dict[date, float]:
    orders = _orders()
    paid = orders[orders.status == "paid"]
    week = paid.ordered_at.dt.normalize() - pd.to_timedelta(paid.ordered_at.dt.day_of_week, "D")
    return {k.date(): v for k, v in paid.groupby(week).amount.sum().items()}


QUERY = MetricQuery(("revenue",), grain="week", start=date(2025, 12, 29), end=date(2026, 1, 25))


def test_spec_edit_rebuilds_rollups_on_ingest_with_no_new_rows(project):
    first = _run(project, "ingest")
    assert first.exit_code == 0, first.output
    assert "40 rows loaded, published snapshot" in first.output

    with project.metrics.open("a") as fh:
        fh.write(NEW_METRIC)
    second = _run(project, "ingest")
    assert second.exit_code == 0, second.output
    assert "0 rows loaded, published snapshot" in second.output
    # Only the orders daily tables gain the new column; buyers' tables are kept.
    assert (
        f"rollups for {AS_OF}: rebuilt orders daily (spec changed); kept 2 unchanged"
        in second.output
    )
    wh, service = _published_service(project)
    try:
        assert '"rollup"."orders__daily__total"' in service.sql("revenue", QUERY)
        got = service.query(QUERY).frame.set_index("period")["revenue"].to_dict()
        assert got == pytest.approx(_weekly_paid_revenue())
    finally:
        wh.close()

    third = _run(project, "ingest")  # nothing changed: nothing rebuilt, nothing published
    assert third.exit_code == 0, third.output
    assert "0 rows loaded\n" in third.output and "rollups up to date" in third.output


def test_status_says_where_each_metric_is_answered_and_build_fixes_it(project):
    assert _run(project, "ingest").exit_code == 0
    with project.metrics.open("a") as fh:
        fh.write(NEW_METRIC)
    status = _run(project, "rollups", "status")
    assert status.exit_code == 0, status.output
    lines = status.output.splitlines()
    assert lines[0].endswith(f": rollups built for {AS_OF}; as of {AS_OF}")
    assert lines[1:] == [
        "paid_orders: raw — spec changed since the rollups were built — run `northstar rollups build`",
        "buyers: rollups (rollup.buyers__entity_days)",  # the default range starts before the data
        "  reads: buyers ← entity-day rows (rollup.buyers__entity_days)",  # the plan's kind
        "revenue: raw — spec changed since the rollups were built — run `northstar rollups build`",
    ]
    built = _run(project, "rollups", "build")
    assert built.exit_code == 0, built.output
    assert "rebuilt orders daily (spec changed)" in built.output
    assert "published snapshot" in built.output
    status = _run(project, "rollups", "status", "--by", "platform", "--grain", "quarter")
    assert status.output.splitlines()[1:] == [
        "paid_orders: rollups (rollup.orders__daily__platform)",
        "  reads: paid_orders ← daily rollup (rollup.orders__daily__platform)",
        "buyers: rollups (rollup.buyers__entity_days)",
        "  reads: buyers ← entity-day rows (rollup.buyers__entity_days)",
        "revenue: rollups (rollup.orders__daily__platform)",
        "  reads: revenue ← daily rollup (rollup.orders__daily__platform)",
    ]
    again = _run(project, "rollups", "build")
    assert (
        again.exit_code == 0 and again.output.strip() == f"rollups up to date (built for {AS_OF})"
    )


def test_query_sql_says_where_the_answer_came_from(project):
    assert _run(project, "ingest").exit_code == 0
    with project.metrics.open("a") as fh:
        fh.write(NEW_METRIC)
    result = _run(project, "query", "revenue", "buyers", "--from", "2026-01-05", "--sql")
    assert result.exit_code == 0, result.output
    assert (
        "-- revenue: raw — spec changed since the rollups were built — run `northstar rollups build`"
        in result.output
    )
    assert "-- buyers: rollups (rollup.m__buyers__week__total)" in result.output


def test_ingest_and_rollups_without_metrics_yml_say_so(project):
    project.metrics.unlink()
    result = _run(project, "ingest")
    assert result.exit_code == 0, result.output
    assert (
        f"rollups skipped: no metrics.yml at {project.metrics} (create it, or set "
        "NORTHSTAR_METRICS to your spec; then `northstar rollups build`)"
    ) in result.output
    for command in (["rollups", "build"], ["rollups", "status"]):
        result = _run(project, *command)
        assert result.exit_code == 1 and "rollups skipped: no metrics.yml at" in result.output


def test_worker_tick_rebuilds_after_a_spec_edit(project):
    config = load_sources(project.sources)
    hook = rollup_hook(project, lambda _line: None)
    ingest_job(project, config, "shop", hook, derived_stale=hook.stale)
    first = SnapshotStore(project.serving_dir).current()[0]
    with project.metrics.open("a") as fh:
        fh.write(NEW_METRIC)
    ingest_job(project, config, "shop", hook, derived_stale=hook.stale)  # no new rows
    assert SnapshotStore(project.serving_dir).current()[0] != first
    assert hook.last is not None and dict(hook.last.built) == {"orders daily": "spec changed"}
    wh, service = _published_service(project)
    try:
        assert service.plan("revenue", QUERY).describe() == "rollups (rollup.orders__daily__total)"
    finally:
        wh.close()


def test_a_failed_publish_after_a_spec_rebuild_is_retried(project, monkeypatch):
    """A metrics.yml edit rebuilds rollups without new rows; if that publish fails, the next run
    (nothing new, rollups already fresh) must still publish what readers lack."""
    import errno

    import warehouse.snapshots as snapshots

    assert _run(project, "ingest").exit_code == 0
    with project.metrics.open("a") as fh:
        fh.write(NEW_METRIC)

    def read_only_fs(source, catalog, *args, **kwargs):
        raise OSError(errno.EROFS, "Read-only file system", str(catalog))

    monkeypatch.setattr(snapshots, "build_catalog", read_only_fs)
    failed = _run(project, "ingest")
    assert failed.exit_code != 0 and "Read-only file system" in failed.output
    monkeypatch.undo()

    retried = _run(project, "ingest")
    assert retried.exit_code == 0, retried.output
    assert "0 rows loaded, published snapshot" in retried.output
    wh, service = _published_service(project)
    try:
        assert '"rollup"."orders__daily__total"' in service.sql("revenue", QUERY)
        got = service.query(QUERY).frame.set_index("period")["revenue"].to_dict()
        assert got == pytest.approx(_weekly_paid_revenue())
    finally:
        wh.close()
