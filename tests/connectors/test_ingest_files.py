"""Files source: new files load, changed files replace their rows, corrupt files are quarantined."""

from __future__ import annotations

import json
import os
import time

import pyarrow as pa
import pyarrow.parquet as pq
from ingest_helpers import query, write_sources

from connectors import run_ingest

SOURCES = """\
sources:
  - name: shop
    kind: files
    path: files
    tables:
      - {name: orders, glob: "orders/*.parquet", primary_key: [order_id]}
      - {name: events, glob: "events/*.csv"}
      - {name: people, glob: "people/*.ndjson", primary_key: [id]}
      - {name: things, glob: "things/*.json", primary_key: [id]}
"""


def _orders(ids, amount):
    return pa.table({"order_id": pa.array(ids, pa.int64()), "amount": [amount] * len(ids)})


def _setup(settings):
    root = settings.sources.parent / "files"
    for d in ("orders", "events", "people", "things"):
        (root / d).mkdir(parents=True)
    write_sources(settings, SOURCES)
    return root


def _bump_mtime(path):
    later = time.time_ns() + 5_000_000_000
    os.utime(path, ns=(later, later))


def test_new_changed_and_unchanged_files(settings):
    root = _setup(settings)
    pq.write_table(_orders([1, 2, 3], 10.0), root / "orders/part-0.parquet")
    (root / "events/a.csv").write_text("kind,n\nclick,1\nview,2\n")
    (root / "people/p.ndjson").write_text('{"id": 1, "name": "Ann"}\n{"id": 2, "name": "Bo"}\n')
    (root / "things/t.json").write_text(json.dumps([{"id": 1, "tags": ["a"]}]))

    report = run_ingest(settings)
    assert report.ok and report.published
    assert query(settings, "SELECT order_id, amount FROM raw.shop__orders ORDER BY 1") == [
        (1, 10.0),
        (2, 10.0),
        (3, 10.0),
    ]
    assert query(settings, "SELECT count(*) FROM raw.shop__events") == [(2,)]
    assert query(settings, "SELECT name FROM raw.shop__people ORDER BY id") == [("Ann",), ("Bo",)]

    # Nothing changed: nothing loads and nothing is republished.
    again = run_ingest(settings)
    assert again.rows == 0 and again.published is None

    # A new file adds rows; a changed file replaces its rows by key; a touched file is skipped.
    pq.write_table(_orders([4], 40.0), root / "orders/part-1.parquet")
    pq.write_table(_orders([2, 3], 99.0), root / "orders/part-0.parquet")
    _bump_mtime(root / "orders/part-0.parquet")
    (root / "events/a.csv").write_text("kind,n\nclick,5\n")  # no key: table rebuilt from files
    _bump_mtime(root / "events/a.csv")
    _bump_mtime(root / "people/p.ndjson")  # same content, newer mtime
    third = run_ingest(settings)
    assert third.ok
    rows = {o.table: o.rows for o in third.outcomes}
    assert rows["people"] == 0 and rows["things"] == 0
    assert query(settings, "SELECT order_id, amount FROM raw.shop__orders ORDER BY 1") == [
        (1, 10.0),
        (2, 99.0),
        (3, 99.0),
        (4, 40.0),
    ]
    assert query(settings, "SELECT kind, n FROM raw.shop__events") == [("click", 5)]


def test_corrupt_file_is_quarantined_and_the_rest_load(settings):
    root = _setup(settings)
    pq.write_table(_orders([1], 1.0), root / "orders/good.parquet")
    (root / "orders/bad.parquet").write_bytes(b"PAR1 this is not parquet")
    (root / "events/a.csv").write_text("kind,n\nclick,1\n")
    (root / "people/p.ndjson").write_text('{"id": 1}\n')
    (root / "things/t.json").write_text('[{"id": 1}, {"id": ')  # truncated JSON

    report = run_ingest(settings)
    outcomes = {o.table: o for o in report.outcomes}
    assert outcomes["orders"].status == "ok"
    assert (
        len(outcomes["orders"].quarantined) == 1
        and "bad.parquet" in outcomes["orders"].quarantined[0]
    )
    assert outcomes["things"].status == "ok" and outcomes["things"].quarantined
    assert query(settings, "SELECT order_id FROM raw.shop__orders") == [(1,)]
    status, reason, size = query(
        settings, "SELECT status, reason, size FROM meta.files WHERE path LIKE '%bad.parquet'"
    )[0]
    assert status == "quarantined" and reason
    assert size == len(b"PAR1 this is not parquet")  # as stat gave it: a change is seen by it

    # Still broken and unchanged: skipped silently. Fixed: loads.
    assert run_ingest(settings).rows == 0
    pq.write_table(_orders([7], 7.0), root / "orders/bad.parquet")
    _bump_mtime(root / "orders/bad.parquet")
    run_ingest(settings)
    assert query(settings, "SELECT order_id FROM raw.shop__orders ORDER BY 1") == [(1,), (7,)]
    assert query(settings, "SELECT status FROM meta.files WHERE path LIKE '%bad.parquet'") == [
        ("loaded",)
    ]


