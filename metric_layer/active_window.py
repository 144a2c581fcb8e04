"""Rolling-window active entities (DAU/WAU/MAU) from activity rows, as one SQL tree."""

from __future__ import annotations

from datetime import date

from sqlglot import exp

from metric_layer.periods import Window
from metric_layer.relation import col, date_lit, ident
from metric_layer.spec import ActiveMetric
from metric_layer.sql_time import window_period


def _group(select: exp.Select, n_dims: int) -> exp.Select:
    return select.group_by(*[exp.Literal.number(i) for i in range(1, n_dims + 2)], copy=False)


def active_from_activity(
    activity: exp.Select, m: ActiveMetric, w: Window, dims: list[str], first: date, last: date
) -> exp.Select:
    """Distinct entities active in the trailing `window` days, for each day, then per period.

    Each activity day opens an interval [day, min(day + window, next activity day)); summing +1/-1 at
    the interval ends and running the sum over days gives the count without a range self-join.
    """
    win = m.window
    part = [col(d) for d in dims]
    dim_cols = [col(d) for d in dims]
    next_day = exp.Window(
        this=exp.func("lead", col("day")),
        partition_by=[*part, col("entity")],
        order=exp.Order(expressions=[exp.Ordered(this=col("day"))]),
    )
    known = exp.Not(this=exp.Is(this=col("entity"), expression=exp.Null()))  # NULL is no entity
    events = (
        exp.select(col("day"), *dim_cols, exp.alias_(next_day, "next_day"))
        .from_(ident("act"), copy=False)
        .where(known, copy=False)
    )
    close_day = exp.func(
        "least",
        exp.Add(this=col("day"), expression=exp.Literal.number(win)),
        exp.func(
            "coalesce",
            col("next_day"),
            exp.Add(this=col("day"), expression=exp.Literal.number(win)),
        ),
    )
    deltas = exp.union(
        exp.select(
            col("day").as_("d"), *dim_cols, exp.alias_(exp.Literal.number(1), "delta")
        ).from_(ident("ev"), copy=False),
        exp.select(
            exp.alias_(close_day, "d"), *dim_cols, exp.alias_(exp.Literal.number(-1), "delta")
        ).from_(ident("ev"), copy=False),
        distinct=False,
    )
    daily = _group(
        exp.select(col("d"), *dim_cols, exp.alias_(exp.Sum(this=col("delta")), "delta")).from_(
            ident("deltas"), copy=False
        ),
        len(dims),
    )
    # Days as first + 0 … first + n - 1: integer series and DATE + INTEGER read the same in
    # DuckDB and PostgreSQL (a series of dates is `range` in one, TIMESTAMPTZ in the other).
    offsets = exp.GenerateSeries(
        start=exp.Literal.number(0), end=exp.Literal.number((last - first).days - 1)
    )
    day = exp.Add(this=date_lit(first), expression=exp.cast(col("i"), exp.DataType.build("INT")))
    spine = exp.select(day.as_("day")).from_(
        exp.Table(this=offsets, alias=exp.TableAlias(this=ident("days"), columns=[ident("i")])),
        copy=False,
    )
    keys = (
        exp.select(*dim_cols)
        .distinct(copy=False)
        .from_(ident("act"), copy=False)
        .where(known.copy(), copy=False)
        if dims
        else None
    )
    grid = exp.select(col("day", "s"), *[col(d, "g") for d in dims]).from_(
        exp.Table(this=ident("spine"), alias=exp.TableAlias(this=ident("s"))), copy=False
    )
    if keys is not None:
        grid = grid.join(
            exp.Table(this=ident("keyset"), alias=exp.TableAlias(this=ident("g"))),
            join_type="cross",
            copy=False,
        )
    on = exp.and_(
        exp.EQ(this=col("d", "dl"), expression=col("day", "gr")),
        *[exp.NullSafeEQ(this=col(d, "dl"), expression=col(d, "gr")) for d in dims],
    )
    running_sum = exp.Window(
        this=exp.Sum(this=exp.func("coalesce", col("delta", "dl"), exp.Literal.number(0))),
        partition_by=[col(d, "gr") for d in dims],
        order=exp.Order(expressions=[exp.Ordered(this=col("day", "gr"))]),
        spec=exp.WindowSpec(
            kind="ROWS", start="UNBOUNDED", start_side="PRECEDING", end="CURRENT ROW"
        ),
    )
    running = (
        exp.select(
            col("day", "gr").as_("day"),
            *[col(d, "gr").as_(ident(d)) for d in dims],
            exp.alias_(running_sum, "active"),
        )
        .from_(exp.Table(this=ident("grid"), alias=exp.TableAlias(this=ident("gr"))), copy=False)
        .join(
            exp.Table(this=ident("daily"), alias=exp.TableAlias(this=ident("dl"))),
            on=on,
            join_type="left",
            copy=False,
        )
    )
    if m.period_value == "last" or w.grain == "day":
        value = exp.func("arg_max", col("active"), col("day"))
    else:
        value = exp.Avg(this=col("active"))
    in_range = exp.GTE(this=col("day"), expression=date_lit(w.lo))
    select = (
        exp.select(
            window_period(col("day"), w).as_("period"),
            *dim_cols,
            exp.alias_(value, "value"),
        )
        .from_(ident("running"), copy=False)
        .where(in_range, copy=False)
    )
    select = _group(select, len(dims))
    ctes = [
        ("act", activity),
        ("ev", events),
        ("deltas", deltas),
        ("daily", daily),
        ("spine", spine),
    ]
    if keys is not None:
        ctes.append(("keyset", keys))
    ctes += [("grid", grid), ("running", running)]
    for name, sub in ctes:
        select = select.with_(name, as_=sub, copy=False)
    return select
