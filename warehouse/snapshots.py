"""Read-only serving snapshots: the writer publishes a version, readers open the newest one.

The ingest worker owns data/warehouse.duckdb read-write. After a good load it calls publish() on
the checkpointed, closed file. A version costs in proportion to what changed (warehouse.segments):
serving/<version>.duckdb is a small DuckDB catalog holding the small tables, with the large ones
as views over Parquet segment files in serving/segments/, shared between versions for the months
that did not change. Beside it: <version>.segments.json (its segments, warehouse.manifest),
<version>.metrics.yml (the spec the rollups were built with) and <version>.lock (reader leases).

Guarantees readers keep: a version never changes under them (segment files are never rewritten,
only new ones added); a new version appears atomically (segments, manifest, catalog at a temp
name + os.replace, then the CURRENT pointer); a version is removed only when no reader holds it
(warehouse.leases), and a segment file only when no kept version lists it. A killed publish
leaves CURRENT on the previous version; its leftovers are swept by the next publish.

Readers open versions with open_snapshot(), which refuses one that cannot be served (not a DuckDB
file, a missing or damaged segment) so the web app keeps serving the last good one.
"""

from __future__ import annotations

import contextlib
import os
import time
from pathlib import Path

from warehouse.connection import Warehouse, WarehouseError
from warehouse.leases import Lease
from warehouse.manifest import SUFFIX as MANIFEST_SUFFIX
from warehouse.manifest import Manifest, ManifestError
from warehouse.segments import SEGMENT_DIR, build_catalog, footer_rows

SPEC_SUFFIX = ".metrics.yml"
LOCK_SUFFIX = ".lock"
BUILDING_SUFFIX = ".building"  # a catalog being written (and DuckDB's .building.wal beside it)
PUBLISH_LOCK = "PUBLISH.lock"  # one publisher at a time: it sweeps what no version lists
SEGMENT_MIN_ROWS = 250_000  # tables this large are stored as Parquet segments


class SnapshotError(WarehouseError):
    """A published snapshot cannot be served; `reason` says why without naming server paths."""

    def __init__(self, version: str, reason: str) -> None:
        self.version = version
        self.reason = reason
        super().__init__(
            f"snapshot {version} cannot be served: {reason}. "
            "Publish a new one with `northstar ingest` (or `northstar demo build`)."
        )


class PublishError(OSError):
    """Building a version failed (e.g. the disk filled up while writing segments); the previous
    version stays current. An OSError, like the file-system failures callers already report."""


class SnapshotWarehouse(Warehouse):
    """A version opened read-only; holds the version's reader lease until closed."""

    def __init__(
        self, path: Path, lease: Lease | None, serving_dir: Path, config: dict[str, str | int]
    ) -> None:
        # Segment paths in views are relative to the serving directory (see warehouse.segments).
        config = {**config, "file_search_path": str(serving_dir.resolve())}
        super().__init__(path, read_only=True, config=config)
        self._lease = lease
        try:  # not settable at connect: the Parquet extension loads after it
            with self._cursor() as cur:
                cur.execute("SET GLOBAL parquet_metadata_cache = true")
        except WarehouseError:
            self.close()
            raise

    def close(self) -> None:
        try:
            super().close()
        finally:
            if self._lease is not None:
                self._lease.release()