def test_schema_drift_new_column_added_type_change_fails_alone(settings):
    root = _setup(settings)
    pq.write_table(_orders([1], 1.0), root / "orders/a.parquet")
    (root / "people/p.ndjson").write_text('{"id": 1, "name": "Ann"}\n')
    run_ingest(settings, source="shop")

    # orders gains a column (fine); people's id turns into text (must fail, untouched).
    t = _orders([2], 2.0).append_column("channel", pa.array(["ads"]))
    pq.write_table(t, root / "orders/b.parquet")
    (root / "people/q.ndjson").write_text('{"id": "x-2", "name": "Bo"}\n')
    report = run_ingest(settings)
    outcomes = {o.table: o for o in report.outcomes}
    assert outcomes["orders"].status == "ok"
    assert outcomes["people"].status == "failed"
    assert (
        "id changed type" in outcomes["people"].error
        and "--full-refresh" in outcomes["people"].error
    )
    assert query(settings, "SELECT order_id, channel FROM raw.shop__orders ORDER BY 1") == [
        (1, None),
        (2, "ads"),
    ]
    assert query(settings, "SELECT id, name FROM raw.shop__people") == [(1, "Ann")]
    log = query(
        settings,
        "SELECT status, error FROM meta.loads WHERE \"table\" = 'people' ORDER BY started DESC LIMIT 1",
    )
    assert log[0][0] == "failed" and "schema drift" in log[0][1]

    # A removed column fails too; a full refresh accepts the new shape.
    (root / "people/q.ndjson").unlink()
    (root / "people/r.ndjson").write_text('{"id": 3}\n')
    bad = {o.table: o for o in run_ingest(settings).outcomes}["people"]
    assert bad.status == "failed" and "name" in bad.error
    run_ingest(settings, full_refresh=True)
    assert query(settings, "SELECT count(*) FROM raw.shop__people") == [(2,)]


def test_repeated_key_across_files_keeps_the_later_file(settings):
    root = _setup(settings)
    pq.write_table(_orders([1, 2], 1.0), root / "orders/part-0.parquet")
    pq.write_table(_orders([2, 3], 2.0), root / "orders/part-1.parquet")
    assert run_ingest(settings).ok
    assert query(settings, "SELECT order_id, amount FROM raw.shop__orders ORDER BY 1") == [
        (1, 1.0),
        (2, 2.0),
        (3, 2.0),
    ]


def test_a_composite_key_repeated_across_files_keeps_the_later_row_and_its_siblings(settings):
    root = settings.sources.parent / "files" / "daily"
    root.mkdir(parents=True)
    write_sources(
        settings,
        "sources:\n  - name: shop\n    kind: files\n    path: files\n    tables:\n"
        '      - {name: daily, glob: "daily/*.parquet", primary_key: [day, channel]}\n',
    )

    def part(name, rows):
        day, channel, spend = zip(*rows, strict=True)
        pq.write_table(pa.table({"day": day, "channel": channel, "spend": spend}), root / name)

    part("part-0.parquet", [(1, "ads", 10), (1, "seo", 11), (2, "ads", 20)])
    part("part-1.parquet", [(1, "ads", 15), (2, "seo", 21)])  # re-sends (1, ads) only
    assert run_ingest(settings).ok
    assert query(settings, "SELECT day, channel, spend FROM raw.shop__daily ORDER BY ALL") == [
        (1, "ads", 15),
        (1, "seo", 11),
        (2, "ads", 20),
        (2, "seo", 21),
    ]
