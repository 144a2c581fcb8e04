"""Who may see and change what: sign-in (local accounts or a sign-in proxy), roles, meeting-room
screens and the audit of every write. Off by default; `install_sign_in` turns it on for a Flask
server, the `northstar users|teams|screens|audit` commands manage it. A user sees the rows their
own scope and their team's both allow (auth.scopes, auth.teams).

Writes use `require_role("editor")` (auth.principal); the metric service asks `current_scope()`
which rows the current request may see.
"""

from auth.principal import Principal, check_role, current_principal, current_scope, require_role
from auth.roles import AccountError, Role

__all__ = [
    "AccountError",
    "Principal",
    "Role",
    "check_role",
    "current_principal",
    "current_scope",
    "require_role",
]
