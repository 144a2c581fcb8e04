"""Publishing to Spark (engine = spark): a new version of Parquet folders behind CURRENT.

Connectors keep landing rows in the local DuckDB warehouse (cursors and crash safety stay one
code path: warehouse/loading.py); after a good load this writes what readers read into the Spark
warehouse directory (layout: warehouse/spark_versions.py):

1. Take the directory's publish lock (an flock: one publisher at a time; a killed publisher's
   lock goes with its process) and sweep what a killed publish left.
2. Fingerprint every table of schema `raw` and meta.loads on the DuckDB side; a table whose
   fingerprint equals the current version's keeps its folder, every other one is written as
   Parquet into a new folder (Arrow batches from DuckDB, no JVM needed).
3. With a rollup plan (metric_layer/engine_rollups.py for dialect spark), Spark runs each SELECT
   over the new version's raw folders and writes its rows as the rollup's folder; then
   rollup.manifest, which the service's planner reads.
4. Write the version's JSON, then CURRENT: readers that open after see the new version whole,
   readers that opened before keep theirs (its folders are never rewritten; the last KEEP
   versions are kept).

A failure or a kill anywhere before CURRENT is replaced leaves the published version as it was;
the next run finds the publish pending (last_change differs) and publishes again.
"""

from __future__ import annotations

import fcntl
import time
from collections.abc import Callable, Mapping
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pyarrow as pa
import pyarrow.parquet as pq
import sqlglot
from sqlglot import exp

from warehouse.connection import Warehouse
from warehouse.fingerprints import PublishError, TableFingerprint, fingerprint, published_tables
from warehouse.rollup_plan import RollupPlan
from warehouse.spark_versions import (
    KEEP,
    PublishedTable,
    SparkVersion,
    VersionError,
    current_version,
    home,
    kept_versions,
    read_version,
    sweep,
    table_folder,
    write_version,
)

BATCH_ROWS = 500_000
ROLLUP_MANIFEST = "rollup.manifest"
# DuckDB types Spark reads under another type (or not at all): cast on the DuckDB side first.
_SPARK_CASTS = {
    "UTINYINT": "SMALLINT",
    "USMALLINT": "INTEGER",
    "UINTEGER": "BIGINT",
    "UBIGINT": "DECIMAL(20,0)",
    "HUGEINT": "DECIMAL(38,0)",
    "UHUGEINT": "DECIMAL(38,0)",
    "TIMESTAMP_S": "TIMESTAMP",
    "TIMESTAMP_MS": "TIMESTAMP",
    "TIMESTAMP_NS": "TIMESTAMP",
    "UUID": "VARCHAR",
    "TIME": "VARCHAR",
    "TIME WITH TIME ZONE": "VARCHAR",
    "INTERVAL": "VARCHAR",
    "JSON": "VARCHAR",
    "BIT": "VARCHAR",
}

Step = Callable[[str, str], None]  # (event, detail): "written"/"kept" table, "rollups", "switched"


class SparkPublishError(PublishError):
    """Publishing to the Spark warehouse directory failed; CURRENT is as it was."""


