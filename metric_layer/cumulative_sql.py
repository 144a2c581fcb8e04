"""Cumulative metrics as SQL: running totals, trailing windows and grain-to-date of a daily count
or sum, with window functions over daily values (no range self-join).

The input metric is read per local day (from its daily rollups when they answer, else the raw
table), and for a running total since the start also as one sum per segment of everything before
the first day needed ("carried in"). The days a value is wanted on are added as empty rows; one
windowed SUM over days — all before (running total), the `window` days ending on the day, or the
days since the start of its week / month / quarter / year — then gives each of them its value:

    revenue over the 28 days ending on d = sum of daily revenue over d-27 .. d

A period's value is the value on its last day (the last day so far, i.e. today, for the current
period), on its first day, or the average over its days (`period_value`). Every segment with
input rows in the days read has a value on every day up to today (0 when its window is empty);
days after today have none.
"""

from __future__ import annotations

from datetime import timedelta

from sqlglot import exp

from metric_layer.expressions import and_texts
from metric_layer.periods import Window
from metric_layer.read_windows import cumulative_windows
from metric_layer.relation import col, date_lit, ident
from metric_layer.retention_sql import group_by
from metric_layer.select_builder import SelectBuilder
from metric_layer.spec import CumulativeMetric
from metric_layer.sql_time import period_expr, window_period

DATE = exp.DataType.build("DATE")


def cumulative_value(
    c: SelectBuilder, m: CumulativeMetric, w: Window, dims: list[str], filters, extra
) -> exp.Select:
    """(period, dims, value) of a cumulative metric over the periods of `w`."""
    day_window, before = cumulative_windows(m, w)  # the plan read the same windows
    hi, start = day_window.hi, day_window.lo
    source, own = m.input_metric.metric, and_texts(m.input_metric.filter, extra)
    daily = c.metric_select(source, day_window, dims, filters, own)
    flows = exp.select(col("period").as_("day"), *[col(d) for d in dims], col("value")).from_(
        daily.subquery(c.name("daily")), copy=False
    )
    if before is not None:
        # Everything before `start` enters as one row per segment on the day before it.
        carried = c.metric_select(source, before, dims, filters, own)
        flows = exp.union(
            flows,
            exp.select(
                date_lit(start - timedelta(days=1)).as_("day"),
                *[col(d) for d in dims],
                col("value"),
            ).from_(carried.subquery(c.name("carried")), copy=False),
            distinct=False,
        )
    flows_, days_, points_, keys_, stacked_ = (
        c.name(n) for n in ("flows", "days", "points", "keys", "stacked")
    )
    # Every day of [w.lo, hi): RANGE in DuckDB, GENERATE_SERIES elsewhere (sqlglot writes either).
    series = exp.GenerateSeries(
        start=date_lit(w.lo),
        end=date_lit(hi),
        step=exp.Interval(this=exp.Literal.number(1), unit=exp.var("DAY")),
        is_end_exclusive=True,
    )
    spine = exp.Table(this=series, alias=exp.TableAlias(this=ident("s"), columns=[ident("d")]))
    days = exp.select(exp.cast(col("d", "s"), DATE).as_("day")).from_(spine, copy=False)
    period = window_period(col("day"), w).as_("period")
    if m.period_value == "average":
        points = exp.select(period, col("day")).from_(ident(days_), copy=False)
    else:
        pick = exp.Max if m.period_value == "last" else exp.Min
        points = group_by(
            exp.select(period, pick(this=col("day")).as_("day")).from_(ident(days_), copy=False), 0
        )
    grid = exp.select(col("period", "p"), col("day", "p"), *[col(d, "k") for d in dims]).from_(
        exp.Table(this=ident(points_), alias=exp.TableAlias(this=ident("p"))), copy=False
    )
    ctes = [(flows_, flows), (days_, days), (points_, points)]
    if dims:
        keys = exp.select(*[col(d) for d in dims]).distinct(copy=False).from_(ident(flows_))
        ctes.append((keys_, keys))
        grid = grid.join(
            exp.Table(this=ident(keys_), alias=exp.TableAlias(this=ident("k"))),
            join_type="cross",
            copy=False,
        )
    # Input rows (no period) and the wanted days (a period, no value) in one stream of days.
    stacked = exp.union(
        exp.select(
            exp.cast(exp.Null(), DATE).as_("period"),
            col("day"),
            *[col(d) for d in dims],
            col("value"),
        ).from_(ident(flows_), copy=False),
        exp.select(
            col("period"), col("day"), *[col(d) for d in dims], exp.Null().as_("value")
        ).from_(grid.subquery(c.name("grid")), copy=False),
        distinct=False,
    )
    ctes.append((stacked_, stacked))
    total = exp.Window(
        this=exp.Sum(this=col("value")),
        partition_by=[*[col(d) for d in dims], *_bucket(m, w)],
        order=exp.Order(expressions=[exp.Ordered(this=col("day"))]),
        spec=_frame(m),
    )
    value = exp.func("coalesce", total, exp.Literal.number(0))
    running = exp.select(col("period"), *[col(d) for d in dims], exp.alias_(value, "value"))
    running = running.from_(ident(stacked_), copy=False)
    # Keep the wanted days once every day has its sum (a WHERE inside would cut the input rows).
    select = (
        exp.select(col("period"), *[col(d) for d in dims], col("value"))
        .from_(running.subquery(c.name("running")), copy=False)
        .where(exp.Not(this=exp.Is(this=col("period"), expression=exp.Null())), copy=False)
    )
    if m.period_value == "average":
        select = group_by(
            exp.select(
                col("period"),
                *[col(d) for d in dims],
                exp.alias_(exp.Avg(this=col("value")), "value"),
            ).from_(select.subquery(c.name("per_day")), copy=False),
            len(dims),
        )
    for name, sub in ctes:
        select = select.with_(name, as_=sub, copy=False)
    return select


def _bucket(m: CumulativeMetric, w: Window) -> list[exp.Expression]:
    """Grain-to-date restarts at each week / month / quarter / year: one more partition key."""
    if m.grain_to_date is None:
        return []
    return [period_expr(col("day"), m.grain_to_date, w.week_start)]


def _frame(m: CumulativeMetric) -> exp.WindowSpec:
    """All earlier days and the day itself; with `window`, the window's days ending on it."""
    if m.window is None:
        return exp.WindowSpec(
            kind="RANGE", start="UNBOUNDED", start_side="PRECEDING", end="CURRENT ROW"
        )
    back = exp.Interval(this=exp.Literal.number(m.window - 1), unit=exp.var("DAY"))
    return exp.WindowSpec(kind="RANGE", start=back, start_side="PRECEDING", end="CURRENT ROW")
