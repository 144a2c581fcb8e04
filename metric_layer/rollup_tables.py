"""The SQL that builds each rollup unit's tables (rollup_units.py says which units a spec wants;
rollups.py what each table answers), run inside the refresh transaction of rollup_build.py.

Every statement is a sqlglot tree written for DuckDB: the daily tables of a model and their
per-dimension re-aggregations, entity-day rows, cohort counts, and materialized results of
distinct-count and active metrics per grain (the active ones above day derived from the day table).
"""

from __future__ import annotations

from datetime import date, timedelta

from sqlglot import exp

from metric_layer.compiler import Compiler
from metric_layer.dialects import render
from metric_layer.periods import Window, period_start
from metric_layer.query import MetricQuery
from metric_layer.relation import ModelRelation, col, date_lit, ident
from metric_layer.retention_sql import group_by
from metric_layer.rollup_changes import data_range
from metric_layer.rollup_sql import measures as _measures
from metric_layer.rollup_units import (
    MANIFEST,
    MATERIALIZED_GRAINS,
    SCHEMA,
    RollupUnit,
    additive,
    daily_sets,
    daily_table,
    entity_dimensions,
    materialized_table,
    model_dimensions,
    retention_dimensions,
    segments_table,
)
from metric_layer.rollups import RollupPlanner
from metric_layer.semantics import Semantics
from metric_layer.spec import ActiveMetric, RetentionMetric, Spec
from metric_layer.sql_time import period_expr

# Up to this many runs of consecutive changed days are read as separate ranges of the raw column.
_MAX_DAY_RUNS = 16


class UnitBuilder:
    """Builds one unit's tables inside the refresh transaction."""

    def __init__(self, tx, spec: Spec, sem: Semantics, types, as_of: date) -> None:
        self.tx, self.spec, self.sem, self.types, self.as_of = tx, spec, sem, types, as_of
        # Segment-count tables dropped because some entity had two values of an entity
        # dimension (check_segments): recorded as without rows, so readers decline them.
        self.ambiguous: set[str] = set()

    def build(self, unit: RollupUnit) -> tuple[date | None, bool]:
        """Create the unit's tables; (first covered day, whether there were rows to build from)."""
        if unit.kind == "daily":
            for table, select in self.daily_selects(unit.subject):
                self.tx.execute(_create(table, select))
            return None, True
        metric = self.spec.metric(unit.subject)
        if unit.kind == "entity_days":
            if unit.view_of is not None:  # DAU, WAU and MAU read the same rows: build them once
                view = exp.select("*").from_(exp.to_table(unit.view_of))
                self.tx.execute(_create(unit.tables[0], view, "VIEW"))
            else:
                self.tx.execute(_create(unit.tables[0], self.entity_days_select(metric)))
            return None, True
        if unit.kind == "cohorts":
            lo, hi = self._data_range(metric.cohort.model or metric.activity_model)
            if lo is None:
                return None, False
            self.tx.execute(_create(unit.tables[0], self.cohorts_select(metric, lo, hi)))
            return None, True
        return self._materialized(metric)

    def daily_selects(
        self, model: str, days: frozenset[date] | None = None
    ) -> list[tuple[str, exp.Select]]:
        """(table, SELECT of its rows) for a model's daily tables, `all` first (the others
        re-aggregate it); with `days`, only the rows of those local days."""
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
        if days is not None:
            select = select.where(*on_days(rel, days), copy=False)
        select = rel.from_clause(group_by(select, len(dims)))
        all_table = daily_table(model, "all")
        statements = [(all_table, select)]
        reagg = [
            exp.alias_(aggs[agg](this=col(column)), ident(column))
            for m in metrics
            for column, agg in _measures(m)
        ]
        for kept in daily_sets(self.sem, model)[1:]:
            subset = [kept] if isinstance(kept, str) else list(kept or ())
            small = exp.select(
                col("day"), *[col(d) for d in subset], *[r.copy() for r in reagg]
            ).from_(exp.to_table(all_table))
            if days is not None:
                small = small.where(in_days(col("day"), days), copy=False)
            statements.append((daily_table(model, kept), group_by(small, len(subset))))
        return statements

    def entity_days_select(self, metric, days: frozenset[date] | None = None) -> exp.Select:
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
        if days is not None:
            conds += on_days(rel, days)
        select = exp.select(
            rel.local_day().as_("day"),
            entity.as_("entity"),
            *[rel.dimension(d).as_(ident(d)) for d in dims],
        ).distinct()
        # Stored in day order: a range read (root cause, a week's actives) then skips the row
        # groups outside it by their min/max day instead of scanning the whole table.
        return rel.from_clause(select.where(*conds)).order_by(exp.Literal.number(1), copy=False)

    def cohorts_select(self, metric: RetentionMetric, lo: date, hi: date) -> exp.Select:
        """Cohort size and retained count per cohort day in [lo, hi] and every dimension:
        retention adds up."""
        window = Window("day", lo, hi + timedelta(days=1), self.as_of, self.spec.week_start)
        dims = retention_dimensions(self.sem, metric)
        return Compiler(self.spec, self.types).retention_counts(metric, window, dims, [], None)

    def _materialized(self, metric) -> tuple[date | None, bool]:
        lo, hi = self._data_range(metric.model)
        if lo is None:
            return None, False
        start, end = self.materialized_span(metric, lo, hi)
        for table, select in self.materialized_selects(metric, start, end, MATERIALIZED_GRAINS):
            self.tx.execute(_create(table, select))
        self.check_segments(metric)
        return start, True

    def check_segments(self, metric) -> None:
        """Drop a metric's segment counts of a grain where, in some period, they do not add up
        to its total: an entity with two values of an entity dimension (a duplicated key in the
        joined table) would be counted twice when they are summed."""
        existing = existing_tables(self.tx)
        for grain in MATERIALIZED_GRAINS:
            table = segments_table(metric.name, grain)
            if table not in existing:
                continue
            total = exp.to_table(materialized_table(metric.name, grain, None))
            summed = group_by(
                exp.select(col("period"), exp.alias_(exp.Sum(this=col("value")), "value")).from_(
                    exp.to_table(table)
                ),
                0,
            )
            differ = (
                exp.select(exp.Count(this=exp.Star()))
                .from_(total.as_("t"))
                .join(summed.subquery("s"), on="t.period = s.period", join_type="full")
                .where("t.value IS DISTINCT FROM s.value")
            )
            if self.tx.rows(differ.sql(dialect="duckdb"))[0][0]:
                self.tx.execute(f"DROP TABLE {exp.to_table(table).sql(dialect='duckdb')}")
                self.ambiguous.add(table)

    def materialized_span(self, metric, lo: date, hi: date) -> tuple[date, date]:
        """[start, end] (inclusive) of a metric's materialized results over data from lo to hi.

        From the first week / year start (every grain's first period whole: active metrics' zero
        days as a direct query's; no distinct count before the data) to the as-of day for active
        metrics (a trailing window still counts entities after the data's last day)."""
        start = min(period_start(lo, "week", self.spec.week_start), period_start(lo, "year"))
        return start, (max(hi, self.as_of) if isinstance(metric, ActiveMetric) else hi)

    def materialized_dimensions(self, metric) -> list[str | None]:
        return [
            None,
            *sorted(d for d in self.sem.dimensions_of_metric(metric.name) if "." not in d),
        ]

    def materialized_selects(
        self, metric, start: date, end: date, grains: tuple[str, ...]
    ) -> list[tuple[str, exp.Select]]:
        """(table, SELECT of its rows for the periods of [start, end]) for each dimension and
        grain; an active metric's grains above day re-read its (already built) day table."""
        # Read the entity-day tables built (or kept) so far in this transaction.
        tables = frozenset(t for t in existing_tables(self.tx) if t != MANIFEST)
        compiler = Compiler(self.spec, self.types, RollupPlanner(self.spec, tables))
        active = isinstance(metric, ActiveMetric)
        out = []
        for dim in self.materialized_dimensions(metric):
            for grain in grains:
                table = materialized_table(metric.name, grain, dim)
                if active and grain != "day":
                    # A period's value is the last or mean daily value: derive it from the day table.
                    out.append((table, _from_daily(metric, grain, self.spec.week_start, dim)))
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
                out.append((table, tree))
        own = () if active else tuple(entity_dimensions(self.sem, metric))
        for grain in grains if own else ():
            query = MetricQuery((metric.name,), grain=grain, start=start, end=end, dimensions=own)
            # no coverage in this planner: these read the entity-day rows, never themselves
            tree = compiler.compile(metric.name, query, self.as_of).tree
            out.append((segments_table(metric.name, grain), tree))
        return out

    def cohort_data_last(self, metric: RetentionMetric) -> date | None:
        """The last day of the rows a retention metric's cohorts are dated by."""
        return self._data_range(metric.cohort.model or metric.activity_model)[1]

    def _data_range(self, model: str) -> tuple[date | None, date | None]:
        return data_range(self.tx, ModelRelation(self.sem, model, self.spec.time_zone, self.types))