class SparkPublisher:
    """Publishes a DuckDB warehouse's raw tables (and meta.loads, and rollups) into `directory`."""

    def __init__(
        self,
        directory: str | Path,
        *,
        url: str = "local[2]",
        conf: Mapping[str, str] | None = None,
        on_step: Step | None = None,
        keep: int = KEEP,
        lock_wait: float = 600.0,
    ) -> None:
        """`url`, `conf`: the Spark session that builds rollups (started only when a plan has
        some); `keep`: versions kept; `lock_wait`: seconds to wait for another publish."""
        self.directory = Path(directory).resolve()
        self.url = url
        self.conf = conf
        self._on_step = on_step or (lambda event, detail: None)
        self._keep = keep
        self._lock_wait = lock_wait

    def current(self) -> SparkVersion | None:
        """The directory's current version; None when nothing was published into it yet."""
        try:
            name = current_version(self.directory)
            return None if name is None else read_version(self.directory, name)
        except VersionError as exc:
            raise SparkPublishError(str(exc)) from None

    def publish(
        self,
        source: Warehouse,
        spec_text: str | None = None,
        last_change: datetime | None = None,
        rollups: RollupPlan | None = None,
    ) -> SparkVersion:
        """Publish `source`'s tables (and `rollups`' tables) as a new current version."""
        try:
            home(self.directory).mkdir(parents=True, exist_ok=True)
            with open(home(self.directory) / "publish.lock", "a+") as lock:
                self._take_lock(lock)
                sweep(self.directory, self._keep)
                published = self._publish(source, spec_text, last_change, rollups)
                sweep(self.directory, self._keep)
                return published
        except PublishError:
            raise
        except (OSError, VersionError) as exc:
            where = f" ({exc.filename})" if isinstance(exc, OSError) and exc.filename else ""
            reason = exc.strerror if isinstance(exc, OSError) and exc.strerror else exc
            raise SparkPublishError(self._failed(f"{reason}{where}")) from None
        except Exception as exc:  # DuckDB or Spark errors: one line
            raise SparkPublishError(self._failed(_first_line(exc))) from None

    # -- the steps ---------------------------------------------------------------------------
    def _publish(
        self,
        source: Warehouse,
        spec_text: str | None,
        last_change: datetime | None,
        plan: RollupPlan | None,
    ) -> SparkVersion:
        try:
            before = self.current()
        except SparkPublishError:  # a damaged CURRENT: this publish writes every table anew
            before = None
        version = _new_version(max(kept_versions(self.directory), default=None))
        tables: dict[str, PublishedTable] = {}
        for schema, table, columns in published_tables(source):
            fp = fingerprint(source, schema, table, _as_spark_reads(columns))
            old = before.tables.get(fp.name) if before else None
            if old is not None and fp.same_as(old.recorded()):
                tables[fp.name] = old
                self._on_step("kept", fp.name)
                continue
            tables[fp.name] = self._write_table(source, fp, version, columns)
            self._on_step("written", fp.name)
        if plan is not None:
            tables.update(self._build_rollups(plan, tables, version))
            self._on_step("rollups", f"{len(plan.manifest)} tables")
        published = SparkVersion(
            version=version,
            published_at=datetime.now(UTC).isoformat(),
            last_change=last_change.isoformat() if last_change else None,
            spec_text=spec_text,
            tables=tables,
        )
        write_version(self.directory, published)
        self._on_step("switched", version)
        return published

    def _write_table(
        self,
        source: Warehouse,
        fp: TableFingerprint,
        version: str,
        columns: list[tuple[str, str]],
    ) -> PublishedTable:
        folder = table_folder(self.directory, fp.name, version)
        folder.mkdir(parents=True)
        select = ", ".join(_readable(name, dtype) for name, dtype in columns)
        sql = (
            f"SELECT {select} FROM {exp.table_(fp.table, db=fp.schema, quoted=True).sql('duckdb')}"
        )
        writer = None
        try:
            for batch in source.batches(sql, BATCH_ROWS):
                if writer is None:
                    writer = pq.ParquetWriter(
                        folder / "part-00000.parquet", batch.schema, coerce_timestamps="us"
                    )
                writer.write_batch(batch)
            if writer is None:  # no rows: Spark still needs the columns
                schema = source.arrow(sql + " LIMIT 0").schema
                pq.write_table(schema.empty_table(), folder / "part-00000.parquet")
        finally:
            if writer is not None:
                writer.close()
        return PublishedTable(
            str(folder.relative_to(self.directory)), list(fp.columns), fp.rows, fp.digest
        )

    def _build_rollups(
        self, plan: RollupPlan, tables: dict[str, PublishedTable], version: str
    ) -> dict[str, PublishedTable]:
        from warehouse.spark_session import duckdb_type_name, spark_session

        spark = spark_session(self.url, self.conf)
        built: dict[str, PublishedTable] = {}
        for statement in plan.statements:
            if statement.kind == "VIEW":  # DAU/WAU/MAU: the same rows as the table it selects
                (base,) = [
                    _name(t)
                    for t in sqlglot.parse_one(statement.select, dialect="spark").find_all(
                        exp.Table
                    )
                ]
                built[statement.table] = built[base]
                continue
            sql = as_files(statement.select, {**tables, **built}, self.directory)
            folder = table_folder(self.directory, statement.table, version)
            frame = spark.sql(sql)
            frame.write.mode("error").parquet(str(folder))
            columns = [(f.name, duckdb_type_name(f.dataType.simpleString())) for f in frame.schema]
            built[statement.table] = PublishedTable(
                str(folder.relative_to(self.directory)), columns, -1, ""
            )
        built[ROLLUP_MANIFEST] = self._write_manifest(plan, version)
        return built

    def _write_manifest(self, plan: RollupPlan, version: str) -> PublishedTable:
        """rollup.manifest as rollups.MANIFEST_COLUMNS reads it (pg_rollups.py writes the same)."""
        rows = plan.manifest
        table = pa.table(
            {
                "table_name": pa.array([r.table for r in rows], pa.string()),
                "unit": pa.array([r.unit for r in rows], pa.string()),
                "definition": pa.array([r.definition for r in rows], pa.string()),
                "data_version": pa.array(["" for _ in rows], pa.string()),
                "as_of": pa.array([plan.as_of for _ in rows], pa.date32()),
                "first_day": pa.array([None for _ in rows], pa.date32()),
                "has_rows": pa.array([True for _ in rows], pa.bool_()),
                "built_at": pa.array([datetime.now(UTC) for _ in rows], pa.timestamp("us", "UTC")),
            }
        )
        folder = table_folder(self.directory, ROLLUP_MANIFEST, version)
        folder.mkdir(parents=True)
        pq.write_table(table, folder / "part-00000.parquet")
        columns = [
            ("table_name", "VARCHAR"),
            ("unit", "VARCHAR"),
            ("definition", "VARCHAR"),
            ("data_version", "VARCHAR"),
            ("as_of", "DATE"),
            ("first_day", "DATE"),
            ("has_rows", "BOOLEAN"),
            ("built_at", "TIMESTAMP WITH TIME ZONE"),
        ]
        return PublishedTable(str(folder.relative_to(self.directory)), columns, len(rows), "")

    def _take_lock(self, lock: Any) -> None:
        deadline = time.monotonic() + self._lock_wait
        while True:
            try:
                fcntl.flock(lock.fileno(), fcntl.LOCK_EX | fcntl.LOCK_NB)
                return
            except BlockingIOError:
                if time.monotonic() >= deadline:
                    raise SparkPublishError(
                        f"another publish into {self.directory} has run for over "
                        f"{self._lock_wait:.0f} s (a `northstar worker` or `ingest` elsewhere?); "
                        "the version readers see is as it was. Run `northstar ingest` again when "
                        "it is done."
                    ) from None
                self._on_step("waiting", "another publish is running")
                time.sleep(0.2)

    def _failed(self, reason: str) -> str:
        return (
            f"publishing to the Spark warehouse {self.directory} failed: {reason.rstrip('.')}. "
            "The version "
            "readers see is as it was; the data is loaded: run `northstar ingest` again to "
            "publish what is pending."
        )


