"""The review record as callers read it: plain frozen dataclasses made from the app database's
rows inside their session, so pages and the CLI never touch a detached ORM object."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime

from appdb.review_models import Review, ReviewAction, ReviewDecision, ReviewNote
from reviews.numbers import FrozenSlide
from reviews.weeks import IsoWeek

GENERAL = "general"  # a note about the review as a whole, on no slide


@dataclass(frozen=True)
class Note:
    id: int
    slide: str
    text: str
    created_by: str
    created_at: datetime


@dataclass(frozen=True)
class Decision:
    id: int
    text: str
    created_by: str
    created_at: datetime


@dataclass(frozen=True)
class Action:
    id: int
    week: str  # the review it was created in
    text: str
    owner: str
    due: date | None
    status: str  # open | done
    created_by: str
    created_at: datetime
    done_at: datetime | None
    done_by: str | None

    @property
    def done(self) -> bool:
        return self.status == "done"

    def overdue(self, today: date) -> bool:
        return not self.done and self.due is not None and self.due < today


@dataclass(frozen=True)
class ReviewSummary:
    """A row of the reviews list."""

    week: str
    status: str
    created_by: str
    created_at: datetime
    notes: int
    decisions: int
    actions: int
    open_actions: int  # of the actions created in this review, those not done


@dataclass(frozen=True)
class ReviewRecord:
    """One review with everything it holds. `carried` are the actions of earlier reviews that
    were still open when this one started (with their status now: a later tick shows done)."""

    week: IsoWeek
    period_start: date
    status: str
    snapshot: str | None
    created_by: str
    created_at: datetime
    closed_by: str | None
    closed_at: datetime | None
    slides: list[FrozenSlide] = field(default_factory=list)
    notes: list[Note] = field(default_factory=list)
    decisions: list[Decision] = field(default_factory=list)
    actions: list[Action] = field(default_factory=list)
    carried: list[Action] = field(default_factory=list)

    @property
    def is_open(self) -> bool:
        return self.status == "open"

    def slide(self, key: str) -> FrozenSlide | None:
        return next((s for s in self.slides if s.slide == key), None)

    def notes_on(self, key: str) -> list[Note]:
        return [n for n in self.notes if n.slide == key]

    @property
    def slide_keys(self) -> list[str]:
        """Where a note may go: each slide, then the review as a whole."""
        return [s.slide for s in self.slides] + [GENERAL]


def note_of(row: ReviewNote) -> Note:
    return Note(row.id, row.slide, row.text, row.created_by, row.created_at)


def decision_of(row: ReviewDecision) -> Decision:
    return Decision(row.id, row.text, row.created_by, row.created_at)


def action_of(row: ReviewAction, week: str) -> Action:
    return Action(
        row.id,
        week,
        row.text,
        row.owner,
        row.due,
        row.status,
        row.created_by,
        row.created_at,
        row.done_at,
        row.done_by,
    )


def review_header(row: Review) -> dict:
    """The review's own columns, as ReviewRecord's first fields."""
    return {
        "week": IsoWeek.parse(row.week),
        "period_start": row.period_start,
        "status": row.status,
        "snapshot": row.snapshot,
        "created_by": row.created_by,
        "created_at": row.created_at,
        "closed_by": row.closed_by,
        "closed_at": row.closed_at,
    }
