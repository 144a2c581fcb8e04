"""Meeting-room screens: a revocable link per TV that opens review mode without signing in.

A link is `/screen/<token>`, the token 256 random bits shown once when the screen is added; the
app database keeps only its SHA-256, so neither the table nor a backup gives the link away.
Revoking stamps `revoked_at`; every request from a screen reads its row again (one primary-key
lookup), so a revoked link stops working at once in every gunicorn worker, not after a cache
expires.
"""

from __future__ import annotations

import hashlib
import secrets
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from appdb import AppDb, Screen, audit
from appdb.models import utc_now
from auth import actions
from auth.roles import AccountError

TOKEN_BYTES = 32


@dataclass(frozen=True)
class ScreenLink:
    id: int
    label: str
    created_at: datetime
    created_by: str
    revoked_at: datetime | None

    @property
    def active(self) -> bool:
        return self.revoked_at is None


def token_hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def add_screen(db: AppDb, label: str, by: str) -> tuple[ScreenLink, str]:
    """A new screen and its token (the only time the token exists outside the TV's URL)."""
    label = label.strip()
    if not 1 <= len(label) <= 120:
        raise AccountError("a screen's label has 1 to 120 characters, e.g. 'Boardroom TV'")
    token = secrets.token_urlsafe(TOKEN_BYTES)
    with db.session() as session:
        screen = Screen(label=label, token_hash=token_hash(token), created_by=by)
        session.add(screen)
        session.flush()
        audit(session, by, actions.SCREEN_ADDED, f"#{screen.id} {label}")
        return _link(screen), token


def list_screens(db: AppDb) -> list[ScreenLink]:
    with db.session() as session:
        return [_link(s) for s in session.scalars(select(Screen).order_by(Screen.id))]


def revoke_screen(db: AppDb, screen_id: int, by: str) -> ScreenLink:
    with db.session() as session:
        screen = session.get(Screen, screen_id)
        if screen is None:
            raise AccountError(
                f"no screen #{screen_id}; `northstar screens list` shows the screens"
            )
        if screen.revoked_at is None:
            screen.revoked_at, screen.revoked_by = utc_now(), by
            audit(session, by, actions.SCREEN_REVOKED, f"#{screen.id} {screen.label}")
        return _link(screen)


def screen_for_token(session: Session, token: str) -> Screen | None:
    """The active screen whose link holds `token`, else None."""
    if not 20 <= len(token) <= 100:
        return None
    screen = session.scalars(
        select(Screen).where(Screen.token_hash == token_hash(token))
    ).one_or_none()
    return screen if screen is not None and screen.revoked_at is None else None


def active_screen(session: Session, screen_id: int) -> Screen | None:
    screen = session.get(Screen, screen_id)
    return screen if screen is not None and screen.revoked_at is None else None


def _link(screen: Screen) -> ScreenLink:
    return ScreenLink(
        screen.id, screen.label, screen.created_at, screen.created_by, screen.revoked_at
    )
