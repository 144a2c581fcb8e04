"""The Drivers page's segment panel: the ranked segments with mix/rate, a link per segment into the
Explorer, and the top segment's trend over both ranges (day by day, or week by week when long)."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import dash_mantine_components as dmc
from dash import dcc, html

from analysis.explain import Explanation
from analysis.ranges import DayRange
from analysis.segments import NONE_LABEL
from dashboard.conditions import query_parts
from dashboard.formatting import range_label
from dashboard.serving import serving
from dashboard.views import DriversView, ExplorerView
from dashboard.why_figures import segment_trend_figure
from dashboard.why_rows import WhyDisplay, WhyRow
from metric_layer.query import DimensionFilter, MetricQuery

SEGMENTS = "drivers-segments"
VERDICT = "drivers-verdict"
TREND = "drivers-segment-trend"
DAILY_UP_TO = 92  # days: longer ranges are drawn week by week


def segment_filters(segment: tuple) -> tuple[DimensionFilter, ...]:
    return tuple(DimensionFilter(d, "=", (str(v),)) for d, v in segment if v != NONE_LABEL)


def segments_panel(result: Explanation, d: WhyDisplay, view: DriversView, spec: Any) -> Any:
    titles = ("#", "Segment", "Before", "After", "Contribution", "Share", "Effect", "")
    head = html.Tr([html.Th(h, style={"textAlign": "left"}) for h in titles])
    body = [
        html.Tr(
            [
                html.Td(str(rank)),
                html.Td(r.label),
                html.Td(r.before),
                html.Td(r.after),
                html.Td(r.text),
                html.Td(f"{r.share * 100:.0f}%" if r.share is not None else ""),
                html.Td(r.effect),
                html.Td(dcc.Link("Explorer", href=_explorer_href(view, result, r.segment))),
            ]
        )
        for rank, r in enumerate(d.segments, start=1)
    ]
    table = dmc.Table(
        [html.Thead(head), html.Tbody(body)], id=SEGMENTS, striped=True, highlightOnHover=True
    )
    return dmc.Paper(
        [
            dmc.Title("Segments", order=3),
            dmc.Text(d.verdict, id=VERDICT, mb="sm"),
            table if body else html.Div(id=SEGMENTS),
            dmc.Stack([dmc.Text(r.detail, size="sm") for r in d.segments], gap=2, mt="sm"),
            segment_trend(d, view, spec) if d.segments else None,
        ],
        p="md",
        withBorder=True,
    )


def segment_trend(d: WhyDisplay, view: DriversView, spec: Any) -> Any:
    """The top segment's series in the current range over the compared one, from the service."""
    top: WhyRow = d.segments[0]
    if any(v == NONE_LABEL for _, v in top.segment):
        return dmc.Text(
            f"No trend for {top.label}: a link cannot filter to a missing value.",
            c="dimmed",
            size="sm",
            mt="md",
        )
    longest = max(d.current.days, d.baseline.days)
    grain = "day" if longest <= DAILY_UP_TO else "week"
    filters = view.filters + segment_filters(top.segment)
    frames = [_series(d.metric.name, grain, r, filters, view) for r in (d.current, d.baseline)]
    labels = (
        range_label(d.current.start, d.current.end),
        range_label(d.baseline.start, d.baseline.end),
    )
    figure = segment_trend_figure(*frames, d.metric, grain, labels, spec.currency)
    return html.Div(
        [
            dmc.Text(
                f"Top segment {top.label}: {top.before} → {top.after}, {grain} by {grain}",
                fw=600,
                mt="md",
                id=f"{TREND}-title",
            ),
            dcc.Graph(id=TREND, figure=figure, config={"displayModeBar": False}),
        ]
    )


def _series(metric: str, grain: str, days: DayRange, filters: tuple, view: DriversView) -> Any:
    kept, where = query_parts(filters)  # as the Explorer's query: conditions included
    query = MetricQuery(
        (metric,), grain, days.start, days.end, filters=kept, where=where, as_of=view.as_of
    )
    frame = serving().frame(query).frame
    return frame[frame["period"] <= days.end]


def _explorer_href(view: DriversView, result: Explanation, segment: tuple) -> str:
    """The Explorer on both ranges, by the segment's first dimension, filtered to the segment."""
    start, end = min(result.baseline.start, result.current.start), result.current.end
    grain = "day" if (end - start) <= timedelta(days=62) else "week"
    explorer = ExplorerView(
        view.metric,  # type: ignore[arg-type]  # resolved
        grain,
        "custom",
        start,
        end,
        "none",
        by=segment[0][0],
        filters=view.filters + segment_filters(segment),
        as_of=view.as_of,
    )
    return explorer.href()
