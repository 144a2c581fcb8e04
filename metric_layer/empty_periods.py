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

import numpy as np
import pandas as pd


def grid_rows(frame: pd.DataFrame, periods: list[date], dimensions: list[str]) -> int:
    """Rows fill_empty_periods would return (at least): check it before building the grid."""
    segments = _segments(frame, dimensions)[1] if dimensions else 1
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
        if _complete(frame, periods, dimensions):
            return _zeros(frame, zeros)  # every segment has a row in every period (usual)
        spine = pd.DataFrame({"period": periods})
        grid = spine.merge(frame[dimensions].drop_duplicates(), how="cross")
        out = grid.merge(frame, on=["period", *dimensions], how="outer")
    elif set(periods).issubset(frame["period"].to_numpy()):  # the array: no boxing per value
        out = frame  # one segment with a row in every period (the usual case): nothing to add
    else:  # one segment: the periods and the frame's own, in that order, as the merge gives
        keys = list(dict.fromkeys([*periods, *frame["period"]]))
        out = frame.set_index("period").reindex(pd.Index(keys, name="period")).reset_index()
    return _zeros(out, zeros)


def _zeros(out: pd.DataFrame, zeros: Mapping[str, object]) -> pd.DataFrame:
    for column, zero in zeros.items():
        if column not in out:
            continue
        values = out[column]
        if isinstance(values.dtype, np.dtype) and values.dtype.kind in "iub":
            continue  # a NumPy integer holds no missing value (a BIGINT with one comes as float)
        missing = pd.isna(values.to_numpy())  # on the array: a Series' isna() costs 3× more
        if missing.any():
            out[column] = values.astype(object).where(~missing, zero)
    return out


def _segments(frame: pd.DataFrame, dimensions: list[str]) -> tuple[np.ndarray, int]:
    """Each row's segment as a number, and how many segments there are. A missing value is a
    value of its own (a segment whose channel is NULL is one segment). Factorizing each column
    costs a fraction of a drop_duplicates of the frame (0.2 vs 0.8 ms, week × channel)."""
    codes = np.zeros(len(frame), dtype=np.int64)
    for d in dimensions:
        own, values = pd.factorize(frame[d], use_na_sentinel=False)
        # renumbered at each step, so the numbers stay below the row count (no overflow)
        codes, _ = pd.factorize(codes * len(values) + own)
    return codes, int(codes.max()) + 1 if len(codes) else 0


def _complete(frame: pd.DataFrame, periods: list[date], dimensions: list[str]) -> bool:
    """Whether `frame` already is the grid: as many rows as periods × segments, every row's
    period one of `periods`, no (period, segment) twice — then every cell has its row."""
    codes, segments = _segments(frame, dimensions)
    if len(frame) != len(periods) * segments or not set(periods).issuperset(frame["period"]):
        return False
    at, _ = pd.factorize(frame["period"])
    return len(np.unique(at * segments + codes)) == len(frame)
