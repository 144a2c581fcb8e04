"""What the Explorer shows for a view: the service's frame, its top-N cut and the figure."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta

import pandas as pd
import plotly.graph_objects as go

from dashboard.breakdown import is_additive, top_n
from dashboard.figures import breakdown_figure, trend_figure
from dashboard.range_figures import range_figure
from dashboard.serving import Serving
from dashboard.views import ExplorerView
from metric_layer.query import MetricFrame, MetricQuery


@dataclass(frozen=True)
class ExplorerResult:
    view: ExplorerView
    query: MetricQuery
    result: MetricFrame
    shown: pd.DataFrame  # after top N + Other
    currency: str

    @property
    def metric(self):  # type: ignore[no-untyped-def]
        return self.result.metrics[self.view.metric]

    @property
    def range_end(self) -> date:
        """The last day shown (the frame's end is exclusive)."""
        return self.result.end - timedelta(days=1)

    @property
    def empty(self) -> bool:
        return self.shown.empty or self.shown[self.view.metric].isna().all()


def explore(serving: Serving, view: ExplorerView) -> ExplorerResult:
    snap = serving.snapshot()
    spec = snap.spec
    if view.metric not in spec.metric_names:
        raise KeyError(f"unknown metric {view.metric!r}; pick one from the Catalogue")
    if view.by and view.by not in snap.semantics.dimensions_of_metric(view.metric):
        raise KeyError(f"{view.metric} cannot be broken down by {view.by!r}")
    query = view.to_query(snap.service.today(view.as_of), spec.week_start)
    result = serving.frame(query)
    shown = result.frame
    if view.by:
        shown = top_n(shown, view.metric, view.by, view.top, is_additive(spec.metric(view.metric)))
    return ExplorerResult(view, query, result, shown, spec.currency)


def explorer_figure(res: ExplorerResult, dark: bool = False) -> go.Figure:
    view = res.view
    if view.grain == "all":  # one value per breakdown value: bars, not lines of one point
        return range_figure(
            res.shown,
            res.metric,
            res.result.start,
            res.range_end,
            dimension=view.by,
            compare=None if view.compare == "none" else view.compare,
            currency=res.currency,
            dark=dark,
        )
    if view.by:
        stacked = view.chart == "stacked" and is_additive(res.metric)
        return breakdown_figure(
            res.shown,
            res.metric,
            view.grain,
            view.by,
            stacked=stacked,
            currency=res.currency,
            dark=dark,
        )
    compare = None if view.compare == "none" else view.compare
    return trend_figure(
        res.shown, res.metric, view.grain, compare=compare, currency=res.currency, dark=dark
    )


def dimension_values(serving: Serving, view: ExplorerView, dimension: str) -> list[str]:
    """Values a dimension takes for this metric over the view's range (for the filter picker)."""
    snap = serving.snapshot()
    base = view.to_query(snap.service.today(view.as_of), snap.spec.week_start)
    query = MetricQuery(
        (view.metric,),
        grain="all",
        start=base.start,
        end=base.end,
        dimensions=(dimension,),
        as_of=view.as_of,
    )
    values = serving.frame(query).frame[dimension].dropna().astype(str)
    return sorted(set(values))


def export_frame(res: ExplorerResult) -> pd.DataFrame:
    """The CSV: the service's numbers unrounded, with the partial flag; no top-N folding. Grain
    `all` also says the range's last day (`period` is its first)."""
    frame = res.result.frame.copy()
    frame["period"] = frame["period"].map(lambda d: d.isoformat())
    if res.view.grain == "all":
        frame.insert(1, "period_end", res.range_end.isoformat())
    return frame
