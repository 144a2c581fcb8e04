"""Top N dimension values plus "Other": what a breakdown chart and table show."""

from __future__ import annotations

from typing import Any

import pandas as pd

OTHER = "Other"
NO_VALUE = "(none)"


def is_additive(metric: Any) -> bool:
    """Counts and sums add up across dimension values; distinct counts, ratios and averages don't.

    So do running totals of them (cumulative) and snapshot sums and counts read on one day (every
    segment on the same snapshot day); a month's peak per segment does not add up to the peak."""
    kind = getattr(metric, "type", None)
    if kind == "cumulative":
        return True  # its input is a count or a sum (metrics.yml validation)
    if kind == "snapshot":
        return metric.agg in ("count", "sum") and metric.period_value in ("last", "first")
    return kind == "simple" and metric.agg in ("count", "sum")


def top_values(frame: pd.DataFrame, metric: str, dimension: str, n: int) -> list[str]:
    """The n dimension values with the largest total over the range (ties by name)."""
    totals = frame.groupby(dimension, dropna=False)[metric].sum(min_count=1).fillna(0)
    ranked = sorted(totals.items(), key=lambda kv: (-kv[1], str(kv[0])))
    return [str(k) for k, _ in ranked[:n]]


def top_n(frame: pd.DataFrame, metric: str, dimension: str, n: int, additive: bool) -> pd.DataFrame:
    """Keep the top n values; fold the rest into "Other" when the metric adds up, else drop them."""
    frame = frame.copy()
    frame[dimension] = frame[dimension].astype(object).where(frame[dimension].notna(), NO_VALUE)
    frame[dimension] = frame[dimension].astype(str)
    keep = top_values(frame, metric, dimension, n)
    rest = ~frame[dimension].isin(keep)
    if not rest.any():
        return frame
    if not additive:
        return frame[~rest].reset_index(drop=True)
    folded = frame[rest].assign(**{dimension: OTHER})
    numeric = [c for c in frame.columns if c.startswith(metric)]
    other = folded.groupby(["period", dimension], as_index=False).agg(
        {**{c: lambda s: s.sum(min_count=1) for c in numeric}, "is_partial": "max"}
    )
    return pd.concat([frame[~rest], other], ignore_index=True).sort_values(
        ["period", dimension], kind="stable", ignore_index=True
    )
