"""The outbox sender: every pending delivery that is due goes to its channel, with retries.

`enqueue` writes one `alert_deliveries` row per notification × channel in the caller's
transaction (the one that records the state change), so a crash cannot lose a notification.
`deliver_due` sends the rows due now:

- success → status "sent", sent_at;
- failure → attempts + 1, next try after 1 min, 5 min, 30 min, 2 h, 6 h; after the 6th failed try
  status "failed" (the Alerts page shows it). Each failure is logged as one line, secrets removed;
- a channel no longer in the config → "failed" at once, saying so; in-app rows are sent at once.

Two senders (the worker and a `northstar alerts check`, or two workers) never send a row twice:
a row is claimed before sending by one UPDATE guarded on the attempt count it was read with
(`… WHERE id = :id AND status = 'pending' AND attempts = :seen`). Only one UPDATE can match: on
PostgreSQL the second waits for the first's row lock and then finds attempts changed; SQLite
writes one transaction at a time. The claim also moves next_attempt_at a lease ahead, so a
sender that dies mid-send leaves the row to be retried later (at least once, never lost).
"""

from __future__ import annotations

import contextlib
import logging
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Any

from sqlalchemy import select, update
from sqlalchemy.orm import Session

from alerts.channels.chart import ChartRenderer
from alerts.channels.config import IN_APP, Channel, EmailChannel, InAppChannel, WebhookChannel
from alerts.channels.email import send_email
from alerts.channels.errors import DeliveryError
from alerts.channels.payload import notification_payload, report_payload
from alerts.channels.webhook import TIMEOUT, resolve, send_webhook
from alerts.model import Notification
from appdb import AppDb
from appdb.models import Delivery, utc_now
from env_refs import redact
from settings import Settings

log = logging.getLogger("northstar.alerts")

BACKOFF = (
    timedelta(minutes=1),
    timedelta(minutes=5),
    timedelta(minutes=30),
    timedelta(hours=2),
    timedelta(hours=6),
)
MAX_ATTEMPTS = len(BACKOFF) + 1  # the first try and one after each wait
LEASE = timedelta(minutes=15)  # a claimed row is not due for this long: its send is in flight
BATCH = 200  # rows per call; the rest are due at the next call


@dataclass(frozen=True)
class DeliveryReport:
    """What one `deliver_due` did."""

    sent: int = 0
    retrying: int = 0  # failed this time; tried again after the backoff
    failed: int = 0  # out of tries, or the channel is gone: status "failed"
    skipped: int = 0  # another sender claimed the row first
    errors: tuple[str, ...] = ()  # one line per failure, as logged (no secrets)

    @property
    def ok(self) -> bool:
        return not self.retrying and not self.failed


@dataclass(frozen=True)
class DueRow:
    id: int
    attempts: int
    channel: str
    kind: str
    rule: str | None
    payload: dict[str, Any]


# -- writing the outbox -----------------------------------------------------------------------
def enqueue(
    session: Session,
    item: Notification | Mapping[str, Any],
    channels: Iterable[str],
    *,
    now: datetime | None = None,
    points: Sequence[tuple[date | datetime, float | None]] = (),
) -> list[Delivery]:
    """Add one outbox row per channel (each name once) to the caller's session, not committed.

    `item` is a Notification (its payload: alerts.channels.payload.notification_payload, with
    `points` for the email's chart) or the weekly report's payload dict. In-app rows are written
    as sent: the Alerts page reads states and history, there is nothing to send."""
    if isinstance(item, Notification):
        payload = notification_payload(item, points=points)
        kind, rule, series, at = item.kind, item.rule.name, item.series, now or item.at
    else:
        payload = report_payload(item)
        kind, rule, series, at = "report", None, None, now or utc_now()
    rows = []
    for name in dict.fromkeys(channels):
        in_app = name == IN_APP
        row = Delivery(
            channel=name,
            kind=kind,
            rule=rule,
            series=series,
            payload=dict(payload),
            status="sent" if in_app else "pending",
            attempts=0,
            created_at=at,
            next_attempt_at=at,
            sent_at=at if in_app else None,
            last_error="",
        )
        session.add(row)
        rows.append(row)
    return rows


