"""Metric query → one SQL syntax tree per metric (sqlglot), for DuckDB (or PostgreSQL: dialects.py).

Every metric compiles to a SELECT of (period, <dimensions…>, value) over whole periods of the
query's grain; ratio and derived metrics combine their inputs' SELECTs as CTEs joined on
(period, dimensions), with division guarded so x/0 is NULL, never an error or infinity.
It compiles a plan (query_plan.py), in which every read already has its source (a rollup table or
the raw tables): nothing here asks the rollups anything; rollup_sql.py reads the table chosen.
"""

from __future__ import annotations

import itertools
from dataclasses import dataclass
from datetime import date, timedelta

from sqlglot import exp

from metric_layer.active_window import active_from_activity
from metric_layer.compare_sql import compared
from metric_layer.conversion_sql import conversion_value
from metric_layer.cumulative_sql import cumulative_value
from metric_layer.dialects import render
from metric_layer.errors import METRIC_META
from metric_layer.expressions import and_texts, parse_formula, shift_of
from metric_layer.frame_shifted import FrameShift, daily_span_select, in_frame
from metric_layer.fused import fused_select, guard_division
from metric_layer.periods import Offset, Window
from metric_layer.query import DimensionFilter, MetricQuery
from metric_layer.query_plan import QueryPlan, plan_query
from metric_layer.read_windows import shifted_window
from metric_layer.relation import ModelRelation, col, date_lit, ident
from metric_layer.retention_sql import group_by, nullif_zero, retention_counts, retention_value
from metric_layer.rollup_fused import daily_fused_select
from metric_layer.rollup_shifted import daily_shifted_select, shifted_refs
from metric_layer.rollup_sql import (
    activity_select,
    daily_select,
    distinct_select,
    materialized_select,
    segments_select,
)
from metric_layer.rollups import RollupPlanner
from metric_layer.scope import Scope
from metric_layer.semantics import Semantics
from metric_layer.snapshot_sql import snapshot_value
from metric_layer.spec import (
    ActiveMetric,
    ConversionMetric,
    CumulativeMetric,
    DerivedMetric,
    RatioMetric,
    RetentionMetric,
    SimpleMetric,
    SnapshotMetric,
    Spec,
    zero_when_empty,
)
from metric_layer.sql_time import shift_expr, window_period

DOUBLE = exp.DataType.build("DOUBLE")


@dataclass(frozen=True)
class Compiled:
    metric: str
    tree: exp.Expression
    lo: date
    hi: date
    raw_reasons: tuple[str, ...] = ()  # why parts of it read raw tables although rollups exist
    after: FrameShift | None = None  # metrics computed from its result's columns once it ran

    def sql(self, pretty: bool = False, dialect: str = "duckdb") -> str:
        """The statement for DuckDB, or for PostgreSQL (dialects.py; QueryError if it cannot)."""
        return render(self.tree, dialect, pretty)


