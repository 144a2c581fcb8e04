"""Build the rollup tables (see rollups.py) inside the warehouse, and keep them in line with the spec.

refresh_rollups compares what the spec wants (rollup_units: units and their definition hashes) and
the data (when each table a unit reads last received rows, from meta.loads) with rollup.manifest,
and in one transaction rebuilds only the units that are new, defined differently, built from older
data, or — rolling windows — built for another as-of day; tables no unit wants are dropped.
build_rollups rebuilds everything.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

from sqlglot import exp

from metric_layer.compiler import Compiler
from metric_layer.periods import Window, period_start
from metric_layer.query import MetricQuery
from metric_layer.relation import ModelRelation, col, ident
from metric_layer.retention_sql import group_by
from metric_layer.rollup_sql import measures as _measures
from metric_layer.rollup_units import (
    MANIFEST,
    MATERIALIZED_GRAINS,
    SCHEMA,
    RollupUnit,
    additive,
    daily_table,
    materialized_table,
    model_dimensions,
    retention_dimensions,
    rollup_units,
)
from metric_layer.rollups import RollupPlanner
from metric_layer.semantics import Semantics
from metric_layer.spec import ActiveMetric, RetentionMetric, Spec
from metric_layer.sql_time import period_expr
from warehouse import Warehouse

Progress = Callable[[str], None]
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

    @property
    def changed(self) -> bool:
        return bool(self.built or self.dropped)

    def summary(self) -> str:
        """One line for the CLI and the worker's log: what was rebuilt and why."""
        if not self.changed:
            return f"rollups up to date (built for {self.as_of})"
        by_reason: dict[str, list[str]] = {}
        for label, why in self.built:
            by_reason.setdefault(why, []).append(label)
        parts = [f"rebuilt {_names(labels)} ({why})" for why, labels in by_reason.items()]
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
            tx.execute(f"DROP SCHEMA IF EXISTS {SCHEMA} CASCADE")
        tx.execute(f"CREATE SCHEMA IF NOT EXISTS {SCHEMA}")
        tx.execute(_MANIFEST_DDL)
        existing = _existing(tx)
        for table in [*plan.unwanted, *(t for u, _ in plan.work for t in u.tables)]:
            tx.execute(f"DELETE FROM {MANIFEST} WHERE table_name = ?", [table])
            if table in existing:
                tx.execute(f"DROP {existing[table]} {_quoted(table)}")
        builder = _Builder(tx, spec, sem, types, as_of)
        for unit, _why in plan.work:
            started = time.perf_counter()
            first_day, has_rows = builder.build(unit)
            result.seconds[unit.label] = time.perf_counter() - started
            say(f"rollup {unit.label} ({result.seconds[unit.label]:.1f} s)")
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
                        has_rows,
                    ],
                )
    return result


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
            f"SELECT table_name, definition, data_version, as_of, has_rows FROM {MANIFEST}"
        )
    }
    work: list[tuple[RollupUnit, str]] = []
    for unit in units:
        rows = [recorded.get(t) for t in unit.tables]
        if any(r is None for r in rows):
            why = "new in the spec"
        elif any(r[1] != unit.definition for r in rows):
            why = "spec changed"
        elif any(r[4] and t not in types for t, r in zip(unit.tables, rows, strict=True)):
            why = "table missing"
        elif any(r[2] != _data_version(unit, versions) for r in rows):
            why = "new data"
        elif unit.today_bound and any(r[3] != as_of for r in rows):
            why = f"as-of day now {as_of}"
        else:
            continue
        work.append((unit, why))
    wanted = {t for u in units for t in u.tables}
    existing = {t for t in types if t.startswith(f"{SCHEMA}.") and t != MANIFEST}
    unwanted = sorted((existing | set(recorded)) - wanted)
    return _Plan(work, len(units) - len(work), unwanted, False, versions)


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


