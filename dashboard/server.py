"""Build the Dash app: settings → per-process Serving + result cache (settings.cache) → pages.

The development server refuses to start when no valid spec can be served at all; the production
server (gunicorn) always boots, so a restarted worker never takes the site down, and the pages and
banner say what is wrong. Sign-in (auth/, off by default) is installed before the view cache, so
its gate runs first on every request."""

from __future__ import annotations

import importlib

import dash
from dash import Dash, Input, Output

from auth import current_principal
from auth.web import install_sign_in
from dashboard import ids, report_route, view_cache
from dashboard.components import banner, freshness, shell
from dashboard.result_cache import make_cache
from dashboard.serving import EXTENSION, Serving, check_spec, set_scope_provider
from metric_layer.scope import Scope
from settings import Settings

PAGES = ("overview", "explorer", "tree", "catalog", "review", "drivers", "alerts", "okrs")
PAGES += ("reviews", "review_record")
# What a meeting-room screen may ask for: review mode's page and the callbacks it runs.
REVIEW_PATH = "/review"
SCREEN_OUTPUTS = frozenset(
    {
        f"{ids.REVIEW_SLIDE}.children",
        f"{ids.FRESHNESS}.children",
        f"{ids.BANNER}.children",
        f"{ids.TV_RECORD_BODY}.children",  # the week's record, read-only (/review/record)
        ".._pages_content.children..._pages_store.data..",  # Dash pages' router (/review only)
    }
)


def create_dash(
    settings: Settings, cache_config: dict | None = None, refuse_invalid_spec: bool = True
) -> Dash:
    """The Dash app for `settings`; raises SpecError (every problem listed) when neither metrics.yml
    nor the spec published with a snapshot is valid, unless refuse_invalid_spec is False.
    ValueError when the engine setting is wrong. With engine = postgres the pages serve the
    version published into the database (dashboard/serving.py)."""
    settings.warehouse_engine()
    if refuse_invalid_spec:
        check_spec(settings)
    app = Dash(
        __name__,
        use_pages=True,
        pages_folder="",
        assets_folder=str(importlib.resources.files("dashboard") / "assets"),
        serve_locally=True,
        suppress_callback_exceptions=True,  # pages render their controls on navigation
        title="Northstar",
        update_title=None,
    )
    for page in PAGES:
        importlib.import_module(f"dashboard.pages.{page}")
    app.layout = shell.layout
    cache = make_cache(app.server, settings.cache, cache_config)
    app.server.extensions[EXTENSION] = Serving(settings, cache)
    if install_sign_in(app.server, settings, SCREEN_OUTPUTS, REVIEW_PATH):  # before the view cache
        set_scope_provider(app.server, signed_in_scope)
    view_cache.register(app.server)
    report_route.register(app.server)  # /report/<week>.pdf, behind the gate like every route
    freshness.register(app)
    banner.register(app)
    _register_review_chrome(app)
    _finish_setup(app)
    return app


def signed_in_scope() -> Scope | None:
    """The rows the signed-in user may see (their account's scope and their team's together,
    read for this request), for every number the service gives it. No principal yet means the
    gate has not let the request through, and an account whose two scopes clash may see no
    row: refuse both rather than answer for the whole company."""
    who = current_principal()
    if who is None:
        raise PermissionError("no signed-in user for this request")
    if who.no_rows:
        raise PermissionError(who.no_rows)
    return Scope.of(who.scope) if who.scope else None


def _finish_setup(app: Dash) -> None:
    """Run Dash's first-request setup now, before any request can arrive.

    Dash fills its callback map (and registers the pages router) in a before_request hook that
    marks itself done before it is done: in a threaded worker (gthread, the development server) a
    request arriving alongside the first one found no callbacks and answered 500 ("Callback
    function not found"), on every new worker. Once here, the hooks have nothing left to do.
    """
    with app.server.test_request_context("/"):
        app.server.preprocess_request()


def _register_review_chrome(app: Dash) -> None:
    # Review mode runs on a TV: dark, and without header or navigation.
    app.clientside_callback(
        """
        function(path) {
            const review = path === "/review" || (path || "").startsWith("/review/");
            return [review ? "dark" : "light",
                    {height: 56, collapsed: review},
                    {width: 200, breakpoint: "sm", collapsed: {desktop: review, mobile: true}}];
        }
        """,
        Output(ids.COLOR_SCHEME, "forceColorScheme"),
        Output(ids.SHELL, "header"),
        Output(ids.SHELL, "navbar"),
        Input(ids.PAGES_LOCATION, "pathname"),
    )


def server_for(settings: Settings | None = None):  # type: ignore[no-untyped-def]
    """The Flask server (for gunicorn: `gunicorn -w 4 'app:create_server()'`); always boots."""
    return create_dash(settings or Settings.load(), refuse_invalid_spec=False).server


__all__ = ["create_dash", "dash", "server_for"]
