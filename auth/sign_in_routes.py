"""The sign-in page, sign-out and screen links (`/login`, `/logout`, `/screen/<token>`)."""

from __future__ import annotations

from datetime import timedelta

from flask import Blueprint, Response, current_app, redirect, request, session
from flask_login import current_user, login_user, logout_user
from flask_wtf.csrf import generate_csrf

from appdb import audit
from auth import actions
from auth.accounts import USER_NAME, check_password
from auth.login_page import login_page, message_page
from auth.principal import EXTENSION, PROXY, SCREEN, Principal
from auth.roles import Role
from auth.screens import screen_for_token
from auth.sign_in_limit import over_limit

WRONG = "Wrong name or password."
SCREEN_REMEMBERED = timedelta(days=365)
MAX_NAME = 120
MAX_PASSWORD_FIELD = 4096  # argon2 never sees more (passwords.MAX_LENGTH refuses past 1024)


def blueprint(mode: str) -> Blueprint:
    bp = Blueprint("sign_in", __name__)
    if mode != PROXY:  # behind a proxy, the proxy signs people in and out
        bp.add_url_rule("/login", "login", login, methods=["GET", "POST"])
        bp.add_url_rule("/logout", "logout", sign_out, methods=["POST"])
    bp.add_url_rule("/screen/<token>", "screen", open_screen, methods=["GET"])
    return bp


def safe_next(target: str | None) -> str:
    """Where to go after signing in: a path on this site only (never //evil.example)."""
    if not target or not target.startswith("/") or target.startswith("//") or "\\" in target:
        return "/"
    return target


def login() -> Response:
    return sign_in() if request.method == "POST" else show_login()


def show_login() -> Response:
    target = safe_next(request.args.get("next"))
    # Signed in already: on to the page (unless it would only refuse them; then someone else
    # may sign in on this browser).
    if current_user.is_authenticated and current_user.kind != SCREEN and not current_user.no_rows:
        return redirect(target)
    return _page(target)


def sign_in() -> Response:
    state = current_app.extensions[EXTENSION]
    settings = state.settings
    target = safe_next(request.args.get("next"))
    name = request.form.get("name", "").strip()[:MAX_NAME]
    password = request.form.get("password", "")[:MAX_PASSWORD_FIELD]
    # A typed name that is not a user name (a password typed in the wrong field) is not logged.
    who = name if USER_NAME.fullmatch(name) else "(not a user name)"
    address = request.remote_addr
    with state.db.session() as s:
        if over_limit(s, who, address, settings.login_attempts, settings.login_window_minutes):
            audit(s, who, actions.SIGN_IN_REFUSED, "too many failed sign-ins", address)
            minutes = settings.login_window_minutes
            return _page(
                target,
                name,
                f"Too many failed sign-ins. Try again in {minutes} minutes.",
                status=429,
            )
        user = check_password(s, name, password)
        if user is None:
            audit(s, who, actions.SIGN_IN_FAILED, "", address)
            return _page(target, name, WRONG, status=401)
        principal = Principal.of_user(user)
        if principal.no_rows:  # the right password, but nothing they could be shown
            audit(s, user.name, actions.SIGN_IN_REFUSED, "sees no rows", address)
            return _page(target, name, principal.no_rows, status=403)
        audit(s, user.name, actions.SIGN_IN, "", address)
    session.clear()  # a new session for the new user: nothing carried over (session fixation)
    login_user(principal)
    session.permanent = True  # ends after session_hours idle (PERMANENT_SESSION_LIFETIME)
    return redirect(target)


def sign_out() -> Response:
    state = current_app.extensions[EXTENSION]
    if current_user.is_authenticated:
        with state.db.session() as s:
            audit(s, current_user.name, actions.SIGN_OUT, "", request.remote_addr)
    logout_user()
    session.clear()
    return redirect("/login")


def open_screen(token: str) -> Response:
    """A screen link: sign this browser in as the screen and show review mode."""
    state = current_app.extensions[EXTENSION]
    with state.db.session() as s:
        screen = screen_for_token(s, token)
        if screen is None:
            return Response(
                message_page(
                    "This screen link does not work",
                    "It was revoked or mistyped; ask an admin for a new one "
                    "(`northstar screens add`).",
                ),
                404,
                mimetype="text/html",
            )
        audit(s, f"screen #{screen.id}", actions.SCREEN_OPENED, screen.label, request.remote_addr)
        principal = Principal(
            f"screen #{screen.id} {screen.label}", Role.VIEWER, SCREEN, session_id=f"s:{screen.id}"
        )
    session.clear()
    # Remembered for a year: a TV left off overnight comes back to review mode, not to a sign-in
    # page it cannot fill. The remember cookie names the screen, so revoking still ends it.
    login_user(principal, remember=True, duration=SCREEN_REMEMBERED)
    session.permanent = True
    query = request.query_string.decode()
    return redirect(state.screen_path + (f"?{query}" if query else ""))


def _page(target: str, name: str = "", error: str = "", status: int = 200) -> Response:
    html = login_page(generate_csrf(), target, name, error)
    return Response(html, status, mimetype="text/html")
