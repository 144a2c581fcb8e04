"""Metric tree `/tree`: the NSM and its drivers, each node with value, change and owner; the
relation on the edge; a click on a node opens it in the Explorer."""

from __future__ import annotations

from dataclasses import replace
from typing import Any

import dash
import dash_mantine_components as dmc
from dash import Input, Output, State, callback, dcc, html

from dashboard import ids
from dashboard.components.address_error import address_error
from dashboard.components.kpi import change_badge
from dashboard.components.states import error_state, guarded, guarded_outputs, loading
from dashboard.formatting import format_value, period_label
from dashboard.pages.overview import grain_href, nsm_grain
from dashboard.serving import serving
from dashboard.summaries import summarise_many
from dashboard.url_state import UrlStateError, grain_from_href, grain_view, page_location
from dashboard.views import GRAINS, ExplorerView

RELATIONS = {"product": "× product", "sum": "+ sum", "ratio": "÷ ratio", "related": "~ related"}


def layout(**params: object) -> html.Div:
    try:
        view = grain_view("/tree", page_location(params)[1])
    except UrlStateError as exc:
        return address_error(exc, "/tree", "the metric tree")
    grain = view.grain or nsm_grain()
    return html.Div(
        [
            dmc.Group(
                [
                    dmc.Title("Metric tree", order=2),
                    dmc.SegmentedControl(
                        id=ids.TREE_GRAIN,
                        value=grain,
                        data=[{"label": g.capitalize(), "value": g} for g in GRAINS],
                    ),
                ],
                justify="space-between",
                mb="md",
            ),
            dcc.Store(id=ids.TREE_VIEW, data=replace(view, grain=grain).href()),
            loading(ids.TREE_BODY),
        ]
    )


@callback(
    Output(ids.PAGES_LOCATION, "href", allow_duplicate=True),
    Output(ids.TREE_BODY, "children", allow_duplicate=True),
    Input(ids.TREE_GRAIN, "value"),
    State(ids.TREE_VIEW, "data"),
    prevent_initial_call=True,
)
@guarded_outputs(2)
def choose_grain(grain: object, data: object):  # type: ignore[no-untyped-def]
    return grain_href(grain, data)


@callback(Output(ids.TREE_BODY, "children"), Input(ids.TREE_VIEW, "data"))
@guarded
def render_tree(data: object) -> Any:
    """The driver tree with each node's latest complete period, as of the view's day."""
    view = grain_from_href(data)
    spec = serving().snapshot().spec
    if spec.north_star is None or spec.north_star.tree is None:
        return error_state(
            "Add `north_star.tree` to metrics.yml to see the driver tree.", "No driver tree defined"
        )
    grain = view.grain or nsm_grain()
    tree = spec.north_star.tree
    nodes = _nodes(tree)
    requests = [
        (n.metric, grain, (spec.north_star.targets if n is tree else None) or n.targets, False)
        for n in nodes
    ]
    found = summarise_many(serving(), requests, as_of=view.as_of)
    summaries = dict(zip((id(n) for n in nodes), found, strict=True))
    return html.Div(_branch(tree, replace(view, grain=grain), summaries), className="ns-tree")


def _nodes(node: Any) -> list:
    return [node, *(n for child in node.children for n in _nodes(child))]


def _branch(node: Any, view: Any, summaries: dict) -> list:
    items: list = [_node(node, view, summaries[id(node)])]
    if node.children:
        relation = RELATIONS.get(node.relation or "", node.relation or "")
        row = html.Div(
            [
                dmc.Badge(relation, variant="outline", color="gray", className="ns-tree-relation")
                if relation
                else None,
                *[
                    html.Div(_branch(c, view, summaries), className="ns-tree-branch")
                    for c in node.children
                ],
            ],
            className="ns-tree-children" + (" ns-single" if len(node.children) == 1 else ""),
        )
        items.append(row)
    return items


def _node(node: Any, view: Any, s: Any) -> dcc.Link:
    grain = view.grain
    when = period_label(s.period, grain) if s.period else "no complete period"
    return dcc.Link(
        dmc.Card(
            [
                dmc.Text(s.metric.title, fw=600),
                html.Div(
                    format_value(s.value, s.metric, s.currency),
                    className="ns-card-value",
                    id=f"tree-value-{node.metric}",
                ),
                change_badge("vs previous", s.change, s.tone(s.change), size="md"),
                dmc.Text(when, size="xs", c="dimmed", mt=4),
                dmc.Text(f"Owner: {node.owner or s.metric.owner or '—'}", size="xs", c="dimmed"),
            ],
            withBorder=True,
            radius="md",
            padding="sm",
            className="ns-tree-node",
        ),
        href=ExplorerView(node.metric, grain=grain, as_of=view.as_of).href(),
        className="ns-card-link",
        id=f"tree-node-{node.metric}",
    )


# Registered last so the layout function exists (the pages are imported, not scanned).
dash.register_page(
    __name__,
    path="/tree",
    title="Northstar · Metric tree",
    name="Metric tree",
    order=1,
    layout=layout,
)
