"""Who makes the current request, and the role check writes use.

`current_principal()` is a signed-in user, a user named by the sign-in proxy, a meeting-room
screen, or — with sign-in off, as in `make demo` — ANONYMOUS, who may do everything (the app
behaves as it did before sign-in existed). `require_role("editor")` guards a write (a Dash
callback or a Flask view): anyone below the role gets 403 before the write runs.
"""

from __future__ import annotations

import functools
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, TypeVar

from flask import abort, current_app, g, has_request_context

from appdb import User
from auth.roles import Role, parse_role
from auth.scopes import NoRowsError, account_scope

EXTENSION = "northstar.sign_in"  # the SignIn state on the Flask app, present when sign-in is on
USER, PROXY, SCREEN, NOBODY = "user", "proxy", "screen", "anonymous"

F = TypeVar("F", bound=Callable[..., Any])


@dataclass(frozen=True)
class Principal:
    """The one making a request. Also Flask-Login's user object (get_id and the is_* flags)."""

    name: str
    role: Role
    kind: str
    # {dimension: [values]}: the user's own scope and their team's together; None: everything
    scope: dict[str, list[str]] | None = None
    session_id: str = ""  # Flask-Login's id in the session cookie: u:<id>:<epoch> or s:<id>
    team: str | None = None
    # Why this account sees no row at all (its scope and its team's clash); the gate refuses it.
    no_rows: str = ""

    is_authenticated = True
    is_active = True
    is_anonymous = False

    def get_id(self) -> str:
        return self.session_id

    def may(self, role: Role | str) -> bool:
        return self.role.allows(role)

    @classmethod
    def of_user(cls, user: User, kind: str = USER) -> Principal:
        """`user` as read now (every request reloads it, so scope and team changes count at
        once), seeing the rows both their scope and their team's allow."""
        session_id = f"u:{user.id}:{user.session_epoch}" if kind == USER else ""
        team = user.team
        team_name = team.name if team is not None else None
        try:
            scope = account_scope(user.name, user.scope, team_name, team and team.scope)
        except NoRowsError as exc:  # never None (= everything): the gate refuses them
            return cls(user.name, Role(user.role), kind, None, session_id, team_name, str(exc))
        return cls(user.name, Role(user.role), kind, scope, session_id, team_name)


ANONYMOUS = Principal("anonymous", Role.ADMIN, NOBODY)


def sign_in_on() -> bool:
    return has_request_context() and EXTENSION in current_app.extensions


def current_principal() -> Principal | None:
    """Who makes this request (ANONYMOUS when sign-in is off); None outside a request, or before
    the sign-in gate has let the request through."""
    if not has_request_context():
        return None
    if EXTENSION not in current_app.extensions:
        return ANONYMOUS
    return g.get("northstar_principal")


def current_scope() -> dict[str, list[str]] | None:
    """The rows the current request may see, {dimension: [values]}; None: every row.
    PermissionError for an account that may see no row (the gate refuses those first)."""
    who = current_principal()
    if who is not None and who.no_rows:
        raise PermissionError(who.no_rows)
    return who.scope if who is not None else None


def check_role(role: Role | str) -> Principal:
    """The current principal if they have `role` or more; otherwise the request ends with 403."""
    needed = parse_role(role)
    who = current_principal()
    if who is None or not who.may(needed):
        abort(
            403,
            description=f"this needs the {needed} role; an admin grants it with "
            f"`northstar users set-role NAME {needed}`",
        )
    return who


def require_role(role: Role | str) -> Callable[[F], F]:
    """Decorator for a write (Dash callback or Flask view): 403 for anyone below `role`."""
    parse_role(role)  # a misspelt role fails at import, not at the first request

    def wrap(fn: F) -> F:
        @functools.wraps(fn)
        def guarded(*args: Any, **kwargs: Any) -> Any:
            check_role(role)
            return fn(*args, **kwargs)

        return guarded  # type: ignore[return-value]

    return wrap
