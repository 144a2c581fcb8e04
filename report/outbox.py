"""Queue a built report for delivery: one outbox row (appdb.models.Delivery, kind "report") per
channel, sent and retried by alerts.deliver like every notification.

The payload is the contract's {"subject", "html", "text", "pdf_path", "week"}. The PDF is copied
to `outbox/` in the reports folder first: the built files of a week are replaced when a newer
snapshot's report of it is built, and a delivery retried hours later must still find its file.
"""

from __future__ import annotations

import hashlib
import shutil
from datetime import datetime
from pathlib import Path

from sqlalchemy import select
from sqlalchemy.orm import Session

from appdb.models import Delivery
from report.build import BuiltReport

KIND = "report"
IN_APP = "in-app"  # built in; its rows are sent at once (the Alerts page reads them)
RULE = "weekly-report"  # the rule column names what queued the row; series holds the week


def outbox_pdf(built: BuiltReport, folder: Path) -> Path:
    """A copy of the report's PDF that nothing replaces (one per week and snapshot)."""
    if built.pdf_path is None:
        raise ValueError("a report is delivered with its PDF: build it with pdf=True")
    tag = hashlib.sha1(built.snapshot.encode()).hexdigest()[:12]
    target = folder / "outbox" / f"report-{built.week.label}-{tag}.pdf"
    if not target.is_file():
        target.parent.mkdir(parents=True, exist_ok=True)
        staged = target.with_name(f".{target.name}.part")
        shutil.copyfile(built.pdf_path, staged)
        staged.replace(target)
    return target


def payload(built: BuiltReport, pdf_path: Path) -> dict[str, str]:
    return {
        "subject": built.subject,
        "html": built.html,
        "text": built.text,
        "pdf_path": str(pdf_path.resolve()),
        "week": built.week.label,
    }


def queued_channels(session: Session, week: str) -> set[str]:
    """Channels that already have this week's report in the outbox (pending, sent or failed)."""
    rows = session.scalars(
        select(Delivery.channel).where(
            Delivery.kind == KIND, Delivery.rule == RULE, Delivery.series == week
        )
    )
    return set(rows)


def queue_report(
    session: Session, built: BuiltReport, channels: list[str], folder: Path, now: datetime
) -> list[Delivery]:
    """One Delivery per channel, due at `now` (naive UTC): pending until alerts.deliver sends
    it, in-app ones sent at once (as the contract's outbox has them); returns them."""
    body = payload(built, outbox_pdf(built, folder))
    rows = [
        Delivery(
            created_at=now,
            channel=channel,
            kind=KIND,
            rule=RULE,
            series=built.week.label,
            payload=body,
            status="sent" if channel == IN_APP else "pending",
            attempts=0,
            next_attempt_at=now,
            sent_at=now if channel == IN_APP else None,
        )
        for channel in channels
    ]
    session.add_all(rows)
    return rows
