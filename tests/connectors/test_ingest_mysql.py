"""MariaDB/MySQL through connectorx: declared types win over the driver's guesses; incremental merge."""

from __future__ import annotations

from datetime import UTC, date, datetime
from decimal import Decimal

import pytest
from ingest_helpers import query, write_sources

from connectors import run_ingest

pytestmark = pytest.mark.db


def _sources(settings, url, extra=""):
    write_sources(
        settings,
        f"""\
sources:
  - name: shopdb
    kind: sql
    url: {url}
    tables:
      - name: things
        table: things
        primary_key: [id]
        cursor: id
{extra}""",
    )


def test_every_common_type(mysql, settings):
    url, conn, _ = mysql
    cur = conn.cursor()
    cur.execute(
        """CREATE TABLE things (id int PRIMARY KEY, big bigint, price decimal(12,2), flag boolean,
           name text, code varchar(8), day date, at datetime(6), at_utc timestamp(6) NULL,
           doc json, uid uuid, score double)"""
    )
    cur.execute(
        """INSERT INTO things VALUES
           (1, 9000000000, 1234.56, true, 'Ann', 'A1', '2026-01-02', '2026-01-02 03:04:05.123456',
            '2026-01-02 03:04:05', '{"a": 1}', 'a0d0b1f0-6120-4574-8a6d-860a1ac3537a', 1.5),
           (2, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL)"""
    )
    cur.execute("SET time_zone = '+00:00'")
    _sources(settings, url)
    report = run_ingest(settings)
    assert report.ok, report.outcomes
    types = dict(
        query(
            settings,
            "SELECT column_name, data_type FROM information_schema.columns "
            "WHERE table_name = 'shopdb__things'",
        )
    )
    assert types == {
        "id": "INTEGER",
        "big": "BIGINT",
        "price": "DECIMAL(12,2)",
        "flag": "BOOLEAN",
        "name": "VARCHAR",
        "code": "VARCHAR",
        "day": "DATE",
        "at": "TIMESTAMP",
        "at_utc": "TIMESTAMP WITH TIME ZONE",
        "doc": "JSON",
        "uid": "UUID",
        "score": "DOUBLE",
    }
    rows = query(
        settings,
        "SELECT id, big, price, flag, name, code, day, \"at\", epoch(at_utc), doc->>'$.a', "
        "uid::VARCHAR, score FROM raw.shopdb__things ORDER BY id",
    )
    assert rows[0] == (
        1,
        9000000000,
        Decimal("1234.56"),
        True,
        "Ann",
        "A1",
        date(2026, 1, 2),
        datetime(2026, 1, 2, 3, 4, 5, 123456),
        datetime(2026, 1, 2, 3, 4, 5, tzinfo=UTC).timestamp(),
        "1",
        "a0d0b1f0-6120-4574-8a6d-860a1ac3537a",
        1.5,
    )
    assert rows[1] == (2, *([None] * 11))


def test_incremental_by_increasing_id_with_updates(mysql, settings):
    url, conn, _ = mysql
    cur = conn.cursor()
    cur.execute("CREATE TABLE things (id int PRIMARY KEY, v varchar(20))")
    cur.executemany("INSERT INTO things VALUES (%s, %s)", [(i, f"v{i}") for i in range(1, 501)])
    _sources(settings, url, "        lookback: 10\n")
    assert run_ingest(settings).rows == 500
    cur.execute("UPDATE things SET v = 'late edit' WHERE id = 495")  # inside the lookback window
    cur.executemany("INSERT INTO things VALUES (%s, %s)", [(i, f"v{i}") for i in range(501, 521)])
    second = run_ingest(settings)
    assert second.ok and second.rows == 31  # ids 490..520
    rows = dict(query(settings, "SELECT id, v FROM raw.shopdb__things"))
    assert len(rows) == 520 and rows[495] == "late edit" and rows[520] == "v520"


@pytest.mark.parametrize("scheme", ["mysql+pymysql", "mariadb+pymysql"])
def test_a_url_in_sqlalchemys_spelling_reads_through_connectorx(mysql, settings, scheme):
    # users copy SQLAlchemy URLs; connectorx knows only mysql://
    url, conn, _ = mysql
    cur = conn.cursor()
    cur.execute("CREATE TABLE things (id int PRIMARY KEY, v varchar(20))")
    cur.executemany("INSERT INTO things VALUES (%s, %s)", [(1, "a"), (2, "b")])
    _sources(settings, scheme + "://" + url.split("://", 1)[1])
    report = run_ingest(settings)
    assert report.ok, report.outcomes
    assert sorted(query(settings, "SELECT id, v FROM raw.shopdb__things")) == [(1, "a"), (2, "b")]
