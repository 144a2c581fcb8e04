"""Catalogue `/catalog`: every metric, searchable, with its definition, lineage and pages."""

from __future__ import annotations

from typing import Any
from urllib.parse import parse_qs, urlencode

import dash
import dash_mantine_components as dmc
from dash import Input, Output, State, callback, dcc, html, no_update

from dashboard import ids
from dashboard.components.states import empty_state, guarded, loading
from dashboard.lineage import formula_text, lineage, pages_showing
from dashboard.serving import serving


def layout(q: str | None = None, **_other: object) -> html.Div:
    return html.Div(
        [
            dmc.Group(
                [
                    dmc.Title("Metric catalogue", order=2),
                    dmc.TextInput(
                        id=ids.CATALOG_SEARCH,
                        value=q or "",
                        w=360,
                        debounce=300,
                        placeholder="Search name, owner, tag, description…",
                    ),
                ],
                justify="space-between",
                mb="md",
            ),
            loading(ids.CATALOG_BODY),
        ]
    )


@callback(
    Output(ids.PAGES_LOCATION, "search", allow_duplicate=True),
    Input(ids.CATALOG_SEARCH, "value"),
    State(ids.PAGES_LOCATION, "search"),
    prevent_initial_call=True,
)
def search(text: str, current: str | None) -> str:
    if (text or "") == parse_qs((current or "").lstrip("?")).get("q", [""])[0]:
        return no_update  # the box reports its value when mounted: not a change
    return f"?{urlencode({'q': text})}" if text else ""


def _matches(metric: Any, words: list[str]) -> bool:
    hay = " ".join(
        [
            metric.name,
            metric.title,
            metric.description,
            metric.owner or "",
            metric.tier or "",
            metric.type,
            *metric.tags,
        ]
    ).lower()
    return all(w in hay for w in words)


@callback(Output(ids.CATALOG_BODY, "children"), Input(ids.CATALOG_SEARCH, "value"))
@guarded
def render_catalog(text: str | None) -> Any:
    """Metrics matching every word of the search, NSM and drivers first."""
    snap = serving().snapshot()
    spec, semantics = snap.spec, snap.semantics
    words = (text or "").lower().split()
    order = {"nsm": 0, "driver": 1, "diagnostic": 2}
    metrics = sorted(
        (m for m in spec.metrics if _matches(m, words)),
        key=lambda m: (order.get(m.tier or "", 3), m.name),
    )
    if not metrics:
        return empty_state("No metric matches this search.", "Try fewer words.")
    head = dmc.TableThead(
        dmc.TableTr(
            [
                dmc.TableTh(h)
                for h in (
                    "Metric",
                    "Type",
                    "Tier",
                    "Owner",
                    "Tags",
                    "Description",
                    "Formula",
                    "Lineage",
                    "Shown on",
                )
            ]
        )
    )
    rows = [_row(spec, semantics, m) for m in metrics]
    return [
        dmc.Text(
            f"{len(metrics)} of {len(spec.metrics)} metrics",
            c="dimmed",
            size="sm",
            mb="xs",
            id="catalog-count",
        ),
        dmc.Table(
            [head, dmc.TableTbody(rows)],
            striped=True,
            highlightOnHover=True,
            withTableBorder=True,
            verticalSpacing="xs",
            fz="sm",
        ),
    ]


def _row(spec: Any, semantics: Any, m: Any) -> dmc.TableTr:
    trace = lineage(spec, semantics, m.name)
    chain = " → ".join(
        part
        for part in (
            ", ".join(trace["metrics"]),
            ", ".join(trace["models"]),
            ", ".join(trace["tables"]),
        )
        if part
    )
    tier_colour = {"nsm": "orange", "driver": "blue", "diagnostic": "gray"}.get(
        m.tier or "", "gray"
    )
    return dmc.TableTr(
        [
            dmc.TableTd(dcc.Link(m.title, href=f"/metric/{m.name}"), className="ns-catalog-name"),
            dmc.TableTd(m.type),
            dmc.TableTd(
                dmc.Badge(m.tier, color=tier_colour, variant="light", miw=84) if m.tier else "—"
            ),
            dmc.TableTd(m.owner or "—"),
            dmc.TableTd(", ".join(m.tags) or "—"),
            dmc.TableTd(m.description or "—", className="ns-catalog-description"),
            dmc.TableTd(dmc.Code(formula_text(m))),
            dmc.TableTd(chain or "—"),
            dmc.TableTd(
                dmc.Group([dcc.Link(t, href=h) for t, h in pages_showing(spec, m.name)], gap=6)
            ),
        ],
        id=f"catalog-row-{m.name}",
    )


# Registered last so the layout function exists (the pages are imported, not scanned).
dash.register_page(
    __name__,
    path="/catalog",
    title="Northstar · Catalogue",
    name="Catalogue",
    order=3,
    layout=layout,
)
