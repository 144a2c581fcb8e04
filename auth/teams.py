"""Teams: groups of users limited to the same rows (the South team sees South only).

A role says what someone may do; a team says which rows its members see. A member sees the rows
both their own scope and their team's allow (auth.scopes.effective_scope), read again on every
request, so a team's new scope counts from its members' next click. Every change writes its audit
entry in the same transaction. A change that would leave a member seeing no row is refused, and
so is removing a team that still has members (say where they go first).
"""

from __future__ import annotations

import difflib
import re
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session, selectinload

from appdb import AppDb, Team, audit
from auth import actions
from auth.roles import AccountError
from auth.scopes import NoRowsError, effective_scope, scope_text

TEAM_NAME = re.compile(r"[A-Za-z0-9][A-Za-z0-9._-]{0,119}")


@dataclass(frozen=True)
class TeamInfo:
    """A team as listed."""

    name: str
    scope: dict[str, list[str]] | None
    members: tuple[str, ...]
    created_at: datetime


def check_team_name(name: str) -> str:
    if not TEAM_NAME.fullmatch(name):
        raise AccountError(
            f"a team name is 1-120 letters, digits and . _ - (starting with a letter or digit), "
            f"such as South or growth-eu, not {name!r}"
        )
    return name


def find_team(session: Session, name: str) -> Team | None:
    return session.scalars(select(Team).where(Team.name == name)).one_or_none()


def existing_team(session: Session, name: str) -> Team:
    """The team `name`; AccountError naming the closest team (South for `south`) otherwise."""
    team = find_team(session, name)
    if team is not None:
        return team
    names = list(session.scalars(select(Team.name)))
    by_lower = {n.lower(): n for n in names}
    close = difflib.get_close_matches(name.lower(), list(by_lower), n=1, cutoff=0.6)
    hint = f" (did you mean {by_lower[close[0]]!r}?)" if close else ""
    raise AccountError(
        f"no team named {name!r}{hint}; `northstar teams list` shows the teams, "
        "`northstar teams add NAME --scope dimension=value` adds one"
    )


def add_team(db: AppDb, name: str, scope: dict[str, list[str]] | None, by: str) -> TeamInfo:
    """A new team seeing `scope` (None: it limits nothing); AccountError if the name is taken."""
    check_team_name(name)
    with db.session() as session:
        if find_team(session, name) is not None:
            raise AccountError(f"there is already a team named {name!r}")
        team = Team(name=name, scope=scope)
        session.add(team)
        audit(session, by, actions.TEAM_ADDED, f"{name} (scope: {scope_text(scope)})")
        session.flush()
        return team_info(team)


def list_teams(db: AppDb) -> list[TeamInfo]:
    with db.session() as session:
        query = select(Team).options(selectinload(Team.members)).order_by(Team.name)
        return [team_info(t) for t in session.scalars(query)]


def set_team_scope(db: AppDb, name: str, scope: dict[str, list[str]] | None, by: str) -> TeamInfo:
    """The team's new scope, for its members from their next request. NoRowsError naming every
    member whose own scope would clash with it (nothing is changed then)."""
    with db.session() as session:
        team = existing_team(session, name)
        clashing, dimensions = [], set()
        for member in team.members:
            try:
                effective_scope(member.scope, scope)
            except NoRowsError as exc:
                clashing.append(f"{member.name} ({scope_text(member.scope)})")
                dimensions.update(exc.dimensions)
        if clashing:
            raise NoRowsError(
                f"team {name}'s new scope ({scope_text(scope)}) would leave "
                f"{', '.join(clashing)} with no rows: their own scope allows none of its values. "
                "Change their scope first (`northstar users set-scope NAME …`) or move them "
                "(`northstar users set-team NAME TEAM|--none`)",
                sorted(dimensions),
            )
        before, team.scope = team.scope, scope
        audit(
            session,
            by,
            actions.TEAM_SCOPE_CHANGED,
            f"{name}: {scope_text(before)} → {scope_text(scope)}",
        )
        return team_info(team)


def remove_team(db: AppDb, name: str, by: str) -> None:
    """Remove an empty team; AccountError listing its members (and how to move them) if not."""
    with db.session() as session:
        team = existing_team(session, name)
        members = [m.name for m in team.members]
        if members:
            first = members[0]
            raise AccountError(
                f"team {name} still has {len(members)} member(s): {', '.join(members)}. Move "
                f"them first: `northstar users set-team {first} OTHER-TEAM` or "
                f"`northstar users set-team {first} --none`, then remove the team"
            )
        session.delete(team)
        audit(session, by, actions.TEAM_REMOVED, name)


def team_info(team: Team) -> TeamInfo:
    return TeamInfo(
        name=team.name,
        scope=team.scope,
        members=tuple(m.name for m in team.members),
        created_at=team.created_at,
    )
