"""The sign-in limit: after `login_attempts` failed sign-ins from one address, or for one name,
within `login_window_minutes`, further tries are refused unchecked until the window has passed.

Failures are counted in the audit log rather than by flask-limiter's in-memory counters: every
gunicorn worker (and every machine sharing a PostgreSQL app database) sees the same count, where
per-worker memory would multiply the limit by the number of workers and forget it on restart;
only failures count, so people signing in and out are never limited; and it needs no other
dependency or store. Limiting by name too stops one account being tried from many addresses; the
price is that someone can keep a named user out for a window by failing on purpose (the user's
own address is not blocked, and admins see it all in `northstar audit`).
"""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import Integer, case, func, select
from sqlalchemy.orm import Session

from appdb import AuditEntry
from appdb.models import utc_now
from auth.actions import SIGN_IN_FAILED


def recent_failures(
    session: Session, name: str, address: str | None, window_minutes: int
) -> tuple[int, int]:
    """(failures from `address`, failures for `name`) within the last window."""
    since = utc_now() - timedelta(minutes=window_minutes)

    def count(condition):  # type: ignore[no-untyped-def]
        return func.coalesce(func.sum(case((condition, 1), else_=0)), 0).cast(Integer)

    query = select(count(AuditEntry.address == address), count(AuditEntry.who == name)).where(
        AuditEntry.action == SIGN_IN_FAILED, AuditEntry.at >= since
    )
    by_address, by_name = session.execute(query).one()
    return int(by_address), int(by_name)


def over_limit(
    session: Session, name: str, address: str | None, attempts: int, window_minutes: int
) -> bool:
    return max(recent_failures(session, name, address, window_minutes)) >= attempts
