"""The banner above every page: what is wrong beside the served snapshot (a damaged newer
snapshot, an invalid metrics.yml with file:line) while the last good data goes on being served."""

from __future__ import annotations

import logging

import dash_mantine_components as dmc
from dash import Dash, Input, Output, html

from dashboard import ids
from dashboard.serving import Problem, serving

log = logging.getLogger(__name__)


def banner(problems: list[Problem]) -> list:
    return [
        dmc.Alert(
            html.Ul([html.Li(line) for line in problem.lines], style={"margin": 0}),
            title=problem.title,
            color="orange",
            variant="light",
            mb="md",
            className="ns-banner",
        )
        for problem in problems
    ]


def current_banner() -> list:
    try:
        return banner(serving().problems())
    except Exception:  # the banner must never fail the page
        log.exception("banner failed")
        return []


def register(app: Dash) -> None:
    @app.callback(Output(ids.BANNER, "children"), Input(ids.PAGES_LOCATION, "pathname"))
    def show_banner(_pathname: str | None):  # type: ignore[no-untyped-def]
        return current_banner()
