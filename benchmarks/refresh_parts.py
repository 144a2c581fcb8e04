"""Extra Parquet parts for the refresh benchmark: new recent orders, and old orders re-stated.

The demo writes <source>/<table>/part-NNNN.parquet; these helpers add part-refresh-KKK-<kind>.parquet
beside them, which the `shop` source's `part-*.parquet` globs pick up, so `northstar ingest` loads
only the new files and merges them by primary key. Names sort after the demo's parts and in the
order written (KKK counts up), so "the last file holding a key wins" is the expected table.
Rows are copies of existing ones (same columns, same types), so nothing but the intended
change — more rows, or a changed amount and status — reaches the warehouse.
"""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.dataset as ds
import pyarrow.parquet as pq

from demo.parts import SCHEMAS

PREFIX = "part-refresh-"


def demo_parts(table_dir: Path) -> list[Path]:
    """The generator's own parts of one table (not ones this module wrote)."""
    return sorted(p for p in table_dir.glob("part-*.parquet") if not p.name.startswith(PREFIX))


def all_parts(table_dir: Path) -> list[Path]:
    """Every part of a table in load order: the demo's, then ours as written (names sort so)."""
    return sorted(table_dir.glob("part-*.parquet"))


def add_recent_rows(
    source: Path, share: float = 0.01, days: int = 7, seed: int = 1
) -> dict[str, int]:
    """Write `share` more orders (fresh order_ids), copies of orders placed in the last `days`
    days of the data, with copies of their items; and `share` more sessions (fresh
    session_ids) from the same days. Returns rows written per table."""
    rng = np.random.default_rng(seed)
    kind = "new"
    orders = _recent(source / "orders", "ordered_at", days)
    total = _rows(source / "orders")
    n = max(1, round(share * total))
    picked = orders.take(pa.array(np.sort(rng.choice(orders.num_rows, n))))
    first_id = _max(source / "orders", "order_id") + 1
    new_ids = np.arange(first_id, first_id + n, dtype=np.int64)
    # Items of each picked order, once per time it was picked, under its new id.
    old_to_new = pd.DataFrame({"source_id": picked["order_id"].to_numpy(), "order_id": new_ids})
    items = _rows_of(source / "order_items", "order_id", picked["order_id"])
    items = old_to_new.merge(items.rename(columns={"order_id": "source_id"}), on="source_id")
    items = items.drop(columns="source_id").sort_values(["order_id", "line"])
    new_orders = picked.set_column(0, "order_id", pa.array(new_ids))

    sessions = _recent(source / "sessions", "started_at", days)
    m = max(1, round(share * _rows(source / "sessions")))
    new_sessions = sessions.take(pa.array(np.sort(rng.choice(sessions.num_rows, m))))
    first_session = _max(source / "sessions", "session_id") + 1
    new_sessions = new_sessions.set_column(
        0, "session_id", pa.array(np.arange(first_session, first_session + m, dtype=np.int64))
    )
    number = _next_number(source)
    _write(source / "orders", number, kind, new_orders)
    _write(source / "order_items", number, kind, _table(items, "order_items"))
    _write(source / "sessions", number, kind, new_sessions)
    return {"orders": n, "order_items": len(items), "sessions": m}


def restate_old_orders(source: Path, share: float = 0.001, seed: int = 2) -> int:
    """Write one part re-stating `share` of the demo's orders, picked uniformly over the whole
    history: same order_id, amount up 10% plus 1.00, and status flipped (paid <-> cancelled) on
    every other one. Returns the number of orders re-stated."""
    rng = np.random.default_rng(seed)
    ids = pq.read_table(demo_parts(source / "orders"), columns=["order_id"])["order_id"]
    n = max(1, round(share * len(ids)))
    chosen = np.sort(rng.choice(ids.to_numpy(), n, replace=False))
    rows = _rows_of(source / "orders", "order_id", pa.array(chosen), demo_only=True)
    rows = rows.sort_values("order_id").reset_index(drop=True)
    rows["amount"] = (rows["amount"] * 1.1 + 1.0).round(2)
    flip = rows.index % 2 == 0
    rows.loc[flip, "status"] = rows.loc[flip, "status"].map(
        {"paid": "cancelled", "cancelled": "paid"}
    )
    _write(source / "orders", _next_number(source), "restated", _table(rows, "orders"))
    return n


def _recent(table_dir: Path, column: str, days: int) -> pa.Table:
    """Rows of the table's demo parts stamped within `days` days of its newest row."""
    data = ds.dataset(demo_parts(table_dir), format="parquet")
    newest = pc.max(data.to_table(columns=[column])[column]).as_py()
    return data.to_table(filter=ds.field(column) > pa.scalar(newest - timedelta(days=days)))


def _rows_of(table_dir: Path, key: str, values: pa.Array, demo_only: bool = False) -> pd.DataFrame:
    parts = demo_parts(table_dir) if demo_only else all_parts(table_dir)
    data = ds.dataset(parts, format="parquet")
    return data.to_table(filter=ds.field(key).isin(values)).to_pandas()


def _rows(table_dir: Path) -> int:
    return ds.dataset(demo_parts(table_dir), format="parquet").count_rows()


def _max(table_dir: Path, column: str) -> int:
    values = ds.dataset(all_parts(table_dir), format="parquet").to_table(columns=[column])
    return int(pc.max(values[column]).as_py())


def _table(frame: pd.DataFrame, name: str) -> pa.Table:
    return pa.Table.from_pandas(frame, schema=SCHEMAS[name], preserve_index=False)


def _next_number(source: Path) -> int:
    written = [p.name for p in source.glob(f"*/{PREFIX}*.parquet")]
    return 1 + max((int(name[len(PREFIX) :].split("-")[0]) for name in written), default=0)


def _write(table_dir: Path, number: int, kind: str, table: pa.Table) -> None:
    path = table_dir / f"{PREFIX}{number:03d}-{kind}.parquet"
    tmp = path.with_suffix(".tmp")  # the glob never sees a half-written part
    pq.write_table(table, tmp, compression="zstd")
    tmp.replace(path)
