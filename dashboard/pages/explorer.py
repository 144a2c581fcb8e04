"""Explorer `/metric/<name>`: any metric by grain, range, compare, breakdown and filters.

The layout is a function of the URL; every control writes a new URL (and nothing else), the page
re-renders from it, and one callback turns the view into numbers, chart, table and definition.
The URL is read by `dashboard.url_state` (one schema); the page's store keeps the view's href.
"""

from __future__ import annotations

from dataclasses import replace
from typing import Any
from urllib.parse import unquote

import dash
import dash_mantine_components as dmc
import pandas as pd
from dash import ALL, Input, Output, State, callback, dcc, html, no_update

from dashboard import alert_marks, ids
from dashboard.breakdown import is_additive
from dashboard.components.address_error import address_error
from dashboard.components.definition import definition_panel
from dashboard.components.explorer_controls import controls
from dashboard.components.explorer_headline import explorer_headline, unknown_values_note
from dashboard.components.metric_table import metric_grid
from dashboard.components.states import (
    empty_state,
    error_state,
    failure_state,
    guarded,
    guarded_outputs,
    loading,
)
from dashboard.components.why import why_panel
from dashboard.explanations import (
    compare_words,
    drivers_view_for,
    explanation,
    period_ranges,
    range_ranges,
)
from dashboard.explorer_builder import register as register_filter_builder
from dashboard.explorer_data import (
    explore,
    explorer_figure,
    export_frame,
)
from dashboard.explorer_filters import filter_columns_of, filter_names, unknown_values
from dashboard.png_export import figure_png
from dashboard.serving import serving
from dashboard.snapshot import Snapshot
from dashboard.url_state import (
    UrlStateError,
    explorer_from_href,
    explorer_view,
    page_location,
)
from dashboard.views import ExplorerView, format_filters
from dashboard.why_rows import why_display

PREFIX = "/metric/"


def _default_grain(snap: Snapshot) -> str:
    return snap.spec.north_star.grain if snap.spec.north_star else "week"


def _dimensions(snap: Snapshot, metric: str) -> list[str]:
    return list(snap.semantics.dimensions_of_metric(metric))


def layout(name: str | None = None, **params: object) -> html.Div:
    try:
        snap = serving().snapshot()
    except Exception as exc:
        return failure_state(exc)
    spec = snap.spec
    path, query = page_location(params)
    if path is not None:  # the metric comes from the path, never from a `?name=`
        name = unquote(path[len(PREFIX) :]) if path.startswith(PREFIX) else None
    if not name or name == "none":
        name = spec.north_star.metric if spec.north_star else spec.metric_names[0]
    if name not in spec.metric_names:
        return error_state(f"There is no metric called {name!r}.", "Unknown metric")
    grain = _default_grain(snap)
    try:
        view = explorer_view(
            name,
            query,
            default_grain=grain,
            dimensions=_dimensions(snap, name),
            columns=filter_columns_of(snap, name),
        )
    except UrlStateError as exc:
        return address_error(exc, ExplorerView(name, grain=grain).href(), f"{name}")
    names = filter_names(snap, name)
    return html.Div(
        [
            controls(spec, snap.semantics, view, snap.service.today(view.as_of), names),
            dcc.Store(id=ids.EXPLORER_VIEW, data=view.href()),
            loading(ids.EXPLORER_BODY),
        ]
    )


def stored_view(href: object) -> ExplorerView:
    """The page's store → its view, by the same schema as the address (junk raises UrlStateError)."""
    snap = serving().snapshot()
    return explorer_from_href(
        href,
        default_grain=_default_grain(snap),
        dimensions_of=lambda m: _dimensions(snap, m),
        columns_of=lambda m: filter_columns_of(snap, m) if m in snap.spec.metric_names else None,
    )


register_filter_builder(stored_view)
alert_marks.register(ids.EXPLORER_ALERT_MARKS, ids.EXPLORER_FIGURE)


def _text(value: object, what: str) -> str | None:
    if value is None or value == "":
        return None
    if not isinstance(value, str):
        raise UrlStateError([f"{what} must be text"])
    return value


def _top(value: object) -> str | None:
    """The Top box as typed ('-', '', 5, 5.0 …) → the text the schema checks."""
    if value is None or value == "":
        return None
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    if isinstance(value, int) and not isinstance(value, bool):
        return str(value)
    return value if isinstance(value, str) else "?"


