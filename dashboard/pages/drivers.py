"""Drivers `/drivers`: why did a metric move between two ranges?

The layout is a function of the URL (metric, from, to, compare, vs_from, vs_to, filters, as_of), read by
`dashboard.url_state` (one schema: what the page cannot show exactly is named in place); every
control writes a new URL and nothing else, and the page's store keeps the view's href. One callback
asks analysis.explain for the numbers and draws a waterfall of the drivers' contributions along the
tree (a link per child descends into it), the ranked segments with links into the Explorer and the
top segment's trend in both ranges, and the `related` drivers with their correlation.
"""

from __future__ import annotations

from dataclasses import replace
from datetime import date, timedelta
from typing import Any

import dash
import dash_mantine_components as dmc
import pandas as pd
import plotly.graph_objects as go
from dash import Input, Output, State, callback, dcc, html, no_update

from analysis.explain import find_node, subtree_metrics
from analysis.leadlag import lead_lag
from analysis.ranges import DayRange
from dashboard import ids, theme
from dashboard.components.address_error import address_error
from dashboard.components.filter_builder import filter_label
from dashboard.components.segment_panel import segments_panel
from dashboard.components.states import failure_state, guarded, guarded_outputs, loading
from dashboard.conditions import query_parts
from dashboard.explanations import explanation
from dashboard.explorer_filters import filter_columns_of
from dashboard.serving import serving
from dashboard.url_state import UrlStateError, drivers_from_href, drivers_view, page_location
from dashboard.views import DRIVER_COMPARES, DriversView, format_filters
from dashboard.why_figures import waterfall_figure
from dashboard.why_rows import WhyDisplay, why_display
from metric_layer.periods import period_start
from metric_layer.query import MetricQuery

VIEW = "drivers-view"
METRIC = "drivers-metric"
DATES = "drivers-dates"
COMPARE = "drivers-compare"
VS_DATES = "drivers-vs-dates"
MESSAGE = "drivers-message"
BODY = "drivers-body"
SUMMARY = "drivers-summary"
WATERFALL = "drivers-waterfall"
LEADLAG = "drivers-leadlag"
LEADLAG_WEEKS = 104  # two years of weekly changes: enough points for lags −8..8


def default_metric(spec: Any) -> str:
    return spec.north_star.metric if spec.north_star else spec.metric_names[0]


def _dimensions(snap: Any) -> Any:
    return lambda metric: snap.semantics.dimensions_of_metric(metric)


def _columns(snap: Any) -> Any:
    """What a filter may also name: the columns of the rows the metric counts (as the Explorer)."""
    return lambda metric: filter_columns_of(snap, metric)


def resolve(view: DriversView, spec: Any, today: date) -> DriversView:
    """The view with the page's defaults filled in: the North Star (else the first metric) and the
    last complete week before `today`."""
    metric = view.metric or default_metric(spec)
    last_week = period_start(today, "week", spec.week_start) - timedelta(days=7)
    current = view.current or DayRange(last_week, last_week + timedelta(days=6))
    return replace(view, metric=metric, current=current)


def stored_view(data: object, snap: Any) -> DriversView:
    """The page's store (an href) → its view with defaults, by the same schema as the address."""
    view = drivers_from_href(
        data,
        metrics=snap.spec.metric_names,
        dimensions_of=_dimensions(snap),
        default_metric=default_metric(snap.spec),
        columns_of=_columns(snap),
    )
    return resolve(view, snap.spec, snap.service.today(view.as_of))


def layout(**params: object) -> html.Div:
    try:
        snap = serving().snapshot()
    except Exception as exc:
        return failure_state(exc)
    spec = snap.spec
    try:
        parsed = drivers_view(
            page_location(params)[1],
            metrics=spec.metric_names,
            dimensions_of=_dimensions(snap),
            default_metric=default_metric(spec),
            columns_of=_columns(snap),
        )
    except UrlStateError as exc:
        return address_error(exc, "/drivers", "the Drivers page")
    view = resolve(parsed, spec, snap.service.today(parsed.as_of))
    current, baseline = view.current, view.baseline
    assert current is not None  # resolve fills it
    controls = dmc.Group(
        [
            dmc.Select(
                id=METRIC,
                label="Metric",
                data=[{"value": m.name, "label": m.title} for m in spec.metrics],
                value=view.metric,
                searchable=True,
                allowDeselect=False,
                w=260,
            ),
            dmc.DatePickerInput(
                id=DATES,
                label="This range",
                type="range",
                w=250,
                value=[current.start.isoformat(), current.end.isoformat()],
            ),
            dmc.SegmentedControl(
                id=COMPARE,
                value=view.compare,
                data=[{"value": k, "label": v} for k, v in DRIVER_COMPARES.items()],
            ),
            dmc.DatePickerInput(
                id=VS_DATES,
                label="Compared with",
                type="range",
                w=250,
                value=[baseline.start.isoformat(), baseline.end.isoformat()],
                disabled=view.compare != "custom",
            ),
        ],
        align="flex-end",
        mb="md",
    )
    return html.Div(
        [
            dmc.Title("Why did it move?", order=2, mb="sm"),
            controls,
            html.Div(id=MESSAGE),
            dcc.Store(id=VIEW, data=view.href()),
            loading(BODY),
            loading(LEADLAG),
        ]
    )