class _Builder:
    """Builds one unit's tables inside the refresh transaction."""

    def __init__(self, tx, spec: Spec, sem: Semantics, types, as_of: date) -> None:
        self.tx, self.spec, self.sem, self.types, self.as_of = tx, spec, sem, types, as_of

    def build(self, unit: RollupUnit) -> tuple[date | None, bool]:
        """Create the unit's tables; (first covered day, whether there were rows to build from)."""
        if unit.kind == "daily":
            for sql_text in self._daily_statements(unit.subject):
                self.tx.execute(sql_text)
            return None, True
        metric = self.spec.metric(unit.subject)
        if unit.kind == "entity_days":
            if unit.view_of is not None:  # DAU, WAU and MAU read the same rows: build them once
                view = exp.select("*").from_(exp.to_table(unit.view_of))
                self.tx.execute(_create(unit.tables[0], view, "VIEW"))
            else:
                self.tx.execute(_create(unit.tables[0], self._entity_days(metric)))
            return None, True
        if unit.kind == "cohorts":
            lo, hi = self._data_range(metric.cohort.model or metric.activity_model)
            if lo is None:
                return None, False
            self.tx.execute(_create(unit.tables[0], self._cohorts(metric, lo, hi)))
            return None, True
        return self._materialized(metric)

    def _daily_statements(self, model: str) -> list[str]:
        metrics = [m for m in self.spec.metrics if additive(m) and m.model == model]
        rel = ModelRelation(self.sem, model, self.spec.time_zone, self.types)
        dims = model_dimensions(self.sem, model)
        measures = []
        aggs = {"count": exp.Count, "sum": exp.Sum, "min": exp.Min, "max": exp.Max}
        for m in metrics:
            target = rel.spec_sql(m.expr) if m.expr else rel.column(rel.model.primary_key)
            cond = rel.spec_sql(m.filter) if m.filter else None
            for column, _ in _measures(m):
                kind = (
                    "count"
                    if column.endswith("__count")
                    else ("sum" if column.endswith("__sum") else m.agg)
                )
                agg: exp.Expression = aggs[kind](this=target.copy())
                if cond is not None:
                    agg = exp.Filter(this=agg, expression=exp.Where(this=cond.copy()))
                measures.append(exp.alias_(agg, ident(column)))
        select = exp.select(
            rel.local_day().as_("day"), *[rel.dimension(d).as_(ident(d)) for d in dims], *measures
        )
        select = rel.from_clause(group_by(select, len(dims)))
        all_table = daily_table(model, "all")
        statements = [_create(all_table, select)]
        reagg = [
            exp.alias_(aggs[agg](this=col(column)), ident(column))
            for m in metrics
            for column, agg in _measures(m)
        ]
        for subset in [[], *[[d] for d in dims]]:
            small = exp.select(
                col("day"), *[col(d) for d in subset], *[r.copy() for r in reagg]
            ).from_(exp.to_table(all_table))
            table = daily_table(model, subset[0] if subset else None)
            statements.append(_create(table, group_by(small, len(subset))))
        return statements

    def _entity_days(self, metric) -> exp.Select:
        """One row per (local day, entity, dimension values) where the metric's rows exist.

        Built once per distinct-count or active metric (its filter applied, dimensions already
        joined and its day already in the spec's zone), it answers every grain, breakdown and filter.
        """
        rel = ModelRelation(self.sem, metric.model, self.spec.time_zone, self.types)
        dims = model_dimensions(self.sem, metric.model)
        entity_text = metric.entity if isinstance(metric, ActiveMetric) else metric.expr
        entity = rel.spec_sql(entity_text) if entity_text else rel.column(rel.model.primary_key)
        # Rows without an entity stay: a raw COUNT(DISTINCT) still returns their group (as 0).
        conds = [exp.paren(rel.spec_sql(metric.filter))] if metric.filter else []
        select = exp.select(
            rel.local_day().as_("day"),
            entity.as_("entity"),
            *[rel.dimension(d).as_(ident(d)) for d in dims],
        ).distinct()
        return rel.from_clause(select.where(*conds))

    def _cohorts(self, metric: RetentionMetric, lo: date, hi: date) -> exp.Select:
        """Cohort size and retained count per cohort day and every dimension: retention adds up."""
        window = Window("day", lo, hi + timedelta(days=1), self.as_of, self.spec.week_start)
        dims = retention_dimensions(self.sem, metric)
        return Compiler(self.spec, self.types).retention_counts(metric, window, dims, [], None)

    def _materialized(self, metric) -> tuple[date | None, bool]:
        lo, hi = self._data_range(metric.model)
        if lo is None:
            return None, False
        # Read the entity-day tables built (or kept) so far in this transaction.
        tables = frozenset(t for t in _existing(self.tx) if t != MANIFEST)
        compiler = Compiler(self.spec, self.types, RollupPlanner(self.spec, tables))
        # From the first week / year start (every grain's first period whole: active metrics'
        # zero days as a direct query's; no distinct count before the data) to the as-of day for
        # active metrics (a trailing window still counts entities after the data's last day).
        start = min(period_start(lo, "week", self.spec.week_start), period_start(lo, "year"))
        end, active = hi, isinstance(metric, ActiveMetric)
        if active:
            end = max(hi, self.as_of)
        dims = [
            None,
            *sorted(d for d in self.sem.dimensions_of_metric(metric.name) if "." not in d),
        ]
        for dim in dims:
            for grain in MATERIALIZED_GRAINS:
                table = materialized_table(metric.name, grain, dim)
                if active and grain != "day":
                    # A period's value is the last or mean daily value: derive it from the day table.
                    self.tx.execute(_from_daily(metric, grain, self.spec.week_start, dim))
                    continue
                query = MetricQuery(
                    (metric.name,),
                    grain=grain,
                    start=start,
                    end=end,
                    dimensions=(dim,) if dim else (),
                )
                tree = compiler.compile(metric.name, query, self.as_of).tree
                if active:  # peak: see rollup_sql.materialized_select
                    tree = exp.select("*", exp.alias_(col("value"), "peak")).from_(
                        tree.subquery("daily")
                    )
                self.tx.execute(_create(table, tree))
        return start, True

    def _data_range(self, model: str) -> tuple[date | None, date | None]:
        rel = ModelRelation(self.sem, model, self.spec.time_zone, self.types)
        day = rel.local_day()
        select = exp.select(exp.Min(this=day), exp.Max(this=day.copy())).from_(
            exp.to_table(rel.model.table).as_("t0")
        )
        lo, hi = self.tx.rows(select.sql(dialect="duckdb"))[0]
        return lo, hi


