"""PostgreSQL through ADBC: types arrive right, incremental loads merge, soft deletes mark rows."""

from __future__ import annotations

from datetime import UTC, date, datetime
from decimal import Decimal

import pytest
from ingest_helpers import query, write_sources

from connectors import run_ingest

pytestmark = pytest.mark.db


def _sources(settings, url, schema, extra=""):
    write_sources(
        settings,
        f"""\
sources:
  - name: app
    kind: sql
    url: {url}
    tables:
      - name: things
        table: {schema}.things
        primary_key: [id]
        cursor: updated_at
{extra}""",
    )


def test_every_common_type(pg, settings):
    url, conn, schema = pg
    conn.execute(
        f"""CREATE TABLE "{schema}".things (
            id int PRIMARY KEY, big bigint, small smallint, price numeric(12,2), ratio numeric,
            flag boolean, name text, code varchar(8), day date, at timestamp, at_tz timestamptz,
            doc json, docb jsonb, uid uuid, score double precision, updated_at timestamptz)"""
    )
    conn.execute(
        f"""INSERT INTO "{schema}".things VALUES
        (1, 9000000000, 7, 1234.56, 0.125, true, 'Ann', 'A1', '2026-01-02', '2026-01-02 03:04:05.123456',
         '2026-01-02 03:04:05+02', '{{"a": 1}}', '{{"b": [1, 2]}}', 'a0d0b1f0-6120-4574-8a6d-860a1ac3537a',
         1.5, '2026-01-01 00:00:00+00'),
        (2, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL,
         '2026-01-01 00:00:00+00')"""
    )
    _sources(settings, url, schema)
    report = run_ingest(settings)
    assert report.ok, report.outcomes
    types = dict(
        query(
            settings,
            "SELECT column_name, data_type FROM information_schema.columns "
            "WHERE table_name = 'app__things'",
        )
    )
    assert types == {
        "id": "INTEGER",
        "big": "BIGINT",
        "small": "SMALLINT",
        "price": "DECIMAL(12,2)",
        "ratio": "DOUBLE",
        "flag": "BOOLEAN",
        "name": "VARCHAR",
        "code": "VARCHAR",
        "day": "DATE",
        "at": "TIMESTAMP",
        "at_tz": "TIMESTAMP WITH TIME ZONE",
        "doc": "JSON",
        "docb": "JSON",
        "uid": "UUID",
        "score": "DOUBLE",
        "updated_at": "TIMESTAMP WITH TIME ZONE",
    }
    row = query(
        settings,
        'SELECT id, big, small, price, ratio, flag, name, code, day, "at", epoch(at_tz), '
        "doc->>'$.a', docb->'$.b'->>1, uid::VARCHAR, score FROM raw.app__things ORDER BY id",
    )
    assert row[0] == (
        1,
        9000000000,
        7,
        Decimal("1234.56"),
        0.125,
        True,
        "Ann",
        "A1",
        date(2026, 1, 2),
        datetime(2026, 1, 2, 3, 4, 5, 123456),
        datetime(2026, 1, 2, 1, 4, 5, tzinfo=UTC).timestamp(),
        "1",
        "2",
        "a0d0b1f0-6120-4574-8a6d-860a1ac3537a",
        1.5,
    )
    assert row[1] == (2, *([None] * 14))


