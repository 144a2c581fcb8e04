"""Metric tree `/tree`: the NSM and its drivers, each node with value, change and owner; the
relation on the edge and each child's contribution to its parent's change (filled in after the
tree is drawn); a click on a node opens it in the Explorer."""

from __future__ import annotations

from dataclasses import replace
from typing import Any

import dash
import dash_mantine_components as dmc
from dash import ALL, Input, Output, State, callback, dcc, html

from analysis.explain import find_node
from dashboard import ids
from dashboard.components.address_error import address_error
from dashboard.components.kpi import change_badge
from dashboard.components.states import error_state, guarded, guarded_outputs, loading
from dashboard.explanations import explanation, period_ranges
from dashboard.formatting import format_value, period_label
from dashboard.pages.overview import grain_href, nsm_grain
from dashboard.serving import serving
from dashboard.summaries import summarise, summarise_many
from dashboard.url_state import UrlStateError, grain_from_href, grain_view, page_location
from dashboard.views import GRAINS, ExplorerView
from dashboard.why_rows import change_texts, edge_rows, in_words

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
    snap = serving().snapshot()
    snap.check_north_star_shown()
    spec = snap.spec
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
    return [
        html.Div(id=ids.TREE_WHY_MESSAGE),
        dcc.Store(id=ids.TREE_WHY_VIEW, data=replace(view, grain=grain).href()),
        html.Div(_branch(tree, replace(view, grain=grain), summaries), className="ns-tree"),
    ]


@callback(
    Output({"type": ids.TREE_EDGE, "index": ALL}, "children"),
    Output(ids.TREE_WHY_MESSAGE, "children"),
    Input(ids.TREE_WHY_VIEW, "data"),
)
def render_contributions(data: object):  # type: ignore[no-untyped-def]
    """After the tree: each child's contribution to its parent's change over the North Star's
    latest complete period vs the previous one, in the parent's unit ("+367 of +2 orders"), and
    under each parent what its relation leaves unexplained. A failure leaves the slots empty
    and says why above the tree (a wildcard output takes no `no_update`)."""
    slots = [o["id"]["index"] for o in dash.ctx.outputs_list[0]]
    texts = edge_texts(data)
    if not isinstance(texts, dict):
        return [None] * len(slots), texts  # the error state
    return [texts.get(slot) for slot in slots], None


@guarded
def edge_texts(data: object) -> Any:
    """Slot index (parent>child, or parent> for what is left over) → the text it shows."""
    view = grain_from_href(data)
    spec = serving().snapshot().spec
    tree = spec.north_star.tree if spec.north_star else None
    if tree is None:
        return {}
    grain = view.grain or nsm_grain()
    root = summarise(serving(), tree.metric, grain, with_last_year=False, as_of=view.as_of)
    if root.period is None:
        return {}
    current, baseline = period_ranges(root.period, grain)
    result = explanation(tree.metric, current, baseline, (), view.as_of, segments=False)
    changes = change_texts(result, spec)
    texts = {}
    for row in edge_rows(result, spec):
        parent = in_words(spec.metric(row.parent).title)
        if row.kind == "residual":
            relation = _relation(tree, row.parent)
            texts[f"{row.parent}>"] = f"Not explained by the {relation}: {row.text}"
        elif row.kind == "related":  # no share: how the two moved together, when known
            known = row.correlation is not None
            what = f"{row.text} with {parent}" if known else f"related to {parent}"
            texts[f"{row.parent}>{row.metric}"] = what
        else:  # the parent's unit is in the numbers (¥, pts); counts need no word
            texts[f"{row.parent}>{row.metric}"] = f"{row.text} of {changes.get(row.parent, '')}"
    return texts


def _relation(tree: Any, metric: str) -> str:
    node = find_node(tree, metric)
    return (node.relation if node else None) or "relation"


def _nodes(node: Any) -> list:
    return [node, *(n for child in node.children for n in _nodes(child))]


def _branch(node: Any, view: Any, summaries: dict, parent: str | None = None) -> list:
    items: list = [_node(node, view, summaries[id(node)], parent)]
    if node.children:
        relation = RELATIONS.get(node.relation or "", node.relation or "")
        row = html.Div(
            [
                dmc.Badge(relation, variant="outline", color="gray", className="ns-tree-relation")
                if relation
                else None,
                *[
                    html.Div(_branch(c, view, summaries, node.metric), className="ns-tree-branch")
                    for c in node.children
                ],
            ],
            className="ns-tree-children" + (" ns-single" if len(node.children) == 1 else ""),
        )
        items.append(row)
    return items


def _edge(index: str, what: str, title: str) -> html.Div:
    """A slot the contributions fill in after the tree is drawn."""
    return html.Div(
        id={"type": ids.TREE_EDGE, "index": index},
        className=f"ns-tree-{what}",
        title=title,
        **{"data-edge": index},
    )


def _node(node: Any, view: Any, s: Any, parent: str | None) -> dcc.Link:
    grain = view.grain
    when = period_label(s.period, grain) if s.period else "no complete period"
    return dcc.Link(
        dmc.Card(
            [
                _edge(
                    f"{parent}>{node.metric}",
                    "contribution",
                    f"contribution of {s.metric.title} to the change in {parent} vs the previous {grain}",
                )
                if parent
                else None,
                dmc.Text(s.metric.title, fw=600),
                html.Div(
                    format_value(s.value, s.metric, s.currency),
                    className="ns-card-value",
                    id=f"tree-value-{node.metric}",
                ),
                change_badge("vs previous", s.change, s.tone(s.change), size="md"),
                dmc.Text(when, size="xs", c="dimmed", mt=4),
                dmc.Text(f"Owner: {node.owner or s.metric.owner or '—'}", size="xs", c="dimmed"),
                _edge(f"{node.metric}>", "unexplained", "what the tree's relation leaves over")
                if node.children
                else None,
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
