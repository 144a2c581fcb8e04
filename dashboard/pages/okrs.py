"""OKRs `/okrs`: a quarter's objectives as the alignment tree, scored from the metric layer.

The layout is a function of the URL (`?quarter=2026-Q4`, `?as_of=`); the quarter picker writes a
new URL and nothing else. The board is drawn by a callback that is never cached (it shows
check-ins and depends on who may write): scores from the served snapshot's numbers (a user's
scope applies), manual values and history from the app database. A check-in is saved by a
signed-in editor (or anyone with sign-in off, audited as `local`); a viewer is told why not.
"""

from __future__ import annotations

from typing import Any

import dash
import dash_mantine_components as dmc
from dash import ALL, Input, Output, State, callback, dcc, html, no_update

from appdb.models import utc_now
from dashboard import ids
from dashboard.components.address_error import address_error
from dashboard.components.okr_board import board_header, objective_tree
from dashboard.components.states import empty_state, error_state, guarded, guarded_outputs, loading
from dashboard.okr_db import client_address, okr_db, writer
from dashboard.serving import serving
from dashboard.url_state import UrlStateError, okrs_from_href, okrs_view, page_location
from dashboard.views import OkrsView
from metric_layer.errors import SpecError
from okrs.board import default_quarter
from okrs.model import OkrError, OkrsConfig
from okrs.quarter_board import quarter_board
from okrs.quarters import Quarter
from okrs.spec import load_okrs
from okrs.store import add_check_in, recorded_values

OKRS_SHOWN = "okrs-shown"  # store in the body: the quarter the board shows


def layout(**params: object) -> html.Div:
    try:
        view = okrs_view(page_location(params)[1])
    except UrlStateError as exc:
        return address_error(exc, "/okrs", "OKRs")
    return html.Div(
        [
            dmc.Title("OKRs", order=2, mb="sm"),
            dcc.Store(id=ids.OKRS_VIEW, data=view.href()),
            dcc.Store(id=ids.OKRS_REFRESH, data=0),
            html.Div(id=ids.OKRS_MESSAGE),
            loading(ids.OKRS_BODY),
        ]
    )


def _config() -> OkrsConfig:
    """The OKRs beside the live metrics.yml, checked against the served spec (all of it: a
    user's scope narrows numbers, not which objectives exist)."""
    return load_okrs(serving().settings.metrics, serving().snapshot().service.spec)


@callback(
    Output(ids.OKRS_BODY, "children"),
    Input(ids.OKRS_VIEW, "data"),
    Input(ids.OKRS_REFRESH, "data"),
)
@guarded
def render_okrs(data: object, _refresh: object) -> Any:
    """The quarter's board as of the view's day, with every check-in."""
    view = okrs_from_href(data)
    snap = serving().snapshot()
    spec = snap.service.spec
    try:
        config = _config()
    except SpecError as exc:
        return error_state("\n".join(str(i) for i in exc.issues), "The OKRs cannot be read")
    today = snap.service.today(view.as_of)
    quarter = view.quarter or default_quarter(config, today)
    db = okr_db()
    recorded = []
    if db is not None:
        with db.session() as session:
            recorded = recorded_values(session, str(quarter))
    # the review slide and the weekly report build the board with the same function
    board = quarter_board(config, quarter, today, serving().frame, db, spec.time_zone)
    quarters = sorted({*config.quarters(), Quarter.of(today), quarter})
    head = [dcc.Store(id=OKRS_SHOWN, data=str(quarter)), board_header(board, quarters)]
    if not config.defined:
        return [
            *head,
            empty_state(
                "No OKRs yet.",
                "Write objectives and their key results in an `okrs:` section of metrics.yml "
                "or in okrs.yml beside it (README, OKRs); this page then scores them from the "
                "metric layer.",
            ),
        ]
    if not board.roots:
        others = ", ".join(str(q) for q in config.quarters())
        return [
            *head,
            empty_state(
                f"No objectives for {quarter}.",
                f"Quarters with objectives: {others}. Pick one above, or add objectives with "
                f"`quarter: {quarter}`.",
            ),
        ]
    name, refusal = writer()
    tree = objective_tree(
        board,
        spec,
        may_write=name is not None,
        refusal=refusal,
        recorded=recorded,
        as_of=view.as_of,
    )
    return [*head, tree]


