"""Alert states, history, silences and acknowledgements in the app database.

Every function works inside the caller's session, so a state change, its history event, its
audit entry and the outbox rows it causes commit together or not at all. Times are naive UTC.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import fields
from datetime import date, datetime

from sqlalchemy import false, func, select, update
from sqlalchemy.orm import Session

from alerts.model import Rule, SeriesState
from appdb.audit import audit
from appdb.models import AlertEvent, AlertSilence, AlertState, Delivery

MAX_COMMENT = 2000  # a typed comment can be anything; keep the history readable
STATES_LOCK = 0x4E53_414C  # PostgreSQL advisory lock id of the alert states ("NSAL")


class AlertError(ValueError):
    """An alert action that cannot be done (ack of a series that is not firing, unknown silence).
    A ValueError, so the CLI's guard shows it as a usage error (exit 2), as AccountError is."""


_STATE_FIELDS = [f.name for f in fields(SeriesState)]


def _to_state(row: AlertState) -> SeriesState:
    return SeriesState(**{name: getattr(row, name) for name in _STATE_FIELDS})


def lock_states(session: Session) -> None:
    """Hold the alert states until this transaction ends. Two checks at once (the worker and a
    cron `alerts check`), or an ack during a check, then run one after the other: the second
    reads what the first wrote, so one change never sends two notifications nor loses an ack."""
    if session.get_bind().dialect.name == "postgresql":
        session.execute(select(func.pg_advisory_xact_lock(STATES_LOCK)))
    else:  # SQLite: any write statement takes the database's write lock until commit
        session.execute(
            update(AlertState).where(false()).values(breaches=AlertState.breaches),
            execution_options={"synchronize_session": False},
        )


def load_states(session: Session, rule: str | None = None) -> dict[tuple[str, str], SeriesState]:
    """(rule, series) → its current state; all rules, or one."""
    query = select(AlertState)
    if rule is not None:
        query = query.where(AlertState.rule == rule)
    return {(row.rule, row.series): _to_state(row) for row in session.scalars(query)}


def save_state(session: Session, state: SeriesState) -> None:
    """Insert or update the row of (state.rule, state.series)."""
    row = session.scalars(
        select(AlertState).where(AlertState.rule == state.rule, AlertState.series == state.series)
    ).one_or_none()
    if row is None:
        row = AlertState(rule=state.rule, series=state.series)
        session.add(row)
    for name in _STATE_FIELDS:
        setattr(row, name, getattr(state, name))


def forget_states(session: Session, keep_rules: Iterable[str]) -> list[str]:
    """Drop the states of rules no longer in the spec (their history stays); returns their names."""
    keep = set(keep_rules)
    gone = sorted({row.rule for row in session.scalars(select(AlertState))} - keep)
    for row in session.scalars(select(AlertState).where(AlertState.rule.in_(gone))):
        session.delete(row)
    return gone


def forget_series(session: Session, rule: str, series: str) -> None:
    """Drop one series' state (a dimension value the rule no longer reports); history stays."""
    row = session.scalars(
        select(AlertState).where(AlertState.rule == rule, AlertState.series == series)
    ).one_or_none()
    if row is not None:
        session.delete(row)


def record_event(
    session: Session,
    *,
    rule: str,
    series: str,
    event: str,
    at: datetime,
    from_state: str | None = None,
    to_state: str | None = None,
    value: float | None = None,
    period: date | None = None,
    detail: str = "",
    who: str | None = None,
) -> AlertEvent:
    entry = AlertEvent(
        at=at,
        rule=rule,
        series=series,
        event=event,
        from_state=from_state,
        to_state=to_state,
        value=value,
        period=period,
        detail=detail[:MAX_COMMENT],
        who=who,
    )
    session.add(entry)
    return entry


def history(
    session: Session,
    *,
    rule: str | None = None,
    since: datetime | None = None,
    until: datetime | None = None,
    limit: int | None = 500,
) -> list[AlertEvent]:
    """Events newest first: of one rule or all, from `since` up to (excluding) `until`."""
    query = select(AlertEvent).order_by(AlertEvent.at.desc(), AlertEvent.id.desc())
    if rule is not None:
        query = query.where(AlertEvent.rule == rule)
    if since is not None:
        query = query.where(AlertEvent.at >= since)
    if until is not None:
        query = query.where(AlertEvent.at < until)
    if limit is not None:
        query = query.limit(limit)
    return list(session.scalars(query))


