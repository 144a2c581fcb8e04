"""Plotly figures built from MetricFrames: pure functions, no queries, easy to unit-test."""

from __future__ import annotations

from typing import Any

import pandas as pd
import plotly.graph_objects as go

from analysis.targets import Targets, target_series  # noqa: F401  (re-exported)
from dashboard import theme
from dashboard.formatting import axis_format, format_value, period_label


def _hover(frame: pd.DataFrame, column: str, metric: Any, grain: str, currency: str) -> list:
    return [
        [period_label(p, grain), format_value(v, metric, currency) + (" (partial)" if part else "")]
        for p, v, part in zip(frame["period"], frame[column], frame["is_partial"], strict=True)
    ]


def _line(
    frame: pd.DataFrame,
    column: str,
    name: str,
    metric: Any,
    grain: str,
    currency: str,
    colour: str,
    **kw: Any,
) -> go.Scatter:
    return go.Scatter(
        x=list(frame["period"]),
        y=list(frame[column]),
        name=name,
        mode="lines+markers",
        line={"color": colour, "width": kw.pop("width", 2.5), "dash": kw.pop("dash", "solid")},
        marker={"size": kw.pop("marker_size", 6)},
        customdata=_hover(frame, column, metric, grain, currency),
        hovertemplate="%{customdata[1]}<extra>" + name + "</extra>",
        **kw,
    )


def _so_far(
    done: pd.DataFrame,
    partial: pd.DataFrame,
    metric: Any,
    grain: str,
    currency: str,
    colour: str,
    name: str,
    marker_size: int,
) -> go.Scatter:
    """The partial period(s): dotted from the last complete period, with open markers, so a
    period that is not over never reads as a collapse of the line."""
    trace = _line(
        pd.concat([done.tail(1), partial]),
        metric.name,
        name,
        metric,
        grain,
        currency,
        colour,
        dash="dot",
        marker_size=marker_size,
        showlegend=True,
    )
    trace.marker.update(symbol="circle-open")
    return trace


def trend_figure(
    frame: pd.DataFrame,
    metric: Any,
    grain: str,
    *,
    compare: str | None = None,
    targets: Targets | None = None,
    currency: str = "USD",
    dark: bool = False,
    font_size: int = 13,
    height: int = 360,
) -> go.Figure:
    """One metric over time; the partial current period dotted and labelled; optional target line."""
    name = metric.title
    fig = go.Figure()
    done = frame[~frame["is_partial"]]
    fig.add_trace(
        _line(
            done,
            name=name,
            column=metric.name,
            metric=metric,
            grain=grain,
            currency=currency,
            colour=theme.PRIMARY,
            width=3,
        )
    )
    partial = frame[frame["is_partial"]]
    if len(partial):
        fig.add_trace(
            _so_far(done, partial, metric, grain, currency, theme.PRIMARY, f"{name} (so far)", 9)
        )
        fig.add_vrect(
            x0=_partial_span(done, partial)[0],
            x1=_partial_span(done, partial)[1],
            fillcolor=theme.COMPARE,
            opacity=0.12,
            line_width=0,
            annotation_text="partial",
            annotation_position="top left",
        )
    compare_col = f"{metric.name}__compare"
    if compare and compare_col in frame:
        label = "Previous period" if compare == "previous" else "Last year"
        fig.add_trace(
            _line(
                frame,
                compare_col,
                label,
                metric,
                grain,
                currency,
                theme.COMPARE,
                dash="dash",
                width=1.5,
                marker_size=3,
            )
        )
    if targets:
        xs, ys = zip(*targets, strict=True)
        fig.add_trace(
            go.Scatter(
                x=list(xs),
                y=list(ys),
                name="Target",
                mode="lines",
                line={"color": theme.TARGET, "dash": "dash", "width": 2, "shape": "hv"},
                customdata=[[format_value(v, metric, currency)] for v in ys],
                hovertemplate="%{customdata[0]}<extra>Target</extra>",
            )
        )
    theme.styled(fig, dark, font_size)
    fig.update_layout(height=height, yaxis=axis_format(metric, currency))
    fig.update_xaxes(tickformat=_tick(grain))
    return fig


def breakdown_figure(
    frame: pd.DataFrame,
    metric: Any,
    grain: str,
    dimension: str,
    *,
    stacked: bool = False,
    currency: str = "USD",
    dark: bool = False,
    height: int = 380,
) -> go.Figure:
    """One line (or stacked area) per dimension value, each in its stable colour."""
    fig = go.Figure()
    values = list(dict.fromkeys(frame[dimension]))
    colours = theme.colour_map(values)
    for value in values:
        rows = frame[frame[dimension] == value]
        trace = _line(
            rows, metric.name, str(value), metric, grain, currency, colours[value], width=2
        )
        if stacked:
            trace.update(stackgroup="one", mode="lines")
        fig.add_trace(trace)
    theme.styled(fig, dark)
    fig.update_layout(height=height, yaxis=axis_format(metric, currency))
    fig.update_xaxes(tickformat=_tick(grain))
    partial = frame[frame["is_partial"]]
    if len(partial):
        fig.add_vrect(
            x0=_partial_span(frame[~frame["is_partial"]], partial)[0],
            x1=_partial_span(frame[~frame["is_partial"]], partial)[1],
            fillcolor=theme.COMPARE,
            opacity=0.12,
            line_width=0,
            annotation_text="partial",
            annotation_position="top left",
        )
    return fig


def sparkline(
    frame: pd.DataFrame,
    metric: Any,
    grain: str,
    *,
    currency: str = "USD",
    tone: str = "flat",
    dark: bool = False,
    height: int = 60,
) -> go.Figure:
    """A small line of the recent complete periods, colour by whether the last change is good;
    the partial current period dotted after it, as on the main trend."""
    colour = theme.TONE_HEX.get(tone, theme.PRIMARY)
    done, partial = frame[~frame["is_partial"]], frame[frame["is_partial"]]
    fig = go.Figure(
        _line(
            done, metric.name, metric.title, metric, grain, currency, colour, width=2, marker_size=3
        )
    )
    if len(partial):
        fig.add_trace(
            _so_far(done, partial, metric, grain, currency, colour, f"{metric.title} (so far)", 4)
        )
    fig.update_layout(
        height=height,
        margin={"l": 0, "r": 0, "t": 0, "b": 0},
        showlegend=False,
        paper_bgcolor="rgba(0,0,0,0)",
        plot_bgcolor="rgba(0,0,0,0)",
        xaxis={"visible": False},
        yaxis={"visible": False},
        template="plotly_dark" if dark else "plotly_white",
        hovermode="x",
    )
    return fig


def _tick(grain: str) -> str:
    return {"day": "%d %b", "week": "%d %b", "month": "%b %Y", "quarter": "Q%q %Y", "year": "%Y"}[
        grain
    ]


def _partial_span(done: pd.DataFrame, partial: pd.DataFrame) -> tuple[object, object]:
    """The shaded band of the partial period(s): from halfway after the last complete period."""
    first = pd.Timestamp(partial["period"].min())
    end = pd.Timestamp(partial["period"].max())
    if done.empty:
        return first, end
    half = (first - pd.Timestamp(done["period"].max())) / 2
    return first - half, end + half