@callback(
    Output(ids.PAGES_LOCATION, "href", allow_duplicate=True),
    Output(ids.OKRS_MESSAGE, "children", allow_duplicate=True),
    Input(ids.OKRS_QUARTER, "value"),
    State(OKRS_SHOWN, "data"),
    State(ids.OKRS_VIEW, "data"),
    prevent_initial_call=True,
)
@guarded_outputs(2)
def choose_quarter(value: object, shown: object, data: object):  # type: ignore[no-untyped-def]
    """The quarter picker → the address (the page re-renders from it), as-of day kept."""
    view = okrs_from_href(data)
    if not value or value == shown:
        return no_update, no_update  # a mounted picker reports its value: not a change
    quarter = Quarter.parse(value)
    return OkrsView(quarter, view.as_of).href(), None


FIELDS = (
    ids.OKR_CHECKIN_VALUE,
    ids.OKR_CHECKIN_CONFIDENCE,
    ids.OKR_CHECKIN_OBSTACLES,
    ids.OKR_CHECKIN_HELP,
    ids.OKR_CHECKIN_COMMENT,
)


@callback(
    Output(ids.OKRS_MESSAGE, "children"),
    Output(ids.OKRS_REFRESH, "data"),
    Input({"type": ids.OKR_CHECKIN_SAVE, "kr": ALL}, "n_clicks"),
    *[State({"type": kind, "kr": ALL}, "value") for kind in FIELDS],
    State(ids.OKRS_REFRESH, "data"),
    prevent_initial_call=True,
)
@guarded_outputs(2)
def save_check_in(*_args: object):  # type: ignore[no-untyped-def]
    """One key result's form → a check-in in the app database (editors only), then the board
    redraws with it."""
    ref = _clicked()
    if ref is None:
        return no_update, no_update  # a form appeared (the board redrew): nothing was clicked
    name, refusal = writer()
    if name is None:
        return dmc.Alert(
            refusal, title="Check-in not saved", color="orange", id="okrs-refused"
        ), no_update
    try:
        saved, title = _save(ref, name)
    except OkrError as exc:  # a value for a measured key result, a confidence of 11…
        return dmc.Alert(
            str(exc), title="Check-in not saved", color="orange", id="okrs-refused"
        ), no_update
    said = [
        f"value {saved.value:g}" if saved.value is not None else "",
        f"confidence {saved.confidence}/10" if saved.confidence is not None else "",
    ]
    what = ", ".join(s for s in said if s) or "comments"
    refresh = dash.ctx.states.get(f"{ids.OKRS_REFRESH}.data")
    bumped = (refresh if isinstance(refresh, int) else 0) + 1
    return (
        dmc.Alert(
            f"Checked in on {title} ({what}) as {name}.",
            title="Check-in saved",
            color="green",
            id="okrs-saved",
        ),
        bumped,
    )


def _save(ref: str, name: str):  # type: ignore[no-untyped-def]
    """The check-in of the clicked form, written; (the check-in, the key result's title)."""
    objective, kr = _config().key_result(ref.replace("--", "."))
    values = {kind: _state_value(kind, ref) for kind in FIELDS}
    db = okr_db(for_write=True)
    assert db is not None  # a write opens (and makes) the database
    with db.session() as session:
        saved = add_check_in(
            session,
            objective,
            kr,
            who=name,
            at=utc_now(),
            value=values[ids.OKR_CHECKIN_VALUE],
            confidence=values[ids.OKR_CHECKIN_CONFIDENCE],
            obstacles=values[ids.OKR_CHECKIN_OBSTACLES],
            help_needed=values[ids.OKR_CHECKIN_HELP],
            comment=values[ids.OKR_CHECKIN_COMMENT],
            address=client_address(),
        )
    return saved, kr.title


def _clicked() -> str | None:
    """The key result (dom ref) whose Save button was clicked, or None."""
    trigger = dash.ctx.triggered_id
    if not isinstance(trigger, dict) or trigger.get("type") != ids.OKR_CHECKIN_SAVE:
        return None
    ref = trigger.get("kr")
    if not isinstance(ref, str):
        return None
    for item in dash.ctx.inputs_list[0] if dash.ctx.inputs_list else []:
        if isinstance(item, dict) and item.get("id") == trigger:
            return ref if item.get("value") else None
    return None


def _state_value(kind: str, ref: str) -> object:
    for group in dash.ctx.states_list:
        for item in group if isinstance(group, list) else []:
            item_id = item.get("id") if isinstance(item, dict) else None
            if (
                isinstance(item_id, dict)
                and item_id.get("type") == kind
                and item_id.get("kr") == ref
            ):
                return item.get("value")
    return None


# Registered last so the layout function exists (the pages are imported, not scanned).
dash.register_page(
    __name__, path="/okrs", title="Northstar · OKRs", name="OKRs", order=9, layout=layout
)
