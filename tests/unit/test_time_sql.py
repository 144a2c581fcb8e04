"""Each way a time column can be stored gets the fewest time-zone conversions that keep its days
right: none when the data is already in the spec's zone. Days are checked against pandas."""

from __future__ import annotations

from datetime import date, datetime

import pandas as pd
import pytest

from metric_layer.loader import parse_spec
from metric_layer.query import MetricQuery
from metric_layer.service import MetricService
from warehouse import Warehouse

# UTC instants around local midnights in Shanghai (UTC+8) and New York (DST ends 2025-11-02).
INSTANTS = [
    "2025-10-31 15:59:59",
    "2025-10-31 16:00:00",
    "2025-11-01 03:59:00",
    "2025-11-01 04:00:00",
    "2025-11-02 04:30:00",
    "2025-11-02 05:30:00",
    "2025-11-02 23:59:59",
    "2025-11-03 00:00:00",
    "2025-11-03 05:00:00",
]
SPEC = """
version: 1
time_zone: {spec_zone}
models:
  - name: events
    table: raw.events
    primary_key: id
    time: {{column: at, time_zone: {data_zone}}}
metrics:
  - {{name: events, type: simple, model: events, agg: count}}
"""


def _frame(kind: str, data_zone: str) -> pd.DataFrame:
    utc = pd.to_datetime(pd.Series(INSTANTS)).dt.tz_localize("UTC")
    if kind == "timestamptz":
        at = utc.astype("datetime64[us, UTC]")
    elif kind == "date":
        at = utc.dt.date
    else:  # naive wall-clock time in data_zone
        at = utc.dt.tz_convert(data_zone).dt.tz_localize(None).astype("datetime64[us]")
    return pd.DataFrame({"id": range(len(INSTANTS)), "at": at})


def _expected_days(kind: str, spec_zone: str) -> dict[date, int]:
    utc = pd.to_datetime(pd.Series(INSTANTS)).dt.tz_localize("UTC")
    days = utc.dt.date if kind == "date" else utc.dt.tz_convert(spec_zone).dt.date
    return days.value_counts().to_dict()


CASES = [
    # (stored as, data's zone in metrics.yml, spec zone, last day asked, SQL shape)
    ("timestamp", "UTC", "UTC", date(2025, 11, 4), "cast"),
    ("timestamp", "Asia/Shanghai", "Asia/Shanghai", date(2025, 11, 4), "cast"),
    ("timestamp", "local", "America/New_York", date(2025, 11, 4), "cast"),
    ("timestamp", "Etc/UTC", "UTC", date(2025, 11, 4), "cast"),
    ("timestamp", "UTC", "Asia/Shanghai", date(2025, 11, 4), "shift"),  # UTC+8 all year
    ("timestamp", "UTC", "Asia/Kolkata", date(2025, 11, 4), "shift"),  # UTC+5:30: minutes
    ("timestamp", "UTC", "America/New_York", date(2025, 11, 1), "shift"),  # before DST ends
    ("timestamp", "UTC", "America/New_York", date(2025, 11, 4), "timezone x2"),  # across it
    ("timestamptz", "UTC", "UTC", date(2025, 11, 4), "timezone x1"),
    ("timestamptz", "UTC", "America/New_York", date(2025, 11, 4), "timezone x1"),
    ("date", "UTC", "Asia/Shanghai", date(2025, 11, 4), "column"),
]


def _shape(sql: str) -> str:
    calls = sql.upper().count("TIMEZONE(")
    if calls:
        return f"timezone x{calls}"
    if "INTERVAL" in sql.upper():
        return "shift"
    return "cast" if 'CAST("t0"."at" AS DATE)' in sql else "column"


@pytest.mark.parametrize(("kind", "data_zone", "spec_zone", "end", "shape"), CASES)
def test_minimal_conversion_and_right_days(kind, data_zone, spec_zone, end, shape):
    stored_zone = spec_zone if data_zone == "local" else data_zone
    wh = Warehouse()
    try:
        wh.replace_table("raw.events", _frame(kind, stored_zone))
        spec = parse_spec(
            SPEC.format(spec_zone=spec_zone, data_zone=data_zone), "t.yml", wh.table_columns()
        )
        svc = MetricService(wh, spec, clock=lambda: datetime(2026, 1, 1, 12), use_rollups=False)
        query = MetricQuery(("events",), grain="day", start=date(2025, 10, 30), end=end)
        sql = svc.sql("events", query)
        assert _shape(sql) == shape, sql
        frame = svc.query(query).frame
        got = {p: n for p, n in zip(frame["period"], frame["events"], strict=True) if n}
        want = _expected_days(kind, spec_zone)
        assert got == {d: n for d, n in want.items() if d <= end}
    finally:
        wh.close()
