"""Alerts `/alerts`: what is firing and why, the rules and each series' state, silences, failed
deliveries and the history; Acknowledge, Silence and End silence for editors.

The layout is a function of the URL (`?rule=` narrows the history); the body is read from the
app database on every render (never from the view cache: alert state changes without a new
snapshot) and again after each write (the forms and writes: alert_actions.py). A database that
cannot be reached is a banner, never a failed page.
"""

from __future__ import annotations

from typing import Any

import dash
import dash_mantine_components as dmc
from dash import Input, Output, State, callback, dcc, html, no_update

from dashboard import alert_rules, ids
from dashboard.alert_board import Board, issue_lines, read_board
from dashboard.app_state import may_write, page_db, viewer_scope
from dashboard.app_state import now as clock
from dashboard.components.address_error import address_error
from dashboard.components.alert_cards import alert_cards
from dashboard.components.alert_tables import (
    deliveries_table,
    history_filter,
    history_table,
    rules_table,
    silences_table,
)
from dashboard.components.states import guarded, guarded_outputs, loading
from dashboard.pages.alert_actions import ack_form, served_spec, silence_form
from dashboard.serving import serving
from dashboard.url_state import UrlStateError, alerts_from_href, alerts_view, page_location
from dashboard.views import AlertsView

REFRESH_MS = 120_000  # the board is read again this often while the page is open


def layout(**params: object) -> html.Div:
    try:
        view = alerts_view(page_location(params)[1])
    except UrlStateError as exc:
        return address_error(exc, "/alerts", "the Alerts page")
    return html.Div(
        [
            dmc.Title("Alerts", order=2, mb="sm"),
            html.Div(id=ids.ALERTS_MESSAGE),
            dcc.Store(id=ids.ALERTS_VIEW, data=view.href()),
            dcc.Store(id=ids.ALERTS_REFRESH, data=0),
            dcc.Store(id=ids.ALERT_ACK_TARGET),
            dcc.Store(id=ids.ALERT_SILENCE_TARGET),
            dcc.Interval(id=ids.ALERTS_TICK, interval=REFRESH_MS),
            loading(ids.ALERTS_BODY),
            ack_form(),
            silence_form(),
        ]
    )


# -- the board ------------------------------------------------------------------------------


@callback(
    Output(ids.ALERTS_BODY, "children"),
    Input(ids.ALERTS_VIEW, "data"),
    Input(ids.ALERTS_REFRESH, "data"),
    Input(ids.ALERTS_TICK, "n_intervals"),
)
@guarded
def render_alerts(data: object, _refresh: object, _tick: object) -> list:
    """The board as the app database has it now."""
    view = alerts_from_href(data)
    scope = viewer_scope()
    if scope:
        return [_scoped_notice(scope)]
    spec, settings = served_spec(), serving().settings
    board = read_board(
        page_db,
        lambda: (
            alert_rules.configured_rules(settings.metrics, spec, settings.sources)
            if spec is not None
            else ()
        ),
        clock(),
        view.rule,
        settings.app_db,
    )
    return board_sections(board, view, spec, may_write())


def board_sections(board: Board, view: AlertsView, spec: Any, can_write: bool) -> list:
    """The page's body for a board: pure, so tests build it from a board they made."""
    tz = getattr(spec, "time_zone", "UTC")
    out: list[Any] = []
    if board.db_problem:
        out.append(
            dmc.Alert(
                [
                    html.Div(board.db_problem),
                    html.Div(
                        "Alert states, silences and history are kept in the app database; "
                        "the rules below come from metrics.yml.",
                    ),
                ],
                title="The app database cannot be reached",
                color="red",
                id=ids.ALERTS_DB_PROBLEM,
                mb="md",
                className="ns-banner",
            )
        )
    if board.rules_problem is not None:
        out.append(
            dmc.Alert(
                html.Ul([html.Li(line) for line in issue_lines(board.rules_problem)]),
                title="The alert rules in metrics.yml are invalid",
                color="orange",
                mb="md",
                className="ns-banner",
            )
        )
    if not can_write:
        out.append(
            dmc.Text(
                "You can read alerts; acknowledging and silencing need the editor role.",
                size="sm",
                c="dimmed",
                mb="xs",
            )
        )
    out += [
        _section("Firing and pending", alert_cards(board, spec, can_write)),
        _section("Rules", rules_table(board, spec)),
        _section("Silences in force", silences_table(board, spec)),
        _section("Failed deliveries", deliveries_table(board, spec)),
        _section(
            "History",
            dmc.Stack([history_filter(board, view), history_table(board, view, spec)], gap="xs"),
        ),
        dmc.Text(f"Times in {tz}.", size="xs", c="dimmed", mt="md"),
    ]
    return out


def _section(title: str, content: Any) -> html.Section:
    return html.Section([dmc.Title(title, order=4, mb="xs"), content], className="ns-alert-section")


def _scoped_notice(scope: dict) -> dmc.Alert:
    limits = "; ".join(f"{dim} = {', '.join(values)}" for dim, values in sorted(scope.items()))
    return dmc.Alert(
        "Alerts are checked over every row of the data; your account sees only "
        f"{limits}, so alert values are not shown to you. Ask an admin if you need them.",
        title="Alerts are company-wide",
        color="gray",
    )


@callback(
    Output(ids.PAGES_LOCATION, "href", allow_duplicate=True),
    Output(ids.ALERTS_MESSAGE, "children", allow_duplicate=True),
    Input(ids.ALERTS_HISTORY_RULE, "value"),
    State(ids.ALERTS_VIEW, "data"),
    prevent_initial_call=True,
)
@guarded_outputs(2)
def pick_history_rule(rule: object, data: object):  # type: ignore[no-untyped-def]
    """The history's rule picker → the address (the page re-renders from it)."""
    old = alerts_from_href(data)
    if rule is None:
        return no_update, no_update  # reported when mounted
    new = alerts_view({"rule": rule})
    return (no_update, no_update) if new == old else (new.href(), None)


# Registered last so the layout function exists (the pages are imported, not scanned).
dash.register_page(
    __name__, path="/alerts", title="Northstar · Alerts", name="Alerts", order=9, layout=layout
)
