"""Spark as the warehouse: the metric service reads it as it reads DuckDB.

The same read interface as warehouse.connection.Warehouse (arrow, frame, rows, table_columns,
has_table, read_only, close) and `dialect = "spark"`, the SQL metric_layer/dialects.py writes
for it. Spark runs as a local session (`local[N]`, development and tests) or is reached by a
Spark Connect URL (`sc://host:port`); warehouse/spark_session.py starts one session per process.

Raw tables are Parquet tables in a warehouse directory: `<directory>/<schema>/<table>/` holds
the Parquet files of table `schema.table` (`raw/orders/` is raw.orders). Opening the warehouse
registers each as an external table in the session's catalog; tables already in the catalog (a
cluster's metastore) are read as they are, so the directory may be left out. Spark's catalog is
one per process: one warehouse directory is registered at a time (a second raises; close the
first). What a caller can rely on:
- table_columns() names types as DuckDB's catalogue does (VARCHAR, TIMESTAMP for Spark's
  TIMESTAMP_NTZ, TIMESTAMP WITH TIME ZONE for its TIMESTAMP, DECIMAL(12,2), DOUBLE, BIGINT…);
- arrow() keeps DECIMAL exact and integers integers (Spark's Arrow, as it comes);
- frame() turns DECIMAL into floats, as DuckDB's .df() does.

Two kinds of directory:
- published by Northstar (`northstar ingest` with engine = spark: warehouse/spark_publish.py):
  it holds `_northstar/CURRENT`, and a warehouse opens one version (the current one unless
  `version` names another) and reads each of its tables from that version's folder, named in
  the SQL itself (parquet.`<folder>`), so nothing enters the process's catalog, versions open
  side by side, and a version's rows never change: `frozen` is True, answers may be kept;
- loaded by other tools (no CURRENT): the tables are registered as described above; their files
  may be replaced while it is open, so `frozen` is False and the service keeps no answers.
  replace_table() is the plain writer tests and small loads use there.
"""

from __future__ import annotations

import shutil
import threading
import uuid
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq
from sqlglot import exp

from warehouse.connection import WarehouseError, _split
from warehouse.spark_publish import as_files
from warehouse.spark_session import duckdb_type_name, spark_session
from warehouse.spark_versions import SparkVersion, VersionError, current_version, read_version

_registered_lock = threading.Lock()
# Table registered from a directory → (its folder, the warehouses open on it): the catalog is the
# process's, so two warehouses may share a directory but never a name for different folders.
_registered: dict[str, tuple[Path, set[str]]] = {}


