"""Roles: what a signed-in person may change. Everyone sees the same numbers (a user's scope, not
the role, narrows which rows); roles decide who may write.

viewer  reads every page
editor  also writes: acknowledges and silences alerts, checks in on OKRs, notes in review mode
admin   also manages users and roles (from the CLI: `northstar users …`)

Metric definitions are not among the writes: metrics.yml lives in git and the UI never edits it.
"""

from __future__ import annotations

from enum import StrEnum

from appdb.models import ROLES

ROLES_HELP = "viewer (reads), editor (also acks, check-ins, notes) or admin (also users)"


class AccountError(ValueError):
    """A users/screens request that cannot be done as asked; the message says what to do."""


class Role(StrEnum):
    VIEWER = "viewer"
    EDITOR = "editor"
    ADMIN = "admin"

    @property
    def rank(self) -> int:
        return ROLES.index(self.value)

    def allows(self, needed: Role | str) -> bool:
        """True when this role may do what `needed` may (admin ⊃ editor ⊃ viewer)."""
        return self.rank >= parse_role(needed).rank


def parse_role(text: Role | str) -> Role:
    try:
        return Role(str(text).strip().lower())
    except ValueError:
        raise AccountError(f"unknown role {text!r}; roles: {', '.join(ROLES)}") from None
