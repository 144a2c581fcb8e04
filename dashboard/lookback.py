"""The queries behind a metric summary: its lookback periods against the previous period and
against last year. Shared by the summaries and by the warm-up that runs them when a snapshot opens."""

from __future__ import annotations

from datetime import date

from dashboard.views import lookback_start
from metric_layer.query import MetricQuery


def lookback_queries(
    metric: str, grain: str, today: date, week_start: str, as_of: date | None = None
) -> tuple[MetricQuery, MetricQuery]:
    """The two queries behind a summary (compare previous, compare last year); tests reuse them.
    `today` is the as-of day; `as_of` (a page's ?as_of=) goes into the queries."""
    start = lookback_start(today, grain, week_start)
    base = {"grain": grain, "start": start, "end": today, "as_of": as_of}
    return (
        MetricQuery((metric,), compare="previous", **base),  # type: ignore[arg-type]
        MetricQuery((metric,), compare="last_year", **base),  # type: ignore[arg-type]
    )
