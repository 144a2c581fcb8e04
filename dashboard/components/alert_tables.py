"""The Alerts page's tables: the rules with each series' state, silences in force (with End),
deliveries that failed or are being retried (with their last error), and the history. Pure:
built from the board, no database, no request."""

from __future__ import annotations

from typing import Any

import dash_mantine_components as dmc
from dash import html

from alerts.model import Rule
from dashboard import ids
from dashboard.alert_board import Board
from dashboard.alert_words import (
    SEVERITY_COLOURS,
    STATE_COLOURS,
    STATE_WORDS,
    metric_title,
    period_text,
    shown_name,
    silence_text,
    span,
    value_text,
    when,
)
from dashboard.components.alert_cards import target_key
from dashboard.paths import shown
from dashboard.views import AlertsView, format_filters

EVENT_COLOURS = {**STATE_COLOURS, "resolved": "teal", "ack": "blue", "silence": "gray"}
NO_RULES = "No rules yet: add an `alerts:` section to metrics.yml — docs/alerts.md"
ERROR_SHOWN = 400  # characters of a delivery's last error in the table (all of it on hover)


def _table(head: list[str], rows: list[Any], table_id: str) -> dmc.Table:
    return dmc.Table(
        [html.Thead(html.Tr([html.Th(h) for h in head])), html.Tbody(rows)],
        id=table_id,
        highlightOnHover=True,
        horizontalSpacing="sm",
        fz="sm",
        className="ns-alert-table",
    )


def rules_table(board: Board, spec: Any) -> Any:
    if not board.rules:
        return dmc.Alert(NO_RULES, title="No alert rules", color="gray", id=ids.ALERTS_NO_RULES)
    return _table(
        ["Rule", "Watches", "Condition", "Severity", "Owners", "Channels", "State", ""],
        [_rule_row(board, rule, spec) for rule in board.rules],
        ids.ALERTS_RULES,
    )


def _rule_row(board: Board, rule: Rule, spec: Any) -> html.Tr:
    states = sorted(
        (s for (name, _), s in board.states.items() if name == rule.name),
        key=lambda s: s.series,
    )
    watches = metric_title(rule, spec)
    if rule.metric is not None:
        watches += f" · {rule.grain}"
    if rule.filters:
        watches += f" · {format_filters(rule.filters)}"
    if rule.split_by:
        watches += f" · each {rule.split_by}"
    expected = next((s.expected for s in states if s.expected), "")
    badges = [
        dmc.Badge(
            (f"{s.series}: " if s.series else "") + STATE_WORDS.get(s.state, s.state),
            color=STATE_COLOURS.get(s.state, "gray"),
            variant="light",
            tt="none",  # series name as written: `platform=ios`, not `PLATFORM=IOS`
            className="ns-alert-series-state",
        )
        for s in states
    ] or [dmc.Text("not checked yet", size="sm", c="dimmed")]
    file = shown(rule.file) if rule.file else ""  # never the server's directory layout
    where = f"{file}:{rule.line}" if file and rule.line else file
    return html.Tr(
        [
            html.Td(
                [dmc.Text(rule.name, fw=600, size="sm"), dmc.Text(where, size="xs", c="dimmed")]
            ),
            html.Td(watches),
            html.Td(expected or "—"),
            html.Td(
                dmc.Badge(rule.severity, color=SEVERITY_COLOURS.get(rule.severity, "gray")),
                className="ns-nowrap",
            ),
            html.Td(", ".join(rule.owners) or "—"),
            html.Td(", ".join(rule.channels)),
            html.Td(dmc.Group(badges, gap=4)),
            html.Td(
                dmc.Button(
                    "Silence",
                    id={"type": ids.ALERT_SILENCE_OPEN, "index": target_key(rule.name, None)},
                    size="compact-xs",
                    variant="subtle",
                )
            ),
        ],
        **{"data-rule": rule.name},
    )


