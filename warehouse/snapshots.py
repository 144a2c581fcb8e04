"""Read-only serving snapshots: the writer publishes a copy, readers open the newest one.

The ingest worker owns data/warehouse.duckdb read-write. After a good load it calls publish(), which
copies the checkpointed file to serving/<version>.duckdb and then atomically replaces the CURRENT
pointer. The web app reads CURRENT, opens that file read-only and reopens when the version changes,
so it never blocks on, or breaks during, a load.
"""

from __future__ import annotations

import contextlib
import os
import shutil
import time
from pathlib import Path


class SnapshotStore:
    def __init__(self, serving_dir: str | Path, keep: int = 3) -> None:
        self.dir = Path(serving_dir)
        self.keep = keep

    @property
    def pointer(self) -> Path:
        return self.dir / "CURRENT"

    def publish(self, warehouse_file: str | Path) -> str:
        """Copy a closed (or checkpointed) warehouse file in as the newest snapshot; return its version."""
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
        pointer_tmp = self.dir / "CURRENT.tmp"
        pointer_tmp.write_text(version)
        os.replace(pointer_tmp, self.pointer)  # the atomic step readers rely on
        self._prune(version)
        return version

    def current(self) -> tuple[str, Path] | None:
        """(version, file) of the newest published snapshot, or None when nothing is published."""
        try:
            version = self.pointer.read_text().strip()
        except FileNotFoundError:
            return None
        path = self.dir / f"{version}.duckdb"
        return (version, path) if path.exists() else None

    def _prune(self, newest: str) -> None:
        # Old snapshots stay a while: a reader may still have one open.
        files = sorted(self.dir.glob("*.duckdb"))
        for old in files[: -self.keep]:
            if old.stem != newest:
                old.unlink(missing_ok=True)
