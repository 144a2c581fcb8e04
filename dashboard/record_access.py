"""Who may do what with the review record on the web, and the app database it is kept in.

- Writing (start a review, notes, decisions, actions, ticking done) needs the editor role when
  sign-in is on; with sign-in off everything is written as "local" (and audited as such). A
  viewer's or a meeting-room screen's write is refused with a message, not a 403 page.
- The frozen numbers are the whole company's: an account limited to some rows (a team's scope)
  sees the notes, decisions and actions but not the numbers, and cannot start a review.
- The database: sign-in's when it is on; otherwise NORTHSTAR_APP_DB, opened and migrated on the
  first visit to a review page (kept on the Flask app, one per process).
"""

from __future__ import annotations

import threading
from dataclasses import dataclass

from flask import current_app

from appdb import AppDb
from auth.principal import EXTENSION as SIGN_IN
from auth.principal import NOBODY, SCREEN, current_principal
from dashboard.serving import EXTENSION as SERVING

DB_EXTENSION = "northstar.review_db"
LOCAL = "local"  # the writer's name with sign-in off
_opening = threading.Lock()  # one process opens (and migrates) its database once


@dataclass(frozen=True)
class Access:
    writer: str | None  # the name writes are recorded under; None: may not write
    refusal: str  # why not, in words (empty when writing is allowed)
    sees_numbers: bool  # the frozen numbers are company-wide: only for unlimited accounts
    hidden_numbers: str = ""  # why they are hidden


def access() -> Access:
    """What the current request may do with the review record."""
    who = current_principal()
    if who is None:
        return Access(None, "Sign in to write in the review record.", False)
    unlimited = who.scope is None and not who.no_rows
    hidden = (
        ""
        if unlimited
        else f"The frozen numbers are the whole company's; {who.name} sees only part of the "
        f"rows{' (team ' + who.team + ')' if who.team else ''}, so they are not shown here."
    )
    if who.kind == NOBODY:
        return Access(LOCAL, "", True)
    if who.kind == SCREEN:
        return Access(None, "A meeting-room screen shows the record read-only.", True)
    if not who.may("editor"):
        return Access(
            None,
            f"You are signed in as {who.name}, a {who.role}: the record is read-only for you. "
            f"An admin grants editing with `northstar users set-role {who.name} editor`.",
            unlimited,
            hidden,
        )
    return Access(who.name, "", unlimited, hidden)


def record_db() -> AppDb:
    """The app database of this Flask app (see the module docstring)."""
    app = current_app
    sign_in = app.extensions.get(SIGN_IN)
    if sign_in is not None:
        return sign_in.db
    db = app.extensions.get(DB_EXTENSION)
    if db is None:
        with _opening:
            db = app.extensions.get(DB_EXTENSION)
            if db is None:
                db = AppDb(app.extensions[SERVING].settings.app_db)
                db.upgrade()
                app.extensions[DB_EXTENSION] = db
    return db