# Silences -------------------------------------------------------------------------------------


def active_silences(session: Session, now: datetime) -> list[AlertSilence]:
    """Silences in force at `now` (started, not ended, not ended early by hand)."""
    query = (
        select(AlertSilence)
        .where(AlertSilence.starts_at <= now, AlertSilence.ends_at > now)
        .order_by(AlertSilence.ends_at)
    )
    return list(session.scalars(query))


def silence_matches(silence: AlertSilence, rule: Rule, series: str) -> bool:
    """Every matcher the silence gives must hold: rule name, series, each label."""
    if silence.rule is not None and silence.rule != rule.name:
        return False
    if silence.series is not None and silence.series != series:
        return False
    labels = rule.label_map
    return all(labels.get(k) == v for k, v in (silence.labels or {}).items())


def is_silenced(silences: Iterable[AlertSilence], rule: Rule, series: str) -> bool:
    return any(silence_matches(s, rule, series) for s in silences)


def add_silence(
    session: Session,
    *,
    who: str,
    now: datetime,
    ends_at: datetime,
    rule: str | None = None,
    series: str | None = None,
    labels: dict[str, str] | None = None,
    comment: str = "",
) -> AlertSilence:
    """Mute matching series until `ends_at`; audited. A silence matches something: a rule, a
    series or labels (an empty one would mute every alert of the company by accident)."""
    if rule is None and series is None and not labels:
        raise AlertError("a silence needs a rule, a series or labels to match; give --rule NAME")
    if ends_at <= now:
        raise AlertError("a silence must end in the future; give a later end or a duration")
    silence = AlertSilence(
        rule=rule,
        series=series,
        labels=labels or None,
        starts_at=now,
        ends_at=ends_at,
        comment=comment[:MAX_COMMENT],
        created_by=who,
        created_at=now,
    )
    session.add(silence)
    session.flush()  # its id, for the history and the audit entry
    what = _silence_text(silence)
    record_event(
        session,
        rule=rule or "*",
        series=series or "",
        event="silence",
        at=now,
        detail=what,
        who=who,
    )
    audit(session, who, "alert.silence", what)
    return silence


def end_silence(session: Session, silence_id: int, *, who: str, now: datetime) -> AlertSilence:
    silence = session.get(AlertSilence, silence_id)
    if silence is None or silence.ends_at <= now:
        raise AlertError(
            f"no silence #{silence_id} is in force; `northstar alerts silences` lists them"
        )
    silence.ends_at = now
    silence.ended_by = who
    what = f"ended {_silence_text(silence)}"
    record_event(
        session,
        rule=silence.rule or "*",
        series=silence.series or "",
        event="unsilence",
        at=now,
        detail=what,
        who=who,
    )
    audit(session, who, "alert.unsilence", what)
    return silence


def silence_matchers(silence: AlertSilence, joiner: str = " ") -> str:
    """What a silence matches: `rule aov_drop series region=South team=growth`."""
    parts = []
    if silence.rule:
        parts.append(f"rule {silence.rule}")
    if silence.series:
        parts.append(f"series {silence.series}")
    if silence.labels:
        parts.append(", ".join(f"{k}={v}" for k, v in sorted(silence.labels.items())))
    return joiner.join(parts)


def _silence_text(silence: AlertSilence) -> str:
    text = f"silence #{silence.id} {silence_matchers(silence)} "
    text += f"until {silence.ends_at:%Y-%m-%d %H:%M} UTC"
    return f"{text}: {silence.comment}" if silence.comment else text


# Acknowledgements -----------------------------------------------------------------------------


