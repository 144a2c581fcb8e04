"""The filter builder's callbacks: picking a name shows its operators and value inputs; Add writes
the URL with one more filter, after the metric service has accepted the query it stands for.

Registered by the Explorer page module on import (`register`), so a page module reloaded for a
new app registers them again with the page's own callbacks.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import replace

from dash import Input, Output, State, callback, no_update

from dashboard import ids
from dashboard.components.filter_builder import HIDDEN
from dashboard.components.states import guarded_outputs
from dashboard.explorer_filters import OPS, built_filter, name_of, text_choices
from dashboard.serving import serving
from dashboard.url_state import UrlStateError
from dashboard.views import ExplorerView
from metric_layer.errors import QueryError

SHOWN: dict = {}  # a value input's style when it applies


def pick_name(name: object, data: object, stored_view: Callable[[object], ExplorerView]):  # type: ignore[no-untyped-def]
    """A name picked → (operators, the first operator, values offered, kind, hint, message)."""
    if not name:
        return [], None, [], None, "", None
    view = stored_view(data)
    picked = name_of(serving().snapshot(), view.metric, name)
    ops = [{"value": op, "label": label} for op, label in OPS[picked.kind].items()]
    values, hint = [], ""
    if picked.kind == "text":
        values, cut = text_choices(serving(), view, picked)
        if cut:
            hint = f"the first {len(values)} values of {picked.name}"
        elif not values:
            hint = f"{picked.name} has no values in this range"
    return ops, ops[0]["value"], values, picked.kind, hint, None


def show_inputs(kind: object, op: object):  # type: ignore[no-untyped-def]
    """The value inputs the operator takes: a list for text, one or two numbers, or none."""
    known = isinstance(kind, str) and kind in OPS
    valued = known and op in OPS[kind] and op not in ("is null", "is not null")  # type: ignore[index]
    values = SHOWN if valued and kind == "text" else HIDDEN
    number = SHOWN if valued and kind == "number" else HIDDEN
    to = SHOWN if valued and kind == "number" and op == "between" else HIDDEN
    return values, number, to, to, not known, not known


def add_filter(  # type: ignore[no-untyped-def]
    clicks: object,
    name: object,
    op: object,
    values: object,
    number: object,
    number_to: object,
    data: object,
    stored_view: Callable[[object], ExplorerView],
):
    """Add → the URL with the built filter appended (all filters apply). A filter the metric
    service refuses (a number column compared with text, a name it does not know) is its
    message on the page, and the address stays."""
    if not isinstance(clicks, int) or isinstance(clicks, bool) or clicks < 1:
        return no_update, None  # mounted, not clicked
    view = stored_view(data)
    snap = serving().snapshot()
    built = built_filter(name_of(snap, view.metric, name), op, values, number, number_to)
    if built in view.filters:
        raise UrlStateError([f"that filter is already on the page ({built.dimension})"])
    new = replace(view, filters=(*view.filters, built))
    query = new.to_query(snap.service.today(new.as_of), snap.spec.week_start)
    try:
        snap.service.sql(new.metric, query)  # compiles only: the checks, not the numbers
    except QueryError as exc:
        raise UrlStateError([str(exc)]) from None
    return new.href(), None


def register(stored_view: Callable[[object], ExplorerView]) -> None:
    """Register the builder's callbacks; `stored_view` reads the page's store."""
    callback(
        Output(ids.EXPLORER_FILTER_OP, "data"),
        Output(ids.EXPLORER_FILTER_OP, "value"),
        Output(ids.EXPLORER_FILTER_VALUES, "data"),
        Output(ids.EXPLORER_FILTER_KIND, "data"),
        Output(ids.EXPLORER_FILTER_HINT, "children"),
        Output(ids.EXPLORER_MESSAGE, "children", allow_duplicate=True),
        Input(ids.EXPLORER_FILTER_DIM, "value"),
        State(ids.EXPLORER_VIEW, "data"),
        prevent_initial_call=True,
    )(guarded_outputs(6)(lambda name, data: pick_name(name, data, stored_view)))
    callback(
        Output(ids.EXPLORER_FILTER_VALUES, "style"),
        Output(ids.EXPLORER_FILTER_NUMBER, "style"),
        Output(ids.EXPLORER_FILTER_AND, "style"),
        Output(ids.EXPLORER_FILTER_NUMBER_TO, "style"),
        Output(ids.EXPLORER_FILTER_OP, "disabled"),
        Output(ids.EXPLORER_FILTER_ADD, "disabled"),
        Input(ids.EXPLORER_FILTER_KIND, "data"),
        Input(ids.EXPLORER_FILTER_OP, "value"),
    )(show_inputs)
    callback(
        Output(ids.PAGES_LOCATION, "href", allow_duplicate=True),
        Output(ids.EXPLORER_MESSAGE, "children", allow_duplicate=True),
        Input(ids.EXPLORER_FILTER_ADD, "n_clicks"),
        State(ids.EXPLORER_FILTER_DIM, "value"),
        State(ids.EXPLORER_FILTER_OP, "value"),
        State(ids.EXPLORER_FILTER_VALUES, "value"),
        State(ids.EXPLORER_FILTER_NUMBER, "value"),
        State(ids.EXPLORER_FILTER_NUMBER_TO, "value"),
        State(ids.EXPLORER_VIEW, "data"),
        prevent_initial_call=True,
    )(guarded_outputs(2)(lambda *args: add_filter(*args, stored_view=stored_view)))
