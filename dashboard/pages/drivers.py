"""Drivers `/drivers`: why did a metric move between two ranges?

The layout is a function of the URL (metric, from, to, compare, vs_from, vs_to, as_of), read by
`dashboard.url_state` (one schema: what the page cannot show exactly is named in place); every
control writes a new URL and nothing else, and the page's store keeps the view's href. One callback
asks analysis.explain for the numbers and draws a waterfall of the drivers' contributions along the
tree (a link per child descends into it), the ranked segments with links into the Explorer, and the
`related` drivers with their correlation.
"""

from __future__ import annotations

import hashlib
from dataclasses import replace
from datetime import date, timedelta
from typing import Any

import dash
import dash_mantine_components as dmc
import plotly.graph_objects as go
from dash import Input, Output, State, callback, dcc, html, no_update

from analysis.explain import Explanation, explain, find_node, subtree_metrics
from analysis.leadlag import lead_lag
from analysis.ranges import DayRange
from analysis.report import driver_records, segment_records, segment_verdict
from dashboard import ids
from dashboard.components.address_error import address_error
from dashboard.components.states import failure_state, guarded, guarded_outputs, loading
from dashboard.formatting import format_delta, format_value
from dashboard.result_cache import cache_get, cache_set
from dashboard.serving import serving
from dashboard.url_state import UrlStateError, drivers_from_href, drivers_view, page_location
from dashboard.views import DRIVER_COMPARES, DriversView, ExplorerView
from metric_layer.periods import period_start
from metric_layer.query import DimensionFilter, MetricQuery

VIEW = "drivers-view"
METRIC = "drivers-metric"
DATES = "drivers-dates"
COMPARE = "drivers-compare"
VS_DATES = "drivers-vs-dates"
MESSAGE = "drivers-message"
BODY = "drivers-body"
SUMMARY = "drivers-summary"
WATERFALL = "drivers-waterfall"
SEGMENTS = "drivers-segments"
VERDICT = "drivers-verdict"
LEADLAG = "drivers-leadlag"
LEADLAG_WEEKS = 104  # two years of weekly changes: enough points for lags −8..8


def resolve(view: DriversView, spec: Any, today: date) -> DriversView:
    """The view with the page's defaults filled in: the North Star (else the first metric) and the
    last complete week before `today`."""
    metric = view.metric or (spec.north_star.metric if spec.north_star else spec.metric_names[0])
    last_week = period_start(today, "week", spec.week_start) - timedelta(days=7)
    current = view.current or DayRange(last_week, last_week + timedelta(days=6))
    return replace(view, metric=metric, current=current)


def stored_view(data: object, snap: Any) -> DriversView:
    """The page's store (an href) → its view with defaults, by the same schema as the address."""
    view = drivers_from_href(data, metrics=snap.spec.metric_names)
    return resolve(view, snap.spec, snap.service.today(view.as_of))


def layout(**params: object) -> html.Div:
    try:
        snap = serving().snapshot()
    except Exception as exc:
        return failure_state(exc)
    spec = snap.spec
    try:
        parsed = drivers_view(page_location(params)[1], metrics=spec.metric_names)
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
    params = {
        "metric": _control(metric, "the metric") or view.metric,
        "from": current[0],
        "to": current[1],
        "compare": compare,
    }
    if view.as_of:
        params["as_of"] = view.as_of.isoformat()
    if compare == "custom":  # the picked baseline, else the one shown until now
        vs = _picked(vs_dates, "the compared range")
        vs = vs or [view.baseline.start.isoformat(), view.baseline.end.isoformat()]
        params.update(vs_from=vs[0], vs_to=vs[1])
    new = drivers_view(params, metrics=snap.spec.metric_names).href()
    if new == view.href():
        return no_update, None  # controls report their values when mounted: not a change
    return new[len("/drivers") :], None


def _explanation(view: DriversView) -> tuple[Explanation, Any]:
    """The explanation of a view, cached per snapshot like every page's numbers."""
    srv = serving()
    snap = srv.snapshot()
    key = "dx:" + hashlib.sha1(f"{snap.key()}|{view.href()}".encode()).hexdigest()
    hit = cache_get(srv.cache, key)
    if hit is None:
        hit = explain(snap.service, view.metric, view.current, view.baseline)
        cache_set(srv.cache, key, hit)
    return hit, snap.spec


