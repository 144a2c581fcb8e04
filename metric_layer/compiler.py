"""Metric query → one SQL syntax tree per metric (sqlglot), for DuckDB.

Every metric compiles to a SELECT of (period, <dimensions…>, value) over whole periods of the
query's grain; ratio and derived metrics combine their inputs' SELECTs as CTEs joined on
(period, dimensions), with division guarded so x/0 is NULL, never an error or infinity.
"""

from __future__ import annotations

import itertools
from dataclasses import dataclass, replace
from datetime import date, timedelta

from sqlglot import exp

from metric_layer.active_window import active_from_activity
from metric_layer.bounds import check_day, check_periods
from metric_layer.errors import QueryError
from metric_layer.expressions import column_names, parse_expression, parse_formula, shift_of
from metric_layer.periods import Offset, Window, align_range, comparison, shift_range
from metric_layer.query import DimensionFilter, MetricQuery
from metric_layer.relation import ModelRelation, col, date_lit, filter_condition, ident
from metric_layer.rollups import Declined, RollupPlanner
from metric_layer.semantics import Semantics
from metric_layer.spec import (
    ActiveMetric,
    DerivedMetric,
    RatioMetric,
    RetentionMetric,
    SimpleMetric,
    Spec,
    zero_when_empty,
)
from metric_layer.sql_time import shift_expr, window_period
from metric_layer.suggest import did_you_mean
from metric_layer.where import check_where, parse_where, shared_columns, typed_values

DOUBLE = exp.DataType.build("DOUBLE")


DEFAULT_DAYS = 90  # a query without --from covers the 90 days before today (as-of)


def default_range(query: MetricQuery, today: date) -> tuple[date, date]:
    """The query's [start, end] days: the last DEFAULT_DAYS days up to today unless given."""
    check_day(today, "the as-of day")
    if query.start is not None:
        check_day(query.start, "the range start")
    if query.end is not None:
        check_day(query.end, "the range end")
    end = query.end or today
    start = query.start or min(end, today) - timedelta(days=DEFAULT_DAYS)
    if end < start:
        raise QueryError(f"the range ends ({end}) before it starts ({start})")
    return start, end


@dataclass(frozen=True)
class Compiled:
    metric: str
    tree: exp.Expression
    lo: date
    hi: date
    raw_reasons: tuple[str, ...] = ()  # why parts of it read raw tables although rollups exist

    def sql(self, pretty: bool = False) -> str:
        return self.tree.sql(dialect="duckdb", pretty=pretty)


