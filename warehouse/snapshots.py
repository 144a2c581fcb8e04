"""Read-only serving snapshots: the writer publishes a copy, readers open the newest one.

The ingest worker owns data/warehouse.duckdb read-write. After a good load it calls publish(), which
copies the checkpointed file to serving/<version>.duckdb, writes beside it the metrics.yml the
rollups were built with (<version>.metrics.yml), and then atomically replaces the CURRENT pointer.
The web app reads CURRENT, opens that file read-only with open_snapshot() (which refuses a file
that is not a readable DuckDB database) and reopens when the version changes, so it never blocks
on, or breaks during, a load.
"""

from __future__ import annotations

import contextlib
import os
import shutil
import time
from pathlib import Path

from warehouse.connection import Warehouse, WarehouseError

SPEC_SUFFIX = ".metrics.yml"


class SnapshotError(WarehouseError):
    """A published snapshot cannot be served; `reason` says why without naming server paths."""

    def __init__(self, version: str, reason: str) -> None:
        self.version = version
        self.reason = reason
        super().__init__(
            f"snapshot {version} cannot be served: {reason}. "
            "Publish a new one with `northstar ingest` (or `northstar demo build`)."
        )


class SnapshotStore:
    def __init__(self, serving_dir: str | Path, keep: int = 3) -> None:
        self.dir = Path(serving_dir)
        self.keep = keep

    @property
    def pointer(self) -> Path:
        return self.dir / "CURRENT"

    def publish(self, warehouse_file: str | Path, spec_text: str | None = None) -> str:
        """Copy a closed (or checkpointed) warehouse file in as the newest snapshot; return its version.

        spec_text is the validated metrics.yml the data's rollups were built with: the web app
        serves it when the live metrics.yml is broken.
        """
        self.dir.mkdir(parents=True, exist_ok=True)
        version = time.strftime("%Y%m%dT%H%M%S") + f"-{time.time_ns() % 1_000_000_000:09d}"
        target = self.dir / f"{version}.duckdb"
        tmp = target.with_suffix(".tmp")
        try:
            shutil.copyfile(warehouse_file, tmp)
        except OSError:  # e.g. a full disk: leave no half-copied file behind
            with contextlib.suppress(OSError):
                tmp.unlink(missing_ok=True)
            raise
        os.replace(tmp, target)
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
        """(version, file) of the newest published snapshot, or None when nothing is published."""
        try:
            version = self.pointer.read_text().strip()
        except (FileNotFoundError, NotADirectoryError):
            return None
        path = self.dir / f"{version}.duckdb"
        return (version, path) if path.exists() else None

    def versions(self) -> list[str]:
        """Every snapshot version on disk, newest first (versions sort by publish time)."""
        if not self.dir.is_dir():
            return []
        return sorted((p.stem for p in self.dir.glob("*.duckdb")), reverse=True)

    def spec_file(self, version: str) -> Path:
        return self.dir / f"{version}{SPEC_SUFFIX}"

    def spec_text(self, version: str) -> str | None:
        """The metrics.yml published with `version`, or None (published without one)."""
        try:
            return self.spec_file(version).read_text(encoding="utf-8")
        except (FileNotFoundError, NotADirectoryError):
            return None

    def open_snapshot(self, version: str, config: dict[str, str | int] | None = None) -> Warehouse:
        """Open `version` read-only after checking it is a DuckDB file with readable tables.

        `config` holds DuckDB settings for the connection (the web side bounds threads and
        memory). Raises SnapshotError (with a reason free of server paths) instead of handing out
        a connection that fails on the first query.
        """
        path = self.dir / f"{version}.duckdb"
        try:
            warehouse = Warehouse(path, read_only=True, config=config)
        except WarehouseError as exc:
            raise SnapshotError(version, _reason(exc, path)) from exc
        try:
            tables = warehouse.table_columns()
            for table in tables:  # the first block of each table must be readable too
                quoted = ".".join(
                    '"' + part.replace('"', '""') + '"' for part in table.split(".", 1)
                )
                warehouse.rows(f"SELECT 1 FROM {quoted} LIMIT 1")  # names from the file's catalog
        except WarehouseError as exc:
            warehouse.close()
            raise SnapshotError(version, _reason(exc, path)) from exc
        if not tables:
            warehouse.close()
            raise SnapshotError(version, "it holds no tables")
        return warehouse

    def validate(self, version: str) -> None:
        """Raise SnapshotError if `version` could not be served (see open_snapshot)."""
        self.open_snapshot(version).close()

    def _prune(self, newest: str) -> None:
        # Old snapshots stay a while: a reader may still have one open.
        files = sorted(self.dir.glob("*.duckdb"))
        for old in files[: -self.keep]:
            if old.stem != newest:
                old.unlink(missing_ok=True)
                self.spec_file(old.stem).unlink(missing_ok=True)


def _reason(exc: Exception, path: Path) -> str:
    """Why the engine would not serve `path`, naming the file but not the directory it lives in."""
    text = str(exc)
    if "not a valid DuckDB database" in text:
        return "it is not a valid DuckDB database file (damaged, or not a snapshot)"
    if "Could not set lock" in text:
        return "another process holds it read-write"
    for shown in (str(path.resolve()), str(path.absolute()), str(path)):
        text = text.replace(shown, path.name)
    return text.removeprefix(f"cannot open warehouse {path.name}: ").rstrip(".!")
