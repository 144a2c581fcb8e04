"""The engines a warehouse runs on, and the one read interface the metric service uses on each.

| engine   | what it is                          | opened by                                  |
|----------|-------------------------------------|--------------------------------------------|
| duckdb   | an embedded file (the default)      | Warehouse / SnapshotStore (connection.py)   |
| postgres | a database reached by a libpq URL   | PostgresWarehouse (postgres.py)             |
| spark    | Parquet folders read by Spark       | SparkWarehouse (spark.py), local[N] or sc://  |

Each warehouse names its `dialect` (metric_layer/dialects.py writes the SQL for it) and whether
its rows are `frozen` while open. A new engine adds a module with a class that
satisfies WarehouseReader, a row above, a branch in open_engine and a dialect in dialects.py.
"""

from __future__ import annotations

import importlib.util
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any, Protocol

import pandas as pd
import pyarrow as pa

from warehouse.connection import WarehouseError
from warehouse.spark_versions import VersionError, current_version, kept_versions, read_version

ENGINES = ("duckdb", "postgres", "spark")


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
    engine: str,
    url: str,
    *,
    shown: str = "",
    secrets: Sequence[str] = (),
    directory: str | Path | None = None,
    version: str | None = None,
) -> WarehouseReader:
    """A read-only warehouse on a database engine reached by URL (not the DuckDB file: that is
    opened through its serving snapshots). `shown` and `secrets` as settings.EngineChoice has
    them: what messages print and what they never hold; `directory` Spark's Parquet tables and
    `version` the published version of them to read (None: the current one).
    WarehouseError when it cannot open."""
    if engine == "postgres":
        from warehouse.postgres import PostgresWarehouse  # psycopg only when it is used

        return PostgresWarehouse(url, read_only=True, shown=shown, secrets=secrets)
    if engine == "spark":
        if importlib.util.find_spec("pyspark") is None:
            raise WarehouseError(
                "engine = spark needs pyspark: pip install -e '.[spark]' (or `make spark`, "
                "which also installs Java 17 where it is missing)"
            )
        from warehouse.spark import SparkWarehouse  # pyspark only when it is used

        return SparkWarehouse(url, directory=directory, read_only=True, version=version)
    raise WarehouseError(
        f"no engine {engine!r} is opened by URL; engines: {', '.join(ENGINES)} (the duckdb "
        "warehouse is a file: NORTHSTAR_WAREHOUSE)"
    )


LIVE = "live"  # the version of tables Northstar did not publish (loaded by other tools)


class SparkVersions:
    """engine = spark in SnapshotStore's words: the versions `northstar ingest` published into
    the directory (warehouse/spark_versions.py), or LIVE while it holds only tables other tools
    load (no spec published with those: metrics.yml is read from its file)."""

    def __init__(
        self, directory: str | Path, open_reader: Callable[[str | None], WarehouseReader]
    ) -> None:
        """`open_reader(version)`: a warehouse on that version (None: the tables as they are)."""
        self._directory = Path(directory)
        self._open_reader = open_reader

    def current(self) -> tuple[str, str | None]:
        """(version, its metrics.yml text); WarehouseError when CURRENT is unreadable."""
        name = self._current()
        return (LIVE, None) if name is None else (name, self.spec_text(name))

    def versions(self) -> list[str]:
        return kept_versions(self._directory) or [LIVE]

    def spec_text(self, version: str) -> str | None:
        if version == LIVE:
            return None
        try:
            return read_version(self._directory, version).spec_text
        except VersionError as exc:
            raise WarehouseError(f"Spark warehouse: {exc}") from None

    def open_snapshot(self, version: str, config: object = None) -> WarehouseReader:
        """`config` (DuckDB's settings) does not apply here."""
        return self._open_reader(None if version == LIVE else version)

    def close(self) -> None:
        return None

    def _current(self) -> str | None:
        try:
            return current_version(self._directory)
        except VersionError as exc:
            raise WarehouseError(f"Spark warehouse: {exc}") from None
