"""Build one published version's catalog from the warehouse, in proportion to what changed.

The catalog is a small DuckDB file that readers open read-only like any warehouse. Tables below
`min_rows` rows are copied into it. Larger ones become views over Parquet segment files, one per
month of the table's first DATE/TIMESTAMP/TIMESTAMPTZ column (NULLs form their own partition; a
table without such a column is one partition):

    CREATE VIEW raw."shop__orders" AS SELECT * FROM read_parquet(['segments/….parquet', …])

A partition whose fingerprint (row count + sum of row hashes) and table columns equal what the
previous version recorded reuses that version's segment file; only the others are written. The
partitioning decides what is rewritten, never what a query returns.

Segment paths in views are relative to the serving directory: readers set DuckDB's
file_search_path to it (SnapshotStore.open_snapshot), so a moved serving directory still works.

Types must survive exactly: the metric layer hashes column types into rollup definitions, so a
type Parquet cannot keep (HUGEINT, ENUM, BIT, fixed-size arrays, ...) would make every rollup look
stale on the web side. A table whose Parquet types differ from its own is copied natively instead.
"""

from __future__ import annotations

import re
import uuid
from pathlib import Path

from warehouse.connection import Warehouse, WarehouseError
from warehouse.fingerprints import row_alias
from warehouse.manifest import Manifest, Segment, TableSegments

SEGMENT_DIR = "segments"
SOURCE = "northstar_source"  # the warehouse, attached read-only to the catalog being built
PARTITION_TYPES = ("DATE", "TIMESTAMP", "TIMESTAMP WITH TIME ZONE")
CATALOG_BLOCK_SIZE = 16_384

Columns = list[tuple[str, str]]


def build_catalog(
    source_file: Path, catalog_file: Path, serving_dir: Path, previous: Manifest, min_rows: int
) -> Manifest:
    """Write `catalog_file` (and any new segment files) for the closed warehouse `source_file`.

    `previous` is the manifest of the version being replaced. Returns the new version's manifest.
    Raises WarehouseError (DuckDB's reason) or OSError; segment files already written by a failed
    build are unreferenced and removed by the next publish.
    """
    (serving_dir / SEGMENT_DIR).mkdir(exist_ok=True)
    built: dict[str, TableSegments] = {}
    config: dict[str, str | int] = {
        "file_search_path": str(serving_dir.resolve()),
        # The catalog's many small tables each take at least one block: 16 KB blocks, not
        # 256 KB, make it about 3x smaller (24 MB instead of 70 MB on the 1M demo).
        "default_block_size": CATALOG_BLOCK_SIZE,
    }
    with Warehouse(catalog_file, config=config) as cat:
        # UTC makes a TIMESTAMPTZ month (hence a partition's key) the same on every publish.
        cat.execute("SET GLOBAL TimeZone = 'UTC'")
        cat.execute(f"ATTACH {_literal(source_file)} AS {SOURCE} (READ_ONLY)")
        columns = _source_columns(cat)
        for (schema,) in cat.rows(
            "SELECT schema_name FROM duckdb_schemas() WHERE database_name = ? AND NOT internal "
            "AND NOT starts_with(schema_name, '_')",
            [SOURCE],
        ):
            cat.execute(f"CREATE SCHEMA IF NOT EXISTS {_ident(schema)}")
        native: list[_TableExport] = []
        for schema, table in cat.rows(
            # A schema named `_…` is the writer's own bookkeeping (the rollups' refresh state):
            # readers never need it, so no version carries it.
            "SELECT schema_name, table_name FROM duckdb_tables() WHERE database_name = ? "
            "AND NOT starts_with(schema_name, '_') ORDER BY schema_name, table_name",
            [SOURCE],
        ):
            name = f"{schema}.{table}"
            exporter = _TableExport(cat, serving_dir, schema, table, columns[name])
            stored = exporter.as_segments(previous.tables.get(name), min_rows)
            if stored is None:
                native.append(exporter)
            else:
                built[name] = stored
        with cat.transaction() as tx:  # one commit for hundreds of small tables
            for exporter in native:
                tx.execute(f"CREATE TABLE {exporter.target} AS SELECT * FROM {exporter.source}")
        _copy_views(cat)
        cat.execute(f"DETACH {SOURCE}")
        cat.checkpoint()
    return Manifest(built)


