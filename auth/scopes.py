"""Scopes as typed on the command line — `region=South` or `region=South,East`, one `--scope` per
dimension — stored as {dimension: [values]} on users and teams; and what an account sees, its own
scope and its team's together. The metric service enforces the result (metric_layer/scope.py)."""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence

from auth.roles import AccountError

Limits = Mapping[str, Sequence[str]]

NAME = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")


def parse_scope(items: list[str]) -> dict[str, list[str]] | None:
    """`["region=South,East"]` → {"region": ["South", "East"]}; [] → None (the whole company)."""
    scope: dict[str, list[str]] = {}
    for item in items:
        name, sep, values = item.partition("=")
        name = name.strip()
        picked = [v.strip() for v in values.split(",") if v.strip()]
        if not sep or not NAME.fullmatch(name) or not picked:
            raise AccountError(
                f"a scope is dimension=value[,value…] such as region=South, not {item!r}"
            )
        if name in scope:
            raise AccountError(f"--scope {name} is given twice; list its values once: {name}=a,b")
        scope[name] = picked
    return scope or None


def scope_text(scope: dict[str, list[str]] | None) -> str:
    if not scope:
        return "all"
    return "; ".join(f"{name}={','.join(values)}" for name, values in sorted(scope.items()))


class NoRowsError(AccountError):
    """An account whose own scope and its team's share no value of some dimension: it would see
    no row at all. Refused (sign-in, every request, the writes that would make it) rather than
    answered with empty pages that look like a broken dashboard or a business with no sales."""

    def __init__(self, message: str, dimensions: Sequence[str]) -> None:
        super().__init__(message)
        self.dimensions = tuple(dimensions)


def effective_scope(own: Limits | None, team: Limits | None) -> dict[str, list[str]] | None:
    """The rows allowed by both scopes: a dimension both limit keeps the values both allow (in
    `own`'s order), one that only either limits keeps that one's; None when neither limits
    anything. NoRowsError naming the dimensions left without a value."""
    merged = {name: _texts(values) for name, values in (team or {}).items()}
    for name, values in (own or {}).items():
        mine = _texts(values)
        merged[name] = [v for v in mine if v in merged[name]] if name in merged else mine
    empty = sorted(name for name, values in merged.items() if not values)
    if empty:
        raise NoRowsError(f"the scopes share no value of {', '.join(empty)}", empty)
    return merged or None


def _texts(values: Sequence[str] | str) -> list[str]:
    """Values compared as text, as the metric service compares them (a bare string is one)."""
    return [values] if isinstance(values, str) else [str(v) for v in values]


def account_scope(
    name: str, own: Limits | None, team_name: str | None, team: Limits | None
) -> dict[str, list[str]] | None:
    """What the account `name` sees (effective_scope), or a NoRowsError that says whose scopes
    clash and how an admin resolves it."""
    try:
        return effective_scope(own, team)
    except NoRowsError as exc:
        if team_name is None:  # a stored scope with an empty list of values
            raise NoRowsError(
                f"{name} would see no rows: their scope allows no value of "
                f"{', '.join(exc.dimensions)}; an admin sets it with "
                f"`northstar users set-scope {name} …`",
                exc.dimensions,
            ) from None
        raise NoRowsError(
            f"{name} would see no rows: their scope ({scope_text(own)}) and team {team_name}'s "
            f"({scope_text(team)}) share no value of {', '.join(exc.dimensions)}. An admin "
            f"changes one (`northstar users set-scope {name} …` or `northstar teams set-scope "
            f"{team_name} …`) or moves {name} to another team (`northstar users set-team {name} "
            "TEAM|--none`)",
            exc.dimensions,
        ) from None
