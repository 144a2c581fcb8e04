"""The refresh benchmark's extra parts (benchmarks/refresh_parts.py) change exactly what they say.

A tiny demo shop is generated and ingested through the shipped sources.yml; then the parts for
"1% new rows" and "0.1% old rows re-stated" are written and ingested, and the warehouse is compared
with what pandas computes from the demo's own files: the benchmark's timings are only worth
something while its data changes are these.
"""

from __future__ import annotations

from datetime import date, timedelta
from pathlib import Path

import pandas as pd
import pytest

from benchmarks.refresh_parts import add_recent_rows, restate_old_orders
from connectors import run_ingest
from demo.generator import generate
from demo.parts import SCHEMAS
from settings import Settings
from warehouse import Warehouse

ROOT = Path(__file__).resolve().parents[2]
END = date(2026, 6, 30)
ORDERS = 3_000


@pytest.fixture
def shop(tmp_path: Path) -> tuple[Settings, Path]:
    source = tmp_path / "source"
    generate(source, orders=ORDERS, end=END, seed=7)
    settings = Settings(
        metrics=tmp_path / "no-metrics.yml",  # loads only: no rollups
        sources=ROOT / "sources.yml",  # the demo's real globs and primary keys
        warehouse=tmp_path / "warehouse.duckdb",
        serving_dir=tmp_path / "serving",
    )
    ingest(settings, source)
    return settings, source


def ingest(settings: Settings, source: Path) -> None:
    report = run_ingest(settings, "shop", environ={"NORTHSTAR_DATA": str(source)})
    assert report.ok, report.outcomes


def table(settings: Settings, name: str, key: list[str]) -> pd.DataFrame:
    """A raw.shop__ table as loaded, with the source's columns only, sorted by key."""
    with Warehouse(settings.warehouse, read_only=True) as wh:
        frame = wh.frame(f"SELECT * FROM raw.shop__{name}")  # name: a literal of this test
    return frame[SCHEMAS[name].names].sort_values(key).reset_index(drop=True)


def demo_frame(source: Path, name: str, key: list[str]) -> pd.DataFrame:
    """The generator's own parts of a table (not the benchmark's), sorted by key."""
    parts = sorted((source / name).glob("part-[0-9]*.parquet"))
    return pd.concat([pd.read_parquet(p) for p in parts]).sort_values(key).reset_index(drop=True)


def records(frame: pd.DataFrame) -> list[tuple]:
    """Rows as tuples, nulls as None (DuckDB and Parquet readers spell them differently)."""
    return [tuple(None if pd.isna(v) else v for v in row) for row in frame.itertuples(False)]


def test_new_rows_are_one_percent_more_recent_copies_with_their_items(shop):
    settings, source = shop
    orders = demo_frame(source, "orders", ["order_id"])
    items = demo_frame(source, "order_items", ["order_id", "line"])
    sessions = demo_frame(source, "sessions", ["session_id"])

    written = add_recent_rows(source)
    ingest(settings, source)

    loaded = table(settings, "orders", ["order_id"])
    n = round(0.01 * len(orders))
    assert written["orders"] == n
    assert len(loaded) == len(orders) + n
    new = loaded[loaded["order_id"] > orders["order_id"].max()]
    assert list(new["order_id"]) == list(range(orders["order_id"].max() + 1, len(loaded) + 1))
    # each new order copies an order of the last 7 days, and its items are that order's lines
    recent = orders[orders["ordered_at"] > orders["ordered_at"].max() - timedelta(days=7)]
    lines = {
        order_id: sorted(records(group.drop(columns=["order_id", "line"])))
        for order_id, group in items.groupby("order_id")
    }
    sources: dict[tuple, list[list[tuple]]] = {}
    for row, order_id in zip(
        records(recent.drop(columns="order_id")), recent["order_id"], strict=True
    ):
        sources.setdefault(row, []).append(lines.get(order_id, []))
    loaded_items = table(settings, "order_items", ["order_id", "line"])
    new_items = loaded_items[loaded_items["order_id"] > orders["order_id"].max()]
    new_lines = {
        order_id: sorted(records(group.drop(columns=["order_id", "line"])))
        for order_id, group in new_items.groupby("order_id")
    }
    for row, order_id in zip(records(new.drop(columns="order_id")), new["order_id"], strict=True):
        assert row in sources, f"new order {order_id} copies no recent order"
        assert new_lines.get(order_id, []) in sources[row], f"order {order_id}: other lines"
    assert written["order_items"] == len(new_items) == len(loaded_items) - len(items)
    # the old orders and items are untouched
    old = loaded[loaded["order_id"] <= orders["order_id"].max()]
    assert records(old) == records(orders)
    assert records(loaded_items[loaded_items["order_id"] <= orders["order_id"].max()]) == records(
        items
    )

    loaded_sessions = table(settings, "sessions", ["session_id"])
    m = round(0.01 * len(sessions))
    assert written["sessions"] == m == len(loaded_sessions) - len(sessions)
    new_sessions = loaded_sessions[loaded_sessions["session_id"] > sessions["session_id"].max()]
    assert len(new_sessions) == m
    assert new_sessions["started_at"].min() > sessions["started_at"].max() - timedelta(days=7)


def test_restated_orders_replace_their_rows_by_key(shop):
    settings, source = shop
    orders = demo_frame(source, "orders", ["order_id"])

    restated = restate_old_orders(source)
    ingest(settings, source)

    loaded = table(settings, "orders", ["order_id"])
    assert restated == round(0.001 * len(orders)) == 3
    assert len(loaded) == len(orders)  # merged by key: no row added
    changed = loaded.compare(orders)
    ids = loaded.loc[changed.index, "order_id"]
    assert len(ids) == restated
    before = orders.set_index("order_id").loc[ids]
    after = loaded.set_index("order_id").loc[ids]
    assert list(after["amount"]) == [round(a * 1.1 + 1.0, 2) for a in before["amount"]]
    flipped = {"paid": "cancelled", "cancelled": "paid"}
    assert list(after["status"]) == [
        flipped[s] if i % 2 == 0 else s for i, s in enumerate(before["status"])
    ]
    # spread over the history, not bunched at its end
    days = (orders["ordered_at"].max() - orders["ordered_at"].min()).days
    assert (after["ordered_at"].max() - after["ordered_at"].min()).days > days / 4
    assert loaded["amount"].sum() == pytest.approx(
        orders["amount"].sum() + (after["amount"] - before["amount"]).sum()
    )
