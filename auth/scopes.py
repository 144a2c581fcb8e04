"""A user's scope as typed on the command line: `region=South` or `region=South,East`, one
`--scope` per dimension. Stored as {dimension: [values]}; the metric service enforces it."""

from __future__ import annotations

import re

from auth.roles import AccountError

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
