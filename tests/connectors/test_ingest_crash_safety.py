"""Kill -9 the ingest process at random moments; the next run must leave exactly the source's rows.
And a reader process polling the serving snapshot while runs publish must never see an error.
"""

from __future__ import annotations

import functools
import os
import random
import signal
import subprocess
import sys
import time
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq
import pytest
from ingest_helpers import query, write_sources

from connectors import run, run_ingest
from warehouse import SnapshotStore, Warehouse

ROOT = Path(__file__).parents[2]
CHILD = (
    "from settings import Settings; from connectors import run_ingest; run_ingest(Settings.load())"
)
# A signature both PostgreSQL and DuckDB compute the same way.
PG_SIGNATURE = (
    "SELECT count(*), sum(id), sum(length(v)), "
    "sum((extract(epoch FROM updated_at) * 1000000)::bigint) FROM {t}"
)
DUCK_SIGNATURE = "SELECT count(*), sum(id), sum(length(v)), sum(epoch_us(updated_at)) FROM {t}"


def _env(settings) -> dict[str, str]:
    return {
        **os.environ,
        "NORTHSTAR_SOURCES": str(settings.sources),
        "NORTHSTAR_WAREHOUSE": str(settings.warehouse),
        "NORTHSTAR_SERVING_DIR": str(settings.serving_dir),
        "NORTHSTAR_METRICS": str(settings.metrics),
    }


def _warehouse_signature(settings) -> tuple | None:
    with Warehouse(settings.warehouse, read_only=True) as wh:
        if not wh.has_table("raw.app__events"):
            return None
        return tuple(int(x or 0) for x in wh.rows(DUCK_SIGNATURE.format(t="raw.app__events"))[0])


@pytest.mark.db
@pytest.mark.slow
def test_kill_minus_nine_at_random_points_loses_and_duplicates_nothing(pg, settings):
    url, conn, schema = pg
    table = f'"{schema}".events'
    conn.execute(f"CREATE TABLE {table} (id bigint PRIMARY KEY, v text, updated_at timestamptz)")
    write_sources(
        settings,
        f"""\
sources:
  - name: app
    kind: sql
    url: {url}
    tables:
      - {{name: events, table: {schema}.events, primary_key: [id], cursor: updated_at}}
""",
    )
    seed = int(os.environ.get("NORTHSTAR_CRASH_SEED", time.time()))
    rng = random.Random(seed)
    next_id, kills, completed, full_run = 1, 0, 0, 0.0
    committed: tuple | None = None  # warehouse state after the last run we know finished
    for round_ in range(8):
        # New rows plus updates to old ones, each round with later timestamps.
        n = rng.randint(50_000, 200_000)
        conn.execute(
            f"INSERT INTO {table} SELECT i, md5(i::text), now() + make_interval(secs => {round_}) "
            f"FROM generate_series({next_id}, {next_id + n - 1}) i"
        )
        next_id += n
        conn.execute(
            f"UPDATE {table} SET v = 'upd{round_}', updated_at = now() + make_interval(secs => {round_}) "
            f"WHERE id % 97 = {round_}"
        )
        source_now = tuple(
            int(x or 0) for x in conn.execute(PG_SIGNATURE.format(t=table)).fetchone()
        )
        child = subprocess.Popen(
            [sys.executable, "-c", CHILD], cwd=ROOT, env=_env(settings), stderr=subprocess.PIPE
        )
        # Round 0 runs to the end and tells how long a whole run takes (start-up ~2 s, load,
        # publish, exit); later rounds are killed at a random moment within that span.
        started = time.perf_counter()
        if round_ > 0:
            time.sleep(rng.uniform(0.1, 1.05) * full_run)
        if round_ > 0 and child.poll() is None:
            child.send_signal(signal.SIGKILL)
            kills += 1
        else:
            child.wait()
            full_run = time.perf_counter() - started
            completed += 1
            assert child.returncode == 0, child.stderr.read().decode()[-2000:]
        child.wait()
        child.stderr.close()
        if settings.warehouse.exists():
            # Killed or not, the table is either as before this run or exactly the source.
            state = _warehouse_signature(settings)
            assert state in (committed, source_now), f"torn state after kill (seed {seed})"
            committed = state
    assert kills >= 2, f"kills never landed mid-run (seed {seed}); adjust timings"
    print(f"seed {seed}: {kills} runs killed, {completed} completed")

    report = run_ingest(settings)
    assert report.ok, report.outcomes
    source_final = tuple(int(x or 0) for x in conn.execute(PG_SIGNATURE.format(t=table)).fetchone())
    assert _warehouse_signature(settings) == source_final, f"seed {seed}"
    ids = query(settings, "SELECT count(DISTINCT id), count(*) FROM raw.app__events")[0]
    assert ids[0] == ids[1] == next_id - 1