def silences_table(board: Board, spec: Any) -> Any:
    if not board.silences:
        return dmc.Text("No silences in force.", size="sm", c="dimmed", id=ids.ALERTS_SILENCES)
    tz = getattr(spec, "time_zone", "UTC")
    rows = [
        html.Tr(
            [
                html.Td(f"#{s.id}"),
                html.Td(silence_text(s)),
                html.Td(f"{when(s.ends_at, tz, board.now)} (in {span(s.ends_at - board.now)})"),
                html.Td(s.comment or "—"),
                html.Td(s.created_by),
                html.Td(
                    dmc.Button(
                        "End",
                        id={"type": ids.ALERT_SILENCE_END, "index": s.id},
                        size="compact-xs",
                        color="red",
                        variant="light",
                    )
                ),
            ],
            **{"data-silence": str(s.id)},
        )
        for s in board.silences
    ]
    return _table(["", "Mutes", "Until", "Comment", "By", ""], rows, ids.ALERTS_SILENCES)


def deliveries_table(board: Board, spec: Any) -> Any:
    if not board.troubles:
        return dmc.Text(
            "Every notification of the last two weeks was delivered.",
            size="sm",
            c="dimmed",
            id=ids.ALERTS_DELIVERIES,
        )
    tz = getattr(spec, "time_zone", "UTC")
    rows = []
    for d in board.troubles:
        if d.status == "failed":
            status = dmc.Badge(f"failed after {d.attempts} tries", color="red", tt="none")
        else:
            status = dmc.Badge(
                f"retrying: {d.attempts} tries, next {when(d.next_attempt_at, tz, board.now)}",
                color="orange",
                variant="light",
                tt="none",
            )
        error = d.last_error or "(no error recorded)"
        rows.append(
            html.Tr(
                [
                    html.Td(when(d.created_at, tz, board.now)),
                    html.Td(d.channel),
                    html.Td(shown_name(d.rule or "weekly report", d.series or "")),
                    html.Td(d.kind),
                    html.Td(status),
                    html.Td(
                        error[:ERROR_SHOWN] + ("…" if len(error) > ERROR_SHOWN else ""),
                        title=error[:4000],
                        className="ns-alert-error",
                    ),
                ],
                **{"data-delivery": str(d.id)},
            )
        )
    return _table(
        ["Created", "Channel", "Alert", "Kind", "Status", "Last error"], rows, ids.ALERTS_DELIVERIES
    )


def history_filter(board: Board, view: AlertsView) -> dmc.Select:
    names = list(board.known_rules)
    if view.rule and view.rule not in names:
        names.append(view.rule)  # said in words under the filter; kept so the control shows it
    return dmc.Select(
        id=ids.ALERTS_HISTORY_RULE,
        data=[{"value": "", "label": "Every rule"}] + [{"value": n, "label": n} for n in names],
        value=view.rule or "",
        searchable=True,
        allowDeselect=False,
        w=280,
        size="sm",
        label="Rule",
    )


def history_table(board: Board, view: AlertsView, spec: Any) -> Any:
    if view.rule and view.rule not in board.known_rules:
        return dmc.Alert(
            f"No rule called {view.rule[:80]!r} is configured or in the history. "
            "Pick one from the list, or every rule.",
            title="Unknown rule",
            color="orange",
            id=ids.ALERTS_HISTORY,
        )
    if not board.history:
        words = f"No events of {view.rule} yet." if view.rule else "No alert events yet."
        return dmc.Text(words, size="sm", c="dimmed", id=ids.ALERTS_HISTORY)
    tz = getattr(spec, "time_zone", "UTC")
    rows = []
    for e in board.history:
        rule = board.rule(e.rule)
        change = (
            f"{e.from_state} → {e.to_state}" if e.from_state and e.to_state != e.from_state else ""
        )
        rows.append(
            html.Tr(
                [
                    html.Td(when(e.at, tz, board.now)),
                    html.Td(shown_name(e.rule, e.series)),
                    html.Td(
                        dmc.Badge(
                            e.event, color=EVENT_COLOURS.get(e.event, "gray"), variant="light"
                        )
                    ),
                    html.Td(change),
                    html.Td(value_text(e.value, rule, spec) if e.value is not None else ""),
                    html.Td(period_text(e.period, rule)),
                    html.Td(e.detail),
                    html.Td(e.who or ""),
                ]
            )
        )
    return _table(
        ["When", "Alert", "Event", "Change", "Value", "Period", "Detail", "Who"],
        rows,
        ids.ALERTS_HISTORY,
    )
