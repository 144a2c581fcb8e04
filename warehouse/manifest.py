"""What a published version is made of: serving/<version>.segments.json.

For every table stored as Parquet segments it records the table's columns, the column it is
partitioned by and, per partition, the segment file with the row count and fingerprint it was
written with. The next publish reuses a segment whose partition's fingerprint is unchanged; the
pruner deletes a segment file no kept version lists; open_snapshot checks each listed file.
Written (temp name + os.replace) before the version's catalog appears, so a catalog never
exists without its manifest; a catalog without one was published before segments existed and
is a self-contained DuckDB copy.
"""

from __future__ import annotations

import json
import os
from dataclasses import asdict, dataclass, field
from pathlib import Path

FORMAT = 1
SUFFIX = ".segments.json"


class ManifestError(ValueError):
    """A manifest file exists but cannot be read; the message says which and why."""


@dataclass(frozen=True)
class Segment:
    key: str | None  # the partition: the month it starts ("2026-11-01 00:00:00"), None for NULL
    rows: int
    fingerprint: str  # sum of row hashes, as text (it overflows 64 bits)
    file: str  # relative to the serving directory, e.g. "segments/raw.orders.2026-11.ab12.parquet"


@dataclass(frozen=True)
class TableSegments:
    columns: list[tuple[str, str]]  # (name, DuckDB type) in order: segments are reused only
    partition_by: str | None  # ... while these two are what they were
    segments: list[Segment] = field(default_factory=list)


@dataclass(frozen=True)
class Manifest:
    tables: dict[str, TableSegments] = field(default_factory=dict)  # "schema.table" → segments

    def files(self) -> set[str]:
        return {s.file for t in self.tables.values() for s in t.segments}

    def write(self, path: Path) -> None:
        data = {"format": FORMAT, "tables": {k: asdict(v) for k, v in self.tables.items()}}
        tmp = path.with_name(path.name + ".tmp")
        tmp.write_text(json.dumps(data, indent=1), encoding="utf-8")
        os.replace(tmp, path)

    @classmethod
    def read(cls, path: Path) -> Manifest | None:
        """The manifest at `path`; None when there is none. Raises ManifestError when unreadable."""
        try:
            data = json.loads(path.read_text(encoding="utf-8"))
        except FileNotFoundError:
            return None
        except (OSError, UnicodeDecodeError, json.JSONDecodeError) as exc:
            raise ManifestError(f"its segment list {path.name} is unreadable ({exc})") from None
        try:
            if data["format"] != FORMAT:
                raise ManifestError(f"its segment list {path.name} has format {data['format']!r}")
            tables = {
                name: TableSegments(
                    columns=[(c, t) for c, t in table["columns"]],
                    partition_by=table["partition_by"],
                    segments=[Segment(**s) for s in table["segments"]],
                )
                for name, table in data["tables"].items()
            }
        except (KeyError, TypeError, ValueError) as exc:
            raise ManifestError(f"its segment list {path.name} is malformed ({exc!r})") from None
        return cls(tables)
