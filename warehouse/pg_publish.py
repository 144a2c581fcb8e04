"""Publishing to PostgreSQL (engine = postgres): the tables readers need, swapped in at once.

Connectors keep landing rows in the local DuckDB warehouse (cursors and crash safety stay one
code path: warehouse/loading.py); after a good load this puts into the database what readers
read — every table of schema `raw`, and `meta.loads` (when each source loaded: freshness) — so:

1. Fingerprint every table on the DuckDB side (columns, rows, sum of row hashes; pg_copy.py).
2. Take the database's publish lock (a session advisory lock: one publisher at a time; a killed
   publisher's session ends and frees it) and drop leftovers of publishes killed mid-way.
3. In ONE transaction: create `raw__next_<id>` (and `meta__next_<id>`); for every table whose
   fingerprint differs from the one recorded for the live table, CREATE TABLE, COPY its rows
   and ANALYZE it (a live table with the same columns lends its indexes: LIKE … INCLUDING ALL);
   then lock every live table (ACCESS EXCLUSIVE NOWAIT, retried until no reader holds one),
   move the unchanged tables into the new schema (ALTER TABLE … SET SCHEMA: no copy), rename
   `raw` away and the new schema to `raw`, drop the old tables, record the fingerprints and the
   version (warehouse/pg_published.py), COMMIT.

What readers see: the old tables until COMMIT, the new ones after, never a mix within one
statement. Taking every live table's lock before the renames is what guarantees that: a
statement that already resolved `raw.orders` holds that table's lock, so the swap waits for it
to end instead of letting its next name resolve into the new schema. NOWAIT and retry, rather
than queueing for the locks, keeps new readers from waiting behind the swap for a long query.
A kill or an error anywhere before COMMIT rolls it all back: `raw` stays as it was, row for row.

Northstar owns schemas `raw` and `meta` of that database: a publish replaces them whole, so it
refuses to start when they hold a relation it did not publish (say, a table loaded by hand).
"""

from __future__ import annotations

import time
import uuid
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime

import psycopg

from env_refs import redact
from warehouse.connection import Warehouse, WarehouseError
from warehouse.fingerprints import PUBLISHED, TableFingerprint, fingerprint, published_tables
from warehouse.pg_copy import PostgresPublishError, copy_rows, create_table, ident, qualified
from warehouse.pg_published import META_SCHEMA, PublishRecord, current_record
from warehouse.pg_rollups import ROLLUP_SCHEMA, replace_rollups
from warehouse.postgres import PostgresWarehouse
from warehouse.rollup_plan import RollupPlan

LOCK_KEY = 7_346_581_120_016  # pg_advisory_lock key of "a Northstar publish in this database"
KEEP_VERSIONS = 50  # rows of northstar_publish.versions kept (the history is only for people)
_DDL = (
    f"CREATE SCHEMA IF NOT EXISTS {META_SCHEMA}",
    f"CREATE TABLE IF NOT EXISTS {META_SCHEMA}.tables (schema_name text, table_name text, "
    "columns text NOT NULL, row_count bigint NOT NULL, digest text NOT NULL, "
    "PRIMARY KEY (schema_name, table_name))",
    # seq, not the version's name, orders publishes: a clock set back (or an hour repeated when
    # daylight saving ends) must not make an older version look current.
    f"CREATE TABLE IF NOT EXISTS {META_SCHEMA}.versions ("
    "seq bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY, version text NOT NULL UNIQUE, "
    "published_at timestamptz NOT NULL, last_change timestamptz, spec_text text, "
    "copied text NOT NULL, kept text NOT NULL)",
)
_RELATIONS = """
SELECT n.nspname, c.relname FROM pg_catalog.pg_class c
JOIN pg_catalog.pg_namespace n ON n.oid = c.relnamespace
WHERE n.nspname = ANY(%s) AND c.relkind IN ('r', 'v', 'm', 'p', 'f', 'S')
  AND NOT EXISTS (SELECT 1 FROM pg_catalog.pg_depend d WHERE d.objid = c.oid
                  AND d.classid = 'pg_class'::regclass AND d.deptype IN ('a', 'i'))
"""
# Schemas a killed publish may have left (it cannot with one transaction; older runs or a
# server crash between statements of a manual repair might): `raw__next_…`, `meta__old_…`.
_LEFTOVERS = (
    "SELECT nspname FROM pg_catalog.pg_namespace WHERE nspname LIKE ANY(%s) ORDER BY nspname"
)

