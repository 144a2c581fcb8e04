"""The refresh benchmark's correctness checks: what the warehouse, the served snapshot and the
rollups say, against pandas over the source Parquet files.

The expected orders table is every part read in load order (the demo's parts, then the refresh
parts as written) keeping the last row of each order_id: what a merge by primary key must give.
Per-day figures cut days in the shop's zone by hand (pandas tz_convert), not through the metric
layer, so a refresh that leaves a rollup stale or double-counts a re-stated order shows up.
"""

from __future__ import annotations

import csv
import io
from dataclasses import dataclass
from pathlib import Path

import pandas as pd
import pyarrow.parquet as pq

from benchmarks.refresh_parts import all_parts
from warehouse import Warehouse

ZONE = "Asia/Shanghai"  # metrics.yml `time_zone` of the demo shop


@dataclass(frozen=True)
class OrderTotals:
    rows: int
    amount: float
    paid: int

    def differs(self, other: OrderTotals) -> bool:
        close = abs(self.amount - other.amount) <= 0.01 + 1e-9 * abs(other.amount)
        return self.rows != other.rows or self.paid != other.paid or not close


def expected_orders(source: Path) -> pd.DataFrame:
    """order_id, ordered_at, status, amount after merging every orders part by key, in order."""
    columns = ["order_id", "ordered_at", "status", "amount"]
    frames = [
        pq.read_table(p, columns=columns).to_pandas(strings_to_categorical=True)
        for p in all_parts(source / "orders")
    ]
    merged = pd.concat(frames, ignore_index=True)
    merged["status"] = merged["status"].astype(str)
    return merged.drop_duplicates("order_id", keep="last").reset_index(drop=True)


def totals_of(orders: pd.DataFrame) -> OrderTotals:
    return OrderTotals(
        len(orders), float(orders["amount"].sum()), int((orders["status"] == "paid").sum())
    )


def loaded_totals(warehouse: Warehouse) -> OrderTotals:
    rows, amount, paid = warehouse.rows(
        "SELECT count(*), sum(amount), count(*) FILTER (WHERE status = 'paid') "
        "FROM raw.shop__orders"
    )[0]
    return OrderTotals(int(rows), float(amount), int(paid))


def daily(orders: pd.DataFrame, min_amount: float | None) -> pd.DataFrame:
    """revenue (sum of paid amount, with `amount >= min_amount` when given) and paid_orders per
    local day, indexed by ISO day."""
    paid = orders[orders["status"] == "paid"]
    day = paid["ordered_at"].dt.tz_localize("UTC").dt.tz_convert(ZONE).dt.date.astype(str)
    revenue = paid["amount"]
    if min_amount is not None:
        revenue = revenue.where(revenue >= min_amount, 0.0)
    frame = pd.DataFrame({"day": day, "revenue": revenue, "paid_orders": 1})
    return frame.groupby("day")[["revenue", "paid_orders"]].sum()


def local_days(orders: pd.DataFrame) -> tuple[str, str]:
    """First and last day of the orders in the shop's zone."""
    stamps = orders["ordered_at"].agg(["min", "max"]).dt.tz_localize("UTC").dt.tz_convert(ZONE)
    return str(stamps.iloc[0].date()), str(stamps.iloc[1].date())


def daily_mismatches(query_csv: str, expected: pd.DataFrame) -> list[str]:
    """Days where `northstar query revenue paid_orders --grain day --format csv` differs from
    `expected` (a day missing from either side counts as zero there)."""
    got = {
        row["period"]: (float(row["revenue"] or 0), int(float(row["paid_orders"] or 0)))
        for row in csv.DictReader(io.StringIO(query_csv))
    }
    want = {d: (float(r.revenue), int(r.paid_orders)) for d, r in expected.iterrows()}
    problems = []
    for day in sorted(set(got) | set(want)):
        (g_rev, g_paid), (w_rev, w_paid) = got.get(day, (0.0, 0)), want.get(day, (0.0, 0))
        if g_paid != w_paid or abs(g_rev - w_rev) > 0.005 + 1e-9 * abs(w_rev):
            problems.append(
                f"{day}: query says revenue {g_rev:.2f}, paid_orders {g_paid}; "
                f"pandas {w_rev:.2f}, {w_paid}"
            )
    return problems
