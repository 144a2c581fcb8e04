"""The report's trend chart: the Overview's figure (dashboard.figures.trend_figure) of the
complete weeks against the previous week and the target, as a PNG (kaleido, through the one
Chromium per process that png_render keeps)."""

from __future__ import annotations

import base64

from dashboard.figures import trend_figure
from png_render import ExportError, figure_png
from report.content import WeeklyReport
from report.pdf import PdfError

# Drawn large with a large font and shown at the page's width (~180 mm): sharp in print.
WIDTH, HEIGHT, FONT = 1400, 580, 26


class ChartError(PdfError):
    """The trend chart could not be drawn (so neither can the report)."""


def trend_png(report: WeeklyReport) -> bytes:
    figure = trend_figure(
        report.trend,
        report.summary.metric,
        "week",
        compare="previous",
        targets=report.targets,
        currency=report.spec.currency,
        font_size=FONT,
        height=HEIGHT,
    )
    # A printed chart has no hover: the legend says what each line is, above the plot, and the
    # ticks fall on the weeks' first days (every other week), as the caption names them.
    figure.update_traces(selector={"name": "Previous period"}, name="Previous week")
    figure.update_layout(
        legend={"orientation": "h", "y": 1.02, "yanchor": "bottom", "x": 0},
        margin={"l": 10, "r": 20, "t": 60, "b": 10},
    )
    periods = list(report.trend["period"])[::-1][::2][::-1]  # the report's week always labelled
    figure.update_xaxes(tickmode="array", tickvals=periods, tickformat="%-d %b")
    try:
        return figure_png(figure, WIDTH, HEIGHT)
    except ExportError as exc:
        cause = exc.__cause__ or exc
        first = str(cause).strip().splitlines()[0] if str(cause).strip() else ""
        raise ChartError(
            f"the report's trend chart could not be drawn ({type(cause).__name__}: {first}); "
            "kaleido draws it with Chromium: `make browser` installs Debian's chromium"
        ) from exc


def data_uri(png: bytes) -> str:
    return "data:image/png;base64," + base64.b64encode(png).decode("ascii")
