"""SQL that reads one rollup table the plan chose (query_plan.py); rollups.py says what each kind
of table holds and decides when one answers a read exactly. Nothing here decides anything: each
function is given its table.
"""

from __future__ import annotations

from datetime import date

from sqlglot import exp

from metric_layer.expressions import parse_expression
from metric_layer.relation import BASE, col, date_lit, filter_condition, ident, table_ref
from metric_layer.rollup_units import SCHEMA
from metric_layer.spec import SimpleMetric
from metric_layer.sql_time import window_period


def daily_select(
    m: SimpleMetric, table: str, w, dims: list[str], filters: list, extra: str | None
) -> exp.Select:
    """(period, dims, value) of an additive metric re-aggregated from a daily rollup table."""
    value = reaggregate(m)
    select = exp.select(
        day_period(w),
        *[col(d, BASE).as_(ident(d)) for d in dims],
        exp.alias_(value, "value"),
    )
    conds = day_range("day", w.lo, w.hi) + rollup_filters(filters, extra)
    # Raw queries return no row where no row matched the metric's filter; so must the rollup.
    if m.agg == "count":
        matched = exp.GT(this=value.copy(), expression=exp.Literal.number(0))
    else:
        matched = exp.Not(this=exp.Is(this=value.copy(), expression=exp.Null()))
    grouped = select.from_(table_ref(table, BASE), copy=False).where(*conds, copy=False)
    return group_days(grouped, len(dims)).having(matched, copy=False)


def measures(m: SimpleMetric) -> list[tuple[str, str]]:
    """(column, agg used to re-aggregate it) for one additive metric."""
    if m.agg == "avg":
        return [(f"m_{m.name}__sum", "sum"), (f"m_{m.name}__count", "sum")]
    return [(f"m_{m.name}", {"count": "sum", "sum": "sum", "min": "min", "max": "max"}[m.agg])]


def reaggregate(m: SimpleMetric, own: exp.Expression | None = None) -> exp.Expression:
    """The metric's value re-aggregated from its rollup columns, over the rows matching `own`."""
    cols = measures(m)

    def agg(kind, column: str) -> exp.Expression:
        value = kind(this=col(column, BASE))
        if own is None:
            return value
        return exp.Filter(this=value, expression=exp.Where(this=own.copy()))

    if m.agg == "avg":
        return exp.Div(
            this=agg(exp.Sum, cols[0][0]),
            expression=exp.Nullif(this=agg(exp.Sum, cols[1][0]), expression=exp.Literal.number(0)),
        )
    column, kind = cols[0]
    value = agg({"sum": exp.Sum, "min": exp.Min, "max": exp.Max}[kind], column)
    if m.agg == "count":  # a sum of counts is HUGEINT in DuckDB; COUNT on raw rows is BIGINT
        return exp.cast(value, exp.DataType.build("BIGINT"))
    return value


def snapshot_days_select(table: str, lo: date, hi: date) -> exp.Select:
    """(day) for each local day in [lo, hi) of a model's daily `total` table (one row a day)."""
    select = exp.select(col("day", BASE).as_("day")).from_(table_ref(table, BASE), copy=False)
    return select.where(*day_range("day", lo, hi), copy=False)


def materialized_select(table: str, w, dims: list[str], today_bound: bool) -> exp.Select:
    """(period, dims, value) of a materialized result over the periods of `w`."""
    select = (
        exp.select(col("period"), *[col(d) for d in dims], col("value"))
        .from_(exp.Table(this=ident(table.split(".")[1]), db=ident(SCHEMA)), copy=False)
        .where(*day_range("period", w.lo, w.hi, None), copy=False)
    )
    if today_bound and dims:
        # A direct query breaks down by the values active in the range only: keep a value
        # when some day of the range (its periods' peak daily value) had an active entity.
        peak = exp.Window(this=exp.Max(this=col("peak")), partition_by=[col(d) for d in dims])
        select = select.qualify(exp.GT(this=peak, expression=exp.Literal.number(0)), copy=False)
    return select


