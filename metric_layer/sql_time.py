"""Period start of a day as a SQL tree (the SQL twin of periods.period_start)."""

from __future__ import annotations

from datetime import date

from sqlglot import exp

from metric_layer.periods import Offset, Window, shift

DATE = exp.DataType.build("DATE")


def period_expr(
    day: exp.Expression, grain: str, week_start: str = "monday", first: date | None = None
) -> exp.Expression:
    """The start of the period holding `day`; at grain `all`, the range's first day `first`."""
    if grain == "all":
        if first is None:
            raise ValueError("grain `all` needs the range's first day")
        return exp.cast(exp.Literal.string(first.isoformat()), DATE)
    if grain == "day":
        return day
    if grain == "week" and week_start == "sunday":
        # Shift Sunday into the next ISO week, truncate, shift back.
        plus = exp.Add(this=day, expression=_interval(1, "DAY"))
        trunc = exp.func("date_trunc", exp.Literal.string("week"), plus)
        return exp.cast(exp.Sub(this=trunc, expression=_interval(1, "DAY")), DATE)
    return exp.cast(exp.func("date_trunc", exp.Literal.string(grain), day), DATE)


def window_period(day: exp.Expression, w: Window) -> exp.Expression:
    """period_expr for a query window (its grain, week start and, for `all`, its first day)."""
    return period_expr(day, w.grain, w.week_start, w.lo)


def shift_expr(
    period: exp.Expression, w: Window, compare: str | Offset, forward: bool
) -> exp.Expression:
    """period ± one comparison step: the previous period, a year (52 weeks), or an offset.
    At grain `all`, previous is the range's own length in days."""
    grain = w.grain
    if isinstance(compare, Offset):
        step = (compare.days, "DAY") if compare.days is not None else (compare.months, "MONTH")
    elif grain == "all":
        step = ((w.hi - w.lo).days, "DAY") if compare == "previous" else (1, "YEAR")
    elif compare == "previous":
        step = {
            "day": (1, "DAY"),
            "week": (7, "DAY"),
            "month": (1, "MONTH"),
            "quarter": (3, "MONTH"),
            "year": (1, "YEAR"),
        }[grain]
    else:
        step = (364, "DAY") if grain == "week" else (1, "YEAR")
    op = exp.Add if forward else exp.Sub
    return exp.cast(op(this=period, expression=_interval(*step)), DATE)


def _interval(n: int, unit: str) -> exp.Interval:
    return exp.Interval(this=exp.Literal.number(n), unit=exp.var(unit))


__all__ = ["period_expr", "shift", "shift_expr", "window_period"]