class Compiler:
    def __init__(
        self,
        spec: Spec,
        column_types: dict[str, dict[str, str]] | None = None,
        rollups: RollupPlanner | None = None,
        semantics: Semantics | None = None,
    ) -> None:
        self.spec = spec
        self.sem = semantics or Semantics(spec)  # share one: it caches every metric's dimensions
        self.types = column_types
        self.rollups = rollups
        self._names = itertools.count()
        self._raw_reasons: list[str] = []

    def compile(self, metric: str, query: MetricQuery, today: date) -> Compiled:
        """SELECT period, <dimensions>, value [, compare_value] ORDER BY period, dimensions."""
        if metric not in self.sem.metrics:
            hint = did_you_mean(metric, self.sem.metrics)
            hint = f"{hint} " if hint else ""
            raise QueryError(
                f"unknown metric `{metric}`; {hint}run `northstar metrics` to list them"
            )
        filters, where = self._filters(metric, query)
        self._check_dimensions(metric, query.dimensions, filters)
        start, end = default_range(query, today)
        lo, hi = align_range(start, end, query.grain, self.spec.week_start)
        check_periods(lo, hi, query.grain)
        self._raw_reasons = []
        window = Window(query.grain, lo, hi, today, self.spec.week_start)
        dims = list(query.dimensions)
        if query.compare is None:
            tree = self._metric(metric, window, dims, filters, where)
        else:
            tree = self._compared(metric, window, dims, filters, query.compare, where)
        order = [exp.Ordered(this=col("period"))] + [exp.Ordered(this=col(d)) for d in dims]
        tree = (
            exp.select("*").from_(tree.subquery("result"), copy=False).order_by(*order, copy=False)
        )
        return Compiled(metric, tree, lo, hi, tuple(dict.fromkeys(self._raw_reasons)))

    # -- dispatch --------------------------------------------------------------------------------
    def _metric(
        self,
        name: str,
        w: Window,
        dims: list[str],
        filters: list[DimensionFilter],
        extra: str | None = None,
    ) -> exp.Select:
        metric = self.sem.metrics[name]
        if self.rollups is not None and not isinstance(metric, SimpleMetric):
            planned = self.rollups.materialized(name, w, dims, filters, extra)
            if isinstance(planned, exp.Select):  # else the metric's own rollups may answer
                return planned
        if isinstance(metric, SimpleMetric):
            return self._simple(metric, w, dims, filters, extra)
        if isinstance(metric, RatioMetric):
            return self._ratio(metric, w, dims, filters, extra)
        if isinstance(metric, DerivedMetric):
            return self._derived(metric, w, dims, filters, extra)
        if isinstance(metric, ActiveMetric):
            return self._active(metric, w, dims, filters, extra)
        return self._retention(metric, w, dims, filters, extra)

    def _filters(self, metric: str, query: MetricQuery) -> tuple[list[DimensionFilter], str | None]:
        """Dimension filters, and the rest as one checked SQL condition rebuilt by sqlglot: the
        query's `where` texts and `column op value` filters on a column that is no dimension."""
        dimensions = self.sem.dimensions_of_metric(metric)
        columns = shared_columns(metric, self.sem, self.types)
        kept, parts = [], []
        for f in query.filters:
            if f.dimension in dimensions or f.dimension not in columns:
                kept.append(f)  # unknown names are reported by _check_dimensions
            else:
                typed = typed_values(f, self.types, self.sem, metric)
                parts.append(filter_condition(col(f.dimension), typed).sql(dialect="duckdb"))
        for text in query.where:
            tree = parse_where(text)
            check_where(tree, text, metric, self.sem, self.types)
            parts.append(tree.sql(dialect="duckdb"))
        return kept, _and(*parts)

    def _check_dimensions(self, metric: str, dims, filters: list[DimensionFilter]) -> None:
        allowed = self.sem.dimensions_of_metric(metric)
        for name in [*dims, *(f.dimension for f in filters)]:
            if name not in allowed:
                names = ", ".join(sorted(k for k in allowed if "." not in k)) or "none"
                hint = did_you_mean(name, [k for k in allowed if ("." in k) == ("." in name)])
                raise QueryError(
                    f"metric `{metric}` cannot be broken down or filtered by `{name}`; "
                    + (f"{hint} " if hint else "")
                    + f"its dimensions: {names}"
                )

    # -- simple ----------------------------------------------------------------------------------
    def _simple(self, m: SimpleMetric, w: Window, dims, filters, extra) -> exp.Select:
        if self.rollups is not None:
            planned = self._routed(m.name, self.rollups.simple(m, w, dims, filters, extra))
            if planned is not None:
                return planned
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
            *self._conditions(rel, w.lo, w.hi, m.filter, filters, extra), copy=False
        )
        return rel.from_clause(_group(select, len(dims)))

    def _conditions(
        self, rel: ModelRelation, lo: date, hi: date, own: str | None, filters, extra
    ) -> list[exp.Expression]:
        conds = [rel.time_range(lo, hi)]
        conds += [exp.paren(rel.spec_sql(text)) for text in (own, extra) if text]
        conds += [rel.filter(f) for f in filters]
        return conds

    # -- ratio -----------------------------------------------------------------------------------
    def _ratio(self, m: RatioMetric, w: Window, dims, filters, extra) -> exp.Select:
        num = self._metric(m.numerator.metric, w, dims, filters, _and(m.numerator.filter, extra))
        den = self._metric(
            m.denominator.metric, w, dims, filters, _and(m.denominator.filter, extra)
        )
        a, b = self._name("num"), self._name("den")
        value = exp.Div(
            this=exp.cast(self._input_value(m.numerator.metric, a), DOUBLE),
            expression=_nullif_zero(col("value", b)),
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
                alias = self._name(metric)
                inputs[key] = alias
                if shift_kind is None:
                    selects[alias] = self._metric(metric, w, dims, filters, extra)
                else:
                    if isinstance(shift_kind, Offset):
                        shift_kind.check_grain(w.grain)
                    lo, hi = shift_range(w.lo, w.hi, w.grain, shift_kind)
                    shifted = replace(w, lo=lo, hi=hi)
                    inner = self._metric(metric, shifted, dims, filters, extra).subquery(
                        self._name("s")
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
        # division turns the value into a double (_guard_division).

        value = tree.transform(rewrite).transform(_guard_division)
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
            .from_(combined.subquery(self._name("d")), copy=False)
            .where(period_ok, copy=False)
        )

    # -- active entities over a trailing window --------------------------------------------------
    def _active(self, m: ActiveMetric, w: Window, dims, filters, extra) -> exp.Select:
        last_day = min(w.hi, w.today + timedelta(days=1))  # days after today have no data yet
        first_event = w.lo - timedelta(days=m.window - 1)
        activity = None
        if self.rollups is not None:
            activity = self._routed(
                m.name, self.rollups.activity(m, first_event, last_day, dims, filters, extra)
            )
        if activity is None:
            rel = ModelRelation(self.sem, m.model, self.spec.time_zone, self.types)
            activity = exp.select(
                rel.local_day(within=(first_event, last_day)).as_("day"),
                *[rel.dimension(d).as_(ident(d)) for d in dims],
                rel.column(m.entity).as_("entity"),
            ).distinct(copy=False)
            activity = rel.from_clause(
                activity.where(
                    *self._conditions(rel, first_event, last_day, m.filter, filters, extra),
                    copy=False,
                )
            )
        return active_from_activity(activity, m, w, dims, first_event, last_day)

    # -- retention -------------------------------------------------------------------------------
    def _retention(self, m: RetentionMetric, w: Window, dims, filters, extra) -> exp.Select:
        """Retained / cohort size per period of cohort days, over cohort days already mature."""
        counts = None
        if self.rollups is not None:
            counts = self._routed(m.name, self.rollups.cohorts(m, w, dims, filters, extra))
        if counts is None:
            counts = self.retention_counts(m, w, dims, filters, extra)
        # A cohort day counts only once its whole retention window is over (before today).
        mature = exp.LT(
            this=exp.Add(
                this=col("cohort_day"), expression=exp.Literal.number(retention_offsets(m)[1])
            ),
            expression=date_lit(w.today),
        )

        def mature_sum(column: str) -> exp.Expression:
            total = exp.Sum(this=col(column))
            return exp.cast(
                exp.Filter(this=total, expression=exp.Where(this=mature.copy())), DOUBLE
            )

        value = exp.Div(
            this=mature_sum("retained"), expression=_nullif_zero(mature_sum("cohort_size"))
        )
        select = exp.select(
            window_period(col("cohort_day"), w).as_("period"),
            *[col(d) for d in dims],
            exp.alias_(value, "value"),
        ).from_(counts.subquery(self._name("counts")), copy=False)
        return _group(select, len(dims))

    def retention_counts(self, m: RetentionMetric, w: Window, dims, filters, extra) -> exp.Select:
        """(cohort_day, dims, cohort_size, retained) for cohort days in [w.lo, w.hi)."""
        offset_lo, offset_hi = retention_offsets(m)
        act_rel = ModelRelation(self.sem, m.activity_model, self.spec.time_zone, self.types)
        activity_days = (w.lo, w.hi + timedelta(days=offset_hi + 1))
        activity_conds = [act_rel.time_range(*activity_days)]
        if m.filter:
            activity_conds.append(exp.paren(act_rel.spec_sql(m.filter)))
        activity = act_rel.from_clause(
            exp.select(
                act_rel.local_day(within=activity_days).as_("day"),
                act_rel.column(m.entity).as_("entity"),
            )
            .distinct(copy=False)
            .where(*activity_conds, copy=False)
        )
        if m.cohort.model:
            rel = ModelRelation(self.sem, m.cohort.model, self.spec.time_zone, self.types)
            entity = rel.column(m.cohort.entity or rel.model.primary_key)
            cohort = exp.select(
                entity.as_("entity"),
                rel.local_day(within=(w.lo, w.hi)).as_("cohort_day"),
                *[rel.dimension(d).as_(ident(d)) for d in dims],
            ).where(*self._conditions(rel, w.lo, w.hi, None, filters, extra), copy=False)
            cohort = rel.from_clause(cohort)
        else:
            # Cohort = first activity ever (not just in range), with the dimensions of that first row.
            rel = act_rel_all = ModelRelation(
                self.sem, m.activity_model, self.spec.time_zone, self.types
            )
            ts = act_rel_all.column(act_rel_all.time_column)
            firsts = exp.select(
                act_rel_all.column(m.entity).as_("entity"),
                exp.Min(this=act_rel_all.local_day()).as_("cohort_day"),
                *[
                    exp.func("arg_min", act_rel_all.dimension(d), ts).as_(ident(d))
                    for d in _unique([*dims, *(f.dimension for f in filters), *_names(extra)])
                ],
            ).group_by(exp.Literal.number(1), copy=False)
            if m.filter:
                firsts = firsts.where(exp.paren(act_rel_all.spec_sql(m.filter)), copy=False)
            firsts = firsts.where(
                exp.Not(this=exp.Is(this=act_rel_all.column(m.entity), expression=exp.Null())),
                copy=False,
            )
            firsts = act_rel_all.from_clause(firsts)
            inner = self._name("f")
            in_range = exp.and_(
                exp.GTE(this=col("cohort_day"), expression=date_lit(w.lo)),
                exp.LT(this=col("cohort_day"), expression=date_lit(w.hi)),
            )
            cohort = (
                exp.select("*")
                .from_(firsts.subquery(inner), copy=False)
                .where(in_range, copy=False)
            )
            for f in filters:
                cohort = cohort.where(filter_condition(col(f.dimension), f), copy=False)
            if extra:  # over dimensions only (where.check_where): those of the first activity
                cohort = cohort.where(exp.paren(_on_columns(extra)), copy=False)
        c, a, h = self._name("cohort"), self._name("activity"), self._name("hits")
        hits = (
            exp.select(col("entity", "c"), col("cohort_day", "c"))
            .distinct(copy=False)
            .from_(exp.Table(this=ident(c), alias=exp.TableAlias(this=ident("c"))), copy=False)
        )
        on = exp.and_(
            exp.EQ(this=col("entity", "a"), expression=col("entity", "c")),
            exp.Between(
                this=col("day", "a"),
                low=exp.Add(this=col("cohort_day", "c"), expression=exp.Literal.number(offset_lo)),
                high=exp.Add(this=col("cohort_day", "c"), expression=exp.Literal.number(offset_hi)),
            ),
        )
        hits = hits.join(
            exp.Table(this=ident(a), alias=exp.TableAlias(this=ident("a"))),
            on=on,
            join_type="inner",
            copy=False,
        )
        join_on = exp.and_(
            exp.EQ(this=col("entity", "h"), expression=col("entity", "c")),
            exp.EQ(this=col("cohort_day", "h"), expression=col("cohort_day", "c")),
        )
        select = (
            exp.select(
                col("cohort_day", "c").as_("cohort_day"),
                *[col(d, "c").as_(ident(d)) for d in dims],
                exp.alias_(exp.Count(this=exp.Star()), "cohort_size"),
                exp.alias_(exp.Count(this=col("entity", "h")), "retained"),
            )
            .from_(exp.Table(this=ident(c), alias=exp.TableAlias(this=ident("c"))), copy=False)
            .join(
                exp.Table(this=ident(h), alias=exp.TableAlias(this=ident("h"))),
                on=join_on,
                join_type="left",
                copy=False,
            )
        )
        select = _group(select, len(dims))
        return (
            select.with_(c, as_=cohort, copy=False)
            .with_(a, as_=activity, copy=False)
            .with_(h, as_=hits, copy=False)
        )

    # -- comparison ------------------------------------------------------------------------------
    def _compared(
        self, name: str, w: Window, dims, filters, compare_text: str, where: str | None
    ) -> exp.Select:
        compare = comparison(compare_text)
        if isinstance(compare, Offset):
            compare.check_grain(w.grain)
        lo, hi = shift_range(w.lo, w.hi, w.grain, compare)
        if w.grain == "all":
            # One period: the comparison range is a second query, not an extension of this one.
            sides = [self._metric(name, w, dims, filters, where)]
            sides.append(self._metric(name, replace(w, lo=lo, hi=hi), dims, filters, where))
            # Each side as a subquery: a side with its own WITH cannot be a UNION operand.
            base = exp.union(
                *[exp.select("*").from_(s.subquery(self._name("side")), copy=False) for s in sides],
                distinct=False,
            )
        else:
            base = self._metric(name, replace(w, lo=min(lo, w.lo)), dims, filters, where)
        cte, keys = self._name("base"), self._name("keys")
        cur, prev, k = "cur", "prev", "k"
        # Keys: periods with a value, and periods whose comparison period has one (a week
        # without rows still compares with the week before).
        keyset = exp.union(
            exp.select(col("period"), *[col(d) for d in dims]).from_(ident(cte), copy=False),
            exp.select(
                shift_expr(col("period"), w, compare, forward=True).as_("period"),
                *[col(d) for d in dims],
            ).from_(ident(cte), copy=False),
            distinct=True,
        )

        def on(alias: str, period: exp.Expression) -> exp.Expression:
            return exp.and_(
                exp.EQ(this=col("period", alias), expression=period),
                *[exp.NullSafeEQ(this=col(d, alias), expression=col(d, k)) for d in dims],
            )

        back = shift_expr(col("period", k), w, compare, forward=False)
        # Grain `all` has one key, its first day; others: every period of the range.
        last_key = w.lo + timedelta(days=1) if w.grain == "all" else w.hi
        return (
            exp.select(
                col("period", k).as_("period"),
                *[col(d, k).as_(ident(d)) for d in dims],
                col("value", cur).as_("value"),
                col("value", prev).as_("compare_value"),
            )
            .from_(exp.Table(this=ident(keys), alias=exp.TableAlias(this=ident(k))), copy=False)
            .join(
                exp.Table(this=ident(cte), alias=exp.TableAlias(this=ident(cur))),
                on=on(cur, col("period", k)),
                join_type="left",
                copy=False,
            )
            .join(
                exp.Table(this=ident(cte), alias=exp.TableAlias(this=ident(prev))),
                on=on(prev, back),
                join_type="left",
                copy=False,
            )
            .where(
                exp.GTE(this=col("period", k), expression=date_lit(w.lo)),
                exp.LT(this=col("period", k), expression=date_lit(last_key)),
                copy=False,
            )
            .with_(cte, as_=base, copy=False)
            .with_(keys, as_=keyset, copy=False)
        )

    # -- helpers ---------------------------------------------------------------------------------
    def _combine(
        self,
        selects: dict[str, exp.Select],
        key_sources: list[str],
        dims: list[str],
        value: exp.Expression,
    ) -> exp.Select:
        """Join inputs on (period, dims) null-safely over the union of the key sources' keys."""
        keys_name = self._name("keys")
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

    def _routed(self, metric: str, planned: exp.Select | Declined) -> exp.Select | None:
        """The rollup SELECT, or None (the raw path) with the planner's reason noted."""
        if isinstance(planned, Declined):
            self._raw_reasons.append(f"{metric}: {planned.reason}")
            return None
        return planned

    def _name(self, hint: str) -> str:
        return f"{hint}_{next(self._names)}"


def _group(select: exp.Select, n_dims: int, offset: int = 1) -> exp.Select:
    return select.group_by(
        *[exp.Literal.number(i) for i in range(1, n_dims + 1 + offset)], copy=False
    )


def _quantile(m: SimpleMetric, value: exp.Expression) -> exp.Expression:
    """Exact (interpolated, like pandas' quantile) or approximate (t-digest) quantile."""
    q = exp.Literal.number(m.quantile)
    if m.approximate:
        return exp.ApproxQuantile(this=value, quantile=q)
    return exp.PercentileCont(this=value, expression=q)


def _guard_division(node: exp.Expression) -> exp.Expression:
    """x / 0 is no value (NULL); a quotient is a double (integer division would truncate)."""
    if isinstance(node, exp.Div):
        return exp.Div(
            this=exp.cast(node.this.copy(), DOUBLE),
            expression=_nullif_zero(node.expression.copy()),
        )
    return node


def retention_offsets(m: RetentionMetric) -> tuple[int, int]:
    """First and last day after the cohort day that count as "active again"."""
    return (m.n, m.n) if m.period == "day" else (7 * m.n, 7 * m.n + 6)


def _names(condition: str | None) -> list[str]:
    """Dimension names a condition reads (`customers.channel` kept qualified)."""
    if not condition:
        return []
    return [f"{q}.{n}" if q else n for q, n in column_names(parse_expression(condition))]


def _on_columns(condition: str) -> exp.Expression:
    """The condition over result columns named by dimension (as `_names` lists them)."""

    def rename(node: exp.Expression) -> exp.Expression:
        if isinstance(node, exp.Column):
            return col(f"{node.table}.{node.name}" if node.table else node.name)
        return node

    return parse_expression(condition).transform(rename)


def _unique(names: list[str]) -> list[str]:
    return list(dict.fromkeys(names))


def _nullif_zero(value: exp.Expression) -> exp.Expression:
    return exp.Nullif(this=value, expression=exp.Literal.number(0))


def _and(*texts: str | None) -> str | None:
    parts = [p for p in texts if p]
    return " AND ".join(f"({p})" for p in parts) if parts else None