@callback(
    Output(ids.PAGES_LOCATION, "href", allow_duplicate=True),
    Output(ids.EXPLORER_MESSAGE, "children", allow_duplicate=True),
    Input(ids.EXPLORER_METRIC, "value"),
    Input(ids.EXPLORER_GRAIN, "value"),
    Input(ids.EXPLORER_RANGE, "value"),
    Input(ids.EXPLORER_DATES, "value"),
    Input(ids.EXPLORER_COMPARE, "value"),
    Input(ids.EXPLORER_BY, "value"),
    Input(ids.EXPLORER_CHART, "value"),
    Input(ids.EXPLORER_TOP, "value"),
    State(ids.EXPLORER_VIEW, "data"),
    State(ids.PAGES_LOCATION, "href"),
    prevent_initial_call=True,
)
@guarded_outputs(2)
def change_view(metric, grain, range_, dates, compare, by, chart, top, data, href):  # type: ignore[no-untyped-def]
    """Controls → the URL of the new view (the page re-renders from it). What the controls send is
    checked by the address's own schema: bad input is a message, and the address stays."""
    old = stored_view(data)
    range_ = _text(range_, "the range")
    if dash.ctx.triggered_id == ids.EXPLORER_DATES:
        range_ = "custom"  # picking dates means a custom range
    params: dict[str, object] = {
        "grain": grain,
        "range": range_,
        "compare": compare,
        "by": by,
        "chart": chart,
        "top": _top(top),
        "as_of": old.as_of.isoformat() if old.as_of else None,
    }
    if range_ == "custom":
        if isinstance(dates, list) and len(dates) == 2 and all(dates):
            params["start"], params["end"] = (str(d)[:10] for d in dates)
        elif old.start and old.end:
            params["start"], params["end"] = old.start.isoformat(), old.end.isoformat()
    name = _text(metric, "the metric") or old.metric
    if name == old.metric:
        params["filters"] = format_filters(old.filters)
    else:  # another metric: its dimensions differ, start afresh
        params["by"] = params["chart"] = params["top"] = None
    snap = serving().snapshot()
    if name not in snap.spec.metric_names:
        raise UrlStateError([f"there is no metric called {name!r}"])
    new = explorer_view(
        name,
        params,
        default_grain=old.grain,
        dimensions=_dimensions(snap, name),
        columns=filter_columns_of(snap, name),
    )
    # Controls also report their values when mounted, and some report twice: only a real change
    # of view may push a history entry.
    if new == old or (isinstance(href, str) and href.endswith(new.href())):
        return no_update, None
    return new.href(), None


@callback(
    Output(ids.PAGES_LOCATION, "href", allow_duplicate=True),
    Output(ids.EXPLORER_MESSAGE, "children", allow_duplicate=True),
    Input({"type": ids.EXPLORER_FILTER_REMOVE, "index": ALL}, "n_clicks"),
    State(ids.EXPLORER_VIEW, "data"),
    prevent_initial_call=True,
)
@guarded_outputs(2)
def remove_filter(clicks: list, data: object):  # type: ignore[no-untyped-def]
    """A chip's × → the URL without that filter."""
    trigger = dash.ctx.triggered_id
    if not isinstance(clicks, list) or not any(isinstance(c, int) and c for c in clicks):
        return no_update, None  # mounted, not clicked
    index = trigger.get("index") if isinstance(trigger, dict) else None
    old = stored_view(data)
    if not isinstance(index, int) or not 0 <= index < len(old.filters):
        raise UrlStateError(["that filter is no longer on the page; reload it"])
    return replace(old, filters=old.filters[:index] + old.filters[index + 1 :]).href(), None


@callback(Output(ids.EXPLORER_BODY, "children"), Input(ids.EXPLORER_VIEW, "data"))
@guarded
def render_explorer(data: object) -> list:
    """The view's numbers: headline, chart, table and definition."""
    res = explore(serving(), stored_view(data))
    snap = serving().snapshot()
    view, metric = res.view, res.metric
    notes = [unknown_values_note(dim, vals) for dim, vals in unknown_values(serving(), view)]
    notice = res.result.notice  # the range holds no data: say where the data is
    hint = f"{notice[0].upper()}{notice[1:]}." if notice else None
    if res.empty:
        return [
            *notes,
            empty_state(hint=hint),
            definition_panel(snap.spec, snap.semantics, metric, res.result.sql),
        ]
    if hint:  # counts and sums show zeros: real numbers, but say why
        notes.append(empty_state("No data in this range: the values shown are zeros.", hint))
    figure = dcc.Graph(
        id=ids.EXPLORER_FIGURE, figure=explorer_figure(res), config={"displaylogo": False}
    )
    marks = None
    if view.grain != "all":  # bars of one range have no periods to mark
        stacked = view.chart == "stacked" and is_additive(metric)
        data = alert_marks.marks_data(res.shown, view.metric, view.grain, view.by, stacked)
        marks = dcc.Store(id=ids.EXPLORER_ALERT_MARKS, data=data)
    grid = metric_grid(
        ids.EXPLORER_GRID,
        res.shown,
        metric,
        view.grain,
        view.by,
        f"{metric.name}__compare" in res.shown,
        res.currency,
        res.range_end,
    )
    wide = view.grain == "all"  # a range's label is long: the table takes the whole width
    return [
        *notes,
        explorer_headline(res) if not view.by else None,
        dmc.Paper([figure, marks], withBorder=True, radius="md", p="sm", mb="md"),
        why_section(),
        dmc.Grid(
            [
                dmc.GridCol(grid, span={"base": 12, "lg": 12 if wide else 7}),
                dmc.GridCol(
                    definition_panel(snap.spec, snap.semantics, metric, res.result.sql),
                    span={"base": 12, "lg": 12 if wide else 5},
                ),
            ]
        ),
    ]


