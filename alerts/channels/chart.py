"""The metric's recent values as a small PNG for the alert email (plotly + kaleido, Debian chromium).

The values come with the notification (the payload's `points`), so drawing needs no metric
layer. One `ChartRenderer` serves a batch of emails: its browser starts at the first chart
(~2-5 s) and is reused (~0.2 s a chart), then `close()` ends it. alerts/ must not import the
dashboard, so this is a small sibling of dashboard/png_export.py: the same kaleido settings
(MathJax off, which would load from a CDN), run on the caller's thread since sends are sequential.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import Mapping, Sequence
from typing import Any

import pandas as pd
import plotly.graph_objects as go

WIDTH, HEIGHT = 640, 260
TIMEOUT = 60.0  # seconds for one chart, browser start included: generous for a busy machine
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
    """Turns figures into PNG bytes with one kaleido browser, started at the first chart."""

    def __init__(self) -> None:
        self._loop: asyncio.AbstractEventLoop | None = None
        self._browser: Any = None
        self.starts = 0  # browsers started (one unless a browser failed)

    def png(self, figure: go.Figure, width: int = WIDTH, height: int = HEIGHT) -> bytes:
        if self._loop is None:
            self._loop = asyncio.new_event_loop()
        opts = {"format": "png", "width": width, "height": height, "scale": 1}
        try:
            return self._loop.run_until_complete(
                asyncio.wait_for(self._render(figure, opts), TIMEOUT)
            )
        except Exception as exc:
            self._discard()
            raise ChartError(f"could not draw the chart ({type(exc).__name__})") from exc

    async def _render(self, figure: go.Figure, opts: dict) -> bytes:
        if self._browser is None:
            import kaleido  # loads choreographer and friends only when an email needs a chart

            browser = kaleido.Kaleido(n=1, mathjax=False, timeout=TIMEOUT)
            await browser.open()
            self._browser = browser
            self.starts += 1
        return await self._browser.calc_fig(figure, opts=opts)

    def _discard(self) -> None:
        browser, self._browser = self._browser, None
        if browser is not None and self._loop is not None:
            with contextlib.suppress(Exception):  # a browser that died has nothing to close
                self._loop.run_until_complete(asyncio.wait_for(browser.close(), 10))

    def close(self) -> None:
        self._discard()
        if self._loop is not None:
            self._loop.close()
            self._loop = None
