"""The Explorer's headline (latest complete period, its value and change) and its notes."""

from __future__ import annotations

import dash_mantine_components as dmc
from dash import html

from dashboard.formatting import (
    change_tone,
    format_change,
    format_value,
    period_label,
    range_label,
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


_VS = {"previous": "vs previous", "last_year": "vs last year"}


def range_headline(res) -> dmc.Group | None:  # type: ignore[no-untyped-def]
    """Grain `all`: the range's days, its one value and its change against the comparison range;
    a range that holds today is "so far", its comparison shown but no change (today is not over,
    so a change would compare a part with a whole)."""
    frame, metric = res.shown, res.metric
    if frame.empty:
        return None
    row = frame.iloc[0]
    partial = bool(row["is_partial"])
    compare = row.get(f"{metric.name}__compare")
    label = _VS.get(res.view.compare)
    days = range_label(res.result.start, res.range_end) + (" · so far" if partial else "")
    if label is None or compare is None:
        after = None
    elif partial:
        after = dmc.Text(
            f"{label}: {format_value(compare, metric, res.currency)} "
            "(no change shown until the range is over)",
            c="dimmed",
            size="sm",
            id="explorer-compare-value",
        )
    else:
        change = relative_change(row[metric.name], compare)
        tone = change_tone(change, metric.direction)
        after = dmc.Badge(
            f"{format_change(change)} {label}",
            color={"good": "teal", "bad": "red"}.get(tone, "gray"),
            variant="light",
            size="lg",
            id="explorer-change",
        )
    return dmc.Group(
        [
            dmc.Text(days, c="dimmed", id="explorer-range-label"),
            html.Span(
                format_value(row[metric.name], metric, res.currency),
                id="explorer-value",
                className="ns-card-value",
            ),
            after,
        ],
        mb="sm",
        align="baseline",
    )


def explorer_headline(res) -> dmc.Group | None:  # type: ignore[no-untyped-def]
    frame, metric = res.shown, res.metric
    if res.view.grain == "all":
        return range_headline(res)
    done = frame[~frame["is_partial"]]
    if done.empty:
        return None
    row = done.iloc[-1]
    compare = row.get(f"{metric.name}__compare")
    change = relative_change(row[metric.name], compare)
    tone = change_tone(change, metric.direction)
    label = _VS.get(res.view.compare)
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
