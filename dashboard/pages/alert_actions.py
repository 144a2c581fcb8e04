"""Acknowledge, Silence and End silence on the Alerts page (pages/alerts.py): the two forms and
the callbacks that open them and write through alerts.store, which audits every write.

With sign-in on a write needs an editor (dashboard.app_state.writer); with it off it is recorded
as `local`. A target comes back from the browser (a button's index, a form's store): anything
but the [rule, series] the page drew is refused as stale, never written.
"""

from __future__ import annotations

import json
import time
from datetime import timedelta
from typing import Any

import dash
import dash_mantine_components as dmc
from dash import ALL, Input, Output, State, callback, no_update

from alerts import store
from alerts.store import AlertError
from appdb import AppDbError
from dashboard import ids
from dashboard.alert_words import shown_name, when
from dashboard.app_state import WriteRefused, page_db, writer
from dashboard.app_state import now as clock
from dashboard.components.states import guarded_outputs
from dashboard.serving import serving

DURATIONS = {
    "1 hour": timedelta(hours=1),
    "4 hours": timedelta(hours=4),
    "1 day": timedelta(days=1),
    "3 days": timedelta(days=3),
    "1 week": timedelta(weeks=1),
}
DEFAULT_DURATION = "1 day"
LONGEST_NAME = 400  # rule and series names are bounded in the database


def ack_form() -> dmc.Modal:
    return dmc.Modal(
        [
            dmc.Text(id=ids.ALERT_ACK_WHAT, fw=600, mb="xs"),
            dmc.Text(
                "Acknowledging says someone is on it: no repeat notifications until it resolves.",
                size="sm",
                c="dimmed",
                mb="sm",
            ),
            dmc.Textarea(
                id=ids.ALERT_ACK_COMMENT,
                label="Comment",
                placeholder="What is being done about it",
                inputProps={"maxLength": store.MAX_COMMENT},
                autosize=True,
                minRows=2,
            ),
            dmc.Group(
                dmc.Button("Acknowledge", id=ids.ALERT_ACK_CONFIRM), justify="flex-end", mt="md"
            ),
        ],
        id=ids.ALERT_ACK_MODAL,
        title="Acknowledge an alert",
        opened=False,
    )


def silence_form() -> dmc.Modal:
    return dmc.Modal(
        [
            dmc.Text(id=ids.ALERT_SILENCE_WHAT, fw=600, mb="xs"),
            dmc.Text(
                "A silence mutes notifications; states are still checked and recorded.",
                size="sm",
                c="dimmed",
                mb="sm",
            ),
            dmc.SegmentedControl(
                id=ids.ALERT_SILENCE_SCOPE, data=[{"value": "rule", "label": "The whole rule"}]
            ),
            dmc.Text("For", size="sm", fw=500, mt="sm"),
            dmc.SegmentedControl(
                id=ids.ALERT_SILENCE_DURATION, data=list(DURATIONS), value=DEFAULT_DURATION
            ),
            dmc.Textarea(
                id=ids.ALERT_SILENCE_COMMENT,
                label="Comment",
                placeholder="Why (a planned migration, a known incident)",
                inputProps={"maxLength": store.MAX_COMMENT},
                autosize=True,
                minRows=2,
                mt="sm",
            ),
            dmc.Group(
                dmc.Button("Silence", id=ids.ALERT_SILENCE_CONFIRM), justify="flex-end", mt="md"
            ),
        ],
        id=ids.ALERT_SILENCE_MODAL,
        title="Silence an alert",
        opened=False,
    )


def served_spec() -> Any:
    """The served spec (metric names, formats, time zone), or None when nothing is served yet:
    alerts are still shown, with plain numbers."""
    try:
        return serving().snapshot().spec
    except Exception:  # the banner and other pages say why
        return None


# -- writes ---------------------------------------------------------------------------------


class _BadTarget(ValueError):
    pass


