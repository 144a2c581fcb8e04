"""The explanations pages show ("why did it move?"), cached per snapshot like every page's numbers.

In: a metric, the two day ranges compared, filters and the as-of day, and whether to search
segments (dozens of queries) or only split the change along the tree (two per tree node). Out: an
analysis.explain Explanation, the same object the CLI prints. Also the day ranges of "the latest
complete period against its comparison" at a grain, which the Overview, Tree, review slides and the
Explorer's headline show, and the Drivers view that opens the same question in full.
"""

from __future__ import annotations

import hashlib
from datetime import date, timedelta

from analysis.explain import Explanation, explain
from analysis.ranges import DayRange, baseline_range
from dashboard.conditions import Filter, query_parts
from dashboard.result_cache import cache_get, cache_set
from dashboard.serving import serving
from dashboard.views import DriversView, format_filters
from metric_layer.periods import next_period, shift, shift_range


def explanation(
    metric: str,
    current: DayRange,
    baseline: DayRange,
    filters: tuple[Filter, ...] = (),
    as_of: date | None = None,
    *,
    segments: bool = True,
) -> Explanation:
    """explain() of the served snapshot; segments=False splits the change along the tree only.
    `filters` are the Explorer's (dimensions, columns of the rows counted, conditions), passed as
    its own query passes them (views.ExplorerView.to_query): between as >= and <=, nulls as
    `where`; explain() applies them to the value, the drivers and every segment."""
    srv = serving()
    snap = srv.snapshot()

    def key(with_segments: bool) -> str:
        # The filters as a link writes them: exact (values escaped), conditions included.
        text = f"{snap.key()}|{metric}|{current}|{baseline}|{format_filters(filters)}|{as_of}"
        return "why:" + hashlib.sha1(f"{text}|{with_segments}".encode()).hexdigest()

    # A full explanation answers a drivers-only question too.
    hit = cache_get(srv.cache, key(True)) or (
        None if segments else cache_get(srv.cache, key(False))
    )
    if hit is None:
        dims = None if segments else []
        kept, where = query_parts(filters)
        hit = explain(
            snap.service,
            metric,
            current,
            baseline,
            dimensions=dims,
            filters=kept,
            where=where,
            as_of=as_of,
        )
        cache_set(srv.cache, key(segments), hit)
    return hit


def period_range(period: date, grain: str) -> DayRange:
    """The days of the period of `grain` starting at `period`."""
    return DayRange(period, next_period(period, grain) - timedelta(days=1))


def period_ranges(period: date, grain: str, compare: str = "previous") -> tuple[DayRange, DayRange]:
    """(the period, the period it is compared with): the previous one, or the same one a year
    earlier (52 weeks at week grain, as the metric layer's compare columns). `none` compares with
    the previous period: a "why" needs something to compare with."""
    mode = "last_year" if compare == "last_year" else "previous"
    return period_range(period, grain), period_range(shift(period, grain, mode), grain)


def range_ranges(lo: date, hi: date, compare: str = "previous") -> tuple[DayRange, DayRange]:
    """Grain `all`: (the days [lo, hi), the days the metric layer compares them with)."""
    mode = "last_year" if compare == "last_year" else "previous"
    blo, bhi = shift_range(lo, hi, "all", mode)
    return DayRange(lo, hi - timedelta(days=1)), DayRange(blo, bhi - timedelta(days=1))


def compare_words(grain: str, compare: str) -> str:
    """How a sentence names the comparison: "vs the previous week", "vs the same month last year"."""
    if grain == "all":
        return "vs the same days last year" if compare == "last_year" else "vs the days before"
    if compare == "last_year":
        return f"vs the same {grain} last year"
    return f"vs the previous {grain}"


def drivers_view_for(
    metric: str,
    current: DayRange,
    baseline: DayRange,
    filters: tuple[Filter, ...] = (),
    as_of: date | None = None,
) -> DriversView:
    """The Drivers view of the same question. Its `previous` and `last_year` count days, so a month
    compared with the month before (31 vs 28 days) is written as a custom comparison."""
    for compare in ("previous", "last_year"):
        if baseline_range(current, compare) == baseline:  # type: ignore[arg-type]
            return DriversView(metric, current, compare, None, as_of, filters)
    return DriversView(metric, current, "custom", baseline, as_of, filters)
