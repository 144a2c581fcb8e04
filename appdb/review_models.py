"""The app database's tables of the weekly review record (issue 15): what a meeting was shown
and what it decided. Declared on appdb.base.Base (schema.py gathers every table); times are naive UTC
as everywhere in the app database.
"""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import (
    JSON,
    CheckConstraint,
    Date,
    DateTime,
    ForeignKey,
    Integer,
    String,
    Text,
    UniqueConstraint,
)
from sqlalchemy.orm import Mapped, mapped_column

from appdb.base import Base, utc_now

# The weekly review record (issue 15): what a meeting was shown and what it decided.
REVIEW_STATUSES = ("open", "closed")
ACTION_STATUSES = ("open", "done")


class Review(Base):
    """One weekly review (复盘) per ISO week: the numbers it was shown, frozen when it started,
    and what the meeting left behind (notes, decisions, actions)."""

    __tablename__ = "reviews"
    __table_args__ = (CheckConstraint(f"status IN {REVIEW_STATUSES!r}", name="status"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    week: Mapped[str] = mapped_column(String(8), unique=True)  # ISO week, "2026-W48"
    period_start: Mapped[date] = mapped_column(Date)  # first day of the week reviewed
    status: Mapped[str] = mapped_column(String(16), default="open")
    snapshot: Mapped[str | None] = mapped_column(String(64))  # the numbers' snapshot version
    created_by: Mapped[str] = mapped_column(String(200))
    created_at: Mapped[datetime] = mapped_column(DateTime, default=utc_now)
    closed_by: Mapped[str | None] = mapped_column(String(200))
    closed_at: Mapped[datetime | None] = mapped_column(DateTime)

    def __repr__(self) -> str:
        return f"Review({self.week!r}, {self.status!r})"


class ReviewNumbers(Base):
    """The numbers one slide showed, stored once when the review was frozen and never changed:
    a later data correction must not rewrite what a meeting saw."""

    __tablename__ = "review_numbers"
    __table_args__ = (UniqueConstraint("review_id", "slide"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    review_id: Mapped[int] = mapped_column(ForeignKey("reviews.id"))
    slide: Mapped[str] = mapped_column(String(60))  # "nsm", "why", "driver:buyers", "alerts"
    position: Mapped[int] = mapped_column(Integer)
    metric: Mapped[str | None] = mapped_column(String(200))
    numbers: Mapped[dict] = mapped_column(JSON)
    snapshot: Mapped[str | None] = mapped_column(String(64))
    frozen_at: Mapped[datetime] = mapped_column(DateTime, default=utc_now)

    def __repr__(self) -> str:
        return f"ReviewNumbers(review_id={self.review_id!r}, slide={self.slide!r})"


class ReviewNote(Base):
    """A note on one slide of a review: appended, never changed."""

    __tablename__ = "review_notes"

    id: Mapped[int] = mapped_column(primary_key=True)
    review_id: Mapped[int] = mapped_column(ForeignKey("reviews.id"), index=True)
    slide: Mapped[str] = mapped_column(String(60))
    text: Mapped[str] = mapped_column(Text)
    created_by: Mapped[str] = mapped_column(String(200))
    created_at: Mapped[datetime] = mapped_column(DateTime, default=utc_now)

    def __repr__(self) -> str:
        return f"ReviewNote(id={self.id!r}, slide={self.slide!r})"


class ReviewDecision(Base):
    """A decision the review took: appended, never changed."""

    __tablename__ = "review_decisions"

    id: Mapped[int] = mapped_column(primary_key=True)
    review_id: Mapped[int] = mapped_column(ForeignKey("reviews.id"), index=True)
    text: Mapped[str] = mapped_column(Text)
    created_by: Mapped[str] = mapped_column(String(200))
    created_at: Mapped[datetime] = mapped_column(DateTime, default=utc_now)

    def __repr__(self) -> str:
        return f"ReviewDecision(id={self.id!r})"


class ReviewAction(Base):
    """An action item from the review of its week, listed by every later review until done.
    Only its status moves (open ⇄ done, each change audited); its text and owner stay."""

    __tablename__ = "review_actions"
    __table_args__ = (CheckConstraint(f"status IN {ACTION_STATUSES!r}", name="status"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    review_id: Mapped[int] = mapped_column(ForeignKey("reviews.id"), index=True)
    text: Mapped[str] = mapped_column(Text)
    owner: Mapped[str] = mapped_column(String(200))
    due: Mapped[date | None] = mapped_column(Date)
    status: Mapped[str] = mapped_column(String(16), default="open", index=True)
    created_by: Mapped[str] = mapped_column(String(200))
    created_at: Mapped[datetime] = mapped_column(DateTime, default=utc_now)
    done_at: Mapped[datetime | None] = mapped_column(DateTime)
    done_by: Mapped[str | None] = mapped_column(String(200))

    def __repr__(self) -> str:
        return f"ReviewAction(id={self.id!r}, owner={self.owner!r}, status={self.status!r})"
