"""Where an ingest run publishes what it loaded: the engine setting decides (docs/scale-out.md).

- engine = duckdb: a serving snapshot of the DuckDB file (warehouse/snapshots.py), which the web
  app opens read-only;
- engine = postgres: the raw tables and meta.loads, into the PostgreSQL database
  (warehouse/pg_publish.py), which the web app, `query` and the alert checks read there. Only
  there: nothing reads DuckDB snapshots on that engine, and two published copies could disagree;
- engine = spark: the same tables as a new version of Parquet folders in the Spark warehouse
  directory (warehouse/spark_publish.py), with the rollups Spark builds over them.

Both load into the DuckDB file first (cursors and crash safety stay one code path). Each target
says whether a publish is pending (an earlier one failed, so the next run publishes even with no
new rows), publishes, and words a failure as one line that says what to do.
"""

from __future__ import annotations

from collections.abc import Callable

from settings import EngineChoice
from warehouse import SnapshotStore, Warehouse, WarehouseError
from warehouse.ingest_meta import last_change
from warehouse.pg_copy import PostgresPublishError
from warehouse.pg_publish import PostgresPublisher
from warehouse.rollup_plan import RollupPlan
from warehouse.spark_publish import SparkPublisher, recorded_change

# spec text, the raw tables' columns, the engine's SQL dialect → the engine's rollups
# (metric_layer/engine_rollups.py); the CLI hands it in, as connectors do not read metric
# definitions.
PlanRollups = Callable[[str, dict[str, dict[str, str]], str], RollupPlan]


class SnapshotTarget:
    """engine = duckdb: a serving snapshot of the closed warehouse file."""

    errors: tuple[type[Exception], ...] = (OSError,)

    def __init__(self, store: SnapshotStore, warehouse_file) -> None:
        self.store = store
        self.file = warehouse_file

    def pending(self, warehouse: Warehouse) -> bool:
        """Whether the newest snapshot lacks data the warehouse has (an earlier publish failed)."""
        current = self.store.current()
        if current is None:
            return True
        try:
            with self.store.open_snapshot(current[0]) as snapshot:
                return last_change(snapshot) != last_change(warehouse)
        except WarehouseError:  # an unreadable snapshot is replaced by a good one
            return True

    def publish(self, warehouse: Warehouse, spec_text: str | None) -> str:
        warehouse.checkpoint()
        warehouse.close()  # a closed file is a consistent file to copy
        return self.store.publish(self.file, spec_text=spec_text)

    def failed(self, exc: Exception) -> str:
        where = f" ({exc.filename})" if isinstance(exc, OSError) and exc.filename else ""
        reason = exc.strerror if isinstance(exc, OSError) and exc.strerror else exc
        return (
            f"publishing the serving snapshot in {self.store.dir} failed: {reason}{where}. "
            "The data is loaded; make that directory writable (or set NORTHSTAR_SERVING_DIR) and "
            "run `northstar ingest` again: it publishes what is pending."
        )


class PostgresTarget:
    """engine = postgres: the raw tables and meta.loads, swapped into the database at once."""

    errors: tuple[type[Exception], ...] = (WarehouseError,)

    def __init__(
        self,
        engine: EngineChoice,
        on_step: Callable[[str, str], None] | None = None,
        plan_rollups: PlanRollups | None = None,
    ) -> None:
        self.engine = engine
        self.on_step = on_step
        self.plan_rollups = plan_rollups
        self._publisher: PostgresPublisher | None = None

    @property
    def publisher(self) -> PostgresPublisher:
        if self._publisher is None:  # connects: WarehouseError names the database, masked
            self._publisher = PostgresPublisher(
                self.engine.url,
                shown=self.engine.shown,
                secrets=self.engine.secrets,
                on_step=self.on_step,
            )
        return self._publisher

    def pending(self, warehouse: Warehouse) -> bool:
        """Whether the database's current version lacks data the warehouse has."""
        try:
            record = self.publisher.current()
        except WarehouseError:
            return True  # unreachable now: the publish says so in one line
        return record is None or record.last_change != last_change(warehouse)

    def publish(self, warehouse: Warehouse, spec_text: str | None) -> str:
        changed = last_change(warehouse)
        try:
            plan = _plan(self.plan_rollups, spec_text, warehouse, "postgres")
            return self.publisher.publish(warehouse, spec_text, changed, rollups=plan).version
        finally:
            warehouse.close()
            if self._publisher is not None:
                self._publisher.close()

    def failed(self, exc: Exception) -> str:
        if isinstance(exc, PostgresPublishError):
            return str(exc)  # names the database (masked) and what to do
        return (  # the database could not be reached at all
            f"publishing to PostgreSQL failed: {exc}. The data is loaded; run `northstar ingest` "
            "again when the database answers: it publishes what is pending."
        )


class SparkTarget:
    """engine = spark: a new version of Parquet folders (and rollups) behind CURRENT."""

    errors: tuple[type[Exception], ...] = (WarehouseError,)

    def __init__(
        self,
        engine: EngineChoice,
        on_step: Callable[[str, str], None] | None = None,
        plan_rollups: PlanRollups | None = None,
    ) -> None:
        self.publisher = SparkPublisher(engine.directory, url=engine.url, on_step=on_step)
        self.plan_rollups = plan_rollups

    def pending(self, warehouse: Warehouse) -> bool:
        """Whether the current version lacks data the warehouse has."""
        try:
            current = self.publisher.current()
        except WarehouseError:
            return True  # an unreadable CURRENT is replaced by a good version
        return current is None or recorded_change(current) != last_change(warehouse)

    def publish(self, warehouse: Warehouse, spec_text: str | None) -> str:
        try:
            plan = None
            if spec_text is not None and self.plan_rollups is not None:
                plan = self.plan_rollups(spec_text, warehouse.table_columns(), "spark")
            return self.publisher.publish(
                warehouse, spec_text, last_change(warehouse), plan
            ).version
        finally:
            warehouse.close()

    def failed(self, exc: Exception) -> str:
        return str(exc)  # SparkPublishError names the directory and what to do


def _plan(
    plan_rollups: PlanRollups | None, spec_text: str | None, warehouse: Warehouse, dialect: str
) -> RollupPlan | None:
    """The rollups the publish builds: the hook checked spec_text against these tables."""
    if spec_text is None or plan_rollups is None:
        return None
    return plan_rollups(spec_text, warehouse.table_columns(), dialect)
