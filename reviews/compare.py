"""Frozen numbers against the same numbers computed now: what a later data correction changed.

A review keeps what the meeting saw; when the data under it is corrected (late rows, a fixed
source, a changed definition), the record shows both rather than rewriting history. Values that
agree to within floating-point noise are not differences. Alert states are a record of what was
firing at the meeting and are not recomputed.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any

from analysis.explain import find_node
from metric_layer.errors import QueryError
from reviews.errors import ReviewError
from reviews.numbers import (
    ALERTS,
    VALUE_KEYS,
    WHY,
    FrozenSlide,
    metric_numbers,
    review_period,
    why_numbers,
)
from reviews.weeks import IsoWeek

LABELS = {
    "value": "value",
    "previous": "week before",
    "last_year": "last year",
    "target": "target",
    "change": "change vs week before",
    "change_last_year": "change vs last year",
    "vs_target": "vs target",
    "before": "week before",
    "after": "this week",
}
PERCENT_KEYS = {"change", "change_last_year", "vs_target", "change_pct", "share"}


@dataclass(frozen=True)
class Difference:
    """One number that is not what the review froze: `frozen` as shown then, `now` as computed
    from the current data (None: no value now, `note` says why)."""

    slide: str
    key: str  # "value", "driver:buyers", "segment:platform=web"
    label: str  # in words, for the page and the CLI
    frozen: float | None
    now: float | None
    note: str = ""

    @property
    def is_percent(self) -> bool:
        """Whether the value is a relative change (shown as %), not in the metric's unit."""
        return self.key in PERCENT_KEYS


def same(a: float | None, b: float | None) -> bool:
    if a is None or b is None:
        return a is b
    return math.isclose(a, b, rel_tol=1e-9, abs_tol=1e-9)


def compare_frozen(review: Any, service: Any) -> list[Difference]:
    """Recompute `review`'s slides (review.week, review.slides: FrozenSlide) with `service` now
    and return every number that differs, in slide order. A slide whose metric cannot be
    computed any more (removed from metrics.yml, hidden) says so in one Difference."""
    week = review.week if isinstance(review.week, IsoWeek) else IsoWeek.parse(review.week)
    out: list[Difference] = []
    for slide in review.slides:
        if slide.slide == ALERTS or slide.metric is None:
            continue
        try:
            out += _slide_differences(service, week, slide)
        except (QueryError, ReviewError, KeyError, StopIteration) as exc:
            note = str(exc) or "cannot be computed now"
            out.append(Difference(slide.slide, "value", "value", None, None, note))
    return out


def _slide_differences(service: Any, week: IsoWeek, slide: FrozenSlide) -> list[Difference]:
    spec = service.spec
    metric = slide.metric
    assert metric is not None
    if metric not in spec.metric_names:
        raise ReviewError(f"`{metric}` is no longer defined in metrics.yml")
    period = review_period(spec, week)
    frozen = slide.numbers
    if slide.slide == WHY:
        return _why_differences(slide.slide, frozen, why_numbers(service, metric, period, None))
    targets = _targets_of(spec, metric)
    now = metric_numbers(service, metric, period, targets)
    return [
        Difference(slide.slide, key, LABELS[key], frozen.get(key), now.get(key))
        for key in VALUE_KEYS
        if not same(frozen.get(key), now.get(key))
    ]


def _targets_of(spec: Any, metric: str) -> list[Any]:
    ns = spec.north_star
    if ns is None:
        return []
    if metric == ns.metric:
        return list(ns.targets)
    node = find_node(ns.tree, metric)
    return list(node.targets) if node is not None else []


def _why_differences(slide: str, frozen: dict, now: dict) -> list[Difference]:
    out = [
        Difference(slide, key, LABELS[key], frozen.get(key), now.get(key))
        for key in ("before", "after", "change")
        if not same(frozen.get(key), now.get(key))
    ]
    now_drivers = {d["metric"]: d for d in now.get("drivers", [])}
    for d in frozen.get("drivers", []):
        later = now_drivers.get(d["metric"], {})
        if not same(d.get("contribution"), later.get("contribution")):
            note = "" if later else "no longer a driver"
            out.append(
                Difference(
                    slide,
                    f"driver:{d['metric']}",
                    f"{d.get('title', d['metric'])}: contribution",
                    d.get("contribution"),
                    later.get("contribution"),
                    note,
                )
            )
    now_segments = {s["segment"]: s for s in now.get("segments", [])}
    for s in frozen.get("segments", []):
        later = now_segments.get(s["segment"], {})
        if not same(s.get("contribution"), later.get("contribution")):
            note = "" if later else "no longer stands out"
            out.append(
                Difference(
                    slide,
                    f"segment:{s['segment']}",
                    f"{s['segment']}: contribution",
                    s.get("contribution"),
                    later.get("contribution"),
                    note,
                )
            )
    return out