class SnapshotStore:
    def __init__(
        self, serving_dir: str | Path, keep: int = 3, segment_min_rows: int = SEGMENT_MIN_ROWS
    ) -> None:
        """`keep`: versions kept (more while readers hold older ones); `segment_min_rows`: tables
        with at least this many rows are stored as Parquet segments, smaller ones in the catalog."""
        self.dir = Path(serving_dir)
        self.keep = keep
        self.segment_min_rows = segment_min_rows

    @property
    def pointer(self) -> Path:
        return self.dir / "CURRENT"

    def publish(self, warehouse_file: str | Path, spec_text: str | None = None) -> str:
        """Publish a closed (checkpointed) warehouse file as the newest version; return it.

        spec_text is the validated metrics.yml the data's rollups were built with: the web app
        serves it when the live metrics.yml is broken. Raises OSError (PublishError when DuckDB
        failed) with CURRENT left on the previous version.
        """
        self.dir.mkdir(parents=True, exist_ok=True)
        with Lease.exclusive(self.dir / PUBLISH_LOCK):
            self._sweep_leftovers()
            # One clock read for both parts: two reads straddling a second would name a later
            # version `…34-002…` after one named `…34-158…`, and pruning goes by name order.
            now = time.time_ns()
            second = time.strftime("%Y%m%dT%H%M%S", time.localtime(now // 1_000_000_000))
            version = f"{second}-{now % 1_000_000_000:09d}"
            building = self.dir / f"{version}{BUILDING_SUFFIX}"
            try:
                manifest = build_catalog(
                    Path(warehouse_file),
                    building,
                    self.dir,
                    self._previous(),
                    self.segment_min_rows,
                )
                manifest.write(self.manifest_file(version))
                self.lock_file(version).touch()
                os.replace(building, self.catalog_file(version))
            except (OSError, WarehouseError) as exc:  # e.g. a full disk: leave no half version
                for leftover in (building, _wal(building), self.manifest_file(version)):
                    with contextlib.suppress(OSError):
                        leftover.unlink(missing_ok=True)
                if isinstance(exc, OSError):
                    raise
                raise PublishError(f"building snapshot {version} failed: {exc}") from exc
            if spec_text is not None:
                spec_tmp = self.dir / f"{version}.metrics.tmp"
                spec_tmp.write_text(spec_text, encoding="utf-8")
                os.replace(spec_tmp, self.spec_file(version))
            pointer_tmp = self.dir / "CURRENT.tmp"
            pointer_tmp.write_text(version)
            os.replace(pointer_tmp, self.pointer)  # the atomic step readers rely on
            self._prune(version)
        return version

    def current(self) -> tuple[str, Path] | None:
        """(version, catalog file) of the newest published snapshot, or None when nothing is
        published. Open it with open_snapshot(version), not directly: its views need the
        serving directory as search path, and the reader lease keeps its segments."""
        try:
            version = self.pointer.read_text().strip()
        except (FileNotFoundError, NotADirectoryError):
            return None
        path = self.catalog_file(version)
        return (version, path) if path.exists() else None

    def versions(self) -> list[str]:
        """Every snapshot version on disk, newest first (versions sort by publish time)."""
        if not self.dir.is_dir():
            return []
        return sorted((p.stem for p in self.dir.glob("*.duckdb")), reverse=True)

    def catalog_file(self, version: str) -> Path:
        return self.dir / f"{version}.duckdb"

    def spec_file(self, version: str) -> Path:
        return self.dir / f"{version}{SPEC_SUFFIX}"

    def manifest_file(self, version: str) -> Path:
        return self.dir / f"{version}{MANIFEST_SUFFIX}"

    def lock_file(self, version: str) -> Path:
        return self.dir / f"{version}{LOCK_SUFFIX}"

    def spec_text(self, version: str) -> str | None:
        """The metrics.yml published with `version`, or None (published without one)."""
        try:
            return self.spec_file(version).read_text(encoding="utf-8")
        except (FileNotFoundError, NotADirectoryError):
            return None

    def open_snapshot(
        self, version: str, config: dict[str, str | int] | None = None
    ) -> SnapshotWarehouse:
        """Open `version` read-only, holding its reader lease until the warehouse is closed,
        after checking it can be served: a DuckDB file whose tables and views all read, and
        whose segment files are all there with the rows its manifest lists.

        `config` holds DuckDB settings for the connection (the web side bounds threads and
        memory). Raises SnapshotError (with a reason free of server paths) instead of handing out
        a connection that fails on the first query.
        """
        path = self.catalog_file(version)
        lease = Lease.shared(self.lock_file(version))
        try:
            return self._open_leased(version, path, lease, config or {})
        except BaseException:
            if lease is not None:
                lease.release()
            raise

    def validate(self, version: str) -> None:
        """Raise SnapshotError if `version` could not be served (see open_snapshot)."""
        self.open_snapshot(version).close()

    # -- internals ---------------------------------------------------------------------------
    def _open_leased(
        self, version: str, path: Path, lease: Lease | None, config: dict[str, str | int]
    ) -> SnapshotWarehouse:
        if not path.exists():  # checked under the lease: a pruner removes files only without one
            raise SnapshotError(version, "it is no longer on disk (a newer one replaced it)")
        try:
            manifest = Manifest.read(self.manifest_file(version)) or Manifest()
        except ManifestError as exc:
            raise SnapshotError(version, str(exc)) from None
        try:
            warehouse = SnapshotWarehouse(path, lease, self.dir, config)
        except WarehouseError as exc:
            raise SnapshotError(version, _reason(exc, path)) from exc
        try:
            self._check_segments(warehouse, version, manifest)
            tables = warehouse.table_columns()  # tables and views alike
            _read_first_rows(warehouse, list(tables))
        except WarehouseError as exc:
            warehouse.close()
            if isinstance(exc, SnapshotError):
                raise
            raise SnapshotError(version, _reason(exc, path)) from exc
        if not tables:
            warehouse.close()
            raise SnapshotError(version, "it holds no tables")
        return warehouse

    def _check_segments(self, warehouse: Warehouse, version: str, manifest: Manifest) -> None:
        """Every listed segment file is there, is Parquet and holds the rows listed (its footer
        says; a query over the view would otherwise fail only when it reaches that month)."""
        root = self.dir.resolve()
        listed = {
            str(root / s.file): (table, s)
            for table, t in manifest.tables.items()
            for s in t.segments
        }
        for table, segment in listed.values():
            if not (root / segment.file).is_file():
                raise SnapshotError(version, f"segment {segment.file} of {table} is missing")
        found = footer_rows(warehouse, list(listed))
        for file, (table, segment) in listed.items():
            if file not in found:
                raise SnapshotError(
                    version, f"segment {segment.file} of {table} is damaged (not Parquet)"
                )
            if found[file] != segment.rows:
                raise SnapshotError(
                    version,
                    f"segment {segment.file} of {table} holds {found[file]:,} rows, "
                    f"not the {segment.rows:,} published",
                )

    def _previous(self) -> Manifest:
        """The current version's segments, whose unchanged partitions the new version reuses."""
        current = self.current()
        if current is None:
            return Manifest()
        try:
            return Manifest.read(self.manifest_file(current[0])) or Manifest()
        except ManifestError:
            return Manifest()  # rewrite everything rather than trust it

    def _sweep_leftovers(self) -> None:
        """Remove what a killed publish left (only a publisher, under PUBLISH_LOCK, runs this)."""
        for pattern in (f"*{BUILDING_SUFFIX}", f"*{BUILDING_SUFFIX}.wal", "*.tmp"):
            for leftover in self.dir.glob(pattern):
                leftover.unlink(missing_ok=True)

    def _prune(self, newest: str) -> None:
        """Remove versions beyond `keep` that no reader holds, then the files no version needs."""
        for old in self.versions()[self.keep :]:
            if old == newest:
                continue
            lease = Lease.exclusive_now(self.lock_file(old))
            if lease is None:
                continue  # a reader holds it: the next publish tries again
            with lease:
                self.catalog_file(old).unlink(missing_ok=True)  # first: versions() drops it
                for extra in (self.spec_file(old), self.manifest_file(old), self.lock_file(old)):
                    extra.unlink(missing_ok=True)
        kept = set(self.versions())
        for suffix in (MANIFEST_SUFFIX, SPEC_SUFFIX):  # of versions whose publish was killed
            for stray in self.dir.glob(f"*{suffix}"):
                if stray.name.removesuffix(suffix) not in kept:
                    stray.unlink(missing_ok=True)
        for stray in self.dir.glob(f"*{LOCK_SUFFIX}"):
            version = stray.name.removesuffix(LOCK_SUFFIX)
            if stray.name != PUBLISH_LOCK and version not in kept:
                lease = Lease.exclusive_now(stray)
                if lease is not None:
                    with lease:
                        stray.unlink(missing_ok=True)
        self._collect_segments(kept)

    def _collect_segments(self, kept: set[str]) -> None:
        """Delete segment files that no kept version lists (old months, killed publishes)."""
        listed: set[str] = set()
        for version in kept:
            try:
                manifest = Manifest.read(self.manifest_file(version))
            except ManifestError:
                return  # cannot tell what it uses: delete nothing
            if manifest is not None:  # None: published before segments, self-contained
                listed |= manifest.files()
        folder = self.dir / SEGMENT_DIR
        if folder.is_dir():
            for file in folder.iterdir():
                if f"{SEGMENT_DIR}/{file.name}" not in listed:
                    file.unlink(missing_ok=True)


def _read_first_rows(warehouse: Warehouse, tables: list[str]) -> None:
    """Read the first row of every table and view (its first block must be readable too): in one
    statement, as a web worker opening a version pays this (2x faster than one per table); when
    that fails, one by one, so the error names the table."""
    probes = [
        "SELECT 1 FROM "
        + ".".join('"' + part.replace('"', '""') + '"' for part in table.split(".", 1))
        + " LIMIT 1"
        for table in tables  # names from the file's own catalog
    ]
    if not probes:
        return
    try:
        warehouse.rows(" UNION ALL ".join(f"({probe})" for probe in probes))
    except WarehouseError:
        for probe in probes:
            warehouse.rows(probe)
        raise


def _wal(path: Path) -> Path:
    return path.with_name(path.name + ".wal")


def _reason(exc: Exception, path: Path) -> str:
    """Why the engine would not serve `path`, naming the file but not the directory it lives in."""
    text = str(exc)
    if "not a valid DuckDB database" in text:
        return "it is not a valid DuckDB database file (damaged, or not a snapshot)"
    if "Could not set lock" in text:
        return "another process holds it read-write"
    for shown in (str(path.parent.resolve()), str(path.parent.absolute()), str(path.parent)):
        text = text.replace(shown + os.sep, "")
    return text.removeprefix(f"cannot open warehouse {path.name}: ").rstrip(".!")
