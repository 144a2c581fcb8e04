"""A metric's latest complete period against the previous one, last year and its target:
what the Overview headline, driver cards, tree nodes and review slides show."""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from datetime import date
from typing import Any

import pandas as pd
from flask import current_app

from dashboard.figures import target_series
from dashboard.formatting import change_tone, relative_change
from dashboard.lookback import lookback_queries
from dashboard.serving import Serving


@dataclass(frozen=True)
class MetricSummary:
    metric: Any  # spec metric
    grain: str
    frame: pd.DataFrame  # lookback periods with `<metric>__compare` = previous period
    period: date | None  # latest complete period
    value: float | None
    previous: float | None
    last_year: float | None
    target: float | None
    partial_value: float | None  # the current period so far
    currency: str = "USD"

    @property
    def change(self) -> float | None:
        return relative_change(self.value, self.previous)

    @property
    def change_last_year(self) -> float | None:
        return relative_change(self.value, self.last_year)

    @property
    def vs_target(self) -> float | None:
        return relative_change(self.value, self.target)

    def tone(self, change: float | None) -> str:
        return change_tone(change, self.metric.direction)


def _number(value: object) -> float | None:
    return None if value is None or pd.isna(value) else float(value)  # type: ignore[arg-type]


def summarise(
    serving: Serving,
    metric: str,
    grain: str,
    targets: list[Any] | None = None,
    with_last_year: bool = True,
    as_of: date | None = None,
) -> MetricSummary:
    """The summary of `metric` as of `as_of` (None: the server's as-of or clock);
    with_last_year=False skips that query (cards show only vs previous)."""
    snap = serving.snapshot()
    spec = snap.spec
    today = snap.service.today(as_of)
    vs_previous, vs_last_year = lookback_queries(metric, grain, today, spec.week_start, as_of)
    frame = serving.frame(vs_previous).frame
    last_year = serving.frame(vs_last_year).frame if with_last_year else frame.iloc[0:0]
    done = frame[~frame["is_partial"]]
    partial = frame[frame["is_partial"]]
    row = done.iloc[-1] if len(done) else None
    period = row["period"] if row is not None else None
    ly = last_year[last_year["period"] == period] if period is not None else last_year.iloc[0:0]
    default_grain = spec.north_star.grain if spec.north_star else "week"
    target = None
    if period is not None and targets:
        series = target_series(targets, [period], grain, default_grain)
        target = series[0][1] if series else None
    return MetricSummary(
        metric=spec.metric(metric),
        grain=grain,
        frame=frame,
        period=period,
        value=_number(row[metric]) if row is not None else None,
        previous=_number(row[f"{metric}__compare"]) if row is not None else None,
        last_year=_number(ly[f"{metric}__compare"].iloc[0]) if len(ly) else None,
        target=target,
        partial_value=_number(partial[metric].iloc[-1]) if len(partial) else None,
        currency=spec.currency,
    )


SummaryRequest = tuple[str, str, list[Any] | None, bool]  # metric, grain, targets, with_last_year


def summarise_many(
    serving: Serving, requests: list[SummaryRequest], as_of: date | None = None
) -> list[MetricSummary]:
    """Several summaries at once: DuckDB runs queries in parallel threads, so a tree of a dozen
    nodes costs about as much as its slowest few rather than the sum of all."""
    app = current_app._get_current_object()  # type: ignore[attr-defined]

    def one(request: SummaryRequest) -> MetricSummary:
        with app.app_context():  # the result cache lives on the app
            return summarise(serving, *request, as_of=as_of)

    with ThreadPoolExecutor(max_workers=4) as pool:
        return list(pool.map(one, requests))