def _from_daily(metric: ActiveMetric, grain: str, week_start: str, dim: str | None) -> exp.Select:
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
    return group_by(select, len(dims))


def on_days(rel: ModelRelation, days: frozenset[date]) -> list[exp.Expression]:
    """Rows of a model on the given local days, compared on the raw column so zone maps prune:
    one exact range per run of consecutive days; past a few runs, the span and the days."""
    runs: list[list[date]] = []
    for day in sorted(days):
        if runs and runs[-1][1] + timedelta(days=1) == day:
            runs[-1][1] = day
        else:
            runs.append([day, day])
    if len(runs) <= _MAX_DAY_RUNS:
        return [exp.or_(*[rel.time_range(lo, hi + timedelta(days=1)) for lo, hi in runs])]
    lo, hi = runs[0][0], runs[-1][1] + timedelta(days=1)
    return [rel.time_range(lo, hi), in_days(rel.local_day(within=(lo, hi)), days)]


def in_days(day: exp.Expression, days: frozenset[date]) -> exp.Expression:
    return exp.In(this=day, expressions=[date_lit(d) for d in sorted(days)])


def _create(
    table: str, select: exp.Expression, kind: str = "TABLE", dialect: str = "duckdb"
) -> str:
    """CREATE TABLE (or VIEW) `table` AS `select`, written for `dialect` (PostgreSQL's rollups:
    warehouse/pg_rollups.py)."""
    tree = exp.Create(this=exp.to_table(table), kind=kind, expression=select)
    return tree.sql(dialect="duckdb") if dialect == "duckdb" else render(tree, dialect)


def existing_tables(tx) -> dict[str, str]:
    """Rollup tables and views in the warehouse now → "TABLE" or "VIEW"."""
    rows = tx.rows(
        "SELECT table_name, table_type FROM information_schema.tables WHERE table_schema = ?",
        [SCHEMA],
    )
    return {f"{SCHEMA}.{t}": "VIEW" if kind == "VIEW" else "TABLE" for t, kind in rows}
