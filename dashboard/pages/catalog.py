"""Catalogue `/catalog`: every metric, searchable, with its definition, lineage and pages."""

from __future__ import annotations

from datetime import date
from typing import Any

import dash
import dash_mantine_components as dmc
from dash import Input, Output, State, callback, dcc, html, no_update

from dashboard import ids
from dashboard.components.address_error import address_error
from dashboard.components.states import empty_state, guarded, guarded_outputs, loading
from dashboard.lineage import formula_text, lineage, pages_showing
from dashboard.serving import serving
from dashboard.url_state import UrlStateError, catalog_view, page_location, query_params
from dashboard.views import CatalogView, link


def layout(**params: object) -> html.Div:
    try:
        view = catalog_view(page_location(params)[1])
    except UrlStateError as exc:
        return address_error(exc, "/catalog", "the catalogue")
    return html.Div(
        [
            dmc.Group(
                [
                    dmc.Title("Metric catalogue", order=2),
                    dmc.TextInput(
                        id=ids.CATALOG_SEARCH,
                        value=view.q,
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


def _view(text: object, search: object) -> CatalogView:
    """The catalogue's view: the search box's text with the address's as-of day, both checked by
    the address's schema."""
    as_of = catalog_view(query_params(search or "")).as_of
    return catalog_view({"q": text, "as_of": as_of.isoformat() if as_of else None})


@callback(
    Output(ids.PAGES_LOCATION, "href", allow_duplicate=True),
    Output(ids.CATALOG_BODY, "children", allow_duplicate=True),
    Input(ids.CATALOG_SEARCH, "value"),
    State(ids.PAGES_LOCATION, "search"),
    prevent_initial_call=True,
)
@guarded_outputs(2)
def search(text: object, current: object):  # type: ignore[no-untyped-def]
    new = _view(text, current)
    if new == catalog_view(query_params(current or "")):
        return no_update, no_update  # the box reports its value when mounted: not a change
    return new.href(), no_update


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


@callback(
    Output(ids.CATALOG_BODY, "children"),
    Input(ids.CATALOG_SEARCH, "value"),
    State(ids.PAGES_LOCATION, "search"),
)
@guarded
def render_catalog(text: object, search: object) -> Any:
    """Metrics matching every word of the search, NSM and drivers first."""
    view = _view(text, search)
    snap = serving().snapshot()
    spec, semantics = snap.spec, snap.semantics
    words = view.q.lower().split()
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
    rows = [_row(spec, semantics, m, view.as_of) for m in metrics]
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


def _row(spec: Any, semantics: Any, m: Any, as_of: date | None) -> dmc.TableTr:
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
            dmc.TableTd(
                dcc.Link(m.title, href=link(f"/metric/{m.name}", as_of)),
                className="ns-catalog-name",
            ),
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
                dmc.Group(
                    [dcc.Link(t, href=link(h, as_of)) for t, h in pages_showing(spec, m.name)],
                    gap=6,
                )
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
