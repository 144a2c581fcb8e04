"""Sign-in on the dashboard's Flask server: `install_sign_in(server, settings, …)` is all the
wiring does. Sign-in off (the default) installs nothing and touches no database.

What it sets up, and why each:
- the app database, migrated to head before the first request (one process at a time);
- Flask-Login sessions in signed cookies: HttpOnly, SameSite=Lax, Secure when
  `cookie_secure` is set, ending after `session_hours` idle; each request reloads its user or
  screen from the database, so a removed user, a changed role or a revoked screen counts at once;
- CSRF (Flask-WTF) on every request but GET/HEAD/OPTIONS: forms send the token as a field,
  and Dash's renderer already sends the cookie `_csrf_token` back as the X-CSRFToken header on
  every callback request (its `getCSRFHeader`), so no script is needed. The cookie is readable
  by the page's scripts (that is the point) and useless elsewhere: the token must also match the
  one in the signed session. Tokens last as long as the session (a TV in review mode runs for
  days; Flask-WTF's default is an hour);
- the gate (auth.gate) as a before_request hook, registered before the view cache's so a cached
  view is never answered to someone the gate would refuse.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import timedelta

from flask import Flask, Response, request
from flask_login import LoginManager
from flask_wtf.csrf import CSRFError, CSRFProtect, generate_csrf
from sqlalchemy import select
from werkzeug.exceptions import Forbidden

from appdb import AppDb, User
from auth.gate import dash_error, gate
from auth.log_redaction import redact_screen_links
from auth.principal import EXTENSION, PROXY, SCREEN, Principal
from auth.proxy import Network, trusted_networks
from auth.roles import Role, parse_role
from auth.screens import active_screen
from auth.session_key import session_key
from auth.sign_in_routes import blueprint
from settings import Settings

MODES = ("off", "password", "proxy")
logger = logging.getLogger(__name__)
CSRF_COOKIE = "_csrf_token"  # the name Dash's renderer reads (csrf_token_name's default)


@dataclass(frozen=True)
class SignIn:
    """Sign-in's state on one Flask app (app.extensions[EXTENSION])."""

    settings: Settings
    mode: str
    db: AppDb
    csrf: CSRFProtect
    proxy_networks: tuple[Network, ...]
    screen_outputs: frozenset[str]  # the callbacks a screen may run (review mode's)
    screen_path: str


def sign_in_mode(settings: Settings) -> str:
    mode = settings.auth.strip().lower()
    if mode not in MODES:
        raise ValueError(f"NORTHSTAR_AUTH must be one of {', '.join(MODES)}, not {settings.auth!r}")
    return mode


def install_sign_in(
    server: Flask, settings: Settings, screen_outputs: frozenset[str], screen_path: str = "/review"
) -> SignIn | None:
    """Turn sign-in on for `server` as `settings` say; None (nothing installed) when it is off."""
    mode = sign_in_mode(settings)
    if mode == "off":
        return None
    networks = trusted_networks(settings.proxy_addresses) if mode == PROXY else ()
    if mode == PROXY and settings.proxy_role.strip():
        parse_role(settings.proxy_role)  # a misspelt role stops the start, not a first visit
    db = AppDb(settings.app_db)
    db.upgrade()
    server.config.update(
        SECRET_KEY=session_key(db, settings.secret_key),
        SESSION_COOKIE_NAME="northstar_session",
        SESSION_COOKIE_HTTPONLY=True,
        SESSION_COOKIE_SAMESITE="Lax",
        SESSION_COOKIE_SECURE=settings.cookie_secure,
        PERMANENT_SESSION_LIFETIME=timedelta(hours=settings.session_hours),
        # Only screens are remembered (sign_in_routes.open_screen); people sign in again.
        REMEMBER_COOKIE_NAME="northstar_screen",
        REMEMBER_COOKIE_HTTPONLY=True,
        REMEMBER_COOKIE_SAMESITE="Lax",
        REMEMBER_COOKIE_SECURE=settings.cookie_secure,
        WTF_CSRF_CHECK_DEFAULT=False,  # the gate calls protect() after it knows who is asking
        WTF_CSRF_TIME_LIMIT=None,
    )
    csrf = CSRFProtect(server)
    state = SignIn(settings, mode, db, csrf, networks, screen_outputs, screen_path)
    server.extensions[EXTENSION] = state
    _login_manager(server, db)
    server.register_blueprint(blueprint(mode))
    server.before_request(gate)
    server.after_request(_csrf_cookie(settings.cookie_secure))
    server.register_error_handler(CSRFError, _csrf_refused)
    server.register_error_handler(Forbidden, _forbidden)
    redact_screen_links()
    if mode != PROXY:
        _say_if_nobody_can_sign_in(db)
    db.engine.dispose()  # gunicorn forks after this: no pooled connection is handed down
    return state


def _say_if_nobody_can_sign_in(db: AppDb) -> None:
    with db.session() as session:
        if session.scalars(select(User.id).limit(1)).first() is None:
            logger.warning(
                "sign-in is on and nobody can sign in yet: add someone with "
                "`northstar users add NAME --role admin`"
            )


def _login_manager(server: Flask, db: AppDb) -> None:
    manager = LoginManager(server)
    manager.session_protection = "basic"

    @manager.user_loader
    def load(session_id: str) -> Principal | None:
        kind, _, rest = session_id.partition(":")
        with db.session() as s:
            if kind == "u":
                user_id, _, epoch = rest.partition(":")
                user = s.get(User, int(user_id)) if user_id.isdigit() else None
                if user is None or user.disabled or str(user.session_epoch) != epoch:
                    return None
                return Principal.of_user(user)
            if kind == "s" and rest.isdigit():
                screen = active_screen(s, int(rest))
                if screen is not None:
                    label = f"screen #{screen.id} {screen.label}"
                    return Principal(label, Role.VIEWER, SCREEN, session_id=session_id)
        return None


def _csrf_cookie(secure: bool):  # type: ignore[no-untyped-def]
    def set_cookie(response: Response) -> Response:
        # Pages are where Dash's renderer starts: hand it the token for its callback requests.
        if request.method == "GET" and response.mimetype == "text/html":
            token = generate_csrf()
            if request.cookies.get(CSRF_COOKIE) != token:
                response.set_cookie(CSRF_COOKIE, token, secure=secure, samesite="Lax")
        return response

    return set_cookie


def _csrf_refused(exc: CSRFError) -> Response:
    return dash_error(
        400,
        "Missing or stale form token",
        f"{exc.description} Reload the page and try again.",
    )


def _forbidden(exc: Forbidden) -> Response:
    return dash_error(403, "Not allowed", exc.description or "You may not do this.")
