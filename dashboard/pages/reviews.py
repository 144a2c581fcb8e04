"""Reviews `/reviews`: every weekly review (week, status, what it holds), and `/reviews/<week>`
(or `/reviews?week=2026-W48`) one review's record: its frozen numbers with today's beside them
where a correction changed them, notes per slide, decisions, actions with a done box, and the
actions carried forward from earlier weeks.

The layout is a function of the URL only (it is cached per snapshot like every page's); what the
record holds, and whether this visitor may write, is read by the body's callback on every render.
Every write (start, note, decision, action, done) bumps RECORD_VERSION, which renders the body
again; a refusal (a viewer, a closed review, an empty text) is a message, never an error page.
"""

from __future__ import annotations

from datetime import date
from typing import Any

import dash
import dash_mantine_components as dmc
from dash import ALL, Input, Output, State, callback, dcc, html, no_update

from appdb import AppDbError
from appdb.models import utc_now
from dashboard import ids
from dashboard.components.address_error import address_error
from dashboard.components.review_record import record_view, week_link
from dashboard.components.states import empty_state, error_state, failure_state, guarded, loading
from dashboard.record_access import access, record_db
from dashboard.review_today import differences_now
from dashboard.serving import serving
from dashboard.url_state import UrlStateError, page_location, record_week
from okrs.spec import okrs_or_none
from reviews import (
    IsoWeek,
    ReviewError,
    add_action,
    add_decision,
    add_note,
    get_action,
    get_review,
    last_complete_week,
    list_reviews,
    set_action_done,
    start_review,
)
from reviews.store import parse_due

PATH = "/reviews"


def layout(**params: object) -> html.Div:
    path, query = page_location(params)
    try:
        week = record_week(path, query if path is not None else params)
    except UrlStateError as exc:
        return address_error(exc, PATH, "the list of reviews")
    if week is None:
        return html.Div(
            [
                dmc.Title("Weekly reviews", order=2, mb="md"),
                dcc.Store(id=ids.REVIEWS_VIEW, data=PATH),
                loading(ids.REVIEWS_BODY),
            ]
        )
    return html.Div(
        [
            dcc.Store(id=ids.RECORD_VIEW, data=week),
            dcc.Store(id=ids.RECORD_VERSION, data=0),
            dcc.Link("← All reviews", href=PATH, className="ns-reset"),
            html.Div(id=ids.RECORD_MESSAGE, className="ns-record-message"),
            loading(ids.RECORD_BODY),
        ]
    )


# -- the list ---------------------------------------------------------------------------------


def _this_week() -> IsoWeek | None:
    """The last complete week as of the served snapshot's today (None: nothing served)."""
    try:
        return last_complete_week(serving().snapshot().today())
    except Exception:  # no snapshot yet: the list still shows what was recorded
        return None


@callback(Output(ids.REVIEWS_BODY, "children"), Input(ids.REVIEWS_VIEW, "data"))
@guarded
def render_list(_data: object) -> Any:
    try:
        reviews = list_reviews(record_db())
    except AppDbError as exc:
        return error_state(str(exc), "The review record cannot be read")
    week = _this_week()
    latest = (
        dmc.Group(
            [
                dmc.Text("The last complete week:"),
                dcc.Link(f"review of {week}", href=f"{PATH}/{week}", id="reviews-this-week"),
            ],
            gap="xs",
            mb="md",
        )
        if week is not None
        else None
    )
    if not reviews:
        hint = (
            f"Open the review of {week} to start it (editors), or run `northstar review start`."
            if week is not None
            else "Start one with `northstar review start` once data is published."
        )
        return [latest, empty_state("No reviews yet.", hint)]
    head = ("Week", "Status", "Started", "By", "Notes", "Decisions", "Open actions")
    rows = [
        html.Tr(
            [
                html.Td(week_link(r.week)),
                html.Td(dmc.Badge(r.status, color="teal" if r.status == "open" else "gray",
                                  variant="light")),
                html.Td(f"{r.created_at:%-d %b %Y %H:%M} UTC"),
                html.Td(r.created_by),
                html.Td(str(r.notes), className="ns-record-number"),
                html.Td(str(r.decisions), className="ns-record-number"),
                html.Td(f"{r.open_actions} of {r.actions}", className="ns-record-number"),
            ],
            **{"data-week": r.week},
        )
        for r in reviews
    ]  # fmt: skip
    return [
        latest,
        dmc.Table(
            [html.Thead(html.Tr([html.Th(h) for h in head])), html.Tbody(rows)],
            id="reviews-table",
            highlightOnHover=True,
            className="ns-reviews-table",
        ),
    ]


