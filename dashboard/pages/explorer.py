"""Explorer `/metric/<name>`: any metric by grain, range, compare, breakdown and filters.

The layout is a function of the URL; every control writes a new URL (and nothing else), the page
re-renders from it, and one callback turns the view into numbers, chart, table and definition.
"""

from __future__ import annotations

from dataclasses import replace
from datetime import date

import dash
import dash_mantine_components as dmc
from dash import Input, Output, State, callback, dcc, html, no_update

from dashboard import ids
from dashboard.components.definition import definition_panel
from dashboard.components.explorer_controls import controls
from dashboard.components.metric_table import metric_grid
from dashboard.components.states import empty_state, error_state, failure_state, guarded, loading
from dashboard.explorer_data import dimension_values, explore, explorer_figure, export_frame
from dashboard.formatting import (
    change_tone,
    format_change,
    format_value,
    period_label,
    relative_change,
)
from dashboard.png_export import figure_png
from dashboard.serving import serving
from dashboard.views import ExplorerView
from metric_layer.query import DimensionFilter


def layout(name: str | None = None, **params: object) -> html.Div:
    try:
        snap = serving().snapshot()
    except Exception as exc:
        return failure_state(exc)
    spec = snap.spec
    if not name or name == "none":
        name = spec.north_star.metric if spec.north_star else spec.metric_names[0]
    if name not in spec.metric_names:
        return error_state(f"There is no metric called {name!r}.", "Unknown metric")
    grain = spec.north_star.grain if spec.north_star else "week"
    view = ExplorerView.from_params(name, params, grain)
    return html.Div(
        [
            controls(spec, snap.semantics, view, snap.today()),
            dcc.Store(id=ids.EXPLORER_VIEW, data=view.to_store()),
            loading(ids.EXPLORER_BODY),
        ]
    )


@callback(
    Output(ids.PAGES_LOCATION, "href", allow_duplicate=True),
    Input(ids.EXPLORER_METRIC, "value"),
    Input(ids.EXPLORER_GRAIN, "value"),
    Input(ids.EXPLORER_RANGE, "value"),
    Input(ids.EXPLORER_DATES, "value"),
    Input(ids.EXPLORER_COMPARE, "value"),
    Input(ids.EXPLORER_BY, "value"),
    Input(ids.EXPLORER_CHART, "value"),
    Input(ids.EXPLORER_TOP, "value"),
    Input(ids.EXPLORER_FILTER_VALUES, "value"),
    State(ids.EXPLORER_FILTER_DIM, "value"),
    State(ids.EXPLORER_VIEW, "data"),
    State(ids.PAGES_LOCATION, "href"),
    prevent_initial_call=True,
)
def change_view(
    metric, grain, range_, dates, compare, by, chart, top, values, filter_dim, data, href
):  # type: ignore[no-untyped-def]
    """Controls → the URL of the new view (the page re-renders from it)."""
    old = ExplorerView.from_store(data)
    start, end = old.start, old.end
    if dash.ctx.triggered_id == ids.EXPLORER_DATES:
        range_ = "custom"  # picking dates means a custom range
    if range_ == "custom" and dates and all(dates):
        start, end = (date.fromisoformat(str(d)[:10]) for d in dates)
    filters = tuple(f for f in old.filters if f.dimension != filter_dim)
    if filter_dim and values:
        filters += (DimensionFilter(filter_dim, "in", tuple(values)),)
    new = replace(
        old,
        grain=grain,
        range=range_,
        start=start,
        end=end,
        compare=compare,
        by=by or None,
        chart=chart,
        top=int(top or 5),
        filters=filters,
    )
    if metric and metric != old.metric:  # another metric: its dimensions differ, start afresh
        new = ExplorerView(metric, grain=grain, range=range_, start=start, end=end, compare=compare)
    # Controls also report their values when mounted, and some report twice: only a real change
    # of view may push a history entry.
    if new == old or (href or "").endswith(new.href()):
        return no_update
    return new.href()


