"""Schemas of the raw source tables and a writer of numbered Parquet parts.

Parts are written on a background thread so that compressing month N overlaps generating month N+1
(pyarrow releases the GIL). At most one month is queued, which keeps memory bounded. Files carry the
Arrow schema but no pandas metadata, so bytes depend only on the data.
"""

from __future__ import annotations

import shutil
from collections.abc import Mapping
from concurrent.futures import Future, ThreadPoolExecutor
from pathlib import Path

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.parquet as pq

TS = pa.timestamp("us")  # naive, UTC
SCHEMAS: dict[str, pa.Schema] = {
    "customers": pa.schema(
        [
            ("customer_id", pa.int64()),
            ("signed_up_at", TS),
            ("channel", pa.string()),
            ("region", pa.string()),
            ("platform", pa.string()),
            ("plan", pa.string()),
        ]
    ),
    "sessions": pa.schema(
        [
            ("session_id", pa.int64()),
            ("customer_id", pa.int64()),
            ("started_at", TS),
            ("platform", pa.string()),
            ("duration_s", pa.int32()),
        ]
    ),
    "orders": pa.schema(
        [
            ("order_id", pa.int64()),
            ("customer_id", pa.int64()),
            ("ordered_at", TS),
            ("platform", pa.string()),
            ("status", pa.string()),
            ("amount", pa.float64()),
            ("cost", pa.float64()),
            ("discount", pa.float64()),
            ("promotion", pa.string()),
            ("customer_order_number", pa.int32()),
        ]
    ),
    "order_items": pa.schema(
        [
            ("order_id", pa.int64()),
            ("line", pa.int32()),
            ("category", pa.string()),
            ("quantity", pa.int32()),
            ("price", pa.float64()),
        ]
    ),
    "refunds": pa.schema(
        [
            ("refund_id", pa.int64()),
            ("order_id", pa.int64()),
            ("refunded_at", TS),
            ("amount", pa.float64()),
            ("reason", pa.string()),
        ]
    ),
    "marketing_spend": pa.schema(
        [("day", pa.date32()), ("channel", pa.string()), ("spend", pa.float64())]
    ),
    "subscriptions": pa.schema(
        [
            ("day", pa.date32()),
            ("plan", pa.string()),
            ("channel", pa.string()),
            ("region", pa.string()),
            ("subscribers", pa.int32()),
            ("mrr", pa.float64()),
        ]
    ),
    "nps_responses": pa.schema(
        [
            ("response_id", pa.int64()),
            ("customer_id", pa.int64()),
            ("answered_at", TS),
            ("score", pa.int32()),
        ]
    ),
}
TABLES = list(SCHEMAS)


def labels(codes: np.ndarray, names: np.ndarray | list[str]) -> pa.Array:
    """Strings from small integer codes; negative codes become NULL."""
    dictionary = pa.array([str(n) for n in names], pa.string())
    index = pa.array(codes.astype(np.int32), mask=codes < 0)
    return pc.take(dictionary, index)


def money(fen: np.ndarray) -> np.ndarray:
    return np.round(fen / 100.0, 2)


def timestamps(base_us: int, seconds: np.ndarray) -> pa.Array:
    return pa.array(base_us + seconds.astype(np.int64) * 1_000_000, type=pa.int64()).view(TS)


class PartWriter:
    """Writes each table's part; with `cutoff` (UTC µs since the epoch), rows after it are dropped
    (and the items of dropped orders), so the data ends at that moment as a live shop's would."""

    def __init__(self, out_dir: Path, cutoff: int | None = None) -> None:
        self.out_dir = out_dir
        self.cutoff = cutoff
        self.rows = dict.fromkeys(TABLES, 0)
        self._pool = ThreadPoolExecutor(max_workers=1)
        self._pending: list[Future] = []
        for table in TABLES:  # stale parts of an earlier, longer run would corrupt the table
            shutil.rmtree(out_dir / table, ignore_errors=True)
            (out_dir / table).mkdir(parents=True)

    def write(self, part: int, columns_by_table: Mapping[str, Mapping[str, object]]) -> None:
        self.flush()  # wait for the previous month: bounded memory
        tables = {
            name: pa.Table.from_pydict(dict(cols), schema=SCHEMAS[name])
            for name, cols in columns_by_table.items()
        }
        if self.cutoff is not None:
            tables = _until(tables, self.cutoff)
        for name, table in tables.items():
            self.rows[name] += table.num_rows
        self._pending = [
            self._pool.submit(self._write_one, name, part, table) for name, table in tables.items()
        ]

    def _write_one(self, name: str, part: int, table: pa.Table) -> None:
        path = self.out_dir / name / f"part-{part:04d}.parquet"
        pq.write_table(table, path, compression="zstd", row_group_size=1 << 20)

    def flush(self) -> None:
        for fut in self._pending:
            fut.result()
        self._pending = []

    def close(self) -> None:
        self.flush()
        self._pool.shutdown()


def _until(tables: dict[str, pa.Table], cutoff: int) -> dict[str, pa.Table]:
    """Rows at or before `cutoff`; order_items follow their orders (written in the same part)."""
    moment = pa.scalar(cutoff, pa.int64()).cast(TS)
    out = {}
    for name, table in tables.items():
        stamps = [f.name for f in table.schema if f.type == TS]
        out[name] = table.filter(pc.less_equal(table[stamps[0]], moment)) if stamps else table
    if "order_items" in out and "orders" in out:
        items = out["order_items"]
        out["order_items"] = items.filter(pc.is_in(items["order_id"], out["orders"]["order_id"]))
    return out
