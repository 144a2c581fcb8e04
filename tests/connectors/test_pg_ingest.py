"""`northstar ingest`, the worker's ingest job and `northstar demo build` with engine = postgres:
rows land in the DuckDB file as always and are published into the PostgreSQL database (not into
DuckDB snapshots); a run publishes only when something changed or a publish is pending; a failed
publish is one line that says what to do, and the next run publishes what is pending. The
database's password is a ${VAR} reference and never printed. One database for the module.
"""

from __future__ import annotations

import subprocess
import sys
from dataclasses import replace
from datetime import date
from pathlib import Path

import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq
import pytest
from ingest_helpers import cli_env, write_sources
from typer.testing import CliRunner

from app import build_cli
from connectors import load_sources
from connectors.worker import ingest_job
from tests.pg_publish_support import fresh_database, reset, table_rows
from warehouse.postgres import PostgresWarehouse

pytestmark = [pytest.mark.db, pytest.mark.xdist_group("pg_ingest")]
ROOT = Path(__file__).parents[2]
SECRET = "s3cr3t-Pa55/word"
runner = CliRunner()


@pytest.fixture(scope="module")
def database():
    with fresh_database() as url:
        yield url


@pytest.fixture
def url(database):
    reset(database)
    return database


def with_password(url: str) -> str:
    user_part, host_part = url.split("@", 1)
    return f"{user_part}:${{NS_TEST_PG_PASSWORD}}@{host_part}"  # trust auth ignores it


def pg_env(settings, url: str) -> dict[str, str]:
    return {
        **cli_env(settings),
        "NORTHSTAR_ENGINE": "postgres",
        "NORTHSTAR_ENGINE_URL": with_password(url),
        "NS_TEST_PG_PASSWORD": SECRET,
        "NORTHSTAR_SETTINGS": "/nonexistent/northstar.toml",
    }


def feed(settings) -> callable:
    """A files source `feed.numbers`; add(batch) writes 1,000 rows x = batch*1000 + i."""
    folder = settings.sources.parent / "feed"
    folder.mkdir()
    write_sources(
        settings,
        "sources:\n  - name: feed\n    kind: files\n    path: feed\n"
        "    tables: [{name: numbers, glob: '*.parquet', primary_key: [x]}]\n",
    )

    def add(batch: int) -> None:
        xs = pa.array(range(batch * 1000, (batch + 1) * 1000), pa.int64())
        pq.write_table(
            pa.table({"x": xs, "label": [f"n{batch}"] * 1000}), folder / f"{batch}.parquet"
        )

    return add


def published(url: str) -> tuple[int, int]:
    with PostgresWarehouse(url) as pg:
        n, total = pg.rows("SELECT count(*), sum(x) FROM raw.feed__numbers")[0]
        return int(n), int(total)


def current(url: str) -> tuple[str, str, str]:
    with PostgresWarehouse(url) as pg:
        return pg.rows(
            "SELECT version, copied, kept FROM northstar_publish.versions ORDER BY seq DESC LIMIT 1"
        )[0]


def test_ingest_publishes_into_postgres_only_when_something_changed(settings, url):
    add = feed(settings)
    add(0)
    add(1)
    env = pg_env(settings, url)
    first = runner.invoke(build_cli(), ["ingest"], env=env)
    assert first.exit_code == 0, first.output
    assert "2,000 rows loaded, published to PostgreSQL, version " in first.output
    assert published(url) == (2000, sum(range(2000)))
    version, copied, _ = current(url)
    assert copied == "meta.loads,raw.feed__numbers" and version in first.output
    assert not settings.serving_dir.exists()  # no DuckDB snapshot: PostgreSQL is where it goes
    loads = table_rows(url, "meta.loads", "run_id")  # freshness, published with the rows
    assert [(r[1], r[2], r[5], r[7]) for r in loads] == [("feed", "numbers", 2000, "ok")]

    idle = runner.invoke(build_cli(), ["ingest"], env=env)
    assert idle.exit_code == 0, idle.output
    assert "0 rows loaded" in idle.output and "published" not in idle.output
    assert current(url)[0] == version

    add(2)
    more = runner.invoke(build_cli(), ["ingest"], env=env)
    assert more.exit_code == 0, more.output
    assert "1,000 rows loaded, published to PostgreSQL" in more.output
    assert published(url) == (3000, sum(range(3000)))
    assert current(url)[0] > version
    assert all(SECRET not in r.output and "Pa55" not in r.output for r in (first, idle, more))


