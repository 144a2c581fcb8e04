"""Values keep their kind: counts are integers, sums of DECIMAL columns exact, ratios doubles.

Expected numbers come from pandas over the same rows (Decimal sums done by hand), never from the
metric layer; the CSV and JSON of the CLI print those exact values.
"""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal

import pandas as pd
import pyarrow as pa
import pytest

from dashboard.breakdown import top_n
from dashboard.figures import breakdown_figure, trend_figure
from dashboard.formatting import format_value, relative_change
from metric_layer.frame_json import frame_json
from metric_layer.loader import parse_spec
from metric_layer.query import MetricQuery
from metric_layer.service import MetricService
from tests.conftest import (
    SPEC_PATH,
    customers_frame,
    orders_frame,
    sessions_frame,
)
from warehouse import Warehouse

TZ = "Asia/Shanghai"
# (id, customer, ordered_at UTC, amount as text, status, platform); local days in Shanghai
ORDERS = [
    ("o1", "c1", "2026-01-05 02:00", "0.10", "paid", "ios"),  # 01-05
    (
        "o2",
        "c2",
        "2026-01-05 03:00",
        "0.20",
        "paid",
        "web",
    ),  # 01-05: 0.1 + 0.2 in floats is 0.30000000000000004
    ("o3", "c1", "2026-01-06 02:00", "12345678901234.57", "paid", "ios"),  # 01-06
    ("o4", "c1", "2026-01-06 03:00", "0.01", "paid", "ios"),
    ("o5", "c2", "2026-01-06 04:00", "0.01", "paid", "web"),
    ("o6", "c2", "2026-01-06 05:00", "7.00", "cancelled", "web"),
    # nothing on 01-07; o7 is on 01-08 (today)
    ("o7", "c2", "2026-01-08 01:00", "1.00", "paid", "web"),
]
CUSTOMERS = [
    ("c1", "ads", "north", "2026-01-01 00:00"),
    ("c2", "organic", "south", "2026-01-01 00:00"),
]
SESSIONS = [("s1", "c1", "2026-01-05 01:00", "ios"), ("s2", "c2", "2026-01-06 01:00", "web")]
RANGE = {"grain": "day", "start": date(2026, 1, 5), "end": date(2026, 1, 9)}  # 01-09: future


@pytest.fixture(scope="module")
def orders() -> pd.DataFrame:
    frame = orders_frame([(*o[:3], 0.0, *o[4:]) for o in ORDERS])
    frame["amount"] = [Decimal(o[3]) for o in ORDERS]
    frame["day"] = frame["ordered_at"].dt.tz_localize("UTC").dt.tz_convert(TZ).dt.date
    return frame


@pytest.fixture(scope="module")
def service(orders):
    wh = Warehouse()
    table = pa.Table.from_pandas(orders.drop(columns="day"), preserve_index=False)
    amount = pa.array(orders["amount"].tolist(), pa.decimal128(18, 2))
    table = table.set_column(table.schema.get_field_index("amount"), "amount", amount)
    wh.replace_table("raw.orders", table)
    wh.replace_table("raw.customers", customers_frame(CUSTOMERS))
    wh.replace_table("raw.sessions", sessions_frame(SESSIONS))
    assert wh.table_columns()["raw.orders"]["amount"] == "DECIMAL(18,2)"
    spec = parse_spec(SPEC_PATH.read_text(), "small_spec.yml", wh.table_columns())
    svc = MetricService(wh, spec, clock=lambda: datetime(2026, 1, 8, 12), use_rollups=False)
    yield svc
    wh.close()


def _expected(orders: pd.DataFrame) -> pd.DataFrame:
    paid = orders[orders["status"] == "paid"]
    days = pd.DataFrame({"period": pd.date_range("2026-01-05", "2026-01-09").date})
    g = paid.groupby("day")
    want = days.merge(
        pd.DataFrame({"orders": g.size(), "revenue": g["amount"].sum()}).rename_axis("period"),
        on="period",
        how="left",
    )
    want["orders"] = want["orders"].fillna(0).astype(int)
    want["revenue"] = [Decimal("0.00") if v != v else v for v in want["revenue"]]
    return want


