"""The app database's tables, as SQLAlchemy 2.0 declarative models.

Times are naive UTC (`utc_now()`): SQLite has no time zones, and one convention on both engines
keeps comparisons (the sign-in limit's window, `audit --since`) the same everywhere. The schema
itself is made by the migrations in appdb/migrations; tests check that the two agree. The weekly
review record's tables are review_models.py; schema.py gathers every table.
"""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import (
    JSON,
    CheckConstraint,
    Date,
    DateTime,
    Float,
    ForeignKey,
    Index,
    Integer,
    String,
    Text,
    UniqueConstraint,
)
from sqlalchemy.orm import Mapped, mapped_column, relationship

from appdb.base import Base, utc_now

ROLES = ("viewer", "editor", "admin")  # in rising order of what they may do


class User(Base):
    """Someone who signs in: by password (local account) or through the sign-in proxy."""

    __tablename__ = "users"
    __table_args__ = (CheckConstraint(f"role IN {ROLES!r}", name="role"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(120), unique=True)
    email: Mapped[str | None] = mapped_column(String(320))
    password_hash: Mapped[str | None] = mapped_column(String(255))  # None: proxy users
    role: Mapped[str] = mapped_column(String(16))
    # {dimension: [values]}: the rows this user may see (None: the whole company); with a team,
    # they see the rows both this and the team's scope allow (auth.scopes.effective_scope)
    scope: Mapped[dict[str, list[str]] | None] = mapped_column(JSON)
    team_id: Mapped[int | None] = mapped_column(ForeignKey("teams.id"))
    disabled: Mapped[bool] = mapped_column(default=False)
    # Part of the session's user id: raising it ends every session of the user at once.
    session_epoch: Mapped[int] = mapped_column(default=0)
    created_at: Mapped[datetime] = mapped_column(DateTime, default=utc_now)
    # Loaded with the user (one query): every request reads both scopes to know what it may see.
    team: Mapped[Team | None] = relationship(back_populates="members", lazy="joined")

    def __repr__(self) -> str:  # never the password hash: reprs end up in logs and tracebacks
        return f"User(id={self.id!r}, name={self.name!r}, role={self.role!r})"


class Team(Base):
    """A group of users limited to the same rows (the South team sees South only).

    Roles say what someone may do; a team says which rows its members see. A team is removed only
    once it has no members (the foreign key refuses it too)."""

    __tablename__ = "teams"

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(120), unique=True)
    # {dimension: [values]}, as a user's scope; None: the team limits nothing
    scope: Mapped[dict[str, list[str]] | None] = mapped_column(JSON)
    created_at: Mapped[datetime] = mapped_column(DateTime, default=utc_now)
    members: Mapped[list[User]] = relationship(back_populates="team", order_by="User.name")

    def __repr__(self) -> str:
        return f"Team(id={self.id!r}, name={self.name!r})"


class Screen(Base):
    """A meeting-room screen: a revocable link that shows review mode without signing in.

    Only a SHA-256 of the link's token is kept, so reading this table does not give the links."""

    __tablename__ = "screens"

    id: Mapped[int] = mapped_column(primary_key=True)
    label: Mapped[str] = mapped_column(String(120))
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    created_at: Mapped[datetime] = mapped_column(DateTime, default=utc_now)
    created_by: Mapped[str] = mapped_column(String(200))
    revoked_at: Mapped[datetime | None] = mapped_column(DateTime)
    revoked_by: Mapped[str | None] = mapped_column(String(200))

    def __repr__(self) -> str:
        return (
            f"Screen(id={self.id!r}, label={self.label!r}, revoked={self.revoked_at is not None})"
        )


