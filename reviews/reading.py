"""Reading the review record back: one review with everything it holds (and the actions carried
into it), the newest, the list with counts, the open actions. Plain records (reviews.records),
made inside the session."""

from __future__ import annotations

from typing import Any

from sqlalchemy import and_, func, or_, select
from sqlalchemy.orm import Session

from appdb import AppDb
from appdb.review_models import Review, ReviewAction, ReviewDecision, ReviewNote, ReviewNumbers
from reviews.numbers import FrozenSlide
from reviews.records import (
    Action,
    ReviewRecord,
    ReviewSummary,
    action_of,
    decision_of,
    note_of,
    review_header,
)
from reviews.weeks import IsoWeek


def review_row(session: Session, week: IsoWeek) -> Review | None:
    return session.scalars(select(Review).where(Review.week == str(week))).one_or_none()


def get_review(db: AppDb, week: IsoWeek) -> ReviewRecord | None:
    with db.session() as session:
        row = review_row(session, week)
        return _read(session, row) if row is not None else None


def latest_review(db: AppDb) -> ReviewRecord | None:
    """The review of the most recent week, or None when there is none."""
    with db.session() as session:
        row = session.scalars(select(Review).order_by(Review.period_start.desc())).first()
        return _read(session, row) if row is not None else None


def _read(session: Session, row: Review) -> ReviewRecord:
    numbers = session.scalars(
        select(ReviewNumbers)
        .where(ReviewNumbers.review_id == row.id)
        .order_by(ReviewNumbers.position)
    )
    notes = session.scalars(
        select(ReviewNote).where(ReviewNote.review_id == row.id).order_by(ReviewNote.id)
    )
    decisions = session.scalars(
        select(ReviewDecision).where(ReviewDecision.review_id == row.id).order_by(ReviewDecision.id)
    )
    actions = session.scalars(
        select(ReviewAction).where(ReviewAction.review_id == row.id).order_by(ReviewAction.id)
    )
    return ReviewRecord(
        **review_header(row),
        slides=[FrozenSlide(n.slide, n.metric, n.numbers) for n in numbers],
        notes=[note_of(n) for n in notes],
        decisions=[decision_of(d) for d in decisions],
        actions=[action_of(a, row.week) for a in actions],
        carried=_carried(session, row),
    )


def _carried(session: Session, review: Review) -> list[Action]:
    """Actions of earlier weeks still open when `review` started: open now, or done since."""
    rows = session.execute(
        select(ReviewAction, Review.week)
        .join(Review, Review.id == ReviewAction.review_id)
        .where(
            Review.period_start < review.period_start,
            or_(ReviewAction.status == "open", ReviewAction.done_at >= review.created_at),
        )
        .order_by(Review.period_start, ReviewAction.id)
    )
    return [action_of(action, week) for action, week in rows]


def open_actions(db: AppDb) -> list[Action]:
    """Every action not done yet, oldest week first (the weekly report links them)."""
    with db.session() as session:
        rows = session.execute(
            select(ReviewAction, Review.week)
            .join(Review, Review.id == ReviewAction.review_id)
            .where(ReviewAction.status == "open")
            .order_by(Review.period_start, ReviewAction.id)
        )
        return [action_of(action, week) for action, week in rows]


def list_reviews(db: AppDb) -> list[ReviewSummary]:
    """Every review, newest week first, with how much each holds."""

    def counted(model: Any, *where: Any):  # type: ignore[no-untyped-def]
        query = select(model.review_id, func.count().label("n")).group_by(model.review_id)
        return (query.where(and_(*where)) if where else query).subquery()

    notes, decisions = counted(ReviewNote), counted(ReviewDecision)
    actions = counted(ReviewAction)
    still_open = counted(ReviewAction, ReviewAction.status == "open")
    query = (
        select(
            Review,
            func.coalesce(notes.c.n, 0),
            func.coalesce(decisions.c.n, 0),
            func.coalesce(actions.c.n, 0),
            func.coalesce(still_open.c.n, 0),
        )
        .outerjoin(notes, notes.c.review_id == Review.id)
        .outerjoin(decisions, decisions.c.review_id == Review.id)
        .outerjoin(actions, actions.c.review_id == Review.id)
        .outerjoin(still_open, still_open.c.review_id == Review.id)
        .order_by(Review.period_start.desc())
    )
    with db.session() as session:
        return [
            ReviewSummary(r.week, r.status, r.created_by, r.created_at, n, d, a, o)
            for r, n, d, a, o in session.execute(query)
        ]


def get_action(db: AppDb, action_id: int) -> Action | None:
    with db.session() as session:
        row = session.get(ReviewAction, action_id)
        if row is None:
            return None
        return action_of(row, session.get(Review, row.review_id).week)  # type: ignore[union-attr]
