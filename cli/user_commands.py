"""`northstar users add|list|set-role|set-password|set-scope|set-team|disable|enable|remove`.

A password is never an argument (it would stay in the shell's history and in `ps`): it is asked
for twice on a terminal, or read as one line from standard input with --password-stdin
(`printf '%s\n' "$PW" | northstar users add ana --password-stdin`). Nothing prints a hash.
"""

from __future__ import annotations

import sys
from typing import Annotated

import typer
from rich.table import Table

from auth.accounts import (
    add_user,
    check_new_password,
    list_users,
    remove_user,
    set_disabled,
    set_password,
    set_role,
    set_scope,
    set_team,
)
from auth.roles import ROLES_HELP, AccountError
from auth.scopes import parse_scope, scope_text
from cli.app_db import cli_actor, open_app_db
from cli.output import console, say

PasswordStdin = Annotated[
    bool, typer.Option("--password-stdin", help="read the password as one line from stdin")
]


def register(app: typer.Typer) -> None:
    users = typer.Typer(
        help='Who may sign in, and their roles (sign-in: README, "Sign-in").',
        no_args_is_help=True,
    )
    users.command("add")(add)
    users.command("list")(list_command)
    users.command("set-role")(set_role_command)
    users.command("set-password")(set_password_command)
    users.command("set-scope")(set_scope_command)
    users.command("set-team")(set_team_command)
    users.command("disable")(disable)
    users.command("enable")(enable)
    users.command("remove")(remove)
    app.add_typer(users, name="users")


def add(
    name: Annotated[str, typer.Argument(help="the name they sign in with")],
    role: Annotated[str, typer.Option(help=ROLES_HELP)] = "viewer",
    scope: Annotated[
        list[str] | None,
        typer.Option(help="only these rows: dimension=value[,value] (repeat per dimension)"),
    ] = None,
    email: Annotated[str | None, typer.Option(help="their email (shown to admins)")] = None,
    team: Annotated[
        str | None, typer.Option(help="their team: they see the rows it and --scope both allow")
    ] = None,
    proxy: Annotated[
        bool, typer.Option("--proxy", help="no password: signs in through the sign-in proxy")
    ] = False,
    password_stdin: PasswordStdin = False,
) -> None:
    """Add a user (the password is asked for, never given as an argument)."""
    password = None if proxy else read_password(password_stdin)
    account = add_user(
        open_app_db(), name, password, role, cli_actor(), parse_scope(scope or []), email, team
    )
    if account.team is None:
        say(f"added {account.name} as {account.role} (scope: {scope_text(account.scope)})")
    else:
        say(
            f"added {account.name} as {account.role} in team {account.team} "
            f"(scope: {scope_text(account.scope)}; sees: {account.sees_text})"
        )


def list_command() -> None:
    """List users: name, role, team, scope, what they see, how they sign in, status (never a
    password hash)."""
    accounts = list_users(open_app_db())
    if not accounts:
        say("no users yet; add one with `northstar users add NAME --role admin`")
        return
    table = Table(
        "name", "role", "team", "scope", "sees", "signs in", "status", "email", "added (UTC)"
    )
    for a in accounts:
        table.add_row(
            a.name,
            a.role.value,
            a.team or "",
            scope_text(a.scope),
            a.sees_text,
            "password" if a.has_password else "proxy",
            "disabled" if a.disabled else "active",
            a.email or "",
            f"{a.created_at:%Y-%m-%d %H:%M}",
        )
    console().print(table)


def set_role_command(
    name: Annotated[str, typer.Argument()],
    role: Annotated[str, typer.Argument(help=ROLES_HELP)],
) -> None:
    """Change a user's role."""
    account = set_role(open_app_db(), name, role, cli_actor())
    say(f"{account.name} is now {account.role}")


def set_password_command(
    name: Annotated[str, typer.Argument()], password_stdin: PasswordStdin = False
) -> None:
    """Set a new password; the user's open sessions end."""
    set_password(open_app_db(), name, read_password(password_stdin), cli_actor())
    say(f"new password set for {name}; their open sessions have ended")


def set_scope_command(
    name: Annotated[str, typer.Argument()],
    scope: Annotated[
        list[str] | None, typer.Argument(help="dimension=value[,value] …; none: every row")
    ] = None,
) -> None:
    """Limit a user to some rows (region=South), or lift the limit (no scope given); their
    team's scope still applies."""
    account = set_scope(open_app_db(), name, parse_scope(scope or []), cli_actor())
    say(f"{account.name} sees: {account.sees_text}")


def set_team_command(
    name: Annotated[str, typer.Argument()],
    team: Annotated[str | None, typer.Argument(help="the team (`northstar teams list`)")] = None,
    none: Annotated[bool, typer.Option("--none", help="take them out of their team")] = False,
) -> None:
    """Put a user in a team (they see the rows it and their own scope both allow), or take them
    out of it with --none; counts from their next request."""
    if (team is None) != none:  # neither, or both
        raise AccountError(f"give a team (`northstar users set-team {name} TEAM`) or --none")
    account = set_team(open_app_db(), name, team, cli_actor())
    where = f"in team {account.team}" if account.team else "in no team"
    say(f"{account.name} is {where}; sees: {account.sees_text}")


def disable(name: Annotated[str, typer.Argument()]) -> None:
    """Stop a user signing in (kept in the audit log; a proxy user is not re-added)."""
    set_disabled(open_app_db(), name, True, cli_actor())
    say(f"{name} is disabled; their open sessions have ended")


def enable(name: Annotated[str, typer.Argument()]) -> None:
    """Let a disabled user sign in again."""
    set_disabled(open_app_db(), name, False, cli_actor())
    say(f"{name} may sign in again")


def remove(name: Annotated[str, typer.Argument()]) -> None:
    """Remove a user (behind a proxy with NORTHSTAR_PROXY_ROLE set, `disable` keeps them out)."""
    remove_user(open_app_db(), name, cli_actor())
    say(f"removed {name}")


def read_password(from_stdin: bool) -> str:
    """The new password: one line of stdin, or asked twice on a terminal (not echoed)."""
    if from_stdin:
        password = sys.stdin.readline().rstrip("\r\n")
    elif on_terminal():
        password = typer.prompt("Password", hide_input=True, confirmation_prompt=True)
    else:
        raise AccountError("no terminal to ask for the password on: pipe it with --password-stdin")
    return check_new_password(password)


def on_terminal() -> bool:
    return sys.stdin.isatty()
