"""The "data as of …" badge on every page: snapshot publish time and the day it runs to."""

from __future__ import annotations

import dash_mantine_components as dmc
from dash import Dash, Input, Output

from dashboard import ids
from dashboard.serving import NoSnapshotError, Snapshot, serving


def badge(snap: Snapshot) -> dmc.Tooltip:
    # The oldest source's last good load is what every number can be trusted up to.
    loads = snap.service.last_loads()
    loaded = min(loads.values()) if loads else None
    published = loaded or snap.published_at
    when = published.strftime("%-d %b %Y %H:%M") if published else snap.version
    sources = "; ".join(f"{name} loaded {at:%-d %b %H:%M}" for name, at in sorted(loads.items()))
    return dmc.Tooltip(
        dmc.Badge(
            f"data as of {when}", color="teal", variant="light", size="lg", className="ns-freshness"
        ),
        label=f"snapshot {snap.version}; {sources + '; ' if sources else ''}"
        f"today is {snap.today():%-d %b %Y} ({snap.spec.time_zone}); the current period is partial",
        multiline=True,
        w=320,
    )


def current_badge() -> dmc.Badge | dmc.Tooltip:
    try:
        return badge(serving().snapshot())
    except NoSnapshotError:
        return dmc.Badge(
            "no data published", color="red", variant="light", size="lg", className="ns-freshness"
        )


def register(app: Dash) -> None:
    @app.callback(Output(ids.FRESHNESS, "children"), Input(ids.PAGES_LOCATION, "pathname"))
    def show_freshness(_pathname: str | None):  # type: ignore[no-untyped-def]
        return current_badge()
