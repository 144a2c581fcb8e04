"""Snapshot (semi-additive) metrics as SQL: a balance read on one day of each period.

A snapshot table holds the state of things each day (a row per subscription and day, with its MRR).
Its rows add up across subscriptions on one day, never across days: March's MRR is the MRR on a day
of March, not the sum of 31 days.

A period's *snapshot days* are the local days in it (up to today) on which the model's table has
any row — a snapshot was taken — whatever the metric's or the query's filters. `last` reads the
latest of them, `first` the earliest, and `min` / `max` the lowest / highest daily value over all
of them. Using the table's days (not the filtered rows' days) keeps a segment honest: a plan whose
last subscriber left in mid-March is 0 on March's snapshot day, not its stale value from the day
before it emptied, and a breakdown adds up to the total. A segment with no row on a snapshot day
is 0 there for sum, count and count_distinct, no value for avg, min and max. A period without a
snapshot day has no value.
"""

from __future__ import annotations

from datetime import date, timedelta

from sqlglot import exp

from metric_layer.periods import Window
from metric_layer.query_plan import Source, as_simple
from metric_layer.relation import ModelRelation, col, ident
from metric_layer.retention_sql import group_by
from metric_layer.rollup_sql import daily_select, snapshot_days_select
from metric_layer.select_builder import SelectBuilder
from metric_layer.spec import SnapshotMetric
from metric_layer.sql_time import window_period

ZERO_WHEN_NO_ROW = ("sum", "count", "count_distinct")


def snapshot_value(
    c: SelectBuilder, m: SnapshotMetric, w: Window, dims: list[str], filters, extra, source: Source
) -> exp.Select:
    """(period, dims, value): the metric on each period's snapshot day(s), from the planned
    `source` (its daily table, and the table listing snapshot days; raw tables when None)."""
    hi = max(w.lo, min(w.hi, w.today + timedelta(days=1)))  # days after today have no data yet
    days_, chosen_, daily_, keys_, grid_ = (
        c.name(n) for n in ("days", "chosen", "daily", "keys", "grid")
    )
    days = _snapshot_days(c, m, w.lo, hi, source.days_table)
    period = window_period(col("day"), w).as_("period")
    if m.period_value in ("last", "first"):
        pick = exp.Max if m.period_value == "last" else exp.Min
        chosen = group_by(
            exp.select(period, pick(this=col("day")).as_("day")).from_(ident(days_), copy=False), 0
        )
        on_days = chosen_  # read only the chosen days' rows
    else:
        chosen = exp.select(period, col("day")).from_(ident(days_), copy=False)
        on_days = None
    daily = _daily_values(c, m, w, hi, dims, filters, extra, on_days, source.table)
    grid = exp.select(col("period", "p"), col("day", "p"), *[col(d, "k") for d in dims]).from_(
        exp.Table(this=ident(chosen_), alias=exp.TableAlias(this=ident("p"))), copy=False
    )
    ctes = [(days_, days), (chosen_, chosen), (daily_, daily)]
    if dims:
        keys = exp.select(*[col(d) for d in dims]).distinct(copy=False).from_(ident(daily_))
        ctes.append((keys_, keys))
        grid = grid.join(
            exp.Table(this=ident(keys_), alias=exp.TableAlias(this=ident("k"))),
            join_type="cross",
            copy=False,
        )
    ctes.append((grid_, grid))
    value: exp.Expression = col("value", "d")
    if m.agg in ZERO_WHEN_NO_ROW:
        value = exp.func("coalesce", value, exp.Literal.number(0))
    on = exp.and_(
        exp.EQ(this=col("day", "d"), expression=col("day", "g")),
        *[exp.NullSafeEQ(this=col(d, "d"), expression=col(d, "g")) for d in dims],
    )
    select = (
        exp.select(
            col("period", "g").as_("period"),
            *[col(d, "g").as_(ident(d)) for d in dims],
            exp.alias_(value, "value"),
        )
        .from_(exp.Table(this=ident(grid_), alias=exp.TableAlias(this=ident("g"))), copy=False)
        .join(
            exp.Table(this=ident(daily_), alias=exp.TableAlias(this=ident("d"))),
            on=on,
            join_type="left",
            copy=False,
        )
    )
    if m.period_value in ("min", "max"):
        pick = exp.Min if m.period_value == "min" else exp.Max
        select = group_by(
            exp.select(
                col("period"),
                *[col(d) for d in dims],
                exp.alias_(pick(this=col("value")), "value"),
            ).from_(select.subquery(c.name("per_day")), copy=False),
            len(dims),
        )
    for name, sub in ctes:
        select = select.with_(name, as_=sub, copy=False)
    return select


