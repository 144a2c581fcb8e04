"""Over which windows a metric's SQL reads its inputs: shared by the plan (query_plan.py), which
decides each read's source, and the SQL modules, which build the reads, so the two cannot drift.

Pure date arithmetic on Windows; no SQL.
"""

from __future__ import annotations

from dataclasses import replace
from datetime import date, timedelta

from sqlglot import exp

from metric_layer.bounds import EARLIEST
from metric_layer.expressions import parse_formula, shift_of
from metric_layer.periods import Offset, Window, comparison, period_start, shift_range
from metric_layer.spec import CumulativeMetric


def shifted_window(w: Window, kind: str | Offset) -> Window:
    """The window a derived formula's `previous(x)` / `last_year(x)` / offset input is read over."""
    if isinstance(kind, Offset):
        kind.check_grain(w.grain)
    lo, hi = shift_range(w.lo, w.hi, w.grain, kind)
    return replace(w, lo=lo, hi=hi)


def formula_inputs(formula: str) -> list[tuple[str, str | Offset | None]]:
    """(metric, shift or None) of a derived formula's inputs, in the order the compiler reads them
    (a pre-order walk that does not enter a shifted input's own node)."""
    found: list[tuple[str, str | Offset | None]] = []

    def visit(node: exp.Expression) -> exp.Expression:
        shifted = shift_of(node)
        if shifted is not None:
            found.append(shifted)
            return exp.Null()  # replaced: its inner column is not visited again
        if isinstance(node, exp.Column):
            found.append((node.name, None))
        return node

    parse_formula(formula).transform(visit)
    return list(dict.fromkeys(found))


def first_input_day(m: CumulativeMetric, first: date, week_start: str) -> date:
    """The earliest day whose input counts in the value on `first` (running totals: carried)."""
    if m.window is not None:
        return first - timedelta(days=m.window - 1)
    if m.grain_to_date is not None:
        return period_start(first, m.grain_to_date, week_start)
    return first


def cumulative_windows(m: CumulativeMetric, w: Window) -> tuple[Window, Window | None]:
    """A cumulative metric's input per day over the days it needs, and for a running total since
    the start also everything before them as one period ("carried in"; else None)."""
    hi = max(w.lo, min(w.hi, w.today + timedelta(days=1)))  # values up to today
    start = first_input_day(m, w.lo, w.week_start)
    daily = Window("day", start, hi, w.today, w.week_start)
    if m.window is None and m.grain_to_date is None:
        return daily, Window("all", EARLIEST, start, w.today, w.week_start)
    return daily, None


def compare_windows(w: Window, compare_text: str) -> tuple[str | Offset, list[Window]]:
    """The comparison step, and the windows a compared query reads its metric over: one window
    reaching back to the comparison periods, or at grain `all` the range and its comparison."""
    compare = comparison(compare_text)
    if isinstance(compare, Offset):
        compare.check_grain(w.grain)
    lo, hi = shift_range(w.lo, w.hi, w.grain, compare)
    if w.grain == "all":
        return compare, [w, replace(w, lo=lo, hi=hi)]
    return compare, [replace(w, lo=min(lo, w.lo))]
