"""A key result's sparkline: its values through the quarter against the pace line (a straight line
from the baseline on the first day to the target on the last), the target dotted at the end."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from datetime import date

import plotly.graph_objects as go

from dashboard import theme
from okrs.quarters import Quarter

PACE = "#ADB5BD"
COLOURS = {"green": "#2F9E44", "yellow": "#F08C00", "red": "#E03131", None: theme.PRIMARY}


def okr_sparkline(
    points: Sequence[tuple[date, float]],
    quarter: Quarter,
    baseline: float,
    target: float,
    shown: Callable[[float], str],
    colour: str | None = None,
    height: int = 64,
) -> go.Figure:
    """`points` (day, value) over the whole quarter's width; `shown` formats a value for hovers."""
    start, end = quarter.start, quarter.last_day
    fig = go.Figure(
        go.Scatter(
            x=[start, end],
            y=[baseline, target],
            mode="lines",
            line={"color": PACE, "width": 1.5, "dash": "dot"},
            hovertext=[f"baseline {shown(baseline)}", f"target {shown(target)}"],
            hoverinfo="text",
            name="pace",
        )
    )
    if points:
        days = [d for d, _ in points]
        values = [v for _, v in points]
        fig.add_trace(
            go.Scatter(
                x=days,
                y=values,
                mode="lines+markers",
                line={"color": COLOURS.get(colour, theme.PRIMARY), "width": 2},
                marker={"size": 4},
                hovertext=[f"{d:%d %b}: {shown(v)}" for d, v in points],
                hoverinfo="text",
                name="value",
            )
        )
    fig.update_layout(
        height=height,
        margin={"l": 0, "r": 0, "t": 4, "b": 4},
        showlegend=False,
        paper_bgcolor="rgba(0,0,0,0)",
        plot_bgcolor="rgba(0,0,0,0)",
        xaxis={"visible": False, "range": [start, end]},
        yaxis={"visible": False},
        template="plotly_white",
        hovermode="closest",
    )
    return fig
