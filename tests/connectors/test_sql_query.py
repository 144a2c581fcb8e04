"""The SELECT a sql source runs, as text per dialect, and the incremental bound it reads from:
pinned by hand for the cases mutation testing showed unpinned (issue 8): which lower bound and
whether it is inclusive, an aware cursor written for each dialect, names kept as written."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from decimal import Decimal

import pytest

from connectors.config import SqlTable
from connectors.sql_query import build_select, literal, lower_bound

AT = datetime(2026, 3, 1, 10, 0, tzinfo=UTC)


def table(**kw) -> SqlTable:  # type: ignore[no-untyped-def]
    base = {"name": "orders", "table": "shop.Orders", "cursor": "UpdatedAt"}
    return SqlTable(**{**base, **kw})


@pytest.mark.parametrize(
    ("kw", "previous", "bound"),
    [
        ({}, AT, (AT, False)),  # no key to merge on: strictly after, or rows repeat each run
        ({"primary_key": ["OrderID"]}, AT, (AT, True)),  # re-read the last value, then merge
        ({"primary_key": ["OrderID"], "lookback": "2h"}, AT, (AT - timedelta(hours=2), True)),
        (
            {"primary_key": ["OrderID"], "lookback": "1d"},
            date(2026, 3, 1),
            (date(2026, 2, 28), True),
        ),
        ({"primary_key": ["OrderID"], "lookback": 50}, 1000, (950, True)),
        ({"primary_key": ["OrderID"], "lookback": 5}, Decimal("10.5"), (Decimal("5.5"), True)),
        # a lookback of the other kind than the cursor's value is no shift, never a TypeError
        ({"primary_key": ["OrderID"], "lookback": "2h"}, 1000, (1000, True)),
        ({"primary_key": ["OrderID"], "lookback": 50}, AT, (AT, True)),
        ({"primary_key": ["OrderID"]}, None, None),  # the first run reads everything
    ],
)
def test_the_lower_bound_and_whether_it_is_inclusive(kw, previous, bound):
    assert lower_bound(table(**kw), previous) == bound


def test_no_cursor_reads_everything():
    assert lower_bound(SqlTable(name="t", table="t"), AT) is None


@pytest.mark.parametrize(
    ("value", "dialect", "sql"),
    [
        (AT, "postgres", "'2026-03-01 10:00:00+00:00'"),  # timestamptz compares instants
        (AT, "mysql", "'2026-03-01 10:00:00'"),  # MySQL and SQLite hold naive UTC times
        (AT, "sqlite", "'2026-03-01 10:00:00'"),
        (datetime(2026, 3, 1, 10, 0, 0, 250), "mysql", "'2026-03-01 10:00:00.000250'"),
        (date(2026, 3, 1), "mysql", "'2026-03-01'"),
        (Decimal("10.50"), "mysql", "10.50"),
        (7, "postgres", "7"),
        (True, "postgres", "TRUE"),
        ("a'b", "postgres", "'a''b'"),  # a value stays a value
    ],
)
def test_cursor_literals_per_dialect(value, dialect, sql):
    assert literal(value, dialect).sql(dialect=dialect) == sql


def test_the_select_keeps_names_as_written_and_bounds_the_cursor():
    t = table(primary_key=["OrderID"], columns=["OrderID", "UpdatedAt", "TotalAmount"])
    assert build_select(t, "postgresql://h/db", AT) == (
        'SELECT "OrderID", "UpdatedAt", "TotalAmount" FROM "shop"."Orders" '
        "WHERE \"UpdatedAt\" >= '2026-03-01 10:00:00+00:00'"
    )
    assert build_select(t, "mysql+pymysql://h/db", AT) == (
        "SELECT `OrderID`, `UpdatedAt`, `TotalAmount` FROM `shop`.`Orders` "
        "WHERE `UpdatedAt` >= '2026-03-01 10:00:00'"
    )
    keyless = table(filter="status <> 'test'")
    assert build_select(keyless, "sqlite:///x.db", AT) == (
        'SELECT * FROM "shop"."Orders" WHERE status <> \'test\' '
        "AND \"UpdatedAt\" > '2026-03-01 10:00:00'"
    )
    assert build_select(t, "postgresql://h/db", AT, keys_only=True) == (
        'SELECT "OrderID" FROM "shop"."Orders"'  # soft-delete detection reads every key
    )


def test_mysql_live_keys_read_every_key_through_connectorx(monkeypatch):
    """Soft-delete detection on MySQL (the db-marked MariaDB tests run it against a server)."""
    import connectors.sql as sql
    from connectors.config import SqlSource

    seen = []
    monkeypatch.setattr(sql, "_cx", lambda url, query: seen.append((url, query)) or "keys")
    t = table(primary_key=["OrderID"])
    source = SqlSource(kind="sql", name="shop", url="mysql://u@h/db", tables=[t])
    assert sql.live_keys(source, t) == "keys"
    assert seen == [("mysql://u@h/db", "SELECT `OrderID` FROM `shop`.`Orders`")]
