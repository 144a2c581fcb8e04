"""Designed loading, empty and error states: a page never shows a blank figure or a traceback."""

from __future__ import annotations

import logging

import dash_mantine_components as dmc
from dash import dcc, html, no_update

from dashboard.serving import NoSnapshotError
from metric_layer.errors import QueryError, SpecError
from metric_layer.scope import ScopeError
from warehouse import WarehouseError
from warehouse.snapshots import SnapshotError

log = logging.getLogger(__name__)


def loading(component_id: str, children: object = None) -> dcc.Loading:
    """A body that shows a spinner while its callback runs."""
    return dcc.Loading(
        html.Div(children, id=component_id, className="ns-body"),
        type="dot",
        delay_show=250,  # fast answers should not flash a spinner
        overlay_style={"visibility": "visible", "opacity": 0.5},
    )


def empty_state(message: str = "No data in this range.", hint: str | None = None) -> dmc.Alert:
    return dmc.Alert(
        hint or "Try a longer date range or remove a filter.",
        title=message,
        color="gray",
        variant="light",
        className="ns-empty",
    )


def error_state(message: str, title: str = "Cannot show this view") -> dmc.Alert:
    return dmc.Alert(
        html.Pre(message, style={"whiteSpace": "pre-wrap", "margin": 0, "fontFamily": "inherit"}),
        title=title,
        color="red",
        variant="light",
        className="ns-error",
    )


def failure_state(exc: Exception) -> dmc.Alert:
    """The error state for a failure a user can act on; anything else is logged with its trace."""
    if isinstance(exc, NoSnapshotError):
        return error_state(str(exc), "No data yet")
    if isinstance(exc, SpecError):
        return error_state(str(exc), "metrics.yml is invalid")
    if isinstance(exc, SnapshotError):
        return error_state(str(exc), "Data unavailable")
    if isinstance(exc, ScopeError):
        return error_state(str(exc), "Outside your scope")
    if isinstance(exc, QueryError | WarehouseError | KeyError | ValueError):
        log.warning("view failed: %s", exc)
        return error_state(str(exc))
    log.error("view failed", exc_info=exc)
    return error_state("Something went wrong on the server; the log has the details.")


def guarded(render):  # type: ignore[no-untyped-def]
    """Turn the errors users can act on into an error state; log anything else with its trace."""

    def wrapper(*args, **kwargs):  # type: ignore[no-untyped-def]
        try:
            return render(*args, **kwargs)
        except Exception as exc:
            return failure_state(exc)

    wrapper.__name__ = render.__name__
    wrapper.__doc__ = render.__doc__
    wrapper.__wrapped__ = render
    return wrapper


class _Answer:
    """A callback's own answer, told apart from the error state `guarded` puts in its place."""

    def __init__(self, value: object) -> None:
        self.value = value


def guarded_outputs(count: int):  # type: ignore[no-untyped-def]
    """`guarded` for a callback with `count` outputs whose last is a message area: on an error the
    message shows it and the other outputs (a download, the address) stay as they are."""

    def decorate(render):  # type: ignore[no-untyped-def]
        safe = guarded(lambda *args, **kwargs: _Answer(render(*args, **kwargs)))

        def wrapper(*args, **kwargs):  # type: ignore[no-untyped-def]
            out = safe(*args, **kwargs)
            return out.value if isinstance(out, _Answer) else (*[no_update] * (count - 1), out)

        wrapper.__name__ = render.__name__
        wrapper.__doc__ = render.__doc__
        wrapper.__wrapped__ = render
        return wrapper

    return decorate
