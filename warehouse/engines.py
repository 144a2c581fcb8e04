"""The engines a warehouse runs on, and the one read interface the metric service uses on each.

| engine   | what it is                          | opened by                                  |
|----------|-------------------------------------|--------------------------------------------|
| duckdb   | an embedded file (the default)      | Warehouse / SnapshotStore (connection.py)   |
| postgres | a database reached by a libpq URL   | PostgresWarehouse (postgres.py)             |

Each warehouse names its `dialect` (metric_layer/dialects.py writes the SQL for it) and whether
its rows are `frozen` while open. A new engine (Spark next) adds a module with a class that
satisfies WarehouseReader, a row above, a branch in open_engine and a dialect in dialects.py.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any, Protocol

import pandas as pd
import pyarrow as pa

from warehouse.connection import WarehouseError

ENGINES = ("duckdb", "postgres")


class WarehouseReader(Protocol):
    """What the metric service, the CLI and the pages read a warehouse through."""

    dialect: str
    read_only: bool

    @property
    def frozen(self) -> bool: ...

    def arrow(
        self,
        sql: str,
        params: Sequence[Any] | dict[str, Any] | None = None,
        *,
        max_rows: int | None = None,
    ) -> pa.Table: ...

    def frame(
        self,
        sql: str,
        params: Sequence[Any] | dict[str, Any] | None = None,
        *,
        max_rows: int | None = None,
    ) -> pd.DataFrame: ...

    def rows(
        self, sql: str, params: Sequence[Any] | dict[str, Any] | None = None
    ) -> list[tuple]: ...

    def table_columns(self) -> dict[str, dict[str, str]]: ...

    def has_table(self, qualified: str) -> bool: ...

    def close(self) -> None: ...


def open_engine(
    engine: str, url: str, *, shown: str = "", secrets: Sequence[str] = ()
) -> WarehouseReader:
    """A read-only warehouse on a database engine reached by URL (not the DuckDB file: that is
    opened through its serving snapshots). `shown` and `secrets` as settings.EngineChoice has
    them: what messages print and what they never hold. WarehouseError when it cannot open."""
    if engine == "postgres":
        from warehouse.postgres import PostgresWarehouse  # psycopg only when it is used

        return PostgresWarehouse(url, read_only=True, shown=shown, secrets=secrets)
    raise WarehouseError(
        f"no engine {engine!r} is opened by URL; engines: {', '.join(ENGINES)} (the duckdb "
        "warehouse is a file: NORTHSTAR_WAREHOUSE)"
    )