# -- sending it -------------------------------------------------------------------------------
def deliver_due(
    db: AppDb,
    channels: Mapping[str, Channel],
    settings: Settings,
    now: datetime,
    environ: Mapping[str, str],
    *,
    renderer: ChartRenderer | None = None,
    webhook_timeout: tuple[float, float] = TIMEOUT,
    limit: int = BATCH,
) -> DeliveryReport:
    """Send every pending row with next_attempt_at ≤ now (naive UTC), oldest first."""
    counts = {"sent": 0, "retrying": 0, "failed": 0, "skipped": 0}
    errors: list[str] = []
    own_renderer = renderer is None
    renderer = renderer or ChartRenderer()  # its browser starts only if an email has a chart
    try:
        for row in due_rows(db, now, limit):
            channel = channels.get(row.channel) or (
                InAppChannel() if row.channel == IN_APP else None
            )
            if channel is None or row.attempts >= MAX_ATTEMPTS:
                reason = (
                    f"channel `{row.channel}` is no longer in the alerts config, so this "
                    "message is not sent (add the channel back for the next ones)"
                    if channel is None
                    else f"gave up after {row.attempts} tries (the last one did not finish)"
                )
                if give_up(db, row, reason):
                    counts["failed"] += 1
                    errors.append(_log_failure(row, row.attempts, reason, final=True))
                else:
                    counts["skipped"] += 1
                continue
            if not claim(db, row, now):
                counts["skipped"] += 1
                continue
            attempt = row.attempts + 1
            # The row's kind says what the payload is: a report's payload need not repeat it.
            payload = {**row.payload, "kind": row.kind}
            error = _send(channel, payload, settings, environ, renderer, webhook_timeout)
            if error is not None:
                error = redact(error, channel_secrets(channel, settings, environ))
            outcome = finish(db, row, attempt, now, error)
            counts[outcome] += 1
            if error is not None:
                line = _log_failure(row, attempt, error, final=outcome == "failed", now=now)
                errors.append(line)
    finally:
        if own_renderer:
            renderer.close()
    return DeliveryReport(**counts, errors=tuple(errors))


def due_rows(db: AppDb, now: datetime, limit: int = BATCH) -> list[DueRow]:
    query = (
        select(Delivery)
        .where(Delivery.status == "pending", Delivery.next_attempt_at <= now)
        .order_by(Delivery.next_attempt_at, Delivery.id)
        .limit(limit)
    )
    with db.session() as session:
        return [
            DueRow(r.id, r.attempts, r.channel, r.kind, r.rule, r.payload)
            for r in session.scalars(query)
        ]


def claim(db: AppDb, row: DueRow, now: datetime) -> bool:
    """Take the row for one try; False when another sender took it since it was read."""
    return _guarded(db, row, row.attempts, attempts=row.attempts + 1, next_attempt_at=now + LEASE)


def finish(db: AppDb, row: DueRow, attempt: int, now: datetime, error: str | None) -> str:
    """Record the try `attempt` (claimed by us): "sent", "retrying" or "failed"."""
    if error is None:
        outcome, values = "sent", {"status": "sent", "sent_at": now, "last_error": ""}
    elif attempt >= MAX_ATTEMPTS:
        outcome, values = "failed", {"status": "failed", "last_error": error}
    else:
        wait = BACKOFF[attempt - 1]
        outcome, values = "retrying", {"next_attempt_at": now + wait, "last_error": error}
    _guarded(db, row, attempt, **values)
    return outcome


def give_up(db: AppDb, row: DueRow, reason: str) -> bool:
    return _guarded(db, row, row.attempts, status="failed", last_error=reason)


def _guarded(db: AppDb, row: DueRow, seen: int, **values: Any) -> bool:
    """Change the row only if it is still pending with `seen` attempts: True when it was."""
    statement = (
        update(Delivery)
        .where(Delivery.id == row.id, Delivery.status == "pending", Delivery.attempts == seen)
        .values(**values)
        .execution_options(synchronize_session=False)
    )
    with db.session() as session:
        return session.execute(statement).rowcount == 1  # type: ignore[attr-defined]


def _send(
    channel: Channel,
    payload: Mapping[str, Any],
    settings: Settings,
    environ: Mapping[str, str],
    renderer: ChartRenderer,
    webhook_timeout: tuple[float, float],
) -> str | None:
    """None when sent, else what went wrong in one line."""
    try:
        if isinstance(channel, WebhookChannel):
            send_webhook(
                channel,
                payload,
                base_url=settings.public_base(),
                environ=environ,
                timeout=webhook_timeout,
            )
        elif isinstance(channel, EmailChannel):
            send_email(channel, payload, settings=settings, renderer=renderer)
        return None
    except DeliveryError as exc:
        return str(exc)
    except Exception as exc:  # a bug must not stop the batch, nor print what it held
        return f"{channel.name}: unexpected {type(exc).__name__} while sending (a bug; report it)"


def channel_secrets(channel: Channel, settings: Settings, environ: Mapping[str, str]) -> set[str]:
    """What an error about this channel must never show, whatever produced the message."""
    secrets = {settings.smtp_password} if settings.smtp_password else set()
    if isinstance(channel, WebhookChannel):
        # a variable that is missing: nothing of it can be in the message
        with contextlib.suppress(DeliveryError):
            secrets |= resolve(channel, environ).secrets
    return secrets


def _log_failure(
    row: DueRow, attempt: int, error: str, *, final: bool, now: datetime | None = None
) -> str:
    what = f"alert delivery {row.id} ({row.kind}" + (f", rule {row.rule}" if row.rule else "")
    what += f") to {row.channel}"
    if final:
        line = f"{what} not sent" + (f" after {attempt} tries" if attempt else "") + f": {error}"
        log.error("%s", line)
    else:
        assert now is not None
        retry = now + BACKOFF[attempt - 1]
        line = (
            f"{what} failed (try {attempt} of {MAX_ATTEMPTS}, next at {retry:%Y-%m-%d %H:%M} UTC): "
            f"{error}"
        )
        log.warning("%s", line)
    return line
