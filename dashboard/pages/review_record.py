"""The review record on the meeting-room TV, `/review/record?week=2026-W48`: read-only, dark and
large like review mode (a screen link may open it: it is under /review). Without ?week= it shows
the review of the last complete week, the one review mode's slides are about. It renders again
every minute, so notes and actions typed during the meeting appear on the TV."""

from __future__ import annotations

from typing import Any

import dash
import dash_mantine_components as dmc
from dash import Input, Output, callback, dcc, html

from appdb import AppDbError
from dashboard import ids
from dashboard.components.address_error import address_error
from dashboard.components.review_record import record_view
from dashboard.components.states import empty_state, error_state, failure_state
from dashboard.record_access import access, record_db
from dashboard.review_today import differences_now
from dashboard.serving import serving
from dashboard.url_state import UrlStateError, page_location, record_week
from reviews import IsoWeek, ReviewError, get_review, last_complete_week, latest_review

PATH = "/review/record"
REFRESH_S = 60


def layout(**params: object) -> html.Div:
    try:
        week = record_week(None, page_location(params)[1])
    except UrlStateError as exc:
        return address_error(exc, PATH, "this week's record")
    return html.Div(
        [
            dcc.Store(id=ids.TV_RECORD_VIEW, data=week or ""),
            dcc.Interval(id="tv-record-tick", interval=REFRESH_S * 1000, n_intervals=0),
            html.Div(id=ids.TV_RECORD_BODY, className="ns-review ns-record-screen"),
        ]
    )


@callback(
    Output(ids.TV_RECORD_BODY, "children"),
    Input(ids.TV_RECORD_VIEW, "data"),
    Input("tv-record-tick", "n_intervals"),
)
def render(data: object, _tick: object) -> Any:
    back = dcc.Link("← Back to the slides", href="/review", id="tv-record-back")
    try:
        snap = serving().snapshot()
        week = IsoWeek.parse(data) if data else last_complete_week(snap.today())
        db = record_db()
        record = get_review(db, week)
        if record is None:
            newest = latest_review(db)
            hint = (
                f"The newest review is {newest.week}: /review/record?week={newest.week}"
                if newest is not None
                else "Start it on /reviews or with `northstar review start`."
            )
            return [back, empty_state(f"No review of {week} yet.", hint)]
        may = access()
        differences = differences_now(record) if may.sees_numbers else []
    except (ReviewError, AppDbError) as exc:
        return [back, error_state(str(exc), "Cannot show the record")]
    except Exception as exc:
        return [back, failure_state(exc)]
    return [
        back,
        record_view(
            record,
            differences,
            editable=False,
            sees_numbers=may.sees_numbers,
            hidden=may.hidden_numbers,
            today=snap.today(),
            tv=True,
        ),
        dmc.Text("Read-only: notes and actions are written on /reviews.", c="dimmed"),
    ]


# Registered last so the layout function exists (the pages are imported, not scanned).
dash.register_page(
    __name__,
    path=PATH,
    title="Northstar · Review record",
    name="Review record",
    order=97,
    layout=layout,
)
