"""Whose rows a request may see: the hook the sign-in side installs (set_scope_provider) and the
scope of the request being handled (current_scope), which dashboard.serving applies."""

from __future__ import annotations

from collections.abc import Callable

from flask import Flask, current_app, has_request_context

from metric_layer.scope import Scope

SCOPE_PROVIDER = "northstar.scope"  # app.extensions key of the request → scope hook

ScopeProvider = Callable[[], Scope | None]


def set_scope_provider(server: Flask, provider: ScopeProvider) -> None:
    """Install the hook that tells the scope of the request being handled (the sign-in side:
    the signed-in user's and their role's scope, None for an unlimited user). It is called
    inside the request, possibly before any other before_request hook has run (the view cache
    asks first), so it must read the request itself (session, user loader), not something a
    later hook sets; raising refuses the request (nothing cached is served to it)."""
    server.extensions[SCOPE_PROVIDER] = provider


class NoRequestScopeError(RuntimeError):
    """serving() was asked outside a request while sign-in decides scopes: whose data is it?"""


def current_scope() -> Scope | None:
    """The scope of the request being handled; None when no provider is installed (sign-in
    off). Outside a request with a provider installed it refuses (NoRequestScopeError) rather
    than guess "everything": a worker thread gets the ScopedServing handed to it, and jobs
    without a request (alerts, reports) ask Serving.service_for(scope) for their recipient."""
    provider = current_app.extensions.get(SCOPE_PROVIDER)
    if provider is None:
        return None
    if not has_request_context():
        raise NoRequestScopeError(
            "serving() outside a request: pass the request's serving() down, or ask "
            "Serving.service_for(scope) for a known user's scope"
        )
    return provider()