# Reads the current snapshot in a loop until the stop file appears (or a generous deadline), and
# writes the ready file after its first read: on a busy machine its imports alone can take longer
# than the publishing did, so both sides wait for each other rather than for a fixed time.
READER = r"""
import sys, time
from pathlib import Path
from warehouse import SnapshotStore
store, ready, stop = SnapshotStore(sys.argv[1]), Path(sys.argv[2]), Path(sys.argv[3])
deadline, opened, reads, versions = time.time() + 300, {}, 0, set()
while time.time() < deadline and not stop.exists():
    current = store.current()
    if current is None:
        time.sleep(0.01); continue
    version, path = current
    if version not in opened:
        opened[version] = store.open_snapshot(version)  # holds its lease until closed
        for old in list(opened)[:-2]:  # like the web app: drop old snapshots once a newer is open
            opened.pop(old).close()
    n, total, batches = opened[version].rows(
        "SELECT count(*), sum(x), count(DISTINCT batch) FROM raw.feed__numbers")[0]
    assert n == batches * 1000 and total == sum(range(n)), (version, n, total, batches)
    reads += 1; versions.add(version)
    ready.touch()
print(reads, len(versions))
"""
READER_START = 180  # seconds for the reader's imports and first read on a loaded machine


@pytest.mark.slow
def test_reader_never_errors_while_snapshots_publish(settings, tmp_path, monkeypatch):
    # Publish the feed as Parquet segments (it is far below the default threshold), so the
    # reader's leases are what keep the files of the versions it holds.
    monkeypatch.setattr(
        run, "SnapshotStore", functools.partial(SnapshotStore, segment_min_rows=500)
    )
    feed = tmp_path / "feed"
    feed.mkdir()
    write_sources(
        settings,
        "sources:\n  - name: feed\n    kind: files\n    path: feed\n"
        "    tables: [{name: numbers, glob: '*.parquet', primary_key: [x]}]\n",
    )

    def add_batch(i: int) -> None:
        xs = pa.array(range(i * 1000, (i + 1) * 1000), pa.int64())
        pq.write_table(
            pa.table({"x": xs, "batch": [i] * 1000, "pad": ["p" * 200] * 1000}),
            feed / f"{i:04d}.parquet",
        )

    add_batch(0)
    run_ingest(settings)
    ready, stop = tmp_path / "reader-ready", tmp_path / "reader-stop"
    reader = subprocess.Popen(
        [sys.executable, "-c", READER, str(settings.serving_dir), str(ready), str(stop)],
        cwd=ROOT,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    started = time.monotonic()
    while not ready.exists():  # polling for a condition, not a pause
        assert reader.poll() is None, reader.communicate()[1]
        assert time.monotonic() - started < READER_START, "the reader never read a snapshot"
        time.sleep(0.05)
    published = 0
    started = time.monotonic()
    i = 1
    while published < 5 or time.monotonic() - started < 7:  # at least 5 publishes, 7 s of reads
        add_batch(i)
        i += 1
        published += bool(run_ingest(settings).published)
    stop.touch()
    out, err = reader.communicate(timeout=60)
    assert reader.returncode == 0, err
    reads, versions = map(int, out.split())
    assert published >= 5 and versions >= 3 and reads > 50