def _target(data: object, series_optional: bool = False) -> tuple[str, str | None]:
    """A target as a button's index or a form's store holds it: [rule, series] (series None:
    the whole rule, only where allowed)."""
    if isinstance(data, str):
        try:
            data = json.loads(data)
        except ValueError:
            raise _BadTarget() from None
    if not isinstance(data, list) or len(data) != 2:
        raise _BadTarget()
    rule, series = data
    if not isinstance(rule, str) or not rule or len(rule) > LONGEST_NAME:
        raise _BadTarget()
    if series is None and series_optional:
        return rule, None
    if not isinstance(series, str) or len(series) > LONGEST_NAME:
        raise _BadTarget()
    return rule, series


def _clicked() -> Any:
    """The id of the button that was clicked, or None when the callback fired because buttons
    were drawn (a re-rendered board reports every button with no clicks)."""
    triggered = dash.ctx.triggered
    if not triggered or not any(isinstance(t.get("value"), int) and t["value"] for t in triggered):
        return None
    return dash.ctx.triggered_id


def _message(text: str, ok: bool) -> dmc.Alert:
    return dmc.Alert(
        text,
        color="teal" if ok else "red",
        variant="light",
        withCloseButton=True,
        mb="sm",
        className="ns-alert-message" if ok else "ns-alert-message ns-alert-refused",
    )


STALE = "That alert is no longer on the page as shown; reload the page and try again."


def _refused(exc: Exception) -> dmc.Alert:
    if isinstance(exc, _BadTarget):
        return _message(STALE, ok=False)
    return _message(str(exc), ok=False)


@callback(
    Output(ids.ALERT_ACK_MODAL, "opened", allow_duplicate=True),
    Output(ids.ALERT_ACK_TARGET, "data"),
    Output(ids.ALERT_ACK_WHAT, "children"),
    Output(ids.ALERT_ACK_COMMENT, "value"),
    Output(ids.ALERTS_MESSAGE, "children", allow_duplicate=True),
    Input({"type": ids.ALERT_ACK_OPEN, "index": ALL}, "n_clicks"),
    prevent_initial_call=True,
)
@guarded_outputs(5)
def open_ack(_clicks: object):  # type: ignore[no-untyped-def]
    """Acknowledge on a card → its form (a viewer is told at once that it is not theirs to do)."""
    clicked = _clicked()
    if not isinstance(clicked, dict):
        return no_update, no_update, no_update, no_update, no_update
    try:
        writer()
        rule, series = _target(clicked.get("index"))
    except (WriteRefused, _BadTarget) as exc:
        return no_update, no_update, no_update, no_update, _refused(exc)
    return True, [rule, series], shown_name(rule, series or ""), "", None


@callback(
    Output(ids.ALERTS_REFRESH, "data", allow_duplicate=True),
    Output(ids.ALERT_ACK_MODAL, "opened", allow_duplicate=True),
    Output(ids.ALERTS_MESSAGE, "children", allow_duplicate=True),
    Input(ids.ALERT_ACK_CONFIRM, "n_clicks"),
    State(ids.ALERT_ACK_TARGET, "data"),
    State(ids.ALERT_ACK_COMMENT, "value"),
    prevent_initial_call=True,
)
@guarded_outputs(3)
def confirm_ack(clicks: object, target: object, comment: object):  # type: ignore[no-untyped-def]
    if not isinstance(clicks, int) or not clicks:
        return no_update, no_update, no_update
    try:
        who = writer()
        rule, series = _target(target)
        with page_db().session() as session:
            store.acknowledge(
                session, rule, series or "", who=who, now=clock(), comment=_text(comment)
            )
    except (WriteRefused, _BadTarget, AlertError, AppDbError) as exc:
        return no_update, False, _refused(exc)
    return time.time(), False, _message(f"Acknowledged {shown_name(rule, series or '')}.", True)


