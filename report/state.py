"""A cheap fingerprint of what a report reads besides the snapshot: the OKR definitions beside
metrics.yml, the check-ins and the review record. It joins the built files' names
(report.build), so a new check-in, a new review or an action ticked done makes the next download
or delivery build afresh instead of serving a PDF that hides it; unchanged, the files are reused.

Check-ins are only ever appended (count and newest id say it all); reviews and actions are few
(one a week, a handful of actions each), so their (week) and (id, status, due) rows are hashed
whole: an action reopened and another ticked done in between still changes the fingerprint.
"""

from __future__ import annotations

import hashlib
from pathlib import Path

from sqlalchemy import func, select

from appdb import AppDb
from appdb.models import OkrCheckIn
from appdb.review_models import Review, ReviewAction
from okrs.spec import OKRS_FILE


def report_state(metrics: Path, db: AppDb | None) -> str:
    """12 hex characters; the same while nothing the OKR and action sections read has changed."""
    digest = hashlib.sha1()
    beside = Path(metrics).parent / OKRS_FILE
    digest.update(beside.read_bytes() if beside.is_file() else b"-")  # metrics.yml: spec_hash
    if db is not None:
        with db.session() as session:
            count, newest = session.execute(
                select(func.count(), func.max(OkrCheckIn.id)).select_from(OkrCheckIn)
            ).one()
            digest.update(f"|check-ins {count} {newest}".encode())
            for (week,) in session.execute(select(Review.week).order_by(Review.id)):
                digest.update(f"|review {week}".encode())
            rows = session.execute(
                select(ReviewAction.id, ReviewAction.status, ReviewAction.due).order_by(
                    ReviewAction.id
                )
            )
            for action_id, status, due in rows:
                digest.update(f"|action {action_id} {status} {due}".encode())
    return digest.hexdigest()[:12]
