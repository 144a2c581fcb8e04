"""`northstar teams add|list|set-scope|remove`: groups of users limited to the same rows.

A member sees the rows both their own scope and their team's allow; `northstar users add … --team`
and `northstar users set-team` put people in a team. Changes count from the members' next request.
"""

from __future__ import annotations

from typing import Annotated

import typer
from rich.table import Table

from auth.roles import AccountError
from auth.scopes import parse_scope, scope_text
from auth.teams import add_team, list_teams, remove_team, set_team_scope
from cli.app_db import cli_actor, open_app_db
from cli.output import console, say

ScopeOption = Annotated[
    list[str] | None,
    typer.Option(help="only these rows: dimension=value[,value] (repeat per dimension)"),
]
ADD_HINT = "northstar teams add NAME --scope dimension=value"


def register(app: typer.Typer) -> None:
    teams = typer.Typer(
        help="Teams: groups of users who see the same rows (the South team sees South only). "
        "add | list | set-scope | remove",
        no_args_is_help=True,
    )
    teams.command("add")(add)
    teams.command("list")(list_command)
    teams.command("set-scope")(set_scope_command)
    teams.command("remove")(remove)
    app.add_typer(teams, name="teams")


def add(
    name: Annotated[str, typer.Argument(help="the team's name, e.g. South")],
    scope: ScopeOption = None,
) -> None:
    """Add a team limited to some rows (no --scope: a team that limits nothing)."""
    team = add_team(open_app_db(), name, parse_scope(scope or []), cli_actor())
    say(f"added team {team.name} (scope: {scope_text(team.scope)})")


def list_command() -> None:
    """List teams: name, scope, members."""
    teams = list_teams(open_app_db())
    if not teams:
        say(f"no teams yet; add one with `{ADD_HINT}`")
        return
    table = Table("team", "scope", "members", "added (UTC)")
    for t in teams:
        table.add_row(
            t.name,
            scope_text(t.scope),
            ", ".join(t.members) or "none",
            f"{t.created_at:%Y-%m-%d %H:%M}",
        )
    console().print(table)


def set_scope_command(
    name: Annotated[str, typer.Argument()],
    scope: ScopeOption = None,
    everything: Annotated[
        bool, typer.Option("--all", help="lift the team's limit: its members' own scopes remain")
    ] = False,
) -> None:
    """Limit a team to some rows (--scope region=South), or lift its limit (--all)."""
    if bool(scope) == everything:  # neither, or both
        raise AccountError(
            "give either --scope dimension=value[,value] (repeat per dimension) or --all "
            "(lift the team's limit)"
        )
    team = set_team_scope(open_app_db(), name, parse_scope(scope or []), cli_actor())
    members = f"{len(team.members)} member(s), from their next request"
    say(f"team {team.name} sees: {scope_text(team.scope)} ({members})")


def remove(name: Annotated[str, typer.Argument()]) -> None:
    """Remove a team that has no members (move them with `northstar users set-team` first)."""
    remove_team(open_app_db(), name, cli_actor())
    say(f"removed team {name}")