# -- one review ---------------------------------------------------------------------------------


@callback(
    Output(ids.RECORD_BODY, "children"),
    Input(ids.RECORD_VIEW, "data"),
    Input(ids.RECORD_VERSION, "data"),
)
@guarded
def render_record(data: object, _version: object) -> Any:
    try:
        week = IsoWeek.parse(data)
        record = get_review(record_db(), week)
    except (ReviewError, AppDbError) as exc:
        return error_state(str(exc), "Cannot show this review")
    may = access()
    if record is None:
        return _not_started(week, may.writer is not None and may.sees_numbers, may.refusal)
    differences, note = [], None
    if may.sees_numbers:
        try:
            differences = differences_now(record)
        except Exception as exc:  # the record stands without today's numbers
            note = failure_state(exc)
    today = _today()
    read_only = (
        dmc.Alert(may.refusal, color="gray", variant="light", id="record-read-only")
        if may.refusal
        else None
    )
    return [
        note,
        read_only,
        record_view(
            record,
            differences,
            editable=may.writer is not None,
            sees_numbers=may.sees_numbers,
            hidden=may.hidden_numbers,
            today=today,
        ),
    ]


def _today() -> date:
    try:
        return serving().snapshot().today()
    except Exception:
        return utc_now().date()


def _not_started(week: IsoWeek, may_start: bool, refusal: str) -> Any:
    text = f"No review of {week} ({week.days_text()}) yet."
    if may_start:
        return html.Div(
            [
                empty_state(
                    text,
                    "Starting it freezes the week's numbers as they are now (the North Star, "
                    "why it moved, its drivers, the alerts); later corrections are shown beside "
                    "them, never over them.",
                ),
                dmc.Button(f"Start the review of {week}", id=ids.RECORD_START, mt="md"),
            ]
        )
    return empty_state(text, refusal or "Someone who sees every row can start it.")


# -- writes -------------------------------------------------------------------------------------


def _ok(version: object, message: str) -> tuple[int, Any]:
    bumped = version + 1 if isinstance(version, int) and not isinstance(version, bool) else 1
    return bumped, dmc.Alert(message, color="teal", variant="light", className="ns-record-ok")


def _refused(message: str) -> tuple[Any, Any]:
    return no_update, dmc.Alert(
        message, color="red", variant="light", title="Not saved", className="ns-record-refused"
    )


def _write(clicks: object, data: object, version: object, act) -> tuple[Any, Any]:  # type: ignore[no-untyped-def]
    """Run `act(week, who)` for a click, as the writer `access()` names; messages either way."""
    if not clicks:
        return no_update, no_update  # mounted, not clicked
    try:
        week = IsoWeek.parse(data)
        may = access()
        if may.writer is None:
            return _refused(may.refusal)
        return _ok(version, act(week, may.writer))
    except (ReviewError, AppDbError) as exc:
        return _refused(str(exc))
    except Exception as exc:
        return no_update, failure_state(exc)


WRITE_OUTPUTS = (
    Output(ids.RECORD_VERSION, "data", allow_duplicate=True),
    Output(ids.RECORD_MESSAGE, "children", allow_duplicate=True),
)


@callback(
    *WRITE_OUTPUTS,
    Input(ids.RECORD_START, "n_clicks"),
    State(ids.RECORD_VIEW, "data"),
    State(ids.RECORD_VERSION, "data"),
    prevent_initial_call=True,
)
def start(clicks: object, data: object, version: object) -> tuple[Any, Any]:
    def act(week: IsoWeek, who: str) -> str:
        if not access().sees_numbers:
            raise ReviewError(access().hidden_numbers or "you may not see every row")
        service = serving().snapshot().service
        okrs = okrs_or_none(serving().settings.metrics, service.spec)
        record = start_review(record_db(), week, service, who, utc_now(), okrs=okrs)
        return f"Started the review of {week}: numbers frozen from snapshot {record.snapshot}."

    return _write(clicks, data, version, act)


