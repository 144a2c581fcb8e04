"""The definition panel: what a metric means, who owns it, how it is computed and where it is used."""

from __future__ import annotations

from typing import Any

import dash_mantine_components as dmc
from dash import dcc, html

from dashboard.lineage import formula_text, lineage, pages_showing, used_by
from metric_layer.semantics import Semantics
from metric_layer.spec import Spec


def _row(label: str, value: Any) -> html.Tr:
    return html.Tr(
        [html.Td(dmc.Text(label, c="dimmed", size="sm"), style={"width": 130}), html.Td(value)]
    )


def _links(names: list[str]) -> Any:
    if not names:
        return "—"
    return dmc.Group([dcc.Link(n, href=f"/metric/{n}") for n in names], gap="xs")


def definition_panel(
    spec: Spec, semantics: Semantics, metric: Any, sql: dict[str, str]
) -> dmc.Paper:
    trace = lineage(spec, semantics, metric.name)
    pages = dmc.Group([dcc.Link(t, href=h) for t, h in pages_showing(spec, metric.name)], gap="sm")
    rows = [
        _row("Description", metric.description or "—"),
        _row("Owner", metric.owner or "—"),
        _row("Type / tier", f"{metric.type} · {metric.tier or 'unranked'}"),
        _row(
            "Tags",
            dmc.Group([dmc.Badge(t, variant="light") for t in metric.tags], gap=4)
            if metric.tags
            else "—",
        ),
        _row("Formula", dmc.Code(formula_text(metric))),
        _row("Inputs", _links(semantics.inputs(metric.name))),
        _row(
            "Lineage",
            " → ".join([metric.name, *trace["metrics"], *trace["models"], *trace["tables"]]),
        ),
        _row("Used by", _links(used_by(spec, semantics, metric.name))),
        _row("Shown on", pages),
    ]
    return dmc.Paper(
        [
            dmc.Title("Definition", order=4, mb="xs"),
            html.Table(html.Tbody(rows), className="ns-definition"),
            dmc.Accordion(
                dmc.AccordionItem(
                    [
                        dmc.AccordionControl("SQL that ran"),
                        dmc.AccordionPanel(dmc.Code(sql.get(metric.name, ""), block=True)),
                    ],
                    value="sql",
                ),
                mt="sm",
            ),
        ],
        withBorder=True,
        radius="md",
        p="md",
        className="ns-definition-panel",
    )