def _snapshot_days(
    c: SelectBuilder, m: SnapshotMetric, lo: date, hi: date, table: str | None
) -> exp.Select:
    """(day): the local days in [lo, hi) on which the model's table has rows."""
    if table is not None:
        return snapshot_days_select(table, lo, hi)
    rel = ModelRelation(c.sem, m.model, c.spec.time_zone, c.types)
    select = exp.select(rel.local_day(within=(lo, hi)).as_("day")).distinct(copy=False)
    return rel.from_clause(select.where(rel.time_range(lo, hi), copy=False))


def _daily_values(
    c: SelectBuilder,
    m: SnapshotMetric,
    w: Window,
    hi: date,
    dims: list[str],
    filters,
    extra,
    on_days: str | None,
    table: str | None,
) -> exp.Select:
    """(day, dims, value) per local day in [w.lo, hi) with matching rows (only the days of the
    CTE `on_days` when given), from the daily rollup `table` or the raw rows."""
    if table is not None:
        day_window = Window("day", w.lo, hi, w.today, w.week_start)
        planned = daily_select(as_simple(m), table, day_window, dims, filters, extra)
        rolled = exp.select(col("period").as_("day"), *[col(d) for d in dims], col("value"))
        rolled = rolled.from_(planned.subquery(c.name("rolled")), copy=False)
        if on_days is not None:
            rolled = rolled.where(_on(col("period"), on_days), copy=False)
        return rolled
    rel = ModelRelation(c.sem, m.model, c.spec.time_zone, c.types)
    target = rel.spec_sql(m.expr) if m.expr else rel.column(rel.model.primary_key)
    value = {
        "count": lambda e: exp.Count(this=e),
        "count_distinct": lambda e: exp.Count(this=exp.Distinct(expressions=[e])),
        "sum": lambda e: exp.Sum(this=e),
        "avg": lambda e: exp.Avg(this=e),
        "min": lambda e: exp.Min(this=e),
        "max": lambda e: exp.Max(this=e),
    }[m.agg](target)
    day = rel.local_day(within=(w.lo, hi))
    conds = c.conditions(rel, w.lo, hi, m.filter, filters, extra)
    if on_days is not None:
        conds.append(_on(day.copy(), on_days))
    select = exp.select(
        day.as_("day"), *[rel.dimension(d).as_(ident(d)) for d in dims], exp.alias_(value, "value")
    )
    # As on the rollups: a day's segment whose rows give no value (all NULL) is no row.
    if m.agg in ("count", "count_distinct"):
        kept = exp.GT(this=value.copy(), expression=exp.Literal.number(0))
    else:
        kept = exp.Not(this=exp.Is(this=value.copy(), expression=exp.Null()))
    select = group_by(select.where(*conds, copy=False), len(dims)).having(kept, copy=False)
    return rel.from_clause(select)


def _on(day: exp.Expression, days_cte: str) -> exp.Expression:
    """`day IN (SELECT day FROM days_cte)`: the same segments on both paths (those with rows on a
    chosen day)."""
    days = exp.select(col("day")).from_(ident(days_cte))
    return exp.In(this=day, query=days.subquery(copy=False))