def as_files(sql: str, tables: Mapping[str, PublishedTable], directory: Path) -> str:
    """`sql` (Spark's dialect) reading each published table it names from its version's folder
    (parquet.`<folder>`), keeping the name as the alias; other names are left as they are."""
    tree = sqlglot.parse_one(sql, dialect="spark")
    for table in list(tree.find_all(exp.Table)):
        published = tables.get(_name(table))
        if published is None:
            continue
        alias = table.args.get("alias") or exp.TableAlias(this=exp.to_identifier(table.name))
        path = str(directory / published.folder)
        table.replace(
            exp.Table(
                this=exp.to_identifier(path, quoted=True),
                db=exp.to_identifier("parquet"),
                alias=alias,
            )
        )
    return tree.sql(dialect="spark")


def _name(table: exp.Table) -> str:
    return f"{table.db}.{table.name}" if table.db else table.name


def _as_spark_reads(columns: list[tuple[str, str]]) -> list[tuple[str, str]]:
    """The columns as readers of the published table see them."""
    return [(name, _cast_for_spark(dtype) or dtype) for name, dtype in columns]


def _cast_for_spark(dtype: str) -> str | None:
    """The type a DuckDB column is cast to before Spark reads it; None: written as it is."""
    upper = dtype.upper()
    return "VARCHAR" if upper.startswith("ENUM") else _SPARK_CASTS.get(upper)


def _readable(name: str, dtype: str) -> str:
    """The column as Parquet for Spark should hold it (a few types cast first)."""
    column = exp.column(name, quoted=True).sql(dialect="duckdb")
    cast = _cast_for_spark(dtype)
    return f"CAST({column} AS {cast}) AS {column}" if cast else column


def _new_version(previous: str | None) -> str:
    """Sortable, its publish time in the name (as SnapshotStore names versions), and after
    `previous` even when the clock was set back."""
    now = time.time_ns()
    second = time.strftime("%Y%m%dT%H%M%S", time.gmtime(now // 1_000_000_000))
    name = f"{second}-{now % 1_000_000_000:09d}"
    if previous is not None and name <= previous:
        name = f"{previous}-1"
    return name


def _first_line(exc: BaseException) -> str:
    lines = [line for line in str(exc).strip().splitlines() if line.strip()]
    return lines[0] if lines else type(exc).__name__


def recorded_change(version: SparkVersion | None) -> datetime | None:
    """The last_change a version was published with, as ingest_meta.last_change returns it."""
    if version is None or version.last_change is None:
        return None
    return datetime.fromisoformat(version.last_change)