def _control(value: object, what: str) -> str | None:
    if value is not None and not isinstance(value, str):
        raise UrlStateError([f"{what} must be text"])
    return value or None


def _picked(value: object, what: str) -> list[str] | None:
    """A date-range picker's value → its two days (YYYY-MM-DD); None while half a range is picked."""
    if value is None:
        return None
    if not isinstance(value, list | tuple) or len(value) > 2:
        raise UrlStateError([f"{what} must be two days"])
    days = [_control(day, what) for day in value]
    if len(days) < 2 or not all(days):
        return None
    return [day[:10] for day in days]  # type: ignore[index]  # pickers may add a time


@callback(
    Output(ids.PAGES_LOCATION, "search", allow_duplicate=True),
    Output(MESSAGE, "children"),
    Input(METRIC, "value"),
    Input(DATES, "value"),
    Input(COMPARE, "value"),
    Input(VS_DATES, "value"),
    State(VIEW, "data"),
    prevent_initial_call=True,
)
@guarded_outputs(2)
def change_view(metric, dates, compare, vs_dates, data):  # type: ignore[no-untyped-def]
    """Controls → the URL of the new view (the page re-renders from it); bad input → a message."""
    snap = serving().snapshot()
    view = stored_view(data, snap)
    current = _picked(dates, "this range")
    if current is None:
        return no_update, no_update  # half a range picked: wait for the second day
    compare = _control(compare, "the comparison") or view.compare
    metric = _control(metric, "the metric") or view.metric
    if metric not in snap.spec.metric_names:
        raise UrlStateError([f"there is no metric called {metric!r}"])
    params = {"metric": metric, "from": current[0], "to": current[1], "compare": compare}
    filters = descend(view, metric).filters  # another metric keeps the filters it can take
    if filters:
        params["filters"] = format_filters(filters)
    if view.as_of:
        params["as_of"] = view.as_of.isoformat()
    if compare == "custom":  # the picked baseline, else the one shown until now
        vs = _picked(vs_dates, "the compared range")
        vs = vs or [view.baseline.start.isoformat(), view.baseline.end.isoformat()]
        params.update(vs_from=vs[0], vs_to=vs[1])
    new = drivers_view(
        params,
        metrics=snap.spec.metric_names,
        dimensions_of=_dimensions(snap),
        columns_of=_columns(snap),
    )
    new = new.href()
    if new == view.href():
        return no_update, None  # controls report their values when mounted: not a change
    return new[len("/drivers") :], None


@callback(Output(BODY, "children"), Input(VIEW, "data"))
@guarded
def render_drivers(data: object) -> Any:
    snap = serving().snapshot()
    view = stored_view(data, snap)
    spec = snap.spec
    assert view.metric is not None and view.current is not None  # stored_view resolves both
    result = explanation(view.metric, view.current, view.baseline, view.filters, view.as_of)
    display = why_display(result, spec, top=None)
    # Worded as the Explorer's chips (`amount between 10 and 20`), not as the link writes them.
    filtered = "".join(f" · {filter_label(f)}" for f in view.filters)
    summary = dmc.Paper(
        [
            dmc.Text(
                f"{display.metric.title}: {result.current} vs {result.baseline}{filtered}",
                c="dimmed",
            ),
            dmc.Text(display.summary, id=SUMMARY, size="xl", fw=700),
            dcc.Link("Show it without the filters", href=replace(view, filters=()).href())
            if view.filters
            else None,
            *[dmc.Text(note, c="orange", size="sm") for note in result.notes],
        ],
        p="md",
        withBorder=True,
        mb="md",
    )
    return [
        summary,
        _drivers_panel(display, view, spec),
        segments_panel(result, display, view, spec),
    ]


