"""Review mode's alerts slide: what is firing now and what resolved this week, in type readable
from the back of the room. Pure: built from states and events, no database."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
from typing import Any

from dash import html

from alerts.model import Rule, SeriesState
from dashboard.alert_words import SEVERITY_COLOURS, shown_name, span, value_text, when

SHOWN = 6  # items per column; more would not fit a TV (the count says how many there are)
TONES = {"red": "#FA5252", "orange": "#FD7E14", "blue": "#4DABF7", "gray": "#ADB5BD"}


def alerts_slide(
    firing: list[SeriesState],
    resolved: list[Any],
    rules: Mapping[str, Rule],
    spec: Any,
    now: datetime,
) -> list:
    """Title, the firing alerts (most serious first) and this week's resolved ones."""
    tz = getattr(spec, "time_zone", "UTC")
    order = {"critical": 0, "warning": 1, "info": 2}

    def severity(state: SeriesState) -> str:
        rule = rules.get(state.rule)
        return rule.severity if rule else "warning"

    firing = sorted(firing, key=lambda s: (order.get(severity(s), 3), s.since))
    left = [html.Div(f"Firing now ({len(firing)})", className="ns-review-why-heading")]
    if firing:
        left += [
            _firing_item(s, rules.get(s.rule), severity(s), spec, tz, now) for s in firing[:SHOWN]
        ]
        if len(firing) > SHOWN:
            left.append(
                html.Div(f"and {len(firing) - SHOWN} more on /alerts", className="ns-slide-more")
            )
    else:
        left.append(
            html.Div("No alerts are firing", className="ns-slide-calm", id="review-no-alerts")
        )
    right = [html.Div(f"Resolved this week ({len(resolved)})", className="ns-review-why-heading")]
    if resolved:
        right += [_resolved_item(e, tz, now) for e in resolved[:SHOWN]]
        if len(resolved) > SHOWN:
            right.append(html.Div(f"and {len(resolved) - SHOWN} more", className="ns-slide-more"))
    else:
        right.append(html.Div("Nothing resolved this week.", className="ns-slide-note"))
    return [
        html.Div(
            "Alerts", className="ns-review-title", id="review-title", **{"data-metric": "alerts"}
        ),
        html.Div(
            [
                html.Div(left, style={"flex": "1 1 58%", "minWidth": 0}, id="review-firing"),
                html.Div(right, style={"flex": "1 1 42%", "minWidth": 0}, id="review-resolved"),
            ],
            style={"display": "flex", "gap": "48px", "alignItems": "flex-start"},
        ),
    ]


def _firing_item(
    state: SeriesState, rule: Rule | None, severity: str, spec: Any, tz: str, now: datetime
) -> html.Div:
    started = state.fired_at or state.since
    seen = [value_text(state.value, rule, spec)] if state.value is not None else []
    if state.expected:
        seen.append(f"expected {state.expected}")
    lines = [
        html.Div(
            [
                html.Span(
                    "●", style={"color": TONES.get(SEVERITY_COLOURS.get(severity, ""), "#ADB5BD")}
                ),
                " ",
                shown_name(state.rule, state.series),
            ],
            className="ns-slide-alert-name",
        ),
        html.Div(" · ".join(seen), className="ns-slide-alert-value") if seen else None,
        html.Div(state.detail, className="ns-slide-alert-detail") if state.detail else None,
        html.Div(
            " · ".join(
                [severity, f"since {when(started, tz, now)} ({span(now - started)})"]
                + ([f"owners {', '.join(rule.owners)}"] if rule and rule.owners else [])
                + ([f"acknowledged by {state.acked_by}"] if state.acked_by else [])
            ),
            className="ns-slide-note",
        ),
    ]
    return html.Div(lines, className="ns-slide-alert")


def _resolved_item(event: Any, tz: str, now: datetime) -> html.Div:
    return html.Div(
        [
            html.Div(shown_name(event.rule, event.series), className="ns-slide-alert-name"),
            html.Div(f"resolved {when(event.at, tz, now)}", className="ns-slide-note"),
        ],
        className="ns-slide-alert ns-slide-resolved",
    )