class _TableExport:
    """One warehouse table going into the catalog being built."""

    def __init__(
        self, cat: Warehouse, serving_dir: Path, schema: str, table: str, columns: Columns
    ) -> None:
        self.cat = cat
        self.serving_dir = serving_dir
        self.schema, self.table = schema, table
        self.target = f"{_ident(schema)}.{_ident(table)}"
        self.source = f"{SOURCE}.{self.target}"
        self.columns = columns
        self.written: list[Path] = []
        self.where = ""  # selects one partition's rows (a parameter gives the partition)

    def as_segments(self, previous: TableSegments | None, min_rows: int) -> TableSegments | None:
        """Store the table as a view over segments; None when it should be copied natively
        (too small, or a type Parquet would not give back exactly)."""
        (rows,) = self.cat.rows(f"SELECT count(*) FROM {self.source}")[0]
        if rows == 0 or rows < min_rows or not self._parquet_keeps_types():
            return None
        partition_by = next((c for c, t in self.columns if t in PARTITION_TYPES), None)
        if partition_by is None:  # one partition: the whole table
            key = "NULL"
        else:
            key = f"date_trunc('month', {_ident(partition_by)})"
            # A partition is compared as its own type, not as text (3x faster); date_trunc
            # gives TIMESTAMP for a DATE column.
            (key_type,) = self.cat.rows(f"SELECT typeof({key}) FROM {self.source} LIMIT 1")[0]
            self.where = f" WHERE {key} IS NOT DISTINCT FROM CAST(? AS {key_type})"
        reusable = self._reusable(previous, partition_by)
        segments = []
        for part, count, fingerprint in self._fingerprints(key):
            old = reusable.get(part)
            if old is not None and (old.rows, old.fingerprint) == (count, fingerprint):
                segments.append(old)
            else:
                segments.append(Segment(part, count, fingerprint, self._write(part)))
        files = ", ".join(_literal(s.file) for s in segments)
        self.cat.execute(f"CREATE VIEW {self.target} AS SELECT * FROM read_parquet([{files}])")
        if _view_columns(self.cat, self.schema, self.table) != self.columns:  # belt and braces
            self.cat.execute(f"DROP VIEW {self.target}")
            for path in self.written:
                path.unlink(missing_ok=True)
            return None
        return TableSegments(self.columns, partition_by, segments)

    def _parquet_keeps_types(self) -> bool:
        """Whether a Parquet file of this table reads back with the table's exact types (an empty
        probe file is enough: Parquet types come from the schema, not the data)."""
        probe = self._new_file("probe")
        self.cat.execute(
            f"COPY (SELECT * FROM {self.source} LIMIT 0) TO {_literal(str(probe))} (FORMAT parquet)"
        )
        try:
            described = self.cat.rows(
                f"SELECT column_name, column_type FROM (DESCRIBE SELECT * FROM "
                f"read_parquet({_literal(str(probe))}))"
            )
        finally:
            probe.unlink(missing_ok=True)
        return [tuple(c) for c in described] == self.columns

    def _fingerprints(self, key: str) -> list[tuple[str | None, int, str]]:
        """(partition as text, rows, sum of row hashes as text) for every partition."""
        row = row_alias(self.columns)
        return self.cat.rows(
            f"SELECT CAST(part AS VARCHAR), rows, CAST(total AS VARCHAR) FROM ("
            f"SELECT {key} AS part, count(*) AS rows, sum(hash({row})::HUGEINT) AS total "
            f"FROM {self.source} AS {row} GROUP BY part) ORDER BY part NULLS LAST"
        )

    def _reusable(self, previous: TableSegments | None, partition_by: str | None) -> dict:
        """The previous version's segments of this table that may stand in for unchanged
        partitions: same columns, same partitioning, and the file still whole on disk."""
        if previous is None or previous.partition_by != partition_by:
            return {}
        if [tuple(c) for c in previous.columns] != self.columns:
            return {}
        files = {str((self.serving_dir / s.file).resolve()): s for s in previous.segments}
        found = footer_rows(self.cat, list(files))  # a truncated or foreign file is rewritten
        return {s.key: s for file, s in files.items() if found.get(file) == s.rows}

    def _write(self, part: str | None) -> str:
        path = self._new_file((part or ("null" if self.where else "all"))[:7])
        self.written.append(path)
        self.cat.execute(
            f"COPY (SELECT * FROM {self.source}{self.where}) "
            f"TO {_literal(str(path))} (FORMAT parquet, COMPRESSION zstd)",
            [part] if self.where else [],
        )
        return path.relative_to(self.serving_dir).as_posix()

    def _new_file(self, label: str) -> Path:
        name = ".".join(_slug(p) for p in (self.schema, self.table, label))
        return self.serving_dir / SEGMENT_DIR / f"{name}.{uuid.uuid4().hex[:12]}.parquet"


