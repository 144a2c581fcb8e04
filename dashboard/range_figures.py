"""Grain `all`: one value over the whole range, so a bar per breakdown value (or one bar), beside
the comparison range's bar, instead of a line with a single point. Pure: no queries."""

from __future__ import annotations

from datetime import date
from typing import Any

import pandas as pd
import plotly.graph_objects as go

from dashboard import theme
from dashboard.formatting import axis_format, format_value, range_label

COMPARE_WORDS = {"previous": "Previous range", "last_year": "Same range last year"}


def range_figure(
    frame: pd.DataFrame,
    metric: Any,
    start: date,
    end: date,
    *,
    dimension: str | None = None,
    compare: str | None = None,
    currency: str = "USD",
    dark: bool = False,
    height: int = 360,
) -> go.Figure:
    """Bars of `metric` over the days start..end (inclusive), one per `dimension` value, largest
    first; a partial range (today is in it) is labelled "so far"."""
    rows = frame.sort_values(metric.name, ascending=False, na_position="last", kind="stable")
    partial = bool(rows["is_partial"].any())
    label = range_label(start, end) + (" (so far)" if partial else "")
    keys = [str(v) for v in rows[dimension]] if dimension else [label]
    colours = theme.colour_map(keys) if dimension else {label: theme.PRIMARY}
    fig = go.Figure()
    fig.add_trace(
        _bars(rows, metric.name, keys, label, [colours[k] for k in keys], metric, currency)
    )
    compare_col = f"{metric.name}__compare"
    if compare and compare_col in rows:
        name = COMPARE_WORDS.get(compare, "Compared with")
        fig.add_trace(_bars(rows, compare_col, keys, name, theme.COMPARE, metric, currency))
    theme.styled(fig, dark)
    fig.update_layout(
        height=height,
        barmode="group",
        bargap=0.25 if dimension else 0.6,  # one group alone: keep its bars from filling the page
        yaxis=axis_format(metric, currency),
        xaxis={"type": "category", "title": dimension.replace("_", " ") if dimension else None},
        showlegend=bool(compare and compare_col in rows),
    )
    return fig


def _bars(
    rows: pd.DataFrame,
    column: str,
    keys: list[str],
    name: str,
    colour: str | list[str],
    metric: Any,
    currency: str,
) -> go.Bar:
    texts = [format_value(v, metric, currency) for v in rows[column]]
    return go.Bar(
        x=keys,
        y=[None if pd.isna(v) else float(v) for v in rows[column]],
        name=name,
        marker={"color": colour},
        text=texts,
        textposition="outside",
        cliponaxis=False,
        customdata=texts,
        hovertemplate="%{x}: %{customdata}<extra>" + name + "</extra>",
    )
