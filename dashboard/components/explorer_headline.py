"""The Explorer's headline (latest complete period, its value and change) and its notes."""

from __future__ import annotations

import dash_mantine_components as dmc
from dash import html

from dashboard.formatting import (
    change_tone,
    format_change,
    format_value,
    period_label,
    relative_change,
)


def unknown_values_note(dimension: str, values: list[str]) -> dmc.Alert:
    return dmc.Alert(
        f"{dimension} has no value {', '.join(repr(v) for v in values)} in this range: "
        "the filter is applied as written, so it matches nothing. Values are case-sensitive.",
        title="A filter value is not in the data",
        color="yellow",
        variant="light",
        mb="sm",
        className="ns-filter-note",
    )


def explorer_headline(res) -> dmc.Group | None:  # type: ignore[no-untyped-def]
    frame, metric = res.shown, res.metric
    done = frame[~frame["is_partial"]]
    if done.empty:
        return None
    row = done.iloc[-1]
    compare = row.get(f"{metric.name}__compare")
    change = relative_change(row[metric.name], compare)
    tone = change_tone(change, metric.direction)
    label = {"previous": "vs previous", "last_year": "vs last year"}.get(res.view.compare)
    return dmc.Group(
        [
            dmc.Text(period_label(row["period"], res.view.grain), c="dimmed"),
            html.Span(
                format_value(row[metric.name], metric, res.currency),
                id="explorer-value",
                className="ns-card-value",
            ),
            dmc.Badge(
                f"{format_change(change)} {label}",
                color={"good": "teal", "bad": "red"}.get(tone, "gray"),
                variant="light",
                size="lg",
            )
            if label
            else None,
        ],
        mb="sm",
        align="baseline",
    )