def _from_daily(metric: ActiveMetric, grain: str, week_start: str, dim: str | None) -> str:
    value = (
        exp.func("arg_max", col("value"), col("period"))
        if metric.period_value == "last"
        else exp.Avg(this=col("value"))
    )
    dims = [col(dim)] if dim else []
    select = exp.select(
        period_expr(col("period"), grain, week_start).as_("period"),
        *dims,
        exp.alias_(value, "value"),
        exp.alias_(exp.Max(this=col("value")), "peak"),
    )
    select = select.from_(exp.to_table(materialized_table(metric.name, "day", dim)))
    return _create(materialized_table(metric.name, grain, dim), group_by(select, len(dims)))


def _create(table: str, select: exp.Expression, kind: str = "TABLE") -> str:
    return exp.Create(this=exp.to_table(table), kind=kind, expression=select).sql(dialect="duckdb")


def _existing(tx) -> dict[str, str]:
    """Rollup tables and views in the warehouse now → "TABLE" or "VIEW"."""
    rows = tx.rows(
        "SELECT table_name, table_type FROM information_schema.tables WHERE table_schema = ?",
        [SCHEMA],
    )
    return {f"{SCHEMA}.{t}": "VIEW" if kind == "VIEW" else "TABLE" for t, kind in rows}


def _quoted(table: str) -> str:
    return exp.to_table(table).sql(dialect="duckdb", identify=True)