@callback(Output(BODY, "children"), Input(VIEW, "data"))
@guarded
def render_drivers(data: object) -> Any:
    view = stored_view(data, serving().snapshot())
    result, spec = _explanation(view)
    metric = spec.metric(view.metric)
    currency = spec.currency
    c = result.comparison
    pct = f" ({c.change_pct * 100:+.1f}%)" if c.before else ""
    summary = dmc.Paper(
        [
            dmc.Text(f"{metric.title}: {result.current} vs {result.baseline}", c="dimmed"),
            dmc.Text(
                f"{format_value(c.before, metric, currency)} → {format_value(c.after, metric, currency)}"
                f" · {format_delta(c.change, metric, currency)}{pct}",
                id=SUMMARY,
                size="xl",
                fw=700,
            ),
            *[dmc.Text(note, c="orange", size="sm") for note in result.notes],
        ],
        p="md",
        withBorder=True,
        mb="md",
    )
    return [summary, _drivers_panel(result, view, spec), _segments_panel(result, view, spec)]


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
    start = end - timedelta(weeks=LEADLAG_WEEKS)
    query = MetricQuery((name, *candidates), "week", start, end, as_of=view.as_of)
    frame = serving().frame(query).frame
    frame = frame[~frame["is_partial"]]
    results = [
        lead_lag(frame[name], frame[c], names=(_title(spec, name), _title(spec, c)))
        for c in candidates
    ]
    results.sort(key=lambda r: -abs(r.r) if r.r == r.r else 0)
    best = results[0]
    figure = go.Figure(
        go.Bar(x=list(best.by_lag), y=[None if v != v else v for v in best.by_lag.values()])
    )
    figure.update_layout(
        height=220,
        margin={"l": 40, "r": 20, "t": 30, "b": 40},
        title=f"r of weekly changes: {best.candidate} shifted by k weeks",
        xaxis={"title": "k (> 0: the driver leads)", "dtick": 1},
        yaxis={"range": [-1, 1]},
    )
    return dmc.Paper(
        [
            dmc.Title("Which driver leads?", order=3),
            dmc.Stack([dmc.Text(r.verdict("week")) for r in results], gap=2, mb="sm"),
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


def _drivers_panel(result: Explanation, view: DriversView, spec: Any) -> Any:
    rows = [r for r in driver_records(result) if r["parent"] == view.metric]
    if not rows:
        return dmc.Paper(
            dmc.Text(f"`{view.metric}` has no drivers in north_star.tree.", c="dimmed"),
            p="md",
            withBorder=True,
            mb="md",
        )
    metric = spec.metric(view.metric)
    exact = [r for r in rows if r["contribution"] is not None]
    related = [r for r in rows if r["contribution"] is None]
    parts: list[Any] = [dmc.Title("Drivers", order=3)]
    if exact:
        parts.append(dcc.Graph(id=WATERFALL, figure=_waterfall(result, exact, metric, spec)))
    links = []
    for r in rows:
        if r["metric"] == "residual":
            continue
        child = spec.metric(r["metric"])
        text = f"{child.title}: {format_value(r['before'], child, spec.currency)} → "
        text += f"{format_value(r['after'], child, spec.currency)}"
        if r["contribution"] is None and r["correlation"] is not None:
            text += f" · r = {r['correlation']:.2f} with {metric.title}"
        links.append(
            dcc.Link(
                f"Explain {text}",
                href=replace(view, metric=r["metric"]).href(),
                className="ns-driver-link",
            )
        )
    parts.append(dmc.Stack(links, gap=4))
    if related:
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


def _waterfall(result: Explanation, rows: list[dict], metric: Any, spec: Any) -> go.Figure:
    c = result.comparison
    names = ["before"] + [
        "not explained" if r["metric"] == "residual" else spec.metric(r["metric"]).title
        for r in rows
    ]
    values = [c.before] + [r["contribution"] for r in rows] + [c.after]
    text = [format_value(c.before, metric, spec.currency)]
    text += [format_delta(r["contribution"], metric, spec.currency) for r in rows]
    text += [format_value(c.after, metric, spec.currency)]
    figure = go.Figure(
        go.Waterfall(
            x=[*names, "after"],
            y=values,
            measure=["absolute"] + ["relative"] * len(rows) + ["total"],
            text=text,
            textposition="outside",
            connector={"line": {"color": "#888"}},
        )
    )
    figure.update_layout(
        height=360,
        margin={"l": 40, "r": 20, "t": 30, "b": 40},
        showlegend=False,
        yaxis={"title": metric.title},
    )
    return figure


def _segments_panel(result: Explanation, view: DriversView, spec: Any) -> Any:
    metric = spec.metric(view.metric)

    def value(v: float) -> str:
        return format_value(v, metric, spec.currency)

    def delta(v: float) -> str:
        return format_delta(v, metric, spec.currency)

    records = segment_records(result, value, delta)
    titles = ("#", "Segment", "Before", "After", "Contribution", "Share", "Effect", "")
    head = html.Tr([html.Th(h, style={"textAlign": "left"}) for h in titles])
    body = []
    for s, finding in zip(
        records, result.segments.findings if result.segments else [], strict=True
    ):
        share = s["share_of_change"]
        body.append(
            html.Tr(
                [
                    html.Td(str(s["rank"])),
                    html.Td(s["segment"]),
                    html.Td(value(s["before"])),
                    html.Td(value(s["after"])),
                    html.Td(delta(s["contribution"])),
                    html.Td(f"{share * 100:.0f}%" if share is not None else ""),
                    html.Td(s["effect"]),
                    html.Td(
                        dcc.Link("Explorer", href=_explorer_href(view, result, finding.segment))
                    ),
                ]
            )
        )
    table = dmc.Table(
        [html.Thead(head), html.Tbody(body)], id=SEGMENTS, striped=True, highlightOnHover=True
    )
    return dmc.Paper(
        [
            dmc.Title("Segments", order=3),
            dmc.Text(segment_verdict(result), id=VERDICT, mb="sm"),
            table if body else html.Div(id=SEGMENTS),
            dmc.Stack([dmc.Text(s["explanation"], size="sm") for s in records], gap=2, mt="sm"),
        ],
        p="md",
        withBorder=True,
    )


def _explorer_href(view: DriversView, result: Explanation, segment: tuple) -> str:
    """The Explorer on both ranges, by the segment's first dimension, filtered to the segment."""
    start, end = min(result.baseline.start, result.current.start), result.current.end
    grain = "day" if (end - start).days <= 62 else "week"
    filters = tuple(DimensionFilter(d, "=", (str(v),)) for d, v in segment if v != "(none)")
    explorer = ExplorerView(
        view.metric,  # type: ignore[arg-type]  # resolved
        grain,
        "custom",
        start,
        end,
        "none",
        by=segment[0][0],
        filters=filters,
        as_of=view.as_of,
    )
    return explorer.href()


# Registered last so the layout function exists (the pages are imported, not scanned).
dash.register_page(
    __name__, path="/drivers", title="Northstar · Drivers", name="Drivers", order=9, layout=layout
)
