"""The files connector: CSV, Parquet, JSON and NDJSON by glob; only new or changed files load.

A file is unchanged when its size and mtime match the manifest (or, if those moved, its sha256
does). DuckDB reads the files itself (read_parquet/read_csv/read_json over the whole list), which
is what makes millions of rows load in seconds. A file DuckDB cannot read is quarantined: recorded
in meta.files with the reason and skipped until it changes; the other files still load.
"""

from __future__ import annotations

import hashlib
from collections import defaultdict
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from connectors.config import FilesSource, FileTable
from connectors.errors import ConnectorError
from warehouse import Warehouse
from warehouse.ingest_meta import FileEntry, read_manifest
from warehouse.loading import FileScan, LoadRequest, LoadResult, load_table, probe_file

_FORMATS = {"csv", "parquet", "json", "ndjson"}


@dataclass(frozen=True)
class FilePlan:
    to_load: list[tuple[Path, FileEntry]]  # new or changed
    unchanged: list[Path]
    touched: list[FileEntry]  # mtime moved, content identical: remember the new mtime only


def source_dir(source: FilesSource, base_dir: Path) -> Path:
    path = Path(source.path).expanduser()
    return path if path.is_absolute() else base_dir / path


def plan_files(
    directory: Path, table: FileTable, manifest: dict[str, FileEntry], full: bool
) -> FilePlan:
    if not directory.is_dir():
        raise ConnectorError(f"directory {directory} does not exist; check `path:` of the source")
    to_load, unchanged, touched = [], [], []
    for path in sorted(p for p in directory.glob(table.glob) if p.is_file()):
        stat = path.stat()
        known = manifest.get(str(path))
        if known and not full and (known.size, known.mtime_ns) == (stat.st_size, stat.st_mtime_ns):
            unchanged.append(path)
            continue
        digest = _sha256(path)
        entry = FileEntry(str(path), stat.st_size, stat.st_mtime_ns, digest)
        if known and not full and known.sha256 == digest:
            touched.append(
                FileEntry(
                    str(path), stat.st_size, stat.st_mtime_ns, digest, known.status, known.reason
                )
            )
            unchanged.append(path)
        else:
            to_load.append((path, entry))
    return FilePlan(to_load, unchanged, touched)


def load_files_table(
    warehouse: Warehouse,
    source: FilesSource,
    table: FileTable,
    *,
    base_dir: Path,
    run_id: str,
    full_refresh: bool,
    on_rows: Callable[[int, int], None] | None = None,
) -> tuple[LoadResult, list[FileEntry]]:
    """Load the new/changed files of one table; return the result and any files quarantined."""
    directory = source_dir(source, base_dir)
    manifest = read_manifest(warehouse, source.name, table.name)
    plan = plan_files(directory, table, manifest, full_refresh)
    for path, _ in plan.to_load:
        if table.file_format(path) not in _FORMATS:
            raise ConnectorError(
                f"{path.name}: unknown format; set `format:` on table {table.name}"
            )
    quarantined: list[FileEntry] = []
    candidates = list(plan.to_load)
    for _attempt in range(len(candidates) + 1):
        good = [(p, e) for p, e in candidates if e.path not in {q.path for q in quarantined}]
        request = _request(
            source, table, run_id, full_refresh, manifest, plan, good, quarantined, directory
        )
        try:
            return load_table(warehouse, request, on_rows), quarantined
        except Exception as exc:
            bad = _find_bad(warehouse, table, good)
            if not bad:
                raise
            quarantined.extend(bad)  # retry the table without them; the failed attempt rolled back
            del exc
    raise ConnectorError(f"{table.name}: could not load any file")


def _request(
    source, table, run_id, full_refresh, manifest, plan, good, quarantined, directory
) -> LoadRequest:
    if table.primary_key and not full_refresh and manifest:
        mode, paths = "merge", [p for p, _ in good]
    elif table.primary_key and not manifest:
        mode, paths = "replace", [p for p, _ in good]
    else:
        # No key to merge on (or a full refresh): rebuild from every good file so that a changed
        # file replaces its old rows instead of adding to them.
        bad = {q.path for q in quarantined} | {
            e.path for e in manifest.values() if e.status != "loaded"
        }
        paths = sorted({*(p for p, _ in good), *(p for p in plan.unchanged if str(p) not in bad)})
        mode = "replace" if (good or full_refresh) else "merge"
        if not good and not full_refresh:
            paths = []
    by_format: dict[str, list[Path]] = defaultdict(list)
    for path in paths:
        by_format[table.file_format(path)].append(path)
    chunks = [FileScan(tuple(ps), fmt) for fmt, ps in sorted(by_format.items())]
    return LoadRequest(
        source=source.name,
        table=table.name,
        run_id=run_id,
        chunks=chunks,
        mode=mode,
        primary_key=tuple(table.primary_key),
        file_entries=[*(e for _, e in good), *plan.touched, *quarantined],
        clear_state=full_refresh,
    )


def _find_bad(
    warehouse: Warehouse, table: FileTable, files: list[tuple[Path, FileEntry]]
) -> list[FileEntry]:
    bad = []
    for path, entry in files:
        reason = probe_file(warehouse, FileScan((path,), table.file_format(path)))
        if reason:
            bad.append(
                FileEntry(
                    entry.path, entry.size, entry.mtime_ns, entry.sha256, "quarantined", reason
                )
            )
    return bad


def _sha256(path: Path) -> str:
    with path.open("rb") as fh:
        return hashlib.file_digest(fh, "sha256").hexdigest()
