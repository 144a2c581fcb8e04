"""Build the rollup tables (see rollups.py) inside the warehouse, and keep them in line with the spec.

refresh_rollups compares what the spec wants (rollup_units: units and their definition hashes) and
the data (when each table a unit reads last received rows, from meta.loads) with rollup.manifest,
and in one transaction rebuilds only the units that are new, defined differently, built from older
data, or — rolling windows — built for another as-of day; tables no unit wants are dropped.
build_rollups rebuilds everything. The SQL of each unit's tables is rollup_tables.py's.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date, datetime
from zoneinfo import ZoneInfo

from sqlglot import exp

from metric_layer.rollup_changes import STATE, STATE_DDL, ChangeFinder
from metric_layer.rollup_incremental import IncrementalRefresh
from metric_layer.rollup_tables import UnitBuilder, existing_tables
from metric_layer.rollup_units import (
    MANIFEST,
    SCHEMA,
    RollupUnit,
    model_definition,
    rollup_units,
    unit_models,
)
from metric_layer.semantics import Semantics
from metric_layer.spec import Spec
from warehouse import Warehouse

Progress = Callable[[str], None]
NEW_DATA = "new data"
AS_OF_MOVED = "as-of day now"


_MANIFEST_DDL = (
    f"CREATE TABLE IF NOT EXISTS {MANIFEST} (table_name VARCHAR, unit VARCHAR, "
    "definition VARCHAR, data_version VARCHAR, as_of DATE, first_day DATE, has_rows BOOLEAN, "
    "built_at TIMESTAMPTZ)"
)


@dataclass
class RollupRefresh:
    """What one refresh did: units rebuilt (and why), units kept, tables dropped."""

    as_of: date
    built: list[tuple[str, str]] = field(default_factory=list)  # (unit label, why)
    kept: int = 0
    dropped: list[str] = field(default_factory=list)
    seconds: dict[str, float] = field(default_factory=dict)  # unit label → build time
    in_place: dict[str, str] = field(default_factory=dict)  # unit label → what was redone

    @property
    def changed(self) -> bool:
        return bool(self.built or self.dropped)

    def summary(self) -> str:
        """One line for the CLI and the worker's log: what was rebuilt and why."""
        if not self.changed:
            return f"rollups up to date (built for {self.as_of})"
        by_reason: dict[tuple[str, str], list[str]] = {}
        for label, why in self.built:
            verb = "updated in place" if label in self.in_place else "rebuilt"
            by_reason.setdefault((verb, why), []).append(label)
        parts = [f"{verb} {_names(labels)} ({why})" for (verb, why), labels in by_reason.items()]
        if self.kept:
            parts.append(f"kept {self.kept} unchanged")
        if self.dropped:
            parts.append(f"dropped {_names(self.dropped)} (no metric uses them)")
        return f"rollups for {self.as_of}: {'; '.join(parts)}"


def _names(items: list[str]) -> str:
    return (
        ", ".join(items) if len(items) <= 4 else f"{', '.join(items[:4])} and {len(items) - 4} more"
    )


@dataclass(frozen=True)
class _Plan:
    work: list[tuple[RollupUnit, str]]  # units to (re)build, why
    kept: int
    unwanted: list[str]  # tables (or manifest rows) no unit of the spec wants
    from_scratch: bool  # drop the whole schema first (full rebuild, or an older layout)
    versions: dict[str, str]  # see _data_versions
    # first table of a unit that may be updated in place → its (first covered day, as-of day)
    recorded: dict[str, tuple[date | None, date | None]] = field(default_factory=dict)

    @property
    def needed(self) -> bool:
        return bool(self.work or self.unwanted)


def build_rollups(
    warehouse: Warehouse, spec: Spec, today: date | None = None, progress: Progress | None = None
) -> dict[str, float]:
    """Rebuild every rollup in one transaction; returns seconds per unit."""
    return refresh_rollups(warehouse, spec, today, full=True, progress=progress).seconds


def rollups_stale(warehouse: Warehouse, spec: Spec, today: date | None = None) -> bool:
    """Whether refresh_rollups would rebuild or drop anything."""
    sem = Semantics(spec)
    return _plan(warehouse, spec, sem, warehouse.table_columns(), _as_of(spec, today), False).needed


