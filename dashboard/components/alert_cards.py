"""One card per unresolved series on the Alerts page: what fired, since when, the value against
the condition, why it moved (top segments, a link to the Drivers page), who owns it, and the
Acknowledge and Silence buttons. Pure: built from the board, no database, no request."""

from __future__ import annotations

import json
from typing import Any

import dash_mantine_components as dmc
from dash import dcc, html

from alerts.model import Rule, SeriesState
from dashboard import ids
from dashboard.alert_board import Board
from dashboard.alert_links import drivers_href, segment_lines
from dashboard.alert_words import (
    SEVERITY_COLOURS,
    STATE_COLOURS,
    STATE_WORDS,
    metric_title,
    period_text,
    shown_name,
    span,
    value_text,
    when,
)
from dashboard.formatting import format_delta


def target_key(rule: str, series: str | None) -> str:
    """A series (or, series None, a whole rule) as a button's id index."""
    return json.dumps([rule, series])


def alert_cards(board: Board, spec: Any, can_write: bool) -> Any:
    """The firing, failing and pending series, most serious first; words when there are none."""
    if not board.unresolved:
        return dmc.Alert(
            "Every rule's latest check was within its condition."
            if board.rules
            else "Nothing is watched yet, so nothing can fire.",
            title="No alerts are firing",
            color="teal",
            variant="light",
            id=ids.ALERTS_NONE_FIRING,
        )
    tz = getattr(spec, "time_zone", "UTC")
    return dmc.Stack(
        [card(board, s, spec, tz, can_write) for s in board.unresolved],
        gap="sm",
        id=ids.ALERTS_FIRING,
    )


def card(board: Board, state: SeriesState, spec: Any, tz: str, can_write: bool) -> dmc.Paper:
    rule = board.rule(state.rule)
    key = target_key(state.rule, state.series)
    payload = board.payloads.get((state.rule, state.series))
    severity = rule.severity if rule else (payload or {}).get("severity", "warning")
    owners = rule.owners if rule else tuple((payload or {}).get("owners") or ())
    silence = board.silence_of(state.rule, state.series)
    started = state.fired_at if state.state == "firing" and state.fired_at else state.since
    lines: list[Any] = [
        dmc.Group(
            [
                dmc.Badge(str(severity), color=SEVERITY_COLOURS.get(str(severity), "gray")),
                dmc.Badge(
                    STATE_WORDS.get(state.state, state.state),
                    color=STATE_COLOURS.get(state.state, "gray"),
                    variant="filled",
                    className="ns-alert-state",
                ),
                dmc.Text(shown_name(state.rule, state.series), fw=700, size="lg"),
                dmc.Text(metric_title(rule, spec), c="dimmed", size="sm"),
            ],
            gap="xs",
        ),
        dmc.Text(
            f"{STATE_WORDS.get(state.state, state.state)} since {when(started, tz, board.now)} "
            f"(for {span(board.now - started)})" + _pending_note(state, rule),
            size="sm",
            className="ns-alert-since",
        ),
    ]
    seen = _seen(state, rule, spec)
    if seen:
        lines.append(dmc.Text(seen, size="md", fw=600, className="ns-alert-value"))
    if state.detail:
        lines.append(dmc.Text(state.detail, size="sm", className="ns-alert-detail"))
    if rule is not None and rule.summary:
        lines.append(dmc.Text(rule.summary, size="sm", c="dimmed", fs="italic"))
    if rule is None and board.rules_problem is None:
        lines.append(
            dmc.Text(
                "This rule is no longer in metrics.yml; its state goes at the next check.",
                size="sm",
                c="orange",
            )
        )
    lines.append(dmc.Text(f"Owners: {', '.join(owners) or '—'}", size="sm"))
    why = _explanation(rule, state, payload, spec)
    if why is not None:
        lines.append(why)
    if state.acked_by:
        note = (
            f"Acknowledged by {state.acked_by} {span(board.now - state.acked_at)} ago"
            if (state.acked_at)
            else f"Acknowledged by {state.acked_by}"
        )
        lines.append(
            dmc.Text(
                note + (f": {state.ack_comment}" if state.ack_comment else ""),
                size="sm",
                c="teal",
                className="ns-alert-acked",
            )
        )
    if silence is not None:
        lines.append(
            dmc.Text(
                f"Silenced until {when(silence.ends_at, tz, board.now)} by {silence.created_by}"
                + (f": {silence.comment}" if silence.comment else ""),
                size="sm",
                c="dimmed",
                className="ns-alert-silenced",
            )
        )
    buttons = []
    if state.state == "firing" and not state.acked_by:
        buttons.append(
            dmc.Button(
                "Acknowledge",
                id={"type": ids.ALERT_ACK_OPEN, "index": key},
                size="xs",
                variant="filled" if can_write else "default",
            )
        )
    buttons.append(
        dmc.Button(
            "Silence",
            id={"type": ids.ALERT_SILENCE_OPEN, "index": key},
            size="xs",
            variant="default",
        )
    )
    lines.append(dmc.Group(buttons, gap="xs", mt=4))
    return dmc.Paper(
        dmc.Stack(lines, gap=4),
        withBorder=True,
        radius="md",
        p="md",
        className=f"ns-alert-card ns-alert-{state.state}",
        **{"data-rule": state.rule, "data-series": state.series},
    )


def _pending_note(state: SeriesState, rule: Rule | None) -> str:
    if state.state != "pending" or rule is None or rule.for_periods <= 1:
        return ""
    # `for` counts periods in breach (alerts.state), freshness rules count checks
    unit = "checks" if rule.metric is None else f"{rule.grain}s"
    return f"; {state.breaches} of the {rule.for_periods} {unit} in breach it needs to fire"


def _seen(state: SeriesState, rule: Rule | None, spec: Any) -> str:
    """`12,220 · expected above 13,000 · W11 · 9 Mar 2026`."""
    parts = []
    if state.value is not None:
        parts.append(value_text(state.value, rule, spec))
    if state.expected:
        parts.append(f"expected {state.expected}")
    period = period_text(state.period, rule)
    if period:
        parts.append(period)
    return " · ".join(parts)


def _explanation(rule: Rule | None, state: SeriesState, payload: dict | None, spec: Any) -> Any:
    """Why it moved: the top segments its notification carried, and the Drivers page."""
    segments = segment_lines(payload)
    href = drivers_href(rule, state, payload)
    if not segments and href is None:
        return None
    metric = spec.metric(rule.metric) if rule and rule.metric in spec.metric_names else None
    items = [html.Li(_segment_text(s, metric, spec)) for s in segments]
    return html.Div(
        [
            dmc.Text("Top segments", size="sm", fw=600) if items else None,
            html.Ol(items, className="ns-why-segments") if items else None,
            dcc.Link("Why did it move? →", href=href, className="ns-alert-why") if href else None,
        ],
        className="ns-alert-explanation",
    )


def _segment_text(segment: dict, metric: Any, spec: Any) -> str:
    change = segment.get("change")
    share = segment.get("share")
    text = str(segment["label"])
    if isinstance(change, int | float):
        amount = (
            format_delta(change, metric, spec.currency) if metric is not None else f"{change:+,.4g}"
        )
        text += f": {amount}"
    if isinstance(share, int | float):
        text += f" ({share * 100:.0f}% of the change)"
    if segment.get("effect"):
        text += f", {segment['effect']} effect"
    return text
