"""Who may see and change what: sign-in (local accounts or a sign-in proxy), roles, meeting-room
screens and the audit of every write. Off by default; `install_sign_in` turns it on for a Flask
server, the `northstar users|screens|audit` commands manage it.

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
