"""Drivers `/drivers`: a later issue builds this page; the place and nav entry are kept ready."""

from __future__ import annotations

import dash
import dash_mantine_components as dmc


def layout(**_params: object) -> dmc.Alert:
    return dmc.Alert(
        "This page arrives in a later release.", title="Drivers: coming soon", color="gray"
    )


# Registered last so the layout function exists (the pages are imported, not scanned).
dash.register_page(
    __name__, path="/drivers", title="Northstar · Drivers", name="Drivers", order=9, layout=layout
)
