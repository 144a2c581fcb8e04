"""The frame around every page: header with the freshness badge, navigation, and the page."""

from __future__ import annotations

import dash
import dash_mantine_components as dmc
from dash import dcc, html

from dashboard import ids
from dashboard.components.account import account_corner

# Later pages get their nav entry when their module registers; until then they show as "soon".
NAV = (
    ("Overview", "/"),
    ("Metric tree", "/tree"),
    ("Explorer", "/metric"),
    ("Catalogue", "/catalog"),
    ("Drivers", "/drivers"),
    ("Alerts", "/alerts"),
    ("OKRs", "/okrs"),
    ("Review mode", "/review"),
    ("Reviews", "/reviews"),
)
PLANNED: set[str] = set()  # every page in the nav is built


def nav() -> list:
    links = []
    for label, href in NAV:
        planned = href in PLANNED
        links.append(
            dmc.NavLink(
                label=label,
                href=href,
                id=f"nav-{href.strip('/') or 'overview'}",
                disabled=planned,
                rightSection=dmc.Badge("soon", size="xs", variant="light") if planned else None,
            )
        )
    return links


def layout() -> dmc.MantineProvider:
    return dmc.MantineProvider(
        id=ids.COLOR_SCHEME,
        forceColorScheme="light",
        theme={
            "fontFamily": "Inter, -apple-system, 'Segoe UI', Roboto, sans-serif",
            "primaryColor": "blue",
        },
        children=dmc.AppShell(
            id=ids.SHELL,
            header={"height": 56},
            navbar={"width": 200, "breakpoint": "sm"},
            padding="md",
            children=[
                dmc.AppShellHeader(
                    dmc.Group(
                        [
                            dcc.Link(
                                dmc.Group(
                                    [
                                        html.Span("✦", className="ns-logo"),
                                        dmc.Title("Northstar", order=3),
                                    ],
                                    gap=6,
                                ),
                                href="/",
                                className="ns-brand",
                            ),
                            dmc.Group([html.Div(id=ids.FRESHNESS), account_corner()], gap="lg"),
                        ],
                        justify="space-between",
                        h="100%",
                        px="md",
                    )
                ),
                dmc.AppShellNavbar(nav(), p="xs"),
                dmc.AppShellMain([html.Div(id=ids.BANNER), dash.page_container]),
                dcc.Download(id=ids.DOWNLOAD),
            ],
        ),
    )
