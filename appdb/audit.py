"""The audit log: every write, with who and when. `audit()` adds the entry to the caller's
session, so it commits (or rolls back) together with the change it records."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from appdb.models import AuditEntry, utc_now

MAX_WHO = 200  # a typed sign-in name can be anything; the column is bounded


def audit(
    session: Session, who: str, action: str, detail: str = "", address: str | None = None
) -> AuditEntry:
    """Record `who` did `action` (`detail`: what, in words) now; part of `session`'s transaction."""
    entry = AuditEntry(
        at=utc_now(), who=who[:MAX_WHO], action=action, detail=detail, address=address
    )
    session.add(entry)
    return entry


def audit_entries(session: Session, since: datetime | None = None) -> list[AuditEntry]:
    """Entries from `since` (naive UTC; None: all), oldest first."""
    query = select(AuditEntry).order_by(AuditEntry.at, AuditEntry.id)
    if since is not None:
        query = query.where(AuditEntry.at >= since)
    return list(session.scalars(query))