def test_incremental_inserts_updates_and_soft_deletes(pg, settings):
    url, conn, schema = pg
    conn.execute(
        f'CREATE TABLE "{schema}".things (id int PRIMARY KEY, v text, updated_at timestamptz)'
    )
    conn.execute(
        f"""INSERT INTO "{schema}".things SELECT i, 'v' || i, '2026-01-01'::timestamptz + i * interval '1 minute'
            FROM generate_series(1, 1000) i"""
    )
    _sources(settings, url, schema, "        lookback: 5m\n        deletes: soft\n")
    first = run_ingest(settings)
    assert first.ok and first.rows == 1000

    conn.execute(
        f"UPDATE \"{schema}\".things SET v = 'changed', updated_at = '2026-02-01' WHERE id IN (10, 20)"
    )
    conn.execute(f"INSERT INTO \"{schema}\".things VALUES (1001, 'new', '2026-02-01')")
    conn.execute(f'DELETE FROM "{schema}".things WHERE id = 5')
    second = run_ingest(settings)
    assert second.ok
    assert second.rows < 20  # only rows past the cursor (minus lookback) were read
    rows = query(settings, "SELECT id, v, _deleted FROM raw.app__things ORDER BY id")
    assert len(rows) == 1001 and len({r[0] for r in rows}) == 1001
    by_id = {r[0]: r for r in rows}
    assert by_id[10][1] == by_id[20][1] == "changed"
    assert by_id[1001][1] == "new"
    assert by_id[5][2] is True and by_id[6][2] is False
    cursor = query(settings, "SELECT value_json FROM meta.cursors WHERE \"table\" = 'things'")[0][0]
    assert "2026-02-01" in cursor

    full = run_ingest(settings, full_refresh=True)
    assert full.ok and full.rows == 1000
    assert query(settings, "SELECT count(*) FROM raw.app__things") == [(1000,)]


def test_column_selection_and_filter(pg, settings):
    url, conn, schema = pg
    conn.execute(
        f'CREATE TABLE "{schema}".things (id int PRIMARY KEY, v text, secret text, updated_at timestamptz)'
    )
    conn.execute(
        f"INSERT INTO \"{schema}\".things VALUES (1, 'keep', 's', now()), (2, 'test', 's', now())"
    )
    _sources(
        settings,
        url,
        schema,
        "        columns: [id, v, updated_at]\n        filter: \"v <> 'test'\"\n",
    )
    assert run_ingest(settings).ok
    assert query(settings, "SELECT * EXCLUDE (updated_at) FROM raw.app__things") == [(1, "keep")]


def test_unreachable_source_fails_alone_and_names_no_password(settings, tmp_path):
    (tmp_path / "files").mkdir()
    (tmp_path / "files" / "a.csv").write_text("x\n1\n")
    write_sources(
        settings,
        """\
sources:
  - name: app
    kind: sql
    url: postgresql://nobody:${DB_PASSWORD}@127.0.0.1:1/none
    tables: [{name: things, table: things}]
  - name: local
    kind: files
    path: files
    tables: [{name: a, glob: "*.csv"}]
""",
    )
    report = run_ingest(settings, environ={"DB_PASSWORD": "pw-very-secret"})
    outcomes = {o.source: o for o in report.outcomes}
    assert outcomes["app"].status == "failed" and "pw-very-secret" not in outcomes["app"].error
    assert outcomes["local"].status == "ok"
    logged = query(settings, "SELECT string_agg(coalesce(error, ''), ' ') FROM meta.loads")[0][0]
    assert "pw-very-secret" not in logged


def test_pooled_connection_killed_by_the_server_is_replaced(pg, settings):
    url, conn, schema = pg
    conn.execute(f'CREATE TABLE "{schema}".things (id int PRIMARY KEY, updated_at timestamptz)')
    conn.execute(f'INSERT INTO "{schema}".things VALUES (1, now())')
    _sources(settings, url, schema)
    assert run_ingest(settings).ok
    # A server restart or idle timeout ends the pooled connection behind our back.
    # Only the pooled connection: its last query named this test's schema (other tests run too).
    killed = conn.execute(
        "SELECT count(pg_terminate_backend(pid)) FROM pg_stat_activity "
        "WHERE pid <> pg_backend_pid() AND position(%s in query) > 0",
        [schema],
    ).fetchone()[0]
    assert killed == 1
    conn.execute(f"INSERT INTO \"{schema}\".things VALUES (2, now() + interval '1 hour')")
    report = run_ingest(settings)
    assert report.ok, report.outcomes
    assert query(settings, "SELECT count(*) FROM raw.app__things") == [(2,)]