Step = Callable[[str, str], None]  # (event, detail): "copied"/"kept" table, "waiting", "swapped"


@dataclass(frozen=True)
class Published:
    version: str
    copied: tuple[str, ...]
    kept: tuple[str, ...]
    rows: int  # rows copied


class PostgresPublisher:
    """Publishes a DuckDB warehouse's raw tables (and meta.loads) into a PostgreSQL database."""

    def __init__(
        self,
        url: str,
        *,
        shown: str = "",
        secrets: Sequence[str] = (),
        on_step: Step | None = None,
        swap_wait: float = 300.0,
        lock_wait: float = 600.0,
    ) -> None:
        """`swap_wait`: seconds to wait for readers to let go of the live tables before giving
        up (the tables stay as they were); `lock_wait`: for another publish to finish."""
        self._database = PostgresWarehouse(url, read_only=False, shown=shown, secrets=secrets)
        self.shown = self._database.shown
        self._secrets = tuple(secrets)
        self._on_step = on_step or (lambda event, detail: None)
        self._swap_wait = swap_wait
        self._lock_wait = lock_wait

    def publish(
        self,
        source: Warehouse,
        spec_text: str | None = None,
        last_change: datetime | None = None,
        rollups: RollupPlan | None = None,
    ) -> Published:
        """Publish `source`'s raw tables and meta.loads as a new version and return it.
        `spec_text` (the validated metrics.yml) and `last_change` (ingest_meta.last_change of
        `source`) are recorded with it. PostgresPublishError says why not; the live tables are
        then as they were. With `rollups` (metric_layer/engine_rollups.py's plan for the spec),
        schema `rollup` is rebuilt by it in the same transaction (warehouse/pg_rollups.py);
        without, a `rollup` schema left is dropped (its tables would answer from the old rows)."""
        try:
            prints = [fingerprint(source, s, t, cols) for s, t, cols in published_tables(source)]
            conn = self._database.connect()
        except WarehouseError as exc:
            raise self._failed(exc) from None
        try:
            self._take_lock(conn)
            self._sweep(conn)
            return self._publish(conn, source, prints, spec_text, last_change, rollups)
        except psycopg.Error as exc:
            raise self._failed(exc) from None
        except PostgresPublishError:
            raise
        except WarehouseError as exc:  # reading the DuckDB side
            raise self._failed(exc) from None
        finally:
            conn.close()  # ends the session: its advisory lock goes with it

    def current(self) -> PublishRecord | None:
        """The database's current version; None when nothing was published into it yet."""
        return current_record(self._database)

    def close(self) -> None:
        self._database.close()

    # -- the steps ---------------------------------------------------------------------------
    def _publish(
        self,
        conn: psycopg.Connection,
        source: Warehouse,
        prints: list[TableFingerprint],
        spec_text: str | None,
        last_change: datetime | None,
        plan: RollupPlan | None,
    ) -> Published:
        owned = [*PUBLISHED, ROLLUP_SCHEMA]
        live = {(s, t) for s, t in conn.execute(_RELATIONS, [owned]).fetchall()}
        recorded = _recorded(conn)
        self._refuse_foreign(live - set(recorded))
        version = _new_version()
        tag = uuid.uuid4().hex[:12]
        staging = {schema: f"{schema}__next_{tag}" for schema in PUBLISHED}
        copied, kept, rows = [], [], 0
        with conn.transaction():
            for ddl in _DDL:
                conn.execute(ddl)
            for name in staging.values():
                conn.execute(f"CREATE SCHEMA {ident(name)}")
            for fp in prints:
                key, name = (fp.schema, fp.table), f"{fp.schema}.{fp.table}"
                if key in live and fp.same_as(recorded.get(key)):
                    kept.append(fp)
                    self._on_step("kept", name)
                    continue
                self._copy(conn, source, fp, staging[fp.schema], key in live, recorded.get(key))
                copied.append(fp)
                rows += fp.rows
                self._on_step("copied", name)
            self._lock_live(conn, sorted(live))
            for fp in kept:
                conn.execute(
                    f"ALTER TABLE {qualified(fp.schema, fp.table)} "
                    f"SET SCHEMA {ident(staging[fp.schema])}"
                )
            existing = _schemas(conn, list(PUBLISHED))
            for schema, next_name in staging.items():
                self._swap(conn, schema, next_name, schema in existing, tag)
            # Over the `raw` just swapped in; the live rollup tables were locked with it.
            rollups = replace_rollups(conn, plan, tag)
            if plan is not None:
                self._on_step("rollups", f"{len(rollups)} tables")
            self._record(conn, version, prints, copied, kept, spec_text, last_change, rollups)
        self._on_step("swapped", version)
        return Published(version, _names(copied), _names(kept), rows)

    def _copy(
        self,
        conn: psycopg.Connection,
        source: Warehouse,
        fp: TableFingerprint,
        schema: str,
        is_live: bool,
        recorded: tuple[str, int, str] | None,
    ) -> None:
        target = qualified(schema, fp.table)
        if is_live and recorded is not None and recorded[0] == fp.columns_json:
            # Same columns: the new table takes the live one's indexes and settings along.
            conn.execute(
                f"CREATE TABLE {target} (LIKE {qualified(fp.schema, fp.table)} INCLUDING ALL)"
            )
        else:
            conn.execute(create_table(target, fp.columns, f"{fp.schema}.{fp.table}"))
        copy_rows(source, conn, fp, target)
        conn.execute(f"ANALYZE {target}")  # without statistics the planner nests loops

    def _lock_live(self, conn: psycopg.Connection, live: list[tuple[str, str]]) -> None:
        """Lock every live table, or none: retried until no reader holds one (see module)."""
        if not live:
            return
        statement = (
            "LOCK TABLE "
            + ", ".join(qualified(s, t) for s, t in live)
            + " IN ACCESS EXCLUSIVE MODE NOWAIT"
        )
        deadline = time.monotonic() + self._swap_wait
        pause = 0.01
        while True:
            try:
                with conn.transaction():  # a savepoint: a refused lock leaves the copy intact
                    conn.execute(statement)
                return
            except psycopg.errors.LockNotAvailable:
                if time.monotonic() >= deadline:
                    raise PostgresPublishError(
                        f"publishing to {self.shown}: readers held the live tables for "
                        f"{self._swap_wait:.0f} s, so the new tables were not swapped in; the "
                        "tables readers see are as they were. Run `northstar ingest` again "
                        "when the long queries are done: it publishes what is pending."
                    ) from None
                self._on_step("waiting", "readers hold the live tables")
                time.sleep(pause)  # a reader's statement ends soon; poll, don't queue
                pause = min(pause * 2, 0.25)

    def _swap(
        self, conn: psycopg.Connection, schema: str, next_name: str, exists: bool, tag: str
    ) -> None:
        old = f"{schema}__old_{tag}"
        if exists:
            conn.execute(f"ALTER SCHEMA {ident(schema)} RENAME TO {ident(old)}")
        conn.execute(f"ALTER SCHEMA {ident(next_name)} RENAME TO {ident(schema)}")
        if exists:
            # RESTRICT (the default), never CASCADE: a view of someone else's over these tables
            # fails the publish (and rolls it back) instead of silently disappearing.
            tables = conn.execute(_RELATIONS, [[old]]).fetchall()
            if tables:
                conn.execute("DROP TABLE " + ", ".join(qualified(s, t) for s, t in tables))
            conn.execute(f"DROP SCHEMA {ident(old)}")

    def _record(
        self,
        conn: psycopg.Connection,
        version: str,
        prints: list[TableFingerprint],
        copied: list[TableFingerprint],
        kept: list[TableFingerprint],
        spec_text: str | None,
        last_change: datetime | None,
        rollups: list[str],
    ) -> None:
        conn.execute(f"DELETE FROM {META_SCHEMA}.tables")
        # Rollup tables are recorded so the next publish knows them as its own (not foreign).
        ours = [(ROLLUP_SCHEMA, t.split(".", 1)[1], "[]", 0, "rollup") for t in rollups]
        if rollups:
            ours.append((ROLLUP_SCHEMA, "manifest", "[]", 0, "rollup"))
        with conn.cursor() as cur:
            cur.executemany(
                f"INSERT INTO {META_SCHEMA}.tables VALUES (%s, %s, %s, %s, %s)",
                [(fp.schema, fp.table, fp.columns_json, fp.rows, fp.digest) for fp in prints]
                + ours,
            )
        conn.execute(
            f"INSERT INTO {META_SCHEMA}.versions (version, published_at, last_change, "
            "spec_text, copied, kept) VALUES (%s, %s, %s, %s, %s, %s)",
            [
                version,
                datetime.now(UTC),
                last_change,
                spec_text,
                ",".join(_names(copied)),
                ",".join(_names(kept)),
            ],
        )
        conn.execute(
            f"DELETE FROM {META_SCHEMA}.versions WHERE seq NOT IN (SELECT seq FROM "
            f"{META_SCHEMA}.versions ORDER BY seq DESC LIMIT %s)",
            [KEEP_VERSIONS],
        )

    def _take_lock(self, conn: psycopg.Connection) -> None:
        deadline = time.monotonic() + self._lock_wait
        while not conn.execute("SELECT pg_try_advisory_lock(%s)", [LOCK_KEY]).fetchone()[0]:
            if time.monotonic() >= deadline:
                raise PostgresPublishError(
                    f"another publish into {self.shown} has run for over {self._lock_wait:.0f} s "
                    "(a `northstar worker` or `ingest` elsewhere?); the tables readers see are "
                    "as they were. Run `northstar ingest` again when it is done."
                )
            self._on_step("waiting", "another publish is running")
            time.sleep(0.2)

    def _sweep(self, conn: psycopg.Connection) -> None:
        """Drop what an interrupted publish left (only a publisher holding the lock runs this)."""
        patterns = [f"{s}\\_\\_next\\_%" for s in PUBLISHED]
        patterns += [f"{s}\\_\\_old\\_%" for s in [*PUBLISHED, ROLLUP_SCHEMA]]
        for (name,) in conn.execute(_LEFTOVERS, [patterns]).fetchall():
            conn.execute(f"DROP SCHEMA {ident(name)} CASCADE")  # ours by name, never read

    def _refuse_foreign(self, foreign: set[tuple[str, str]]) -> None:
        if not foreign:
            return
        names = ", ".join(f"{s}.{t}" for s, t in sorted(foreign))
        raise PostgresPublishError(
            f"schemas {', '.join([*PUBLISHED, ROLLUP_SCHEMA])} of {self.shown} hold relations Northstar did not "
            f"publish: {names}. A publish replaces those schemas whole and would drop them: move "
            "them to another schema (ALTER TABLE … SET SCHEMA) or drop them, then run "
            "`northstar ingest` again (docs/scale-out.md)."
        )

    def _failed(self, exc: Exception) -> PostgresPublishError:
        reason = redact(str(exc).strip(), self._secrets)
        return PostgresPublishError(
            f"publishing to PostgreSQL {self.shown} failed: {reason}. The tables readers see "
            "are as they were; the data is loaded: run `northstar ingest` again to publish "
            "what is pending."
        )


