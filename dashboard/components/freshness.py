"""The "data as of …" badge on every page: snapshot publish time and the day it runs to.

Orange when something is wrong beside the served snapshot (the banner says what), red when nothing
can be served; it never fails the request.
"""

from __future__ import annotations

import logging

import dash_mantine_components as dmc
from dash import Dash, Input, Output

from dashboard import ids
from dashboard.serving import NoSnapshotError, Problem, serving
from dashboard.snapshot import Snapshot
from metric_layer.errors import SpecError
from warehouse import WarehouseError

log = logging.getLogger(__name__)


def badge(snap: Snapshot, problems: list[Problem] | None = None) -> dmc.Tooltip:
    # The oldest source's last good load is what every number can be trusted up to.
    loads = snap.service.last_loads()
    loaded = min(loads.values()) if loads else None
    published = loaded or snap.published_at
    when = published.strftime("%-d %b %Y %H:%M") if published else snap.version
    sources = "; ".join(f"{name} loaded {at:%-d %b %H:%M}" for name, at in sorted(loads.items()))
    warning = "".join(f"{p.title}. " for p in problems or [])
    return dmc.Tooltip(
        dmc.Badge(
            f"data as of {when}" + (" ⚠" if warning else ""),
            color="orange" if warning else "teal",
            variant="light",
            size="lg",
            className="ns-freshness",
        ),
        label=f"{warning}snapshot {snap.version}; {sources + '; ' if sources else ''}"
        f"today is {snap.today():%-d %b %Y} ({snap.spec.time_zone}); the current period is partial",
        multiline=True,
        w=320,
    )


def unavailable(text: str, reason: str) -> dmc.Tooltip:
    return dmc.Tooltip(
        dmc.Badge(text, color="red", variant="light", size="lg", className="ns-freshness"),
        label=reason,
        multiline=True,
        w=320,
        className="ns-error",  # an error state: dashboard.view_cache never keeps it
    )


def current_badge() -> dmc.Badge | dmc.Tooltip:
    try:
        return badge(serving().snapshot(), serving().problems())
    except NoSnapshotError as exc:
        return unavailable("no data published", str(exc))
    except (SpecError, WarehouseError) as exc:  # SnapshotError included
        return unavailable("data unavailable", str(exc))
    except Exception:  # the badge must never fail the page
        log.exception("freshness badge failed")
        return unavailable("data unavailable", "the log has the details")


def register(app: Dash) -> None:
    @app.callback(Output(ids.FRESHNESS, "children"), Input(ids.PAGES_LOCATION, "pathname"))
    def show_freshness(_pathname: str | None):  # type: ignore[no-untyped-def]
        return current_badge()
