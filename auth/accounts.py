"""Users: add, list, change and remove them, put them in a team, and check a password. Every
change writes its audit entry in the same transaction. Nothing here returns or prints a password
hash. A change that would leave a user seeing no row (their scope and their team's share no
value of a dimension) is refused with what to do instead."""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from appdb import AppDb, Team, User, audit
from auth import actions
from auth.passwords import MAX_LENGTH, MIN_LENGTH, hash_password, needs_rehash, verify_password
from auth.roles import AccountError, Role, parse_role
from auth.scopes import NoRowsError, account_scope, scope_text
from auth.teams import existing_team

USER_NAME = re.compile(r"[A-Za-z0-9][A-Za-z0-9._@+-]{0,119}")


@dataclass(frozen=True)
class Account:
    """A user as listed: everything but the password hash."""

    name: str
    role: Role
    scope: dict[str, list[str]] | None  # their own; `sees` adds their team's
    email: str | None
    disabled: bool
    has_password: bool
    created_at: datetime
    team: str | None = None
    sees: dict[str, list[str]] | None = None  # their scope and their team's together
    sees_nothing: bool = False  # the two clash: sign-in is refused until an admin resolves it

    @property
    def sees_text(self) -> str:
        return "nothing (scope and team clash)" if self.sees_nothing else scope_text(self.sees)


def check_name(name: str) -> str:
    if not USER_NAME.fullmatch(name):
        raise AccountError(
            f"a user name is 1-120 letters, digits and . _ @ + - (starting with a letter or "
            f"digit), not {name!r}"
        )
    return name


def check_new_password(password: str) -> str:
    if not MIN_LENGTH <= len(password) <= MAX_LENGTH:
        raise AccountError(f"a password has {MIN_LENGTH} to {MAX_LENGTH} characters")
    return password


def find_user(session: Session, name: str) -> User | None:
    return session.scalars(select(User).where(User.name == name)).one_or_none()


def _existing(session: Session, name: str) -> User:
    user = find_user(session, name)
    if user is None:
        raise AccountError(f"no user named {name!r}; `northstar users list` shows who there is")
    return user


def add_user(
    db: AppDb,
    name: str,
    password: str | None,
    role: Role | str,
    by: str,
    scope: dict[str, list[str]] | None = None,
    email: str | None = None,
    team: str | None = None,
) -> Account:
    """A new user (password None: signs in only through the proxy), in `team` if given;
    AccountError if the name is taken or the team unknown, NoRowsError if the team's scope
    and `scope` clash."""
    check_name(name)
    role = parse_role(role)
    hashed = hash_password(check_new_password(password)) if password is not None else None
    with db.session() as session:
        if find_user(session, name) is not None:
            raise AccountError(f"there is already a user named {name!r}")
        joined = existing_team(session, team) if team is not None else None
        if joined is not None:
            account_scope(name, scope, joined.name, joined.scope)
        user = User(
            name=name, password_hash=hashed, role=role.value, scope=scope, email=email, team=joined
        )
        session.add(user)
        in_team = f" in team {joined.name}" if joined is not None else ""
        detail = f"{name} as {role}{in_team} (scope: {scope_text(scope)})"
        audit(session, by, actions.USER_ADDED, detail)
        session.flush()
        return account(user)


def list_users(db: AppDb) -> list[Account]:
    with db.session() as session:
        return [account(u) for u in session.scalars(select(User).order_by(User.name))]


def set_role(db: AppDb, name: str, role: Role | str, by: str) -> Account:
    role = parse_role(role)
    with db.session() as session:
        user = _existing(session, name)
        before, user.role = user.role, role.value
        audit(session, by, actions.ROLE_CHANGED, f"{name}: {before} → {role}")
        return account(user)


def set_password(db: AppDb, name: str, password: str, by: str) -> None:
    """A new password; every session of the user ends (their old cookie stops working)."""
    hashed = hash_password(check_new_password(password))
    with db.session() as session:
        user = _existing(session, name)
        user.password_hash = hashed
        user.session_epoch += 1
        audit(session, by, actions.PASSWORD_CHANGED, name)


def set_scope(db: AppDb, name: str, scope: dict[str, list[str]] | None, by: str) -> Account:
    """The user's own scope (their team's still applies); NoRowsError if the two would clash."""
    with db.session() as session:
        user = _existing(session, name)
        if user.team is not None:
            account_scope(name, scope, user.team.name, user.team.scope)
        user.scope = scope
        audit(session, by, actions.SCOPE_CHANGED, f"{name}: {scope_text(scope)}")
        return account(user)


def set_team(db: AppDb, name: str, team: str | None, by: str) -> Account:
    """Move a user into `team` (None: out of any); they see its rows from their next request.
    NoRowsError if their own scope and the team's would clash."""
    with db.session() as session:
        user = _existing(session, name)
        joined = existing_team(session, team) if team is not None else None
        if joined is not None:
            account_scope(name, user.scope, joined.name, joined.scope)
        before = user.team.name if user.team is not None else "none"
        user.team = joined
        after = joined.name if joined is not None else "none"
        audit(session, by, actions.TEAM_CHANGED, f"{name}: {before} → {after}")
        session.flush()
        return account(user)


def set_disabled(db: AppDb, name: str, disabled: bool, by: str) -> None:
    """Keep a user from signing in (their sessions end), or let them in again."""
    with db.session() as session:
        user = _existing(session, name)
        if user.disabled != disabled:
            user.disabled = disabled
            user.session_epoch += 1
            action = actions.USER_DISABLED if disabled else actions.USER_ENABLED
            audit(session, by, action, name)


def remove_user(db: AppDb, name: str, by: str) -> None:
    with db.session() as session:
        session.delete(_existing(session, name))
        audit(session, by, actions.USER_REMOVED, name)


def check_password(session: Session, name: str, password: str) -> User | None:
    """The enabled user `name` whose password this is, else None (same time either way)."""
    user = find_user(session, name) if USER_NAME.fullmatch(name) else None
    if not verify_password(user.password_hash if user else None, password):
        return None
    assert user is not None and user.password_hash is not None
    if user.disabled:
        return None
    if needs_rehash(user.password_hash):  # parameters raised since it was hashed
        user.password_hash = hash_password(password)
    return user


def account(user: User) -> Account:
    team: Team | None = user.team
    try:
        sees = account_scope(user.name, user.scope, team and team.name, team and team.scope)
        clash = False
    except NoRowsError:  # made outside these commands (an edited or restored database)
        sees, clash = None, True
    return Account(
        name=user.name,
        role=Role(user.role),
        scope=user.scope,
        email=user.email,
        disabled=user.disabled,
        has_password=user.password_hash is not None,
        created_at=user.created_at,
        team=team.name if team is not None else None,
        sees=sees,
        sees_nothing=clash,
    )