@callback(Output(LEADLAG, "children"), Input(VIEW, "data"))
@guarded
def render_leadlag(data: object) -> Any:
    """Which of the metric's tree drivers lead it: weekly changes correlated at lags −8..8."""
    snap = serving().snapshot()
    spec = snap.spec
    view = stored_view(data, snap)
    name, current = view.metric, view.current
    assert name is not None and current is not None  # stored_view resolves both
    node = find_node(spec.north_star.tree if spec.north_star else None, name)
    candidates = subtree_metrics(node)[1:] if node else []
    if not candidates:
        return None
    end = current.end
    frame, notes = _weekly_series(view, (name, *candidates), end - timedelta(weeks=LEADLAG_WEEKS))
    results = [
        lead_lag(frame[name], frame[c], names=(_title(spec, name), _title(spec, c)))
        for c in candidates
    ]
    results.sort(key=lambda r: -abs(r.r) if r.r == r.r else 0)
    best = results[0]
    figure = go.Figure(
        go.Bar(
            x=list(best.by_lag),
            y=[None if v != v else v for v in best.by_lag.values()],
            marker_color=theme.PRIMARY,
        )
    )
    theme.styled(figure)
    figure.update_layout(
        height=220,
        hovermode="closest",
        margin={"l": 40, "r": 20, "t": 30, "b": 40},
        title=f"r of weekly changes: {best.candidate} shifted by k weeks",
        xaxis={"title": "k (> 0: the driver leads)", "dtick": 1},
        yaxis={"range": [-1, 1]},
    )
    return dmc.Paper(
        [
            dmc.Title("Which driver leads?", order=3),
            dmc.Stack([dmc.Text(r.verdict("week")) for r in results], gap=2, mb="sm"),
            *[dmc.Text(note, c="dimmed", size="sm") for note in notes],
            dcc.Graph(figure=figure, config={"displayModeBar": False}),
            dmc.Text(
                "Correlation is not causation: an A/B test that moves the driver shows whether it "
                "moves the metric.",
                c="dimmed",
                size="sm",
            ),
        ],
        p="md",
        withBorder=True,
        mt="md",
    )


def _title(spec: Any, metric: str) -> str:
    return spec.metric(metric).title


def _drivers_panel(d: WhyDisplay, view: DriversView, spec: Any) -> Any:
    if not d.drivers:
        return dmc.Paper(
            dmc.Text(f"`{view.metric}` has no drivers in north_star.tree.", c="dimmed"),
            p="md",
            withBorder=True,
            mb="md",
        )
    parts: list[Any] = [dmc.Title("Drivers", order=3)]
    if d.exact_drivers:
        figure = waterfall_figure(d, spec.currency)
        parts.append(dcc.Graph(id=WATERFALL, figure=figure, config={"displayModeBar": False}))
    links = []
    for r in d.drivers:
        if r.metric is None:
            continue
        text = f"Explain {r.label}: {r.before} → {r.after}"
        if r.kind == "related":
            text += f" · {r.text} with {d.metric.title}"
        links.append(
            dcc.Link(text, href=descend(view, r.metric).href(), className="ns-driver-link")
        )
    parts.append(dmc.Stack(links, gap=4))
    if any(r.kind == "related" for r in d.drivers):
        parts.append(
            dmc.Text(
                "Related drivers have no exact share: r is the correlation of the period-over-period "
                "changes. Correlation is not causation; an A/B test that moves the driver would show "
                "whether it moves the parent.",
                c="dimmed",
                size="sm",
            )
        )
    return dmc.Paper(parts, p="md", withBorder=True, mb="md")


def _weekly_series(view: DriversView, names: tuple[str, ...], start: date):
    """Whole weeks of each metric from `start` to the view's end, each with the view's filters it
    can take (one query per set of filters), and a note where a metric cannot take one."""
    assert view.current is not None
    by_filters: dict[tuple, list[str]] = {}
    for name in names:
        by_filters.setdefault(descend(view, name).filters, []).append(name)
    frames, notes = [], []
    for filters, group in by_filters.items():
        kept, where = query_parts(filters)
        query = MetricQuery(
            tuple(group),
            "week",
            start,
            view.current.end,
            filters=kept,
            where=where,
            as_of=view.as_of,
        )
        frame = serving().frame(query).frame
        frames.append(frame[~frame["is_partial"]].set_index("period")[group])
        left = [filter_label(f) for f in view.filters if f not in filters]
        if left:
            notes.append(f"{', '.join(group)}: without {', '.join(left)} (it cannot take it)")
    return pd.concat(frames, axis=1, join="inner").reset_index(), notes


def descend(view: DriversView, metric: str) -> DriversView:
    """The same question about another metric, with the filters it can take too (a driver on
    another model may lack a dimension or a column)."""
    snap = serving().snapshot()
    names = {*snap.semantics.dimensions_of_metric(metric), *filter_columns_of(snap, metric)}
    return replace(
        view, metric=metric, filters=tuple(f for f in view.filters if f.dimension in names)
    )


# Registered last so the layout function exists (the pages are imported, not scanned).
dash.register_page(
    __name__, path="/drivers", title="Northstar · Drivers", name="Drivers", order=9, layout=layout
)