class AuditEntry(Base):
    """One write, with who made it and when: appended, never changed."""

    __tablename__ = "audit_log"
    __table_args__ = (Index("ix_audit_log_action_at", "action", "at"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    at: Mapped[datetime] = mapped_column(DateTime, default=utc_now, index=True)
    who: Mapped[str] = mapped_column(String(200))
    action: Mapped[str] = mapped_column(String(60))
    detail: Mapped[str] = mapped_column(Text, default="")
    address: Mapped[str | None] = mapped_column(String(64))  # the client's IP, for web requests

    def __repr__(self) -> str:
        return f"AuditEntry({self.at:%Y-%m-%d %H:%M:%S} {self.who!r} {self.action!r})"


class AppSecret(Base):
    """Secrets the app makes for itself (the session signing key when none is configured)."""

    __tablename__ = "app_secrets"

    name: Mapped[str] = mapped_column(String(60), primary_key=True)
    value: Mapped[str] = mapped_column(String(200))

    def __repr__(self) -> str:
        return f"AppSecret({self.name!r})"


# Alerting (issue 14). Rules live in YAML; the database keeps what happened to them.
ALERT_STATES = ("normal", "pending", "firing", "nodata", "error")
DELIVERY_STATUSES = ("pending", "sent", "failed")  # failed: out of retries, shown on /alerts


class AlertState(Base):
    """The current state of one series of one rule (one row per rule × series)."""

    __tablename__ = "alert_states"
    __table_args__ = (
        UniqueConstraint("rule", "series"),
        CheckConstraint(f"state IN {ALERT_STATES!r}", name="state"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    rule: Mapped[str] = mapped_column(String(200))
    series: Mapped[str] = mapped_column(String(400), default="")
    state: Mapped[str] = mapped_column(String(16))
    since: Mapped[datetime] = mapped_column(DateTime)
    breaches: Mapped[int] = mapped_column(Integer, default=0)
    fired_at: Mapped[datetime | None] = mapped_column(DateTime)
    last_notified_at: Mapped[datetime | None] = mapped_column(DateTime)
    last_evaluated_at: Mapped[datetime | None] = mapped_column(DateTime)
    value: Mapped[float | None] = mapped_column(Float)
    period: Mapped[date | None] = mapped_column(Date)
    expected: Mapped[str] = mapped_column(Text, default="")
    detail: Mapped[str] = mapped_column(Text, default="")
    acked_by: Mapped[str | None] = mapped_column(String(200))
    acked_at: Mapped[datetime | None] = mapped_column(DateTime)
    ack_comment: Mapped[str] = mapped_column(Text, default="")

    def __repr__(self) -> str:
        return f"AlertState({self.rule!r}, {self.series!r}, {self.state!r})"


class AlertEvent(Base):
    """History: a state change, an acknowledgement or a silence, appended and never changed."""

    __tablename__ = "alert_history"
    __table_args__ = (Index("ix_alert_history_rule_at", "rule", "at"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    at: Mapped[datetime] = mapped_column(DateTime, default=utc_now, index=True)
    rule: Mapped[str] = mapped_column(String(200))
    series: Mapped[str] = mapped_column(String(400), default="")
    event: Mapped[str] = mapped_column(String(32))  # "firing", "resolved", "pending", "ack", …
    from_state: Mapped[str | None] = mapped_column(String(16))
    to_state: Mapped[str | None] = mapped_column(String(16))
    value: Mapped[float | None] = mapped_column(Float)
    period: Mapped[date | None] = mapped_column(Date)
    detail: Mapped[str] = mapped_column(Text, default="")
    who: Mapped[str | None] = mapped_column(String(200))  # acks and silences: the person

    def __repr__(self) -> str:
        return f"AlertEvent({self.at:%Y-%m-%d %H:%M} {self.rule!r} {self.event!r})"


class AlertSilence(Base):
    """Mute notifications of matching series until `ends_at`: by rule name, by labels, or both
    (every given matcher must hold). States are still evaluated and recorded while silenced."""

    __tablename__ = "alert_silences"

    id: Mapped[int] = mapped_column(primary_key=True)
    rule: Mapped[str | None] = mapped_column(String(200))  # None: any rule
    series: Mapped[str | None] = mapped_column(String(400))  # None: every series of it
    labels: Mapped[dict[str, str] | None] = mapped_column(JSON)  # {label: value}, all must match
    starts_at: Mapped[datetime] = mapped_column(DateTime, default=utc_now)
    ends_at: Mapped[datetime] = mapped_column(DateTime)
    comment: Mapped[str] = mapped_column(Text, default="")
    created_by: Mapped[str] = mapped_column(String(200))
    created_at: Mapped[datetime] = mapped_column(DateTime, default=utc_now)
    ended_by: Mapped[str | None] = mapped_column(String(200))  # ended early by hand

    def __repr__(self) -> str:
        return f"AlertSilence(id={self.id!r}, rule={self.rule!r}, ends_at={self.ends_at!r})"


class Delivery(Base):
    """The outbox: one message to one channel, retried with backoff until sent or out of tries.

    Written in the same transaction as the state change that caused it, so a crash between the
    two cannot lose a notification; `payload` holds everything the channel needs to send it."""

    __tablename__ = "alert_deliveries"
    __table_args__ = (
        CheckConstraint(f"status IN {DELIVERY_STATUSES!r}", name="status"),
        Index("ix_alert_deliveries_status_next_attempt_at", "status", "next_attempt_at"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    created_at: Mapped[datetime] = mapped_column(DateTime, default=utc_now)
    channel: Mapped[str] = mapped_column(String(120))
    kind: Mapped[str] = mapped_column(String(32))  # firing / resolved / repeat / report
    rule: Mapped[str | None] = mapped_column(String(200))
    series: Mapped[str | None] = mapped_column(String(400))
    payload: Mapped[dict] = mapped_column(JSON)
    status: Mapped[str] = mapped_column(String(16), default="pending")
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    next_attempt_at: Mapped[datetime] = mapped_column(DateTime, default=utc_now)
    last_error: Mapped[str] = mapped_column(Text, default="")
    sent_at: Mapped[datetime | None] = mapped_column(DateTime)

    def __repr__(self) -> str:
        return f"Delivery(id={self.id!r}, channel={self.channel!r}, status={self.status!r})"


# OKRs (issue 15). Objectives live in YAML; the database keeps what people said about them and
# what the worker measured each week, keyed by the ids written in YAML (text, not foreign keys:
# an objective edited out of the YAML keeps its history).
CONFIDENCE_MAX = 10  # confidence is 0-10, as most OKR check-ins ask it


class OkrCheckIn(Base):
    """One weekly check-in on one key result: appended, never changed (the history is the rows).
    `value` only for manual key results; linked ones are measured, not typed."""

    __tablename__ = "okr_check_ins"
    __table_args__ = (
        CheckConstraint(
            f"confidence IS NULL OR (confidence >= 0 AND confidence <= {CONFIDENCE_MAX})",
            name="confidence",
        ),
        Index("ix_okr_check_ins_objective_key_result_at", "objective", "key_result", "at"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    at: Mapped[datetime] = mapped_column(DateTime, default=utc_now)
    quarter: Mapped[str] = mapped_column(String(7), index=True)  # 2026-Q4
    objective: Mapped[str] = mapped_column(String(120))
    key_result: Mapped[str] = mapped_column(String(120))
    kr_title: Mapped[str] = mapped_column(String(400), default="")  # as it read that day
    who: Mapped[str] = mapped_column(String(200))
    value: Mapped[float | None] = mapped_column(Float)
    confidence: Mapped[int | None] = mapped_column(Integer)
    obstacles: Mapped[str] = mapped_column(Text, default="")
    help_needed: Mapped[str] = mapped_column(Text, default="")
    comment: Mapped[str] = mapped_column(Text, default="")

    def __repr__(self) -> str:
        return f"OkrCheckIn({self.objective}.{self.key_result} by {self.who!r} at {self.at!r})"


class OkrKrValue(Base):
    """A linked key result's value as the worker read it in one week, with the definition it was
    read by (title, metric, how), so the history survives edits to the YAML."""

    __tablename__ = "okr_kr_values"
    __table_args__ = (UniqueConstraint("objective", "key_result", "week"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    objective: Mapped[str] = mapped_column(String(120))
    key_result: Mapped[str] = mapped_column(String(120))
    week: Mapped[date] = mapped_column(Date)  # first day of the week of the value's last day
    quarter: Mapped[str] = mapped_column(String(7), index=True)
    value: Mapped[float | None] = mapped_column(Float)
    value_day: Mapped[date | None] = mapped_column(Date)  # the last day the value covers
    score: Mapped[float | None] = mapped_column(Float)
    title: Mapped[str] = mapped_column(String(400), default="")
    metric: Mapped[str | None] = mapped_column(String(200))
    definition: Mapped[str] = mapped_column(Text, default="")
    note: Mapped[str] = mapped_column(Text, default="")  # why there is no value, when none
    recorded_at: Mapped[datetime] = mapped_column(DateTime, default=utc_now)

    def __repr__(self) -> str:
        return f"OkrKrValue({self.objective}.{self.key_result} {self.week} = {self.value!r})"
