"""The audit log's action names for sign-in, users, teams and screens, in one place (alerts, OKRs
and review notes add theirs as they arrive)."""

SIGN_IN = "sign-in"
SIGN_IN_FAILED = "sign-in failed"  # counted by the sign-in limit
SIGN_IN_REFUSED = "sign-in refused"  # over the limit: not checked, not counted again
SIGN_OUT = "sign-out"
USER_ADDED = "user added"
ROLE_CHANGED = "role changed"
PASSWORD_CHANGED = "password changed"
SCOPE_CHANGED = "scope changed"
USER_DISABLED = "user disabled"
USER_ENABLED = "user enabled"
USER_REMOVED = "user removed"
TEAM_CHANGED = "team changed"  # a user moved into, out of or between teams
TEAM_ADDED = "team added"
TEAM_SCOPE_CHANGED = "team scope changed"
TEAM_REMOVED = "team removed"
SCREEN_ADDED = "screen added"
SCREEN_OPENED = "screen opened"
SCREEN_REVOKED = "screen revoked"