@callback(
    Output(ids.EXPLORER_FILTER_VALUES, "data"),
    Input(ids.EXPLORER_FILTER_DIM, "value"),
    State(ids.EXPLORER_VIEW, "data"),
)
@guarded
def filter_choices(dimension: str | None, data: dict) -> list[str]:
    if not dimension:
        return []
    return dimension_values(serving(), ExplorerView.from_store(data), dimension)


@callback(Output(ids.EXPLORER_BODY, "children"), Input(ids.EXPLORER_VIEW, "data"))
@guarded
def render_explorer(data: dict) -> list:
    """The view's numbers: headline, chart, table and definition."""
    res = explore(serving(), ExplorerView.from_store(data))
    snap = serving().snapshot()
    view, metric = res.view, res.metric
    if res.empty:
        return [empty_state(), definition_panel(snap.spec, snap.semantics, metric, res.result.sql)]
    figure = dcc.Graph(
        id=ids.EXPLORER_FIGURE, figure=explorer_figure(res), config={"displaylogo": False}
    )
    grid = metric_grid(
        ids.EXPLORER_GRID,
        res.shown,
        metric,
        view.grain,
        view.by,
        f"{metric.name}__compare" in res.shown,
        res.currency,
    )
    return [
        _headline(res) if not view.by else None,
        dmc.Paper(figure, withBorder=True, radius="md", p="sm", mb="md"),
        dmc.Grid(
            [
                dmc.GridCol(grid, span={"base": 12, "lg": 7}),
                dmc.GridCol(
                    definition_panel(snap.spec, snap.semantics, metric, res.result.sql),
                    span={"base": 12, "lg": 5},
                ),
            ]
        ),
    ]


def _headline(res) -> dmc.Group:  # type: ignore[no-untyped-def]
    frame, metric = res.shown, res.metric
    done = frame[~frame["is_partial"]]
    if done.empty:
        return None
    row = done.iloc[-1]
    compare = row.get(f"{metric.name}__compare")
    change = relative_change(row[metric.name], compare)
    tone = change_tone(change, metric.direction)
    label = {"previous": "vs previous", "last_year": "vs last year"}.get(res.view.compare)
    return dmc.Group(
        [
            dmc.Text(period_label(row["period"], res.view.grain), c="dimmed"),
            html.Span(
                format_value(row[metric.name], metric, res.currency),
                id="explorer-value",
                className="ns-card-value",
            ),
            dmc.Badge(
                f"{format_change(change)} {label}",
                color={"good": "teal", "bad": "red"}.get(tone, "gray"),
                variant="light",
                size="lg",
            )
            if label
            else None,
        ],
        mb="sm",
        align="baseline",
    )


@callback(
    Output(ids.DOWNLOAD, "data", allow_duplicate=True),
    Input(ids.EXPORT_CSV, "n_clicks"),
    State(ids.EXPLORER_VIEW, "data"),
    prevent_initial_call=True,
)
def export_csv(clicks: int | None, data: dict):  # type: ignore[no-untyped-def]
    if not clicks:
        return no_update  # mounted, not clicked
    res = explore(serving(), ExplorerView.from_store(data))
    frame = export_frame(res)
    return dcc.send_data_frame(frame.to_csv, f"{res.view.metric}_{res.view.grain}.csv", index=False)


@callback(
    Output(ids.DOWNLOAD, "data", allow_duplicate=True),
    Input(ids.EXPORT_PNG, "n_clicks"),
    State(ids.EXPLORER_VIEW, "data"),
    prevent_initial_call=True,
)
def export_png(clicks: int | None, data: dict):  # type: ignore[no-untyped-def]
    if not clicks:
        return no_update  # mounted, not clicked
    res = explore(serving(), ExplorerView.from_store(data))
    figure = explorer_figure(res)
    figure.update_layout(title=res.metric.title, paper_bgcolor="white", plot_bgcolor="white")
    png = figure_png(figure, width=1400, height=650)  # one Chromium per process, kept running
    return dcc.send_bytes(png, f"{res.view.metric}_{res.view.grain}.png")


# Registered last so the layout function exists (the pages are imported, not scanned).
dash.register_page(
    __name__,
    path_template="/metric/<name>",
    title="Northstar · Explorer",
    name="Explorer",
    order=2,
    layout=layout,
)
