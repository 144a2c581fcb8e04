"""The metric's recent values as a small PNG for the alert email (plotly + kaleido, Debian chromium).

The values come with the notification (the payload's `points`), so drawing needs no metric
layer. One `ChartRenderer` serves a batch of emails: its browser starts at the first chart
(~2-5 s) and is reused (~0.2 s a chart), then `close()` ends it; the browser is png_render's,
as the Explorer's PNG export and the weekly report use it.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import pandas as pd
import plotly.graph_objects as go

from png_render import ExportError, PngExporter

WIDTH, HEIGHT = 640, 260
_COLOURS = {"firing": "#d6336c", "repeat": "#d6336c", "resolved": "#2b8a3e"}
_LINE = "#1c7ed6"


class ChartError(RuntimeError):
    """The chart could not be drawn; the email goes out without it."""


def chart_frame(points: Sequence[Mapping[str, Any]]) -> pd.DataFrame:
    """The payload's points as a frame of period (datetime) and value (float, NaN for no data)."""
    frame = pd.DataFrame(list(points), columns=["period", "value"])
    frame["period"] = pd.to_datetime(frame["period"])
    frame["value"] = pd.to_numeric(frame["value"], errors="coerce")
    return frame.sort_values("period", ignore_index=True)


def alert_figure(
    frame: pd.DataFrame, *, title: str, period: str | None, kind: str = "firing"
) -> go.Figure:
    """A line of the metric's values with the alert's period marked."""
    figure = go.Figure(
        go.Scatter(
            x=frame["period"],
            y=frame["value"],
            mode="lines+markers",
            line={"color": _LINE, "width": 2},
            marker={"size": 4},
            name="value",
        )
    )
    if period is not None:
        at = frame[frame["period"] == pd.Timestamp(period)]
        if not at.empty:
            figure.add_trace(
                go.Scatter(
                    x=at["period"],
                    y=at["value"],
                    mode="markers",
                    marker={"size": 12, "color": _COLOURS.get(kind, "#d6336c")},
                    name="this alert",
                )
            )
    figure.update_layout(
        title={"text": title, "font": {"size": 14}},
        showlegend=False,
        margin={"l": 50, "r": 20, "t": 40, "b": 35},
        plot_bgcolor="white",
        paper_bgcolor="white",
    )
    figure.update_xaxes(showgrid=False, tickformat="%b %d")
    if len(frame) <= 12:  # few periods: tick each one at its own start, not plotly's choice
        figure.update_xaxes(tickvals=list(frame["period"]))
    figure.update_yaxes(gridcolor="#e9ecef", separatethousands=True)
    return figure


class ChartRenderer:
    """Turns figures into PNG bytes with one kaleido browser for a batch of emails, started at
    the first chart (png_render.PngExporter: its own event-loop thread, so it works whatever
    loop the caller's thread runs)."""

    def __init__(self) -> None:
        self._exporter = PngExporter()

    @property
    def starts(self) -> int:  # browsers started (one unless a browser failed)
        return self._exporter.starts

    def png(self, figure: go.Figure, width: int = WIDTH, height: int = HEIGHT) -> bytes:
        try:
            return self._exporter.png(figure, width, height)
        except ExportError as exc:
            raise ChartError(
                f"could not draw the chart ({exc.__cause__.__class__.__name__})"
            ) from exc

    def close(self) -> None:
        self._exporter.close()
