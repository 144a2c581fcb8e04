"""The fixture shop for review-record tests: its snapshot's metric service, and the numbers a
review must show, computed by hand with pandas from the shop's rows (never by the code under test).

The spec cuts weeks in Asia/Shanghai (UTC+8) from naive-UTC timestamps; a paid order is
status == 'paid'; `size` is large when amount >= 100; `region` and `channel` come from customers.
"""

from __future__ import annotations

import math
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import date, timedelta
from pathlib import Path

import pandas as pd
from browser.fixture_shop import AS_OF, SPEC

from metric_layer.loader import load_spec
from metric_layer.service import MetricService
from warehouse import SnapshotStore

W11 = date(2026, 3, 9)  # Monday of 2026-W11, the last complete week as of AS_OF (Wed 18 Mar)


@contextmanager
def snapshot_service(serving_dir: Path) -> Iterator[MetricService]:
    """The metric service on the newest snapshot in `serving_dir`, as of the shop's AS_OF."""
    store = SnapshotStore(serving_dir)
    current = store.current()
    assert current is not None
    wh = store.open_snapshot(current[0])
    try:
        yield MetricService(
            wh, load_spec(SPEC, wh.table_columns()), snapshot=current[0], as_of=AS_OF
        )
    finally:
        wh.close()


def paid_orders(tables: dict[str, pd.DataFrame]) -> pd.DataFrame:
    """Paid orders with their local day, size, and their customer's region and channel."""
    orders = tables["raw.orders"]
    customers = tables["raw.customers"][["customer_id", "region", "channel"]]
    paid = orders[orders["status"] == "paid"].merge(customers, on="customer_id", how="left")
    paid["local"] = pd.to_datetime(paid["ordered_at"]) + pd.Timedelta(hours=8)
    paid["size"] = paid["amount"].map(lambda a: "large" if a >= 100 else "small")
    return paid


def in_week(frame: pd.DataFrame, monday: date) -> pd.DataFrame:
    start = pd.Timestamp(monday)
    return frame[(frame["local"] >= start) & (frame["local"] < start + pd.Timedelta(days=7))]


def week_figures(tables: dict[str, pd.DataFrame], monday: date) -> dict[str, float]:
    """Orders, buyers, revenue and revenue per buyer of the week starting `monday`."""
    week = in_week(paid_orders(tables), monday)
    orders, buyers, revenue = len(week), week["customer_id"].nunique(), week["amount"].sum()
    return {
        "orders": float(orders),
        "buyers": float(buyers),
        "revenue": float(revenue),
        "revenue_per_buyer": float(revenue / buyers) if buyers else math.nan,
    }


def segment_count(tables: dict[str, pd.DataFrame], monday: date, label: str) -> int:
    """Paid orders of the week in the segment `label` ("platform=web", "region=north × size=large")."""
    week = in_week(paid_orders(tables), monday)
    for part in label.split(" × "):
        dimension, value = part.split("=", 1)
        week = week[week[dimension].astype(str) == value]
    return len(week)


def log_mean(a: float, b: float) -> float:
    return (a - b) / math.log(a / b) if a != b else a


def last_year(monday: date) -> date:
    return monday - timedelta(weeks=52)
