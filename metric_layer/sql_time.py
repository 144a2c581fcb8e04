"""Period start of a day as a SQL tree (the SQL twin of periods.period_start)."""

from __future__ import annotations

from sqlglot import exp

from metric_layer.periods import shift

DATE = exp.DataType.build("DATE")


def period_expr(day: exp.Expression, grain: str, week_start: str = "monday") -> exp.Expression:
    if grain == "day":
        return day
    if grain == "week" and week_start == "sunday":
        # Shift Sunday into the next ISO week, truncate, shift back.
        plus = exp.Add(this=day, expression=_interval(1, "DAY"))
        trunc = exp.func("date_trunc", exp.Literal.string("week"), plus)
        return exp.cast(exp.Sub(this=trunc, expression=_interval(1, "DAY")), DATE)
    return exp.cast(exp.func("date_trunc", exp.Literal.string(grain), day), DATE)


def shift_expr(period: exp.Expression, grain: str, compare: str, forward: bool) -> exp.Expression:
    """period ± one comparison step (previous period, or a year / 52 weeks)."""
    if compare == "previous":
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


__all__ = ["period_expr", "shift", "shift_expr"]
