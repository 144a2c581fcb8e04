"""The sign-in gate: the first check of every request when sign-in is on.

Order, for every request: who is it (the session's user or screen, or the proxy's header) →
may a screen ask this (review mode only) → the CSRF token for anything but GET/HEAD/OPTIONS →
the request runs (and `require_role` checks writes). Nothing is let through by a list of pages:
every URL, Dash's own routes and every callback included, needs a principal, except the sign-in
page and screen links themselves. A refusal is a redirect to the sign-in page for a page
address, otherwise 401/403 with the reason (JSON for Dash's callback requests).
"""

from __future__ import annotations

import json
from urllib.parse import quote

from flask import Response, current_app, g, jsonify, redirect, request, session
from flask_login import current_user

from auth.login_page import message_page
from auth.principal import EXTENSION, PROXY, SCREEN, Principal
from auth.proxy import NOTHING_TO_SHOW, Refusal, proxy_principal

SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})
PUBLIC_ENDPOINTS = frozenset({"sign_in.login", "sign_in.screen"})
UPDATE_PATH = "/_dash-update-component"
SCREEN_COOKIE = "northstar_screen"  # Flask-Login's remember cookie, given to screens only
DASH_INTERNALS = ("/_dash-", "/assets/", "/_favicon", "/_reload-hash")
REVOKED_SCREEN = Refusal(
    403,
    "This screen link was revoked",
    "Ask an admin for a new one (`northstar screens add`).",
)


def gate() -> Response | None:
    state = current_app.extensions[EXTENSION]
    if request.endpoint in PUBLIC_ENDPOINTS:
        if request.method not in SAFE_METHODS:
            state.csrf.protect()  # the sign-in form too: no signing someone in from elsewhere
        return None
    who = resolve(state)
    if isinstance(who, Refusal):
        return refuse(who, state.mode)
    if who.kind == SCREEN and not screen_may_ask(state.screen_outputs, state.screen_path):
        if request.method == "GET" and not request.path.startswith(DASH_INTERNALS):
            return redirect(state.screen_path)  # the TV stays in review mode
        return refuse(Refusal(403, "Review mode only", "A screen link opens review mode only."))
    if request.method not in SAFE_METHODS:
        state.csrf.protect()
    g.northstar_principal = who
    return None


def resolve(state) -> Principal | Refusal:  # type: ignore[no-untyped-def]
    """The principal of this request, or why there is none."""
    if current_user.is_authenticated:
        who: Principal = current_user._get_current_object()
        # Their scope or team changed since they signed in, so that the two now clash.
        return Refusal(403, NOTHING_TO_SHOW, who.no_rows) if who.no_rows else who
    if str(session.get("_user_id", "")).startswith("s:") or request.cookies.get(SCREEN_COOKIE):
        return REVOKED_SCREEN  # the session or cookie named a screen that is no longer active
    if state.mode == PROXY:
        return proxy_principal(
            state.db,
            state.proxy_networks,
            state.settings.proxy_user_header,
            state.settings.proxy_email_header,
            state.settings.proxy_role,
        )
    return Refusal(401, "Not signed in", "Sign in to see the dashboard.")


def screen_may_ask(outputs: frozenset[str], screen_path: str) -> bool:
    """A screen may load review mode and run the callbacks review mode runs, nothing else."""
    if request.method in SAFE_METHODS:
        return request.path.startswith(DASH_INTERNALS) or _under(request.path, screen_path)
    if request.path != UPDATE_PATH:
        return False
    body = request.get_json(silent=True, cache=True)
    if not isinstance(body, dict) or body.get("output") not in outputs:
        return False
    # The pages router renders whichever page its pathname input names: review mode's only.
    fed = [*body.get("inputs", []), *body.get("state", [])]
    return all(
        _under(str(item.get("value") or ""), screen_path)
        for item in fed
        if isinstance(item, dict) and item.get("property") == "pathname"
    )


def _under(path: str, prefix: str) -> bool:
    return path == prefix or path.startswith(prefix + "/")


# On a callback's refusal here (signed out, screen revoked…) the open page can no longer be
# drawn: dashboard/assets/reload_when_refused.js reloads it, and the page's own request then
# gets the sign-in redirect or the message. A role or CSRF refusal (dash_error) is not marked:
# the page stays and shows it.
RELOAD_HEADER = "X-Northstar-Reload"


def refuse(why: Refusal, mode: str = "") -> Response:
    if request.path == UPDATE_PATH or request.path.startswith(DASH_INTERNALS):
        response = jsonify(error=why.title, message=why.text)
        response.status_code = why.status
        response.headers[RELOAD_HEADER] = "1"
        return response
    if why.status == 401 and mode != PROXY and request.method == "GET":
        target = request.full_path if request.query_string else request.path
        return redirect(f"/login?next={quote(target, safe='/')}")
    return Response(message_page(why.title, why.text), why.status, mimetype="text/html")


def dash_error(status: int, title: str, text: str) -> Response:
    """A refusal raised inside a request (CSRF, a role check) in the shape its caller reads."""
    if request.path == UPDATE_PATH:
        return Response(
            json.dumps({"error": title, "message": text}), status, mimetype="application/json"
        )
    return Response(message_page(title, text), status, mimetype="text/html")