@callback(
    *WRITE_OUTPUTS,
    Input(ids.RECORD_NOTE_ADD, "n_clicks"),
    State(ids.RECORD_VIEW, "data"),
    State(ids.RECORD_VERSION, "data"),
    State(ids.RECORD_NOTE_SLIDE, "value"),
    State(ids.RECORD_NOTE_TEXT, "value"),
    prevent_initial_call=True,
)
def note(clicks: object, data: object, version: object, slide: object, text: object):  # type: ignore[no-untyped-def]
    def act(week: IsoWeek, who: str) -> str:
        add_note(record_db(), week, slide if isinstance(slide, str) else "", text, who, utc_now())  # type: ignore[arg-type]
        return "Note added."

    return _write(clicks, data, version, act)


@callback(
    *WRITE_OUTPUTS,
    Input(ids.RECORD_DECISION_ADD, "n_clicks"),
    State(ids.RECORD_VIEW, "data"),
    State(ids.RECORD_VERSION, "data"),
    State(ids.RECORD_DECISION_TEXT, "value"),
    prevent_initial_call=True,
)
def decision(clicks: object, data: object, version: object, text: object):  # type: ignore[no-untyped-def]
    def act(week: IsoWeek, who: str) -> str:
        add_decision(record_db(), week, text, who, utc_now())  # type: ignore[arg-type]
        return "Decision added."

    return _write(clicks, data, version, act)


@callback(
    *WRITE_OUTPUTS,
    Input(ids.RECORD_ACTION_ADD, "n_clicks"),
    State(ids.RECORD_VIEW, "data"),
    State(ids.RECORD_VERSION, "data"),
    State(ids.RECORD_ACTION_TEXT, "value"),
    State(ids.RECORD_ACTION_OWNER, "value"),
    State(ids.RECORD_ACTION_DUE, "value"),
    prevent_initial_call=True,
)
def action(clicks, data, version, text, owner, due):  # type: ignore[no-untyped-def]
    def act(week: IsoWeek, who: str) -> str:
        made = add_action(record_db(), week, text, owner, parse_due(due), who, utc_now())
        return f"Action #{made.id} added for {made.owner}."

    return _write(clicks, data, version, act)


@callback(
    *WRITE_OUTPUTS,
    Input({"type": ids.RECORD_ACTION_DONE, "index": ALL, "was": ALL}, "checked"),
    State(ids.RECORD_VIEW, "data"),
    State(ids.RECORD_VERSION, "data"),
    prevent_initial_call=True,
)
def tick(_checked: object, data: object, version: object):  # type: ignore[no-untyped-def]
    """A done box changed: record it. A box reporting the state it was drawn with changes
    nothing: Dash reports every box a render mounts, and such a report can arrive after the
    user's tick of the same box (it would undo it)."""
    trigger = dash.ctx.triggered_id
    fired = [t for t in dash.ctx.triggered if isinstance(t, dict)]
    value = fired[0].get("value") if len(fired) == 1 else None
    if not isinstance(trigger, dict) or not isinstance(value, bool):
        return no_update, no_update
    action_id = trigger.get("index")
    if not isinstance(action_id, int) or isinstance(action_id, bool):
        return no_update, no_update
    if trigger.get("was") is value:
        return no_update, no_update  # mounted, not ticked

    try:
        now = get_action(record_db(), action_id)
    except AppDbError as exc:
        return _refused(str(exc))
    if now is not None and now.done == value:
        return no_update, no_update  # Dash reports every box a render mounts: not a change

    def act(_week: IsoWeek, who: str) -> str:
        done = set_action_done(record_db(), action_id, value, who, utc_now())
        return f"Action #{done.id} is {done.status}."

    return _write(True, data, version, act)


# Registered last so the layout function exists (the pages are imported, not scanned).
dash.register_page(
    __name__, path=PATH, title="Northstar · Reviews", name="Reviews", order=10, layout=layout
)
dash.register_page(
    f"{__name__}_week",
    path_template="/reviews/<week>",
    title="Northstar · Review",
    name="Review",
    order=98,
    layout=layout,
)
