"""What a page shows for an address it cannot show exactly: every problem, and a way out."""

from __future__ import annotations

from dash import dcc, html

from dashboard.components.states import error_state
from dashboard.url_state import UrlStateError


def address_error(exc: UrlStateError, fallback: str, what: str = "this page") -> html.Div:
    """The problems in the address and a link to `fallback` (the page with its defaults)."""
    return html.Div(
        [
            error_state(str(exc), "This address cannot be shown as written"),
            dcc.Link(f"Open {what} with its default settings", href=fallback, className="ns-reset"),
        ]
    )