def _recorded(conn: psycopg.Connection) -> dict[tuple[str, str], tuple[str, int, str]]:
    if not conn.execute(f"SELECT to_regclass('{META_SCHEMA}.tables') IS NOT NULL").fetchone()[0]:
        return {}
    rows = conn.execute(
        f"SELECT schema_name, table_name, columns, row_count, digest FROM {META_SCHEMA}.tables"
    ).fetchall()
    return {(s, t): (cols, n, digest) for s, t, cols, n, digest in rows}


def _schemas(conn: psycopg.Connection, names: list[str]) -> set[str]:
    found = conn.execute(
        "SELECT nspname FROM pg_catalog.pg_namespace WHERE nspname = ANY(%s)", [names]
    ).fetchall()
    return {name for (name,) in found}


def _new_version() -> str:
    """Named as SnapshotStore names versions (sortable, its publish time in the name)."""
    now = time.time_ns()
    second = time.strftime("%Y%m%dT%H%M%S", time.localtime(now // 1_000_000_000))
    return f"{second}-{now % 1_000_000_000:09d}"


def _names(prints: list[TableFingerprint]) -> tuple[str, ...]:
    return tuple(f"{fp.schema}.{fp.table}" for fp in prints)


__all__ = ["PUBLISHED", "PostgresPublishError", "PostgresPublisher", "PublishRecord", "Published"]