class Compiler:
    """Compiles a planned query (query_plan.py): each read takes the source the plan gave it."""

    def __init__(
        self,
        spec: Spec,
        column_types: dict[str, dict[str, str]] | None = None,
        rollups: RollupPlanner | None = None,
        semantics: Semantics | None = None,
        scope: Scope | None = None,
    ) -> None:
        self.spec = spec
        self.scope = scope  # row-level scope: the plan adds its filters to every read
        self.sem = semantics or Semantics(spec)  # share one: it caches every metric's dimensions
        self.types = column_types
        self.rollups = rollups  # only handed to the plan step
        self._names = itertools.count()
        self._plan: QueryPlan | None = None

    def plan(
        self, query: MetricQuery, today: date, metrics: tuple[str, ...] | None = None
    ) -> QueryPlan:
        """Where every metric of `query` (or `metrics`) reads from; QueryError if it cannot."""
        return plan_query(
            self.spec, self.sem, self.types, query, self.rollups, today, metrics, self.scope
        )

    def compile(self, metric: str, query: MetricQuery, today: date) -> Compiled:
        """SELECT period, <dimensions>, value [, compare_value] ORDER BY period, dimensions."""
        return self.compile_planned(self.plan(query, today, (metric,)), metric)

    def compile_planned(self, plan: QueryPlan, metric: str) -> Compiled:
        """One metric of a plan as its own statement."""
        self._plan = plan
        planned, w = plan.metrics[metric], plan.window
        dims, filters, where = list(plan.query.dimensions), list(planned.filters), planned.where
        if plan.query.compare is None:
            tree = self.metric_select(metric, w, dims, filters, where)
        else:
            tree = compared(self, metric, w, dims, filters, plan.query.compare, where)
        order = [exp.Ordered(this=col("period"))] + [exp.Ordered(this=col(d)) for d in dims]
        tree = (
            exp.select("*").from_(tree.subquery("result"), copy=False).order_by(*order, copy=False)
        )
        return Compiled(metric, tree, w.lo, w.hi, planned.reasons)

    def compile_fused(self, plan: QueryPlan, metrics: tuple[str, ...]) -> Compiled:
        """Metrics of one model on the raw path (fused.py), or reading one daily rollup table
        (rollup_fused.py), in one statement: period,
        <dimensions>, one column per metric."""
        first, w = plan.metrics[metrics[0]], plan.window
        dims = list(plan.query.dimensions)
        table = first.daily_table
        shifts = any(shifted_refs(self.sem, m, w.grain) for m in metrics)
        after = None
        if (
            table is not None
            and shifts
            and all(
                in_frame(self.sem, m, w.grain)
                for m in metrics
                if shifted_refs(self.sem, m, w.grain)
            )
        ):  # growth and the like: computed from their inputs' columns (frame_shifted.py)
            tree, after = daily_span_select(
                self.sem, list(metrics), table, w, dims, list(first.filters), first.where
            )
        elif table is not None and shifts:  # previous(m) and the like among them
            tree = daily_shifted_select(
                self.sem, list(metrics), table, w, dims, list(first.filters), first.where
            )
        elif table is not None:  # all read one daily rollup table: one scan of it
            tree = daily_fused_select(
                self.sem, list(metrics), table, w, dims, list(first.filters), first.where
            )
        else:
            tree = fused_select(
                self.sem, self.spec.time_zone, self.types, list(metrics), w, dims,
                list(first.filters), first.where,
            )  # fmt: skip
        order = [exp.Ordered(this=col("period"))] + [exp.Ordered(this=col(d)) for d in dims]
        tree = tree.order_by(*order, copy=False)
        return Compiled(", ".join(metrics), tree, w.lo, w.hi, after=after)

    # -- dispatch --------------------------------------------------------------------------------
    def metric_select(
        self,
        name: str,
        w: Window,
        dims: list[str],
        filters: list[DimensionFilter],
        extra: str | None = None,
    ) -> exp.Select:
        metric = self.sem.metrics[name]
        assert self._plan is not None, "compile a plan (compile_planned), not a bare read"
        source = self._plan.source(name, w, dims, filters, extra)
        if source.kind == "materialized":
            today_bound = isinstance(metric, ActiveMetric)
            return materialized_select(source.table, w, dims, today_bound)
        if source.kind == "segments":
            return segments_select(source.table, w, dims, filters)
        if isinstance(metric, SimpleMetric):
            return self._simple(metric, w, dims, filters, extra, source)
        if isinstance(metric, RatioMetric):
            return self._ratio(metric, w, dims, filters, extra)
        if isinstance(metric, DerivedMetric):
            return self._derived(metric, w, dims, filters, extra)
        if isinstance(metric, ActiveMetric):
            return self._active(metric, w, dims, filters, extra, source)
        if isinstance(metric, ConversionMetric):
            return conversion_value(self, metric, w, dims, filters, extra)
        if isinstance(metric, CumulativeMetric):  # cumulative_sql.py
            return cumulative_value(self, metric, w, dims, filters, extra)
        if isinstance(metric, SnapshotMetric):  # snapshot_sql.py
            return snapshot_value(self, metric, w, dims, filters, extra, source)
        return retention_value(self, metric, w, dims, filters, extra, source)

    # -- simple ----------------------------------------------------------------------------------
    def _simple(self, m: SimpleMetric, w: Window, dims, filters, extra, source) -> exp.Select:
        if source.kind == "daily":
            return daily_select(m, source.table, w, dims, filters, extra)
        if source.kind == "entity_days":
            return distinct_select(source.table, w, dims, filters, extra)
        rel = ModelRelation(self.sem, m.model, self.spec.time_zone, self.types)
        target = rel.spec_sql(m.expr) if m.expr else rel.column(rel.model.primary_key)
        agg = {
            "count": lambda e: exp.Count(this=e),
            "count_distinct": lambda e: exp.Count(this=exp.Distinct(expressions=[e])),
            "sum": lambda e: exp.Sum(this=e),
            "avg": lambda e: exp.Avg(this=e),
            "min": lambda e: exp.Min(this=e),
            "max": lambda e: exp.Max(this=e),
            "median": lambda e: _quantile(m, e),
            "percentile": lambda e: _quantile(m, e),
        }[m.agg](target)
        select = exp.select(
            window_period(rel.local_day(within=(w.lo, w.hi)), w).as_("period"),
            *[rel.dimension(d).as_(ident(d)) for d in dims],
            exp.alias_(agg, "value"),
        )
        select = select.where(
            *self.conditions(rel, w.lo, w.hi, m.filter, filters, extra), copy=False
        )
        return rel.from_clause(group_by(select, len(dims)))

    def conditions(
        self, rel: ModelRelation, lo: date, hi: date, own: str | None, filters, extra
    ) -> list[exp.Expression]:
        conds = [rel.time_range(lo, hi)]
        conds += [exp.paren(rel.spec_sql(text)) for text in (own, extra) if text]
        conds += [rel.filter(f) for f in filters]
        return conds

    # -- ratio -----------------------------------------------------------------------------------
    def _ratio(self, m: RatioMetric, w: Window, dims, filters, extra) -> exp.Select:
        num = self.metric_select(
            m.numerator.metric, w, dims, filters, and_texts(m.numerator.filter, extra)
        )
        den = self.metric_select(
            m.denominator.metric, w, dims, filters, and_texts(m.denominator.filter, extra)
        )
        a, b = self.name("num"), self.name("den")
        value = exp.Div(
            this=exp.cast(self._input_value(m.numerator.metric, a), DOUBLE),
            expression=nullif_zero(col("value", b)),
        )
        return self._combine({a: num, b: den}, [a, b], dims, value)

    # -- derived ---------------------------------------------------------------------------------
    def _derived(self, m: DerivedMetric, w: Window, dims, filters, extra) -> exp.Select:
        tree = parse_formula(m.formula)
        inputs: dict[tuple[str, str | Offset | None], str] = {}
        selects: dict[str, exp.Select] = {}

        def input_alias(metric: str, shift_kind: str | Offset | None) -> str:
            key = (metric, shift_kind)
            if key not in inputs:
                alias = self.name(metric)
                inputs[key] = alias
                if shift_kind is None:
                    selects[alias] = self.metric_select(metric, w, dims, filters, extra)
                else:
                    shifted = shifted_window(w, shift_kind)
                    inner = self.metric_select(metric, shifted, dims, filters, extra).subquery(
                        self.name("s")
                    )
                    selects[alias] = exp.select(
                        shift_expr(col("period"), w, shift_kind, forward=True).as_("period"),
                        *[col(d) for d in dims],
                        col("value"),
                    ).from_(inner, copy=False)
            return inputs[key]

        def rewrite(node: exp.Expression) -> exp.Expression:
            shifted = shift_of(node)
            if shifted is not None:
                ref, kind = shifted
                return self._input_value(ref, input_alias(ref, kind))
            if isinstance(node, exp.Column):
                return self._input_value(node.name, input_alias(node.name, None))
            return node

        # Inputs keep their types (counts add up to counts, DECIMAL money stays exact); only a
        # division turns the value into a double (guard_division in fused.py).

        value = tree.transform(rewrite).transform(guard_division)
        # Periods come from unshifted inputs, and from shifted ones whose no-row value is 0
        # (revenue 0 after a week of sales is -100%, not no value).
        keyed = [
            a for (n, s), a in inputs.items() if s is None or zero_when_empty(self.sem.metrics[n])
        ]
        combined = self._combine(selects, keyed or list(selects), dims, value)
        period_ok = exp.and_(
            exp.GTE(this=col("period"), expression=date_lit(w.lo)),
            exp.LT(this=col("period"), expression=date_lit(w.hi)),
        )
        return (
            exp.select("*")
            .from_(combined.subquery(self.name("d")), copy=False)
            .where(period_ok, copy=False)
        )

    # -- active entities over a trailing window --------------------------------------------------
    def _active(self, m: ActiveMetric, w: Window, dims, filters, extra, source) -> exp.Select:
        last_day = min(w.hi, w.today + timedelta(days=1))  # days after today have no data yet
        first_event = w.lo - timedelta(days=m.window - 1)
        if source.kind == "entity_days":
            activity = activity_select(source.table, first_event, last_day, dims, filters, extra)
        else:
            rel = ModelRelation(self.sem, m.model, self.spec.time_zone, self.types)
            activity = exp.select(
                rel.local_day(within=(first_event, last_day)).as_("day"),
                *[rel.dimension(d).as_(ident(d)) for d in dims],
                rel.column(m.entity).as_("entity"),
            ).distinct(copy=False)
            activity = rel.from_clause(
                activity.where(
                    *self.conditions(rel, first_event, last_day, m.filter, filters, extra),
                    copy=False,
                )
            )
        return active_from_activity(activity, m, w, dims, first_event, last_day)

    # -- retention and comparison live in retention_sql.py and compare_sql.py -----------------
    def retention_counts(self, m: RetentionMetric, w: Window, dims, filters, extra) -> exp.Select:
        """(cohort_day, dims, cohort_size, retained) for cohort days in [w.lo, w.hi)."""
        return retention_counts(self, m, w, dims, filters, extra)

    # -- helpers ---------------------------------------------------------------------------------
    def _combine(
        self,
        selects: dict[str, exp.Select],
        key_sources: list[str],
        dims: list[str],
        value: exp.Expression,
    ) -> exp.Select:
        """Join inputs on (period, dims) null-safely over the union of the key sources' keys."""
        keys_name = self.name("keys")
        key_cols = ["period", *dims]
        union: exp.Expression | None = None
        for alias in key_sources:
            part = exp.select(*[col(k) for k in key_cols]).from_(ident(alias), copy=False)
            union = part if union is None else exp.union(union, part, distinct=True)
        select = exp.select(
            col("period", "k").as_("period"),
            *[col(d, "k").as_(ident(d)) for d in dims],
            exp.alias_(value, "value"),
        )
        select = select.from_(
            exp.Table(this=ident(keys_name), alias=exp.TableAlias(this=ident("k"))), copy=False
        )
        for alias in selects:
            on = exp.and_(
                *[exp.NullSafeEQ(this=col(k, alias), expression=col(k, "k")) for k in key_cols]
            )
            select = select.join(exp.Table(this=ident(alias)), on=on, join_type="left", copy=False)
        for alias, sub in selects.items():
            select = select.with_(alias, as_=sub, copy=False)
        return select.with_(keys_name, as_=union, copy=False)

    def _input_value(self, metric: str, alias: str) -> exp.Expression:
        """An input's value; no row means 0 for count, count_distinct and sum inputs."""
        if zero_when_empty(self.sem.metrics[metric]):
            return exp.func("coalesce", col("value", alias), exp.Literal.number(0))
        return col("value", alias)

    def name(self, hint: str) -> str:
        return f"{hint}_{next(self._names)}"


def _quantile(m: SimpleMetric, value: exp.Expression) -> exp.Expression:
    """Exact (interpolated, like pandas' quantile) or approximate (t-digest) quantile."""
    q = exp.Literal.number(m.quantile)
    if m.approximate:
        approx = exp.ApproxQuantile(this=value, quantile=q)
        approx.meta[METRIC_META] = m.name  # PostgreSQL has none: dialects.py names the metric
        return approx
    return exp.PercentileCont(this=value, expression=q)
