"""Rollups: small tables built at load time that answer interactive queries in milliseconds.

All are invalidated together by a hash of the spec (rollup.manifest):
- additive daily rollups per model (`rollup.<model>__daily__<set>`): one row per local day and
  dimension values, with one measure column per additive simple metric (count, sum, avg as sum and
  count, min, max). Any grain, breakdown and filter over the set's dimensions re-aggregates them.
  Sets: `all` dimensions, each single dimension, and `total` (no dimension).
- entity-day tables per distinct-count or active metric (`rollup.<metric>__entity_days`): the
  metric's filter applied, dimensions joined, day in the spec's zone; any query on them is exact.
- cohort-day tables per retention metric (`rollup.<metric>__cohorts`): cohort size and retained
  count per cohort day and dimensions, which add up to any grain.
- materialized results of distinct-count and active metrics per grain (day, week, month) for no
  breakdown and each single dimension, without filters (`rollup.m__<metric>__<grain>__<dim>`),
  valid for the `today` they were built for and from their first covered day.
A query the rollups cannot answer compiles to the raw tables, with the same results.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass
from datetime import date

from sqlglot import exp

from metric_layer.expressions import column_names, parse_expression
from metric_layer.query import DimensionFilter
from metric_layer.relation import BASE, col, date_lit, filter_condition, ident
from metric_layer.semantics import Semantics
from metric_layer.spec import ActiveMetric, RetentionMetric, SimpleMetric, Spec
from metric_layer.sql_time import period_expr

SCHEMA = "rollup"
MATERIALIZED_GRAINS = ("day", "week", "month")


def spec_hash(spec: Spec) -> str:
    return hashlib.sha256(
        json.dumps(spec.model_dump(mode="json"), sort_keys=True).encode()
    ).hexdigest()[:16]


def _additive(m: object) -> bool:
    return isinstance(m, SimpleMetric) and m.agg in ("count", "sum", "avg", "min", "max")


def is_materialized(m: object) -> bool:
    return isinstance(m, ActiveMetric) or (
        isinstance(m, SimpleMetric) and m.agg == "count_distinct"
    )


def model_dimensions(sem: Semantics, model: str) -> list[str]:
    return [k for k in sem.dimensions_of_model(model) if "." not in k]


def _measures(m: SimpleMetric) -> list[tuple[str, str]]:
    """(column, agg used to re-aggregate it) for one additive metric."""
    if m.agg == "avg":
        return [(f"m_{m.name}__sum", "sum"), (f"m_{m.name}__count", "sum")]
    return [(f"m_{m.name}", {"count": "sum", "sum": "sum", "min": "min", "max": "max"}[m.agg])]


@dataclass(frozen=True)
class RollupPlanner:
    """Routes a metric's SELECT to a rollup table when one answers it exactly."""

    spec: Spec
    tables: frozenset[str]  # rollup tables that exist and match the spec
    built_for: date | None = None  # the `today` rolling-window results were computed for
    coverage: tuple[tuple[str, date], ...] = ()  # (metric, first day) of materialized results

    @classmethod
    def load(
        cls,
        spec: Spec,
        rows: list[tuple],
        column_types: dict[str, dict[str, str]],
        coverage: list[tuple[str, date]] = (),
    ) -> RollupPlanner | None:
        """rows: (spec_hash, as_of) from rollup.manifest; None when rollups are missing or stale."""
        if not rows or rows[0][0] != spec_hash(spec):
            return None
        tables = frozenset(t for t in column_types if t.startswith(f"{SCHEMA}."))
        return cls(spec, tables, built_for=rows[0][1], coverage=tuple(coverage))

    # -- additive ------------------------------------------------------------------------------
    def simple(
        self, m: SimpleMetric, w, dims: list[str], filters: list[DimensionFilter], extra: str | None
    ) -> exp.Select | None:
        if not _additive(m):
            return self.materialized(m.name, w, dims, filters, extra) or self.distinct(
                m, w, dims, filters, extra
            )
        sem = Semantics(self.spec)
        needed = set(dims) | {f.dimension for f in filters}
        if extra:
            needed |= {f"{q}.{n}" if q else n for q, n in column_names(parse_expression(extra))}
        if any("." in n for n in needed):
            return None
        table = self._daily_table(m.model, needed, sem)
        if table is None:
            return None
        value = self._reaggregate(m)
        select = exp.select(
            period_expr(col("day", BASE), w.grain, w.week_start).as_("period"),
            *[col(d, BASE).as_(ident(d)) for d in dims],
            exp.alias_(value, "value"),
        )
        conds = [
            exp.GTE(this=col("day", BASE), expression=date_lit(w.lo)),
            exp.LT(this=col("day", BASE), expression=date_lit(w.hi)),
        ]
        conds += [filter_condition(col(f.dimension, BASE), f) for f in filters]
        if extra:  # ratio input filters name dimensions only, which are rollup columns here
            tree = parse_expression(extra).transform(
                lambda n: col(n.name, BASE) if isinstance(n, exp.Column) else n
            )
            conds.append(exp.paren(tree))
        schema, name = table.split(".")
        source = exp.Table(
            this=ident(name), db=ident(schema), alias=exp.TableAlias(this=ident(BASE))
        )
        # Raw queries return no row where no row matched the metric's filter; so must the rollup.
        if m.agg == "count":
            matched = exp.GT(this=value.copy(), expression=exp.Literal.number(0))
        else:
            matched = exp.Not(this=exp.Is(this=value.copy(), expression=exp.Null()))
        grouped = select.from_(source, copy=False).where(*conds, copy=False)
        return grouped.group_by(
            *[exp.Literal.number(i) for i in range(1, len(dims) + 2)], copy=False
        ).having(matched, copy=False)

    def _reaggregate(self, m: SimpleMetric) -> exp.Expression:
        cols = _measures(m)
        if m.agg == "avg":
            return exp.Div(
                this=exp.Sum(this=col(cols[0][0], BASE)),
                expression=exp.Nullif(
                    this=exp.Sum(this=col(cols[1][0], BASE)), expression=exp.Literal.number(0)
                ),
            )
        column, agg = cols[0]
        value = {"sum": exp.Sum, "min": exp.Min, "max": exp.Max}[agg](this=col(column, BASE))
        if m.agg == "count":  # a sum of counts is HUGEINT in DuckDB; COUNT on raw rows is BIGINT
            return exp.cast(value, exp.DataType.build("BIGINT"))
        return value

    def _daily_table(self, model: str, needed: set[str], sem: Semantics) -> str | None:
        if not needed:
            candidates = [f"{SCHEMA}.{model}__daily__total"]
        elif len(needed) == 1:
            candidates = [f"{SCHEMA}.{model}__daily__{next(iter(needed))}"]
        else:
            candidates = []
        if needed <= set(model_dimensions(sem, model)):
            candidates.append(f"{SCHEMA}.{model}__daily__all")
        return next((c for c in candidates if c in self.tables), None)

    # -- materialized results ------------------------------------------------------------------
    def materialized(
        self, name: str, w, dims: list[str], filters: list, extra: str | None
    ) -> exp.Select | None:
        # Rolling windows depend on `today` (the current period is cut there); distinct counts
        # per period do not, so they stay usable when the clock passes the build day.
        today_bound = isinstance(self.spec.metric(name), ActiveMetric)
        if (
            (today_bound and self.built_for != w.today)
            or filters
            or extra
            or len(dims) > 1
            or w.grain not in MATERIALIZED_GRAINS
        ):
            return None
        if w.week_start != "monday" and w.grain == "week":
            return None
        table = materialized_table(name, w.grain, dims[0] if dims else None)
        first_day = dict(self.coverage).get(name)
        # Before the first materialized day a direct query still has rows (zero actives).
        if table not in self.tables or first_day is None or w.lo < first_day:
            return None
        schema, tname = table.split(".")
        period_ok = [
            exp.GTE(this=col("period"), expression=date_lit(w.lo)),
            exp.LT(this=col("period"), expression=date_lit(w.hi)),
        ]
        select = (
            exp.select(col("period"), *[col(d) for d in dims], col("value"))
            .from_(exp.Table(this=ident(tname), db=ident(schema)), copy=False)
            .where(*period_ok, copy=False)
        )
        if today_bound and dims:
            # A direct query breaks down by the values active in the range only: keep a value
            # when some day of the range (its periods' peak daily value) had an active entity.
            peak = exp.Window(this=exp.Max(this=col("peak")), partition_by=[col(d) for d in dims])
            select = select.qualify(exp.GT(this=peak, expression=exp.Literal.number(0)), copy=False)
        return select

    def cohorts(
        self, m: RetentionMetric, w, dims: list[str], filters: list, extra: str | None
    ) -> exp.Select | None:
        """(cohort_day, dims, cohort_size, retained) re-aggregated from the cohort-day rollup."""
        table = cohort_table(m.name)
        if table not in self.tables:
            return None
        needed = set(dims) | {f.dimension for f in filters}
        if extra:
            needed |= {f"{q}.{n}" if q else n for q, n in column_names(parse_expression(extra))}
        if not needed <= set(retention_dimensions(Semantics(self.spec), m)):
            return None
        conds = [
            exp.GTE(this=col("cohort_day", BASE), expression=date_lit(w.lo)),
            exp.LT(this=col("cohort_day", BASE), expression=date_lit(w.hi)),
        ]
        conds += [filter_condition(col(f.dimension, BASE), f) for f in filters]
        if extra:
            conds.append(
                exp.paren(
                    parse_expression(extra).transform(
                        lambda n: col(n.name, BASE) if isinstance(n, exp.Column) else n
                    )
                )
            )
        schema, name = table.split(".")
        source = exp.Table(
            this=ident(name), db=ident(schema), alias=exp.TableAlias(this=ident(BASE))
        )
        select = exp.select(
            col("cohort_day", BASE).as_("cohort_day"),
            *[col(d, BASE).as_(ident(d)) for d in dims],
            exp.alias_(exp.Sum(this=col("cohort_size", BASE)), "cohort_size"),
            exp.alias_(exp.Sum(this=col("retained", BASE)), "retained"),
        )
        return (
            select.from_(source, copy=False)
            .where(*conds, copy=False)
            .group_by(*[exp.Literal.number(i) for i in range(1, len(dims) + 2)], copy=False)
        )

    def activity(
        self, m: ActiveMetric, lo: date, hi: date, dims: list[str], filters: list, extra: str | None
    ) -> exp.Select | None:
        """(day, dims, entity) rows with activity in [lo, hi) from the metric's entity-day table."""
        source = self._entity_days(m.name, m.model, lo, hi, filters, extra, set(dims))
        if source is None:
            return None
        select = exp.select(
            col("day", BASE).as_("day"),
            *[col(d, BASE).as_(ident(d)) for d in dims],
            col("entity", BASE).as_("entity"),
        )
        return (
            select.distinct(copy=False).from_(source[0], copy=False).where(*source[1], copy=False)
        )

    def distinct(
        self, m: SimpleMetric, w, dims: list[str], filters: list, extra: str | None
    ) -> exp.Select | None:
        """COUNT(DISTINCT entity) per period from the metric's entity-day table."""
        source = self._entity_days(m.name, m.model, w.lo, w.hi, filters, extra, set(dims))
        if source is None:
            return None
        value = exp.Count(this=exp.Distinct(expressions=[col("entity", BASE)]))
        select = exp.select(
            period_expr(col("day", BASE), w.grain, w.week_start).as_("period"),
            *[col(d, BASE).as_(ident(d)) for d in dims],
            exp.alias_(value, "value"),
        )
        select = select.from_(source[0], copy=False).where(*source[1], copy=False)
        return select.group_by(
            *[exp.Literal.number(i) for i in range(1, len(dims) + 2)], copy=False
        )

    def _entity_days(
        self,
        metric: str,
        model: str,
        lo: date,
        hi: date,
        filters: list,
        extra: str | None,
        needed: set[str],
    ):
        table = entity_days_table(metric)
        needed = needed | {f.dimension for f in filters}
        if extra:
            needed |= {f"{q}.{n}" if q else n for q, n in column_names(parse_expression(extra))}
        if table not in self.tables or not needed <= set(
            model_dimensions(Semantics(self.spec), model)
        ):
            return None
        conds = [
            exp.GTE(this=col("day", BASE), expression=date_lit(lo)),
            exp.LT(this=col("day", BASE), expression=date_lit(hi)),
        ]
        conds += [filter_condition(col(f.dimension, BASE), f) for f in filters]
        if extra:  # ratio input filters name dimensions only, which are columns here
            tree = parse_expression(extra).transform(
                lambda n: col(n.name, BASE) if isinstance(n, exp.Column) else n
            )
            conds.append(exp.paren(tree))
        schema, name = table.split(".")
        return exp.Table(
            this=ident(name), db=ident(schema), alias=exp.TableAlias(this=ident(BASE))
        ), conds


def retention_dimensions(sem: Semantics, m: RetentionMetric) -> list[str]:
    return [k for k in sem.dimensions_of_metric(m.name) if "." not in k]


def cohort_table(metric: str) -> str:
    return f"{SCHEMA}.{metric}__cohorts"


def entity_days_table(metric: str) -> str:
    return f"{SCHEMA}.{metric}__entity_days"


def materialized_table(metric: str, grain: str, dimension: str | None) -> str:
    return f"{SCHEMA}.m__{metric}__{grain}__{dimension or 'total'}"
