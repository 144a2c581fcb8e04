"""Figures of an explanation: the drivers' waterfall and a segment's trend in both ranges.

Pure functions of WhyDisplay rows and frames, in the project's template (dashboard.theme) and with
numbers written by the production formatter, like every other chart.
"""

from __future__ import annotations

from typing import Any

import pandas as pd
import plotly.graph_objects as go

from dashboard import theme
from dashboard.formatting import axis_format, format_value, period_label, range_label
from dashboard.why_rows import NOT_EXPLAINED, WhyDisplay


def waterfall_figure(
    d: WhyDisplay,
    currency: str,
    *,
    dark: bool = False,
    font_size: int = 13,
    height: int | None = 360,
) -> go.Figure:
    """Before, each driver's contribution (and what the tree leaves over), after: the bars add up
    to the change exactly, and each is labelled in the metric's unit."""
    rows = d.exact_drivers
    metric = d.metric
    before, after = (
        format_value(d.before, metric, currency),
        format_value(d.after, metric, currency),
    )
    good, bad = (
        (theme.TONE_HEX["good"], theme.TONE_HEX["bad"])
        if metric.direction == "higher"
        else (theme.TONE_HEX["bad"], theme.TONE_HEX["good"])
    )
    bottom, top = y_range(d)

    # how tall each bar is on screen: totals stand on zero, or are cut at the axis's bottom
    def shown(total: float) -> float:
        return abs(total) if bottom <= 0 else total - bottom

    visible = [shown(d.before), *(abs(r.contribution or 0.0) for r in rows), shown(d.after)]
    figure = go.Figure(
        go.Waterfall(
            x=[
                _wrap(_range(d.baseline)),
                *(_wrap(r.label) for r in rows),
                _wrap(_range(d.current)),
            ],
            y=[d.before, *(r.contribution for r in rows), d.after],
            measure=["absolute", *["relative"] * len(rows), "total"],
            text=[before, *(r.text for r in rows), after],
            # A label fits inside a tall bar; a short one's sits outside (above, or below a fall).
            textposition=["inside" if v >= 0.15 * (top - bottom) else "outside" for v in visible],
            insidetextfont={"color": "#ffffff"},
            textangle=0,
            cliponaxis=False,
            customdata=["before", *(_hover(r.label) for r in rows), "after"],
            hovertemplate="%{x}: %{text} (%{customdata})<extra></extra>",
            connector={"line": {"color": theme.COMPARE, "width": 1}},
            increasing={"marker": {"color": good}},
            decreasing={"marker": {"color": bad}},
            totals={"marker": {"color": theme.PRIMARY}},
        )
    )
    theme.styled(figure, dark, font_size)
    figure.update_layout(
        height=height,
        showlegend=False,
        hovermode="closest",
        margin={"l": 10, "r": 10, "t": 10 + font_size, "b": 10},
        yaxis={
            **axis_format(metric, currency),
            "title": None,
            "range": [bottom, top],
            "rangemode": "normal",
        },
    )
    return figure


def y_range(d: WhyDisplay) -> tuple[float, float]:
    """The axis from zero, unless the change is small beside the level (9,000 orders, −540): then
    from just under the lowest running total, so the contributions are bars, not hairlines (the
    before and after bars are cut, as in any waterfall of a KPI's change)."""
    totals = [d.before]
    for r in d.exact_drivers:
        totals.append(totals[-1] + (r.contribution or 0.0))
    totals.append(d.after)
    lo, hi = min(totals), max(totals)
    spread = (hi - lo) or abs(hi) or 1.0
    if lo > 0 and spread < 0.5 * hi:
        bottom = max(0.0, lo - 0.6 * spread)
    else:
        bottom = min(0.0, lo - 0.15 * spread) if lo < 0 else 0.0
    # room for labels above the highest bar and below a fall that ends near the bottom
    span = hi - bottom or 1.0
    return bottom - (
        0.12 * span if bottom == 0 and _falls_low(d, totals, span) else 0.0
    ), hi + 0.15 * span


def _falls_low(d: WhyDisplay, totals: list[float], span: float) -> bool:
    ends = totals[1:-1]
    return any(
        (r.contribution or 0.0) < 0 and end < 0.15 * span
        for r, end in zip(d.exact_drivers, ends, strict=True)
    )


def _hover(label: str) -> str:
    return "left over by the tree's relation" if label == NOT_EXPLAINED else "contribution"


def segment_trend_figure(
    current: pd.DataFrame,
    baseline: pd.DataFrame,
    metric: Any,
    grain: str,
    labels: tuple[str, str],
    currency: str,
    *,
    dark: bool = False,
    height: int = 260,
) -> go.Figure:
    """The segment's values per day (or week) of the current range over those of the range it is
    compared with, laid on one axis by position in the range ("day 3" of each)."""
    figure = go.Figure()
    for frame, label, colour, dash in (
        (baseline, labels[1], theme.COMPARE, "dash"),
        (current, labels[0], theme.PRIMARY, "solid"),
    ):
        values = list(frame[metric.name])
        figure.add_trace(
            go.Scatter(
                x=list(range(1, len(frame) + 1)),
                y=values,
                name=label,
                mode="lines+markers",
                line={"color": colour, "dash": dash, "width": 2.5},
                customdata=[
                    [period_label(p, grain), format_value(v, metric, currency)]
                    for p, v in zip(frame["period"], values, strict=True)
                ],
                hovertemplate="%{customdata[0]}: %{customdata[1]}<extra>" + label + "</extra>",
            )
        )
    theme.styled(figure, dark)
    figure.update_layout(
        height=height,
        hovermode="closest",
        margin={"l": 10, "r": 10, "t": 10, "b": 10},
        yaxis=axis_format(metric, currency),
        xaxis={"title": f"{grain} of the range", "dtick": 1},
        legend={"orientation": "h", "y": 1.02, "yanchor": "bottom", "x": 0},
    )
    return figure


def _range(r: Any) -> str:
    return range_label(r.start, r.end)


def _wrap(label: str, width: int = 12) -> str:
    """A long category label on two or more lines, so plotly does not tilt every label."""
    lines: list[str] = []
    for word in label.split(" "):
        if lines and len(lines[-1]) + 1 + len(word) <= width:
            lines[-1] += " " + word
        else:
            lines.append(word)
    return "<br>".join(lines)