WHY = "why"  # the accordion item's value when open


def why_section() -> dmc.Accordion:
    """Collapsed until asked: its answer costs dozens of queries, the chart above none more.
    Open stays open for the session (persistence), so the next view answers it again."""
    return dmc.Accordion(
        dmc.AccordionItem(
            [
                dmc.AccordionControl("Why did it move?"),
                dmc.AccordionPanel(loading(ids.EXPLORER_WHY_BODY)),
            ],
            value=WHY,
        ),
        id=ids.EXPLORER_WHY,
        value=None,
        variant="contained",
        persistence=True,
        persistence_type="session",
        mb="md",
    )


@callback(
    Output(ids.EXPLORER_WHY_BODY, "children"),
    Input(ids.EXPLORER_WHY, "value"),
    State(ids.EXPLORER_VIEW, "data"),
)
@guarded
def render_why(opened: object, data: object) -> Any:
    """The latest complete period on screen against its comparison (the headline's numbers):
    the drivers' contributions, the top segments and a link to the full Drivers view."""
    if opened != WHY:
        return None
    view = stored_view(data)
    # Every filter of the view, columns and conditions too: explanation() applies them as the
    # chart's query does, to the value, the drivers and every segment, and the link keeps them.
    res = explore(serving(), view)
    frame = res.result.frame
    done = frame[~frame["is_partial"] & frame[view.metric].notna()]
    if done.empty:
        return empty_state("No complete period to explain in this range.")
    if view.grain == "all":  # the range itself against the range it is compared with
        current, baseline = range_ranges(res.result.start, res.result.end, view.compare)
    else:
        period = pd.Timestamp(done["period"].max()).date()
        current, baseline = period_ranges(period, view.grain, view.compare)
    result = explanation(view.metric, current, baseline, view.filters, view.as_of)
    drivers = drivers_view_for(view.metric, current, baseline, view.filters, view.as_of)
    display = why_display(result, serving().snapshot().spec)
    return why_panel(
        display, "explorer-why", drivers.href(), compare_words(view.grain, view.compare)
    )


@callback(
    Output(ids.DOWNLOAD, "data", allow_duplicate=True),
    Output(ids.EXPLORER_MESSAGE, "children", allow_duplicate=True),
    Input(ids.EXPORT_CSV, "n_clicks"),
    State(ids.EXPLORER_VIEW, "data"),
    prevent_initial_call=True,
)
@guarded_outputs(2)
def export_csv(clicks: object, data: object):  # type: ignore[no-untyped-def]
    if not clicks:
        return no_update, None  # mounted, not clicked
    res = explore(serving(), stored_view(data))
    frame = export_frame(res)
    name = f"{res.view.metric}_{res.view.grain}.csv"
    return dcc.send_data_frame(frame.to_csv, name, index=False), None


@callback(
    Output(ids.DOWNLOAD, "data", allow_duplicate=True),
    Output(ids.EXPLORER_MESSAGE, "children", allow_duplicate=True),
    Input(ids.EXPORT_PNG, "n_clicks"),
    State(ids.EXPLORER_VIEW, "data"),
    prevent_initial_call=True,
)
@guarded_outputs(2)
def export_png(clicks: object, data: object):  # type: ignore[no-untyped-def]
    if not clicks:
        return no_update, None  # mounted, not clicked
    res = explore(serving(), stored_view(data))
    figure = explorer_figure(res)
    figure.update_layout(title=res.metric.title, paper_bgcolor="white", plot_bgcolor="white")
    png = figure_png(figure, width=1400, height=650)  # one Chromium per process, kept running
    return dcc.send_bytes(png, f"{res.view.metric}_{res.view.grain}.png"), None


# Registered last so the layout function exists (the pages are imported, not scanned).
dash.register_page(
    __name__,
    path_template="/metric/<name>",
    title="Northstar · Explorer",
    name="Explorer",
    order=2,
    layout=layout,
)
# The nav's "Explorer" link: the page without a metric in the path opens the North Star.
dash.register_page(
    f"{__name__}_default",
    path="/metric",
    title="Northstar · Explorer",
    name="Explorer (default metric)",
    order=99,
    layout=layout,
)
