"""What is published in a PostgreSQL warehouse, as the web app, the alert checks and ingest see it.

warehouse/pg_publish.py writes, in the transaction that swaps the tables in, schema
`northstar_publish`:
- `versions`: one row per publish (seq, version, published_at, last_change, spec_text, copied,
  kept); the last (highest seq) is the current version, whose tables are in `raw` and `meta`;
- `tables`: per published table its columns, rows and digest, which the next publish compares.

Unlike DuckDB snapshots, an older version's tables are gone once a newer one is swapped in:
readers always read the current version, and a version's number changes exactly when its tables
do (the web app's result cache is keyed by it). A database nobody published into (tables loaded
by other tools) has no version: it is served as it is, as version LIVE.

PostgresPublished gives the web side the face of a SnapshotStore (current, versions, spec_text,
open_snapshot), so dashboard/serving.py serves either.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING, Protocol

from warehouse.engines import LIVE  # the version of a database nobody published into
from warehouse.snapshots import SnapshotError

if TYPE_CHECKING:
    from warehouse.postgres import PostgresWarehouse

META_SCHEMA = "northstar_publish"

_CURRENT = (
    "SELECT version, published_at, last_change, copied, kept FROM northstar_publish.versions "
    "ORDER BY seq DESC LIMIT 1"
)


class Rows(Protocol):
    def rows(self, sql: str, params: Sequence | None = None) -> list[tuple]: ...


@dataclass(frozen=True)
class PublishRecord:
    version: str
    published_at: datetime
    last_change: datetime | None  # the DuckDB warehouse's last_change() when it was published
    copied: tuple[str, ...]  # tables copied by this publish ("raw.shop__orders", …)
    kept: tuple[str, ...]  # tables unchanged since the previous publish, moved over as they were


def has_records(reader: Rows) -> bool:
    return reader.rows("SELECT to_regclass('northstar_publish.versions') IS NOT NULL")[0][0]


def current_record(reader: Rows) -> PublishRecord | None:
    """The newest publish, or None when nothing was ever published into this database."""
    if not has_records(reader):
        return None
    found = reader.rows(_CURRENT)
    if not found:
        return None
    version, published_at, last_change, copied, kept = found[0]
    return PublishRecord(version, published_at, last_change, _names(copied), _names(kept))


def _names(text: str) -> tuple[str, ...]:
    return tuple(name for name in text.split(",") if name)


class PostgresPublished:
    """The PostgreSQL warehouse's published versions, in SnapshotStore's words (see module)."""

    def __init__(self, url: str, *, shown: str = "", secrets: Sequence[str] = ()) -> None:
        self._url, self._shown, self._secrets = url, shown, tuple(secrets)
        self._reader: PostgresWarehouse | None = None
        self._recorded = False  # northstar_publish.versions exists (it is never dropped)

    @property
    def reader(self) -> PostgresWarehouse:
        if self._reader is None:  # connect on first use: WarehouseError names the database
            self._reader = self._open()
        return self._reader

    def current(self) -> tuple[str, None] | None:
        """(version, None): the current version, LIVE for a database nobody published into.
        Raises WarehouseError when the database cannot be reached."""
        if not self._recorded:
            self._recorded = has_records(self.reader)
            if not self._recorded:
                return (LIVE, None)
        found = self.reader.rows(_CURRENT)
        return (found[0][0], None) if found else (LIVE, None)

    def versions(self) -> list[str]:
        """Only the current version is in the database; older ones' tables are gone."""
        current = self.current()
        return [current[0]] if current else []

    def spec_text(self, version: str) -> str | None:
        """The metrics.yml published with `version` (None: none, or no such version)."""
        if version == LIVE or not has_records(self.reader):
            return None
        found = self.reader.rows(
            "SELECT spec_text FROM northstar_publish.versions WHERE version = %s", [version]
        )
        return found[0][0] if found else None

    def open_snapshot(self, version: str, config: object = None) -> PostgresWarehouse:
        """A read-only warehouse on the database while `version` is current; SnapshotError when
        a newer publish replaced it (`config`, DuckDB's settings, does not apply here)."""
        current = self.current()
        if current is None or current[0] != version:
            raise SnapshotError(version, "it is no longer current (a newer publish replaced it)")
        return self._open()

    def close(self) -> None:
        if self._reader is not None:
            self._reader.close()

    def _open(self) -> PostgresWarehouse:
        from warehouse.postgres import PostgresWarehouse  # psycopg only when it is used

        return PostgresWarehouse(
            self._url, read_only=True, shown=self._shown, secrets=self._secrets
        )