@callback(
    Output(ids.ALERT_SILENCE_MODAL, "opened", allow_duplicate=True),
    Output(ids.ALERT_SILENCE_TARGET, "data"),
    Output(ids.ALERT_SILENCE_WHAT, "children"),
    Output(ids.ALERT_SILENCE_SCOPE, "data"),
    Output(ids.ALERT_SILENCE_SCOPE, "value"),
    Output(ids.ALERT_SILENCE_COMMENT, "value"),
    Output(ids.ALERTS_MESSAGE, "children", allow_duplicate=True),
    Input({"type": ids.ALERT_SILENCE_OPEN, "index": ALL}, "n_clicks"),
    prevent_initial_call=True,
)
@guarded_outputs(7)
def open_silence(_clicks: object):  # type: ignore[no-untyped-def]
    """Silence on a card (one series) or a rule's row (the whole rule) → its form."""
    clicked = _clicked()
    if not isinstance(clicked, dict):
        return (no_update,) * 7
    try:
        writer()
        rule, series = _target(clicked.get("index"), series_optional=True)
    except (WriteRefused, _BadTarget) as exc:
        return (*(no_update,) * 6, _refused(exc))
    scopes = [{"value": "rule", "label": "Every series of the rule"}]
    if series:
        scopes.insert(0, {"value": "series", "label": f"Only {series}"})
    else:
        scopes = [{"value": "rule", "label": "The whole rule"}]
    what = shown_name(rule, series or "")
    return True, [rule, series], what, scopes, scopes[0]["value"], "", None


@callback(
    Output(ids.ALERTS_REFRESH, "data", allow_duplicate=True),
    Output(ids.ALERT_SILENCE_MODAL, "opened", allow_duplicate=True),
    Output(ids.ALERTS_MESSAGE, "children", allow_duplicate=True),
    Input(ids.ALERT_SILENCE_CONFIRM, "n_clicks"),
    State(ids.ALERT_SILENCE_TARGET, "data"),
    State(ids.ALERT_SILENCE_SCOPE, "value"),
    State(ids.ALERT_SILENCE_DURATION, "value"),
    State(ids.ALERT_SILENCE_COMMENT, "value"),
    prevent_initial_call=True,
)
@guarded_outputs(3)
def confirm_silence(
    clicks: object, target: object, scope: object, duration: object, comment: object
):  # type: ignore[no-untyped-def]
    if not isinstance(clicks, int) or not clicks:
        return no_update, no_update, no_update
    if not isinstance(duration, str) or duration not in DURATIONS:
        return no_update, no_update, _message(f"Pick how long: {', '.join(DURATIONS)}.", False)
    try:
        who = writer()
        rule, series = _target(target, series_optional=True)
        only = series if scope == "series" and series else None
        now = clock()
        with page_db().session() as session:
            silence = store.add_silence(
                session,
                who=who,
                now=now,
                ends_at=now + DURATIONS[duration],
                rule=rule,
                series=only,
                comment=_text(comment),
            )
            until = silence.ends_at
    except (WriteRefused, _BadTarget, AlertError, AppDbError) as exc:
        return no_update, False, _refused(exc)
    tz = getattr(served_spec(), "time_zone", "UTC")
    what = shown_name(rule, only or "")
    return time.time(), False, _message(f"Silenced {what} until {when(until, tz)}.", True)


@callback(
    Output(ids.ALERTS_REFRESH, "data", allow_duplicate=True),
    Output(ids.ALERTS_MESSAGE, "children", allow_duplicate=True),
    Input({"type": ids.ALERT_SILENCE_END, "index": ALL}, "n_clicks"),
    prevent_initial_call=True,
)
@guarded_outputs(2)
def end_silence(_clicks: object):  # type: ignore[no-untyped-def]
    clicked = _clicked()
    if not isinstance(clicked, dict):
        return no_update, no_update
    silence_id = clicked.get("index")
    try:
        who = writer()
        if not isinstance(silence_id, int) or isinstance(silence_id, bool) or silence_id < 1:
            raise _BadTarget()
        with page_db().session() as session:
            store.end_silence(session, silence_id, who=who, now=clock())
    except (WriteRefused, _BadTarget, AlertError, AppDbError) as exc:
        return no_update, _refused(exc)
    return time.time(), _message(f"Ended silence #{silence_id}.", True)


def _text(value: object) -> str:
    return value.strip()[: store.MAX_COMMENT] if isinstance(value, str) else ""
