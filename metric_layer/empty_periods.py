"""Periods and segments without rows: one rule for every metric type, with or without a breakdown.

A query's result has one row per period of its range × known segment. A known segment is a
combination of dimension values that has at least one row anywhere in the result (any metric,
any period of the range, its comparison included); without a breakdown there is one segment.
Where a known segment has no row in a period, zero-when-empty metrics (count, count_distinct,
sum) are 0 — no orders is 0 orders — and every other metric has no value (NaN / <NA> / None).

The grid stays bounded: segments come from the result itself, so it never holds more than
periods × (rows of the result) cells; a dimension value absent from the whole range gets no row.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import date

import pandas as pd


def grid_rows(frame: pd.DataFrame, periods: list[date], dimensions: list[str]) -> int:
    """Rows fill_empty_periods would return (at least): check it before building the grid."""
    segments = len(frame[dimensions].drop_duplicates()) if dimensions else 1
    return max(len(periods) * segments, len(frame))


def fill_empty_periods(
    frame: pd.DataFrame,
    periods: list[date],
    dimensions: list[str],
    zeros: Mapping[str, object],
) -> pd.DataFrame:
    """`frame` (period, dimensions…, value columns) on the full grid of periods × known segments.

    `zeros` maps each value column that is 0 when empty to its zero (0, 0.0 or Decimal("0.00")).
    Rows of `frame` outside `periods` are kept, never dropped.
    """
    if dimensions:
        if frame.empty:
            return frame.copy()  # no known segment: nothing to fill
        spine = pd.DataFrame({"period": periods})
        grid = spine.merge(frame[dimensions].drop_duplicates(), how="cross")
        out = grid.merge(frame, on=["period", *dimensions], how="outer")
    elif set(periods) <= set(frame["period"]):
        out = frame  # one segment with a row in every period (the usual case): nothing to add
    else:  # one segment: the periods and the frame's own, in that order, as the merge gives
        keys = list(dict.fromkeys([*periods, *frame["period"]]))
        out = frame.set_index("period").reindex(pd.Index(keys, name="period")).reset_index()
    for column, zero in zeros.items():
        if column in out and out[column].isna().any():
            out[column] = out[column].astype(object).where(out[column].notna(), zero)
    return out