def acknowledge(
    session: Session, rule: str, series: str, *, who: str, now: datetime, comment: str = ""
) -> SeriesState:
    """Someone owns this firing alert: no repeat notifications until it resolves (a new firing
    episode starts unacknowledged). Audited; only a firing series can be acknowledged."""
    lock_states(session)  # a check running now finishes first: its write cannot undo the ack
    row = session.scalars(
        select(AlertState).where(AlertState.rule == rule, AlertState.series == series)
    ).one_or_none()
    if row is None or row.state != "firing":
        shown = f"{rule} ({series})" if series else rule
        now_in = "not evaluated yet" if row is None else row.state
        raise AlertError(
            f"{shown} is {now_in}, not firing: only a firing alert can be acknowledged"
        )
    row.acked_by, row.acked_at, row.ack_comment = who, now, comment[:MAX_COMMENT]
    shown = f"{rule} ({series})" if series else rule
    record_event(
        session,
        rule=rule,
        series=series,
        event="ack",
        at=now,
        from_state=row.state,
        to_state=row.state,
        value=row.value,
        period=row.period,
        detail=comment[:MAX_COMMENT],
        who=who,
    )
    audit(session, who, "alert.ack", f"{shown}: {comment}" if comment else shown)
    return _to_state(row)


def unresolved(session: Session) -> list[SeriesState]:
    """Firing and pending series (and nodata/error), most serious first then oldest first."""
    order = {"firing": 0, "error": 1, "nodata": 2, "pending": 3}
    rows = session.scalars(select(AlertState).where(AlertState.state != "normal"))
    states = [_to_state(r) for r in rows]
    return sorted(states, key=lambda s: (order.get(s.state, 9), s.since, s.rule, s.series))


def silences(session: Session, now: datetime, include_ended: bool = False) -> list[AlertSilence]:
    """Silences in force (and, asked, those ended), newest first."""
    query = select(AlertSilence).order_by(AlertSilence.created_at.desc(), AlertSilence.id.desc())
    if not include_ended:
        query = query.where(AlertSilence.ends_at > now)
    return list(session.scalars(query))


# What the Alerts page and the charts read -------------------------------------------------------


def deliveries_in_trouble(
    session: Session, since: datetime | None = None, limit: int = 200
) -> list[Delivery]:
    """Deliveries that failed for good (made from `since` on), and pending ones already retried
    (so a channel that keeps failing shows before it runs out of tries): newest first."""
    failed = Delivery.status == "failed"
    if since is not None:
        failed = failed & (Delivery.created_at >= since)
    query = (
        select(Delivery)
        .where(failed | ((Delivery.status == "pending") & (Delivery.attempts > 0)))
        .order_by(Delivery.created_at.desc(), Delivery.id.desc())
        .limit(limit)
    )
    return list(session.scalars(query))


def latest_payloads(
    session: Session, keys: Iterable[tuple[str, str]]
) -> dict[tuple[str, str], dict]:
    """(rule, series) → the payload of its newest firing or repeat notification (any channel:
    all rows of one notification hold the same payload): what was said about it, its top
    segments and Drivers link included. Series never notified (pending) are left out."""
    found: dict[tuple[str, str], dict] = {}
    for rule, series in dict.fromkeys(keys):
        query = (
            select(Delivery.payload)
            .where(
                Delivery.rule == rule,
                Delivery.series == series,
                Delivery.kind.in_(("firing", "repeat")),
            )
            .order_by(Delivery.created_at.desc(), Delivery.id.desc())
            .limit(1)
        )
        payload = session.scalars(query).first()
        if isinstance(payload, dict) and payload:
            found[(rule, series)] = payload
    return found


def firing_events(
    session: Session,
    rules: Iterable[str],
    *,
    since: datetime | None = None,
    limit: int = 1000,
) -> list[AlertEvent]:
    """The `firing` events of these rules (newest first), for markers on charts."""
    names = sorted(set(rules))
    if not names:
        return []
    query = (
        select(AlertEvent)
        .where(AlertEvent.rule.in_(names), AlertEvent.event == "firing")
        .order_by(AlertEvent.at.desc(), AlertEvent.id.desc())
        .limit(limit)
    )
    if since is not None:
        query = query.where(AlertEvent.at >= since)
    return list(session.scalars(query))


def history_rules(session: Session) -> list[str]:
    """Every rule name the history mentions (removed rules too), for the history's filter."""
    return sorted(set(session.scalars(select(AlertEvent.rule).distinct())))