def test_a_failed_publish_is_one_line_and_the_next_run_publishes_what_is_pending(settings, url):
    add = feed(settings)
    add(0)
    assert runner.invoke(build_cli(), ["ingest"], env=pg_env(settings, url)).exit_code == 0
    add(1)
    gone = url.rsplit("/", 1)[0] + "/northstar_no_such_db"
    failed = runner.invoke(build_cli(), ["ingest"], env=pg_env(settings, gone))
    assert failed.exit_code == 1
    assert "Traceback" not in failed.output
    assert "1,000 rows loaded" in failed.output  # the rows are in the DuckDB file
    (line,) = [x for x in failed.output.splitlines() if "publishing to PostgreSQL" in x]
    assert "northstar_no_such_db" in line and ":***@" in line
    assert "The data is loaded; run `northstar ingest` again" in line
    assert SECRET not in failed.output and "Pa55" not in failed.output
    assert published(url) == (1000, sum(range(1000)))  # the database still has the last good

    retried = runner.invoke(build_cli(), ["ingest"], env=pg_env(settings, url))
    assert retried.exit_code == 0, retried.output
    assert "0 rows loaded, published to PostgreSQL" in retried.output  # pending, published now
    assert published(url) == (2000, sum(range(2000)))
    settled = runner.invoke(build_cli(), ["ingest"], env=pg_env(settings, url))
    assert "0 rows loaded" in settled.output and "published" not in settled.output


def test_the_worker_publishes_into_postgres_then_runs_the_alert_check(settings, url):
    add = feed(settings)
    add(0)
    pg_settings = replace(settings, engine="postgres", engine_url=url)
    config = load_sources(settings.sources)
    checks: list[tuple[int, int]] = []
    after = lambda: checks.append(published(url))  # noqa: E731 - the alert check's seat
    ingest_job(pg_settings, config, "feed", after_load=None, after_publish=after)
    assert checks == [(1000, sum(range(1000)))]  # it ran on the published rows
    ingest_job(pg_settings, config, "feed", after_load=None, after_publish=after)
    assert len(checks) == 1  # nothing new: nothing published, nothing checked


@pytest.mark.slow
def test_demo_build_publishes_the_shop_into_postgres(url, tmp_path, monkeypatch):
    from cli.demo_commands import build_demo
    from settings import Settings
    from warehouse import Warehouse

    monkeypatch.setenv("NS_TEST_PG_PASSWORD", SECRET)  # the reference in engine_url
    settings = Settings(
        metrics=ROOT / "metrics.yml",
        sources=ROOT / "sources.yml",
        warehouse=tmp_path / "warehouse.duckdb",
        serving_dir=tmp_path / "serving",
        engine="postgres",
        engine_url=with_password(url),
    )
    assert build_demo(settings, orders=3_000, end=date(2026, 6, 30), seed=11)
    with Warehouse(settings.warehouse, read_only=True) as wh:
        tables = wh.table_columns()
        duck = {t: wh.rows(f"SELECT count(*) FROM {t}")[0][0] for t in tables if t[:4] == "raw."}
    assert "rollup.manifest" not in tables  # on postgres the publish builds them in the database
    with PostgresWarehouse(url) as pg:
        pg_counts = {t: pg.rows(f"SELECT count(*) FROM {t}")[0][0] for t in duck}
    orders = pd.read_parquet(tmp_path / "source" / "orders")  # what the generator wrote
    assert pg_counts == duck and pg_counts["raw.shop__orders"] == len(orders)
    assert not settings.serving_dir.exists()
    # The publish built the demo spec's daily and entity-day rollups in the database, and the
    # service reads them: the same frames as from the raw tables.
    from metric_layer.loader import parse_spec
    from metric_layer.query import MetricQuery
    from metric_layer.service import MetricService

    with PostgresWarehouse(url) as pg:
        kinds = {u.split(" ", 1)[1] for (u,) in pg.rows("SELECT unit FROM rollup.manifest")}
        assert kinds == {"daily", "entity-days"}
        spec = parse_spec(settings.metrics.read_text(), "metrics.yml", pg.table_columns())
        served = MetricService(pg, spec)
        raw = MetricService(pg, spec, use_rollups=False)
        query = MetricQuery(
            ("paid_orders",), grain="month", start=date(2026, 1, 1), end=date(2026, 6, 30)
        )
        assert served.plan("paid_orders", query).source == "rollups"
        got, want = served.query(query).frame, raw.query(query).frame
        assert got.equals(want) and want["paid_orders"].sum() > 0


def test_sources_reads_the_published_loads_while_the_worker_holds_the_file(settings, url):
    add = feed(settings)
    add(0)
    env = pg_env(settings, url)
    assert runner.invoke(build_cli(), ["ingest"], env=env).exit_code == 0
    holder = subprocess.Popen(  # the worker's write handle on the DuckDB file
        [
            sys.executable,
            "-c",
            "import sys, duckdb; c = duckdb.connect(sys.argv[1]); print('held', flush=True); "
            "sys.stdin.read()",
            str(settings.warehouse),
        ],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        text=True,
    )
    try:
        assert holder.stdout.readline().strip() == "held"
        result = runner.invoke(build_cli(), ["sources"], env={**env, "COLUMNS": "200"})
    finally:
        holder.stdin.close()
        holder.wait(timeout=60)
        holder.stdout.close()
    assert result.exit_code == 0, result.output
    assert (
        "as published to postgresql://postgres:***@127.0.0.1:5432/northstar_pub_" in result.output
    )
    assert "1,000" in result.output and "ok" in result.output
    assert SECRET not in result.output