def test_counts_are_integers_and_decimal_sums_exact(service, orders):
    frame = service.query(MetricQuery(("orders", "revenue", "aov"), **RANGE)).frame
    want = _expected(orders)
    assert str(frame["orders"].dtype) == "Int64"
    assert frame["orders"].tolist() == want["orders"].tolist() == [2, 3, 0, 1, 0]
    assert all(isinstance(v, Decimal) for v in frame["revenue"])
    assert frame["revenue"].tolist() == want["revenue"].tolist()
    assert (
        frame["revenue"][0] == Decimal("0.30") and str(frame["revenue"][1]) == "12345678901234.59"
    )
    assert frame["aov"].dtype == "float64"  # a ratio is a double
    assert frame["aov"][0] == pytest.approx(0.15)


def test_csv_and_json_print_exact_values(service):
    frame = service.query(MetricQuery(("orders", "revenue"), **RANGE, compare="previous")).frame
    csv = frame.to_csv(index=False).splitlines()
    assert csv[1].startswith(
        "2026-01-05,2,0,0.30,0.00,"
    )  # orders, its compare, revenue, its compare
    assert csv[2].startswith("2026-01-06,3,2,12345678901234.59,0.30,")
    text = frame_json(frame)
    assert '"revenue": 0.30,' in text and '"revenue": 12345678901234.59,' in text
    assert '"orders": 2,' in text and '"orders": 2.0' not in text


def test_active_counts_are_integers_with_gaps_and_averages_doubles(service):
    frame = service.query(MetricQuery(("wau", "dau"), **RANGE)).frame
    assert str(frame["wau"].dtype) == "Int64"
    # c1 from 01-05, c2 from 01-06; 01-09 is after today: no value, not a float NaN
    assert frame["wau"].tolist()[:4] == [1, 2, 2, 2] and frame["wau"][4] is pd.NA
    weekly = service.query(MetricQuery(("dau",), grain="week", start=date(2026, 1, 5))).frame
    assert weekly["dau"].dtype == "float64"  # a daily average is not a count


def test_consumers_read_integer_and_decimal_columns(service):
    frame = service.query(MetricQuery(("revenue", "wau"), **RANGE, dimensions=("channel",))).frame
    revenue, wau = service.spec.metric("revenue"), service.spec.metric("wau")
    assert format_value(frame["revenue"][0], revenue, "CNY") == "¥0.10"
    assert format_value(pd.NA, wau) == "–" and relative_change(pd.NA, 3) is None
    folded = top_n(frame, "revenue", "channel", 1, additive=True)
    assert set(folded["channel"]) == {"ads", "Other"}
    assert trend_figure(frame[frame["channel"] == "ads"], wau, "day").to_json()
    assert breakdown_figure(frame, revenue, "day", "channel").to_json()


DERIVED = """
  - {name: revenue_change, type: derived, formula: "revenue - previous(revenue)"}
  - {name: repeat_orders, type: derived, formula: "orders - buyers"}
  - {name: revenue_share, type: derived, formula: "revenue / (revenue + 1)"}
"""


def test_derived_formulas_keep_exact_types_until_a_division(service, orders):
    """revenue − previous(revenue) of DECIMAL sums is exact; counts minus counts are counts;
    a quotient is a double."""
    text = SPEC_PATH.read_text().replace("\nnorth_star:", DERIVED + "north_star:", 1)
    spec = parse_spec(text, "derived.yml", service.warehouse.table_columns())
    svc = MetricService(service.warehouse, spec, clock=lambda: datetime(2026, 1, 8, 12))
    names = ("revenue_change", "repeat_orders", "revenue_share")
    frame = svc.query(MetricQuery(names, **RANGE)).frame
    want = _expected(orders)
    paid = orders[orders["status"] == "paid"]
    buyers = paid.groupby("day")["customer_id"].nunique()
    # by hand: revenue per day 0.30, 12345678901234.59, 0, 1.00 (today), 0
    revenue = want["revenue"].tolist()
    change = [r - p for r, p in zip(revenue[1:], revenue[:-1], strict=True)]
    assert frame["revenue_change"].tolist()[1:] == change
    assert str(frame["revenue_change"][1]) == "12345678901234.29"
    assert all(isinstance(v, Decimal) for v in frame["revenue_change"].dropna())
    assert str(frame["repeat_orders"].dtype) == "Int64"
    got = frame.set_index("period")["repeat_orders"].dropna()
    assert got.tolist() == [
        int(want.set_index("period")["orders"][d]) - int(buyers.get(d, 0)) for d in got.index
    ]
    assert frame["revenue_share"].dtype == "float64"