def refresh_rollups(
    warehouse: Warehouse,
    spec: Spec,
    today: date | None = None,
    *,
    full: bool = False,
    progress: Progress | None = None,
) -> RollupRefresh:
    """Rebuild what the spec, the data or the as-of day made stale (everything when `full`).

    `today` is the first day without complete data (default: today in the spec's time zone).
    """
    sem = Semantics(spec)
    types = warehouse.table_columns()
    # Materialized results depend on `today` (partial periods, mature cohorts): record it.
    as_of = _as_of(spec, today)
    plan = _plan(warehouse, spec, sem, types, as_of, full)
    result = RollupRefresh(as_of, [(u.label, why) for u, why in plan.work], plan.kept)
    result.dropped = plan.unwanted
    if not plan.needed:
        return result
    say = progress or (lambda _msg: None)
    with warehouse.transaction() as tx:
        if plan.from_scratch:
            for schema in (SCHEMA, STATE):
                tx.execute(f"DROP SCHEMA IF EXISTS {schema} CASCADE")
        tx.execute(f"CREATE SCHEMA IF NOT EXISTS {SCHEMA}")
        tx.execute(_MANIFEST_DDL)
        for ddl in STATE_DDL:
            tx.execute(ddl)
        existing = existing_tables(tx)
        for table in plan.unwanted:
            _drop(tx, table, existing)
        builder = UnitBuilder(tx, spec, sem, types, as_of)
        models = {m: "" for u, _ in plan.work for m in unit_models(spec, u)}
        joined = {t: "" for m in models for t in sem.join_targets(m)}
        definitions = {m: model_definition(spec, sem, types, m) for m in {**models, **joined}}
        finder = ChangeFinder(tx, spec, sem, types, definitions)
        in_place = IncrementalRefresh(builder, finder)
        for unit, _why in plan.work:
            started = time.perf_counter()
            done = None
            if unit.tables[0] in plan.recorded:
                done = in_place.apply(unit, *plan.recorded[unit.tables[0]])
            if done is None:
                for table in unit.tables:
                    _drop(tx, table, existing)
                first_day, has_rows = builder.build(unit)
            else:  # updated in place: what it covers is unchanged
                first_day, has_rows = plan.recorded[unit.tables[0]][0], True
                result.in_place[unit.label] = done
                for table in unit.tables:
                    tx.execute(f"DELETE FROM {MANIFEST} WHERE table_name = ?", [table])
            result.seconds[unit.label] = time.perf_counter() - started
            how = f"updated in place, {done}" if done else "built"
            say(f"rollup {unit.label} {how} ({result.seconds[unit.label]:.1f} s)")
            for table in unit.tables:
                tx.execute(
                    f"INSERT INTO {MANIFEST} VALUES (?, ?, ?, ?, ?, ?, ?, now())",
                    [
                        table,
                        unit.label,
                        unit.definition,
                        _data_version(unit, plan.versions),
                        as_of,
                        first_day,
                        has_rows and table not in builder.ambiguous,
                    ],
                )
        for model in models:  # the rows every rollup of these models now stands for
            finder.keep(model)
    return result


def _drop(tx, table: str, existing: dict[str, str]) -> None:
    tx.execute(f"DELETE FROM {MANIFEST} WHERE table_name = ?", [table])
    if table in existing:
        tx.execute(f"DROP {existing.pop(table)} {_quoted(table)}")


def _as_of(spec: Spec, today: date | None) -> date:
    return today or datetime.now(ZoneInfo(spec.time_zone)).date()


def _plan(
    warehouse: Warehouse, spec: Spec, sem: Semantics, types, as_of: date, full: bool
) -> _Plan:
    units = rollup_units(spec, sem, types)
    manifest = types.get(MANIFEST, {})
    versions = _data_versions(warehouse)
    if full or "definition" not in manifest:
        why = "full rebuild" if full else "not built yet" if not manifest else "older layout"
        return _Plan([(u, why) for u in units], 0, [], True, versions)
    recorded = {
        r[0]: r
        for r in warehouse.rows(
            "SELECT table_name, definition, data_version, as_of, has_rows, first_day "
            f"FROM {MANIFEST}"
        )
    }
    work: list[tuple[RollupUnit, str]] = []
    in_place: dict[str, tuple[date | None, date | None]] = {}
    for unit in units:
        rows = [recorded.get(t) for t in unit.tables]
        if any(r is None for r in rows):
            why = "new in the spec"
        elif any(r[1] != unit.definition for r in rows):
            why = "spec changed"
        elif any(r[4] and t not in types for t, r in zip(unit.tables, rows, strict=True)):
            why = "table missing"
        elif any(r[2] != _data_version(unit, versions) for r in rows):
            why = NEW_DATA
        elif unit.today_bound and any(r[3] != as_of for r in rows):
            why = f"{AS_OF_MOVED} {as_of}"
        else:
            continue
        work.append((unit, why))
        if why.startswith((NEW_DATA, AS_OF_MOVED)) and all(
            r[4] for r in rows
        ):  # built from rows: it can be updated
            in_place[unit.tables[0]] = (rows[0][5], rows[0][3])
    wanted = {t for u in units for t in u.tables}
    existing = {t for t in types if t.startswith(f"{SCHEMA}.") and t != MANIFEST}
    unwanted = sorted((existing | set(recorded)) - wanted)
    return _Plan(work, len(units) - len(work), unwanted, False, versions, in_place)


def _data_versions(warehouse: Warehouse) -> dict[str, str]:
    """Table → when it last received rows through ingest ("" key: the newest load of any table)."""
    if not warehouse.has_table("meta.loads"):
        return {}
    # As text: a TIMESTAMPTZ fetched into Python needs pytz, and only equality matters here.
    rows = warehouse.rows(
        'SELECT source, "table", CAST(max(finished) AS VARCHAR) FROM meta.loads '
        "WHERE status = 'ok' AND rows > 0 GROUP BY source, \"table\""
    )
    versions = {f"raw.{s}__{t}": at for s, t, at in rows}
    versions[""] = max(versions.values(), default="")
    return versions


def _data_version(unit: RollupUnit, versions: dict[str, str]) -> str:
    # A table not loaded by ingest (a view, a hand-made table) changes whenever anything loads.
    return "|".join(f"{t}={versions.get(t, versions.get('', ''))}" for t in unit.reads)


def _quoted(table: str) -> str:
    return exp.to_table(table).sql(dialect="duckdb", identify=True)