def footer_rows(warehouse: Warehouse, files: list[str]) -> dict[str, int]:
    """{file: rows its Parquet footer lists} for the `files` (absolute paths) that exist and are
    Parquet; one statement for all, file by file only when one of them is not readable."""
    query = "SELECT file_name, num_rows FROM parquet_file_metadata(?)"
    present = [f for f in files if Path(f).is_file()]
    if not present:
        return {}
    try:
        return dict(warehouse.rows(query, [present]))
    except WarehouseError:
        found: dict[str, int] = {}
        for file in present:
            try:
                found.update(warehouse.rows(query, [file]))
            except WarehouseError:
                continue
        return found


def _copy_views(cat: Warehouse) -> None:
    """Recreate the warehouse's views (they name tables without a database, so they bind to the
    catalog's); a view over another view may need a second pass."""
    pending = cat.rows(
        "SELECT sql FROM duckdb_views() WHERE database_name = ? AND NOT internal ORDER BY view_name",
        [SOURCE],
    )
    while pending:
        failed: list[tuple[str]] = []
        error: WarehouseError | None = None
        for (sql,) in pending:
            try:
                cat.execute(sql)
            except WarehouseError as exc:
                failed.append((sql,))
                error = exc
        if len(failed) == len(pending):
            assert error is not None
            raise error
        pending = failed


def _source_columns(cat: Warehouse) -> dict[str, Columns]:
    """{"schema.table": [(column, type), ...]} of every table in the attached warehouse."""
    out: dict[str, Columns] = {}
    for schema, table, column, dtype in cat.rows(
        "SELECT table_schema, table_name, column_name, data_type FROM information_schema.columns "
        "WHERE table_catalog = ? ORDER BY table_schema, table_name, ordinal_position",
        [SOURCE],
    ):
        out.setdefault(f"{schema}.{table}", []).append((column, dtype))
    return out


def _view_columns(cat: Warehouse, schema: str, table: str) -> Columns:
    return [
        (name, dtype)
        for name, dtype in cat.rows(
            "SELECT column_name, data_type FROM information_schema.columns WHERE table_catalog = "
            "current_database() AND table_schema = ? AND table_name = ? ORDER BY ordinal_position",
            [schema, table],
        )
    ]


def _ident(name: str) -> str:
    return '"' + name.replace('"', '""') + '"'


def _literal(text: str | Path) -> str:
    return "'" + str(text).replace("'", "''") + "'"


def _slug(text: str) -> str:
    return re.sub(r"[^A-Za-z0-9_-]", "_", text)[:60] or "_"
