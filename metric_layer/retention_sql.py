"""Retention metrics as SQL: cohort days, who came back in the window, the mature share.

Cohorts are a cohort model's rows (signups) or each entity's first activity ever; a cohort day
counts only once its whole retention window is over (before today). Split from compiler.py, which
calls these with itself for shared naming and row conditions.
"""

from __future__ import annotations

from datetime import timedelta

from sqlglot import exp

from metric_layer.expressions import column_names, parse_expression
from metric_layer.periods import Window
from metric_layer.relation import ModelRelation, col, date_lit, filter_condition, ident
from metric_layer.rollup_sql import cohorts_select
from metric_layer.select_builder import SelectBuilder
from metric_layer.spec import RetentionMetric
from metric_layer.sql_time import window_period

DOUBLE = exp.DataType.build("DOUBLE")


def retention_value(
    c: SelectBuilder, m: RetentionMetric, w: Window, dims, filters, extra, source
) -> exp.Select:
    """Retained / cohort size per period of cohort days, over cohort days already mature, from
    the planned source (a cohort-day rollup table, or the raw tables)."""
    if source.kind == "cohorts":
        counts = cohorts_select(source.table, w, dims, filters, extra)
    else:
        counts = retention_counts(c, m, w, dims, filters, extra)
    # A cohort day counts only once its whole retention window is over (before today).
    mature = exp.LT(
        this=exp.Add(
            this=col("cohort_day"), expression=exp.Literal.number(retention_offsets(m)[1])
        ),
        expression=date_lit(w.today),
    )

    def mature_sum(column: str) -> exp.Expression:
        total = exp.Sum(this=col(column))
        return exp.cast(exp.Filter(this=total, expression=exp.Where(this=mature.copy())), DOUBLE)

    value = exp.Div(this=mature_sum("retained"), expression=nullif_zero(mature_sum("cohort_size")))
    select = exp.select(
        window_period(col("cohort_day"), w).as_("period"),
        *[col(d) for d in dims],
        exp.alias_(value, "value"),
    ).from_(counts.subquery(c.name("counts")), copy=False)
    return group_by(select, len(dims))


def retention_counts(
    c: SelectBuilder, m: RetentionMetric, w: Window, dims, filters, extra
) -> exp.Select:
    """(cohort_day, dims, cohort_size, retained) for cohort days in [w.lo, w.hi)."""
    offset_lo, offset_hi = retention_offsets(m)
    act_rel = ModelRelation(c.sem, m.activity_model, c.spec.time_zone, c.types)
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
        rel = ModelRelation(c.sem, m.cohort.model, c.spec.time_zone, c.types)
        entity = rel.column(m.cohort.entity or rel.model.primary_key)
        cohort = exp.select(
            entity.as_("entity"),
            rel.local_day(within=(w.lo, w.hi)).as_("cohort_day"),
            *[rel.dimension(d).as_(ident(d)) for d in dims],
        ).where(*c.conditions(rel, w.lo, w.hi, None, filters, extra), copy=False)
        cohort = rel.from_clause(cohort)
    else:
        # Cohort = first activity ever (not just in range), with the dimensions of that first row.
        rel = act_rel_all = ModelRelation(c.sem, m.activity_model, c.spec.time_zone, c.types)
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
        inner = c.name("f")
        in_range = exp.and_(
            exp.GTE(this=col("cohort_day"), expression=date_lit(w.lo)),
            exp.LT(this=col("cohort_day"), expression=date_lit(w.hi)),
        )
        cohort = (
            exp.select("*").from_(firsts.subquery(inner), copy=False).where(in_range, copy=False)
        )
        for f in filters:
            cohort = cohort.where(filter_condition(col(f.dimension), f), copy=False)
        if extra:  # over dimensions only (where.check_where): those of the first activity
            cohort = cohort.where(exp.paren(_on_columns(extra)), copy=False)
    c, a, h = c.name("cohort"), c.name("activity"), c.name("hits")
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
    select = group_by(select, len(dims))
    return (
        select.with_(c, as_=cohort, copy=False)
        .with_(a, as_=activity, copy=False)
        .with_(h, as_=hits, copy=False)
    )


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


def group_by(select: exp.Select, n_dims: int, offset: int = 1) -> exp.Select:
    return select.group_by(
        *[exp.Literal.number(i) for i in range(1, n_dims + 1 + offset)], copy=False
    )


def nullif_zero(value: exp.Expression) -> exp.Expression:
    return exp.Nullif(this=value, expression=exp.Literal.number(0))