def segments_select(table: str, w, dims: list[str], filters: list) -> exp.Select:
    """(period, dims, value) of a distinct count summed from its segment counts over the
    periods of `w`: each entity is in one segment, so the sum over the segments the filters
    keep, per period and breakdown, counts each entity once."""
    total = exp.cast(exp.Sum(this=col("value", BASE)), exp.DataType.build("BIGINT"))
    select = exp.select(
        col("period", BASE).as_("period"),
        *[col(d, BASE).as_(ident(d)) for d in dims],
        exp.alias_(total, "value"),
    )
    conds = day_range("period", w.lo, w.hi) + rollup_filters(filters, None)
    select = select.from_(table_ref(table, BASE), copy=False).where(*conds, copy=False)
    return group_days(select, len(dims))


def cohorts_select(table: str, w, dims: list[str], filters: list, extra: str | None) -> exp.Select:
    """(cohort_day, dims, cohort_size, retained) re-aggregated from a cohort-day rollup."""
    conds = day_range("cohort_day", w.lo, w.hi) + rollup_filters(filters, extra)
    select = exp.select(
        col("cohort_day", BASE).as_("cohort_day"),
        *[col(d, BASE).as_(ident(d)) for d in dims],
        exp.alias_(exp.Sum(this=col("cohort_size", BASE)), "cohort_size"),
        exp.alias_(exp.Sum(this=col("retained", BASE)), "retained"),
    )
    select = select.from_(table_ref(table, BASE), copy=False).where(*conds, copy=False)
    return group_days(select, len(dims))


def activity_select(
    table: str, lo: date, hi: date, dims: list[str], filters: list, extra: str | None
) -> exp.Select:
    """(day, dims, entity) rows with activity in [lo, hi) from an entity-day table."""
    select = exp.select(
        col("day", BASE).as_("day"),
        *[col(d, BASE).as_(ident(d)) for d in dims],
        col("entity", BASE).as_("entity"),
    )
    conds = day_range("day", lo, hi) + rollup_filters(filters, extra)
    return (
        select.distinct(copy=False)
        .from_(table_ref(table, BASE), copy=False)
        .where(*conds, copy=False)
    )


def distinct_select(table: str, w, dims: list[str], filters: list, extra: str | None) -> exp.Select:
    """COUNT(DISTINCT entity) per period from an entity-day table."""
    value = exp.Count(this=exp.Distinct(expressions=[col("entity", BASE)]))
    select = exp.select(
        day_period(w),
        *[col(d, BASE).as_(ident(d)) for d in dims],
        exp.alias_(value, "value"),
    )
    conds = day_range("day", w.lo, w.hi) + rollup_filters(filters, extra)
    select = select.from_(table_ref(table, BASE), copy=False).where(*conds, copy=False)
    return group_days(select, len(dims))


def day_period(w) -> exp.Expression:
    return window_period(col("day", BASE), w).as_("period")


def day_range(column: str, lo: date, hi: date, table: str | None = BASE) -> list[exp.Expression]:
    return [
        exp.GTE(this=col(column, table), expression=date_lit(lo)),
        exp.LT(this=col(column, table), expression=date_lit(hi)),
    ]


def rollup_filters(filters: list, extra: str | None) -> list[exp.Expression]:
    """Query filters and a ratio input's filter on rollup columns (they name dimensions only)."""
    conds = [filter_condition(col(f.dimension, BASE), f) for f in filters]
    if extra:
        tree = parse_expression(extra).transform(
            lambda n: col(n.name, BASE) if isinstance(n, exp.Column) else n
        )
        conds.append(exp.paren(tree))
    return conds


def group_days(select: exp.Select, n_dims: int) -> exp.Select:
    return select.group_by(*[exp.Literal.number(i) for i in range(1, n_dims + 2)], copy=False)