class SparkWarehouse:
    """Spark at `url` (local[N] or sc://…), raw tables from `directory` (Parquet per table)."""

    dialect = "spark"

    def __init__(
        self,
        url: str = "local[2]",
        *,
        directory: str | Path | None = None,
        read_only: bool = True,
        conf: Mapping[str, str] | None = None,
        version: str | None = None,
    ) -> None:
        """`conf`: Spark settings for the session, applied when this process starts it;
        `version`: the published version to read (a directory Northstar publishes into)."""
        self.url = url
        self.read_only = read_only
        self.directory = Path(directory).resolve() if directory is not None else None
        if self.directory is not None and not self.directory.is_dir():
            if read_only:
                raise WarehouseError(
                    f"Spark warehouse directory {self.directory} does not exist; it holds one "
                    "folder of Parquet files per table (raw/orders/…), docs/scale-out.md"
                )
            self.directory.mkdir(parents=True)
        self.published: SparkVersion | None = None
        if self.directory is not None:
            try:
                name = version or current_version(self.directory)
                self.published = read_version(self.directory, name) if name else None
            except VersionError as exc:
                raise WarehouseError(f"Spark warehouse: {exc}") from None
        self.version = self.published.version if self.published else None
        # A published version's folders are never rewritten; other tools' files may be.
        self.frozen = self.published is not None
        self._files_sql: dict[str, str] = {}  # SQL as sent → SQL reading the version's folders
        self._spark = spark_session(url, conf)
        self._token = uuid.uuid4().hex  # this warehouse among a registration's owners
        self._mine: list[str] = []  # tables this warehouse registered, dropped on close
        if self.directory is None or self.published is not None:
            return
        try:
            for schema_dir in _folders(self.directory):
                for table_dir in _folders(schema_dir):
                    self._register(f"{schema_dir.name}.{table_dir.name}", table_dir)
        except BaseException:
            self.close()  # what it registered before the failure
            raise

    def __repr__(self) -> str:
        return (
            f"SparkWarehouse({self.url!r}, directory={self.directory}, read_only={self.read_only})"
        )

    # -- reading -----------------------------------------------------------------------------
    def arrow(
        self,
        sql: str,
        params: Sequence[Any] | dict[str, Any] | None = None,
        *,
        max_rows: int | None = None,
    ) -> pa.Table:
        """Run one SELECT; DECIMAL stays exact. With `max_rows`, at most max_rows + 1 rows are
        read, so a caller can refuse an oversized answer without holding all of it in memory.
        `params`: a list for `?` markers, a dict for `:name` markers (Spark's)."""
        if self.published is not None:
            sql = self._reading_version(sql)
        with self._errors():
            frame = self._spark.sql(sql, args=params or None)
            if max_rows is not None:
                frame = frame.limit(max_rows + 1)
            return frame.toArrow()

    def frame(
        self,
        sql: str,
        params: Sequence[Any] | dict[str, Any] | None = None,
        *,
        max_rows: int | None = None,
    ) -> pd.DataFrame:
        """A pandas frame; DECIMAL columns as floats, as DuckDB's frames have them."""
        table = self.arrow(sql, params, max_rows=max_rows)
        for i, field in enumerate(table.schema):
            if pa.types.is_decimal(field.type):
                table = table.set_column(i, field.name, table.column(i).cast(pa.float64()))
        return table.to_pandas()

    def rows(self, sql: str, params: Sequence[Any] | dict[str, Any] | None = None) -> list[tuple]:
        table = self.arrow(sql, params)
        return list(zip(*(c.to_pylist() for c in table.columns), strict=True))

    def table_columns(self) -> dict[str, dict[str, str]]:
        """{"schema.table": {column: type}} of every table and view in the catalog (temporary
        views have no schema and are left out), the types named as DuckDB names them. SHOW and
        a frame's schema, not spark.catalog: its listings fail when code generation is off."""
        if self.published is not None:
            return {name: dict(t.columns) for name, t in sorted(self.published.tables.items())}
        out: dict[str, dict[str, str]] = {}
        with self._errors():
            for (database,) in self._spark.sql("SHOW DATABASES").collect():
                quoted = exp.to_identifier(database, quoted=True).sql(dialect="spark")
                shown = self._spark.sql("SHOW TABLES IN " + quoted).collect()
                for _, table, temporary in shown:
                    if temporary:
                        continue
                    name = exp.table_(table, db=database, quoted=True).sql(dialect="spark")
                    schema = self._spark.table(name).schema
                    out[f"{database}.{table}"] = {
                        f.name: duckdb_type_name(f.dataType.simpleString()) for f in schema.fields
                    }
        return dict(sorted(out.items()))

    def has_table(self, qualified: str) -> bool:
        if self.published is not None:
            return qualified in self.published.tables
        with self._errors():
            return bool(self._spark.catalog.tableExists(qualified))

    # -- writing -----------------------------------------------------------------------------
    def replace_table(self, qualified: str, data: pa.Table | pd.DataFrame) -> None:
        """Write `schema.table` as Parquet under the directory and register it. Not atomic:
        readers in between may fail (publishing by manifest is a later step)."""
        if self.read_only:
            raise WarehouseError("this warehouse is open read-only; only the ingest worker writes")
        if self.directory is None:
            raise WarehouseError("replace_table needs the warehouse directory (directory=…)")
        if self.published is not None:
            raise WarehouseError(
                f"{self.directory} is published by `northstar ingest` (engine = spark): load "
                "tables through sources.yml, not into a version"
            )
        schema, table = _split(qualified)
        if isinstance(data, pd.DataFrame):
            data = pa.Table.from_pandas(data, preserve_index=False)
        folder = self.directory / schema / table
        staged = folder.with_name(f".{table}.{uuid.uuid4().hex[:8]}")
        staged.mkdir(parents=True)
        # Microseconds: Spark reads no nanosecond timestamps; naive stays naive (TIMESTAMP_NTZ).
        pq.write_table(data, staged / "part-00000.parquet", coerce_timestamps="us")
        if folder.exists():
            shutil.rmtree(folder)
        staged.rename(folder)
        self._register(qualified, folder, rewritten=True)

    def close(self) -> None:
        """Drop the tables this warehouse registered (their files stay); the session stays up for
        the next warehouse of the process (it takes seconds to start)."""
        with _registered_lock:
            mine, self._mine = self._mine, []
            for qualified in mine:
                owners = _registered[qualified][1]
                owners.discard(self._token)
                if not owners:
                    del _registered[qualified]
                    self._run(_drop(qualified))

    def __enter__(self) -> SparkWarehouse:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    # -- internals ---------------------------------------------------------------------------
    def _register(self, qualified: str, folder: Path, *, rewritten: bool = False) -> None:
        """`qualified` as an external Parquet table over `folder` (names checked by _split);
        `rewritten`: its files were just replaced, so Spark's listing of them is stale."""
        schema, _ = _split(qualified)
        with _registered_lock:
            holder, owners = _registered.get(qualified, (None, set()))
            if holder is not None and holder != folder:
                raise WarehouseError(
                    f"{qualified} is registered from {holder.parent.parent} by another Spark "
                    "warehouse of this process; close it first (one directory at a time)"
                )
            if holder is None and self.has_table(qualified):
                raise WarehouseError(
                    f"{qualified} is already a table in Spark's catalog; it is read as it is, so "
                    f"move {folder} out of the warehouse directory or drop that table"
                )
            owners = owners | {self._token}
            if holder is not None and not rewritten:  # another warehouse of this directory
                _registered[qualified] = (folder, owners)
                if qualified not in self._mine:
                    self._mine.append(qualified)
                return
            self._run(exp.Create(kind="SCHEMA", this=exp.to_identifier(schema), exists=True))
            self._run(_drop(qualified))
            self._run(
                exp.Create(
                    kind="TABLE",
                    this=exp.to_table(qualified),
                    properties=exp.Properties(
                        expressions=[
                            exp.FileFormatProperty(this=exp.var("PARQUET")),
                            exp.LocationProperty(this=exp.Literal.string(str(folder))),
                        ]
                    ),
                )
            )
            _registered[qualified] = (folder, owners)
            if qualified not in self._mine:
                self._mine.append(qualified)

    def _reading_version(self, sql: str) -> str:
        """`sql` reading the published version's folders (parsed once per distinct text)."""
        found = self._files_sql.get(sql)
        if found is None:
            with self._errors():
                found = as_files(sql, self.published.tables, self.directory)
            if len(self._files_sql) > 1024:  # the service sends a bounded set of statements
                self._files_sql.clear()
            self._files_sql[sql] = found
        return found

    def _run(self, statement: exp.Expression) -> None:
        with self._errors():
            self._spark.sql(statement.sql(dialect="spark", identify=True)).collect()

    def _errors(self) -> _SparkErrors:
        return _SparkErrors()


class _SparkErrors:
    """Spark's errors (analysis, execution, the JVM's) as WarehouseError, first lines only."""

    def __enter__(self) -> None:
        return None

    def __exit__(self, kind: type | None, exc: BaseException | None, tb: object) -> bool:
        if exc is None or isinstance(exc, WarehouseError):
            return False
        if not _is_spark_error(exc):
            return False
        lines = [line for line in str(exc).strip().splitlines() if line.strip()]
        raise WarehouseError(" ".join(lines[:3]) if lines else type(exc).__name__) from exc


def _is_spark_error(exc: BaseException) -> bool:
    module = type(exc).__module__
    return module.startswith(("pyspark", "py4j"))


def _drop(qualified: str) -> exp.Expression:
    return exp.Drop(kind="TABLE", tables=[exp.to_table(qualified)], exists=True)


def _folders(parent: Path) -> list[Path]:
    """Sub-folders named as a schema or table can be (Spark's _temporary and hidden ones not)."""
    return sorted(
        p
        for p in parent.iterdir()
        if p.is_dir() and not p.name.startswith(("_", ".")) and p.name.replace("_", "").isalnum()
    )
