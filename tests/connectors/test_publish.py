"""Publishing serving snapshots: readers never see a half-copied file, and a failed publish is
retried by the next run (even one that loads no new rows), with a one-line message meanwhile.

Tests run as root here, where chmod does not stop writes: an unwritable serving directory is made
by putting a file where the directory should be, or by failing the build at the file-system call.
"""

from __future__ import annotations

import errno
import subprocess
import sys
from dataclasses import replace

import pyarrow as pa
import pyarrow.parquet as pq
from ingest_helpers import cli_env, write_sources
from typer.testing import CliRunner

import warehouse.snapshots as snapshots
from app import build_cli
from connectors import run_ingest
from warehouse import SnapshotStore


def _feed(settings) -> callable:
    """A files source `feed.numbers`; returns add(batch) writing 1,000 rows x = batch*1000 + i."""
    feed = settings.sources.parent / "feed"
    feed.mkdir()
    write_sources(
        settings,
        "sources:\n  - name: feed\n    kind: files\n    path: feed\n"
        "    tables: [{name: numbers, glob: '*.parquet', primary_key: [x]}]\n",
    )

    def add(batch: int) -> None:
        xs = pa.array(range(batch * 1000, (batch + 1) * 1000), pa.int64())
        pq.write_table(pa.table({"x": xs, "pad": ["p" * 100] * 1000}), feed / f"{batch}.parquet")

    return add


def _published_rows(settings) -> tuple[int, int]:
    store = SnapshotStore(settings.serving_dir)
    current = store.current()
    assert current is not None, "nothing published"
    with store.open_snapshot(current[0]) as wh:
        return wh.rows("SELECT count(*), sum(x) FROM raw.feed__numbers")[0]


def test_readers_see_the_old_snapshot_until_the_new_version_is_complete(settings, monkeypatch):
    add = _feed(settings)
    add(0)
    first = run_ingest(settings).published
    add(1)
    build, seen = snapshots.build_catalog, []

    def paused_build(*args, **kwargs):
        # Write the new version's segments and catalog, then read as the web app would before
        # the catalog gets its name and CURRENT moves.
        manifest = build(*args, **kwargs)
        store = SnapshotStore(settings.serving_dir)
        current = store.current()
        seen.append(current and current[0])
        with store.open_snapshot(current[0]) as wh:
            seen.append(wh.rows("SELECT count(*), sum(x) FROM raw.feed__numbers")[0])
        return manifest

    monkeypatch.setattr(snapshots, "build_catalog", paused_build)
    second = run_ingest(settings).published
    monkeypatch.undo()
    assert seen == [first, (1000, sum(range(1000)))]  # mid-publish: the old, whole snapshot
    assert second != first
    assert _published_rows(settings) == (2000, sum(range(2000)))


def test_a_failed_publish_is_retried_by_the_next_run_without_new_rows(settings, monkeypatch):
    add = _feed(settings)
    add(0)
    assert run_ingest(settings).published
    add(1)

    def read_only_fs(source, catalog, *args, **kwargs):
        raise OSError(errno.EROFS, "Read-only file system", str(catalog))

    monkeypatch.setattr(snapshots, "build_catalog", read_only_fs)
    failed = run_ingest(settings)
    assert failed.rows == 1000 and failed.published is None and not failed.ok
    assert "Read-only file system" in failed.publish_error
    assert str(settings.serving_dir) in failed.publish_error
    assert _published_rows(settings) == (1000, sum(range(1000)))  # still the old one

    monkeypatch.undo()
    retried = run_ingest(settings)
    assert retried.ok and retried.rows == 0 and retried.published
    assert _published_rows(settings) == (2000, sum(range(2000)))

    settled = run_ingest(settings)  # nothing new and nothing pending: no new snapshot
    assert settled.ok and settled.published is None


def test_an_after_load_failure_is_retried_by_the_next_run(settings):
    add = _feed(settings)
    add(0)
    assert run_ingest(settings).published
    add(1)

    def broken(_warehouse):
        raise RuntimeError("rollups exploded")

    failed = run_ingest(settings, after_load=broken)
    assert failed.rows == 1000 and failed.published is None
    assert "rollups exploded" in failed.publish_error
    assert _published_rows(settings) == (1000, sum(range(1000)))
    hooked = []
    retried = run_ingest(settings, after_load=hooked.append)
    assert retried.rows == 0 and retried.published and len(hooked) == 1
    assert _published_rows(settings) == (2000, sum(range(2000)))


def test_cli_reports_an_unwritable_serving_dir_in_one_line_and_publishes_on_rerun(settings):
    add = _feed(settings)
    add(0)
    blocker = settings.serving_dir.parent / "not-a-dir"
    blocker.write_text("a file where the serving directory's parent should be")
    env = {**cli_env(settings), "NORTHSTAR_SERVING_DIR": str(blocker / "serving")}
    runner = CliRunner()
    result = runner.invoke(build_cli(), ["ingest"], env=env)
    assert result.exit_code == 1
    assert result.exception is None or isinstance(result.exception, SystemExit)
    assert "Traceback" not in result.output
    errors = [line for line in result.output.splitlines() if "publishing" in line]
    assert errors == [
        f"publishing the serving snapshot in {blocker / 'serving'} failed: Not a directory "
        f"({blocker / 'serving'}). The data is loaded; make that directory writable (or set "
        "NORTHSTAR_SERVING_DIR) and run `northstar ingest` again: it publishes what is pending."
    ]
    assert "1,000 rows loaded" in result.output

    blocker.unlink()
    blocker.mkdir()
    result = runner.invoke(build_cli(), ["ingest"], env=env)
    assert result.exit_code == 0, result.output
    assert "0 rows loaded, published snapshot" in result.output
    assert _published_rows(replace(settings, serving_dir=blocker / "serving")) == (
        1000,
        sum(range(1000)),
    )


def test_the_worker_hint_appears_only_when_another_process_holds_the_warehouse(settings):
    add = _feed(settings)
    add(0)
    blocker = settings.warehouse.parent / "lock-not-a-dir"  # the word alone is not the cause
    blocker.write_text("x")
    env = {**cli_env(settings), "NORTHSTAR_WAREHOUSE": str(blocker / "warehouse.duckdb")}
    result = CliRunner().invoke(build_cli(), ["ingest"], env=env)
    assert result.exit_code == 1 and "Traceback" not in result.output
    assert f"cannot open warehouse {blocker / 'warehouse.duckdb'}" in result.output
    assert "Another process" not in result.output and "northstar worker" not in result.output

    assert run_ingest(settings).ok  # creates the warehouse file
    holder = subprocess.Popen(
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
        result = CliRunner().invoke(build_cli(), ["ingest"], env=cli_env(settings))
    finally:
        holder.stdin.close()
        holder.wait(timeout=30)
    assert result.exit_code == 1 and "Traceback" not in result.output
    assert "Another process holds it read-write" in result.output
    assert "If `northstar worker` is running" in result.output
