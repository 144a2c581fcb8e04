"""Writing the review record in the app database: start (freeze) a week's review, add notes,
decisions and actions, tick actions done, close (reading.py reads it back).

Every write is one transaction with its audit entry (appdb.audit). What a review froze is
written once and never changed; notes and decisions are only ever appended; an action's text
and owner stay as written and only its status moves (open ⇄ done, with who and when). Times are
naive UTC and passed in (`now`), never read from the clock here.
"""

from __future__ import annotations

import re
from datetime import date, datetime, timedelta
from typing import Any

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from alerts.store import load_states
from appdb import AppDb, audit
from appdb.review_models import Review, ReviewAction, ReviewDecision, ReviewNote, ReviewNumbers
from metric_layer.suggest import did_you_mean
from okrs.quarter_board import quarter_board
from okrs.quarters import Quarter
from reviews.errors import ReviewError
from reviews.numbers import OKRS, FrozenSlide, okrs_numbers, week_numbers
from reviews.reading import get_review, review_row
from reviews.records import (
    GENERAL,
    Action,
    ReviewRecord,
    action_of,
)
from reviews.weeks import IsoWeek

# Audit log action names.
STARTED = "review started"
CLOSED = "review closed"
NOTE_ADDED = "review note added"
DECISION_ADDED = "review decision added"
ACTION_ADDED = "review action added"
ACTION_DONE = "review action done"
ACTION_REOPENED = "review action reopened"

LONGEST_TEXT = 4000  # characters of a note, decision or action
LONGEST_NAME = 200  # an owner's or writer's name (the columns' size)
_DAY = re.compile(r"[0-9]{4}-[0-9]{2}-[0-9]{2}")


def start_review(
    db: AppDb,
    week: IsoWeek,
    service: Any,
    who: str,
    now: datetime,
    *,
    alerts: bool = True,
    okrs: Any = None,
) -> ReviewRecord:
    """Freeze `week`'s numbers from `service` (a MetricService; its snapshot version is kept)
    and open its review; `okrs` (an okrs.model.OkrsConfig) adds the OKR slide as of the Monday
    after the week, as review mode showed it. ReviewError when the week already has one (its
    numbers stay as they were frozen), is not over, or the spec has no North Star."""
    _check_absent(db, week)
    states = None
    if alerts:
        with db.session() as session:
            states = list(load_states(session).values())
    slides = week_numbers(service, week, states)
    period = date.fromisoformat(slides[0].numbers["period"])
    if okrs is not None and okrs.defined:
        slides.append(_okr_slide(okrs, period, service, db))
    version = getattr(service, "snapshot", None)
    try:
        with db.session() as session:
            review = Review(
                week=str(week),
                period_start=period,
                status="open",
                snapshot=version,
                created_by=_name(who),
                created_at=now,
            )
            session.add(review)
            session.flush()
            for position, slide in enumerate(slides):
                session.add(
                    ReviewNumbers(
                        review_id=review.id,
                        slide=slide.slide,
                        position=position,
                        metric=slide.metric,
                        numbers=slide.numbers,
                        snapshot=version,
                        frozen_at=now,
                    )
                )
            audit(session, who, STARTED, f"{week}: numbers frozen from snapshot {version or '—'}")
    except IntegrityError:  # started by someone else since _check_absent
        _check_absent(db, week)
        raise
    record = get_review(db, week)
    assert record is not None
    return record


def _okr_slide(okrs: Any, period: date, service: Any, db: AppDb) -> FrozenSlide:
    """The OKR board of the quarter holding the week, as of the Monday after it (the day the
    review is held, as the weekly report reads it)."""
    after = period + timedelta(days=7)
    quarter = Quarter.of(after - timedelta(days=1))
    board = quarter_board(okrs, quarter, after, service.query, db, service.spec.time_zone)
    return FrozenSlide(OKRS, None, okrs_numbers(board))


def _check_absent(db: AppDb, week: IsoWeek) -> None:
    with db.session() as session:
        row = review_row(session, week)
        if row is not None:
            raise ReviewError(
                f"the review of {week} was started on {row.created_at:%Y-%m-%d %H:%M} UTC by "
                f"{row.created_by}; its numbers stay as frozen then "
                f"(`northstar review show --week {week}` shows them beside today's)"
            )


def _open_row(session: Session, week: IsoWeek) -> Review:
    row = review_row(session, week)
    if row is None:
        raise ReviewError(
            f"there is no review of {week} yet: start it with `northstar review start --week "
            f"{week}` or on /reviews/{week}"
        )
    if row.status != "open":
        raise ReviewError(
            f"the review of {week} is closed; write it in a later week's review instead"
        )
    return row


def _text(text: object, what: str) -> str:
    if not isinstance(text, str) or not text.strip():
        raise ReviewError(f"write the {what}'s text: it is empty")
    text = text.strip()
    if len(text) > LONGEST_TEXT:
        raise ReviewError(f"a {what} has at most {LONGEST_TEXT:,} characters, not {len(text):,}")
    return text


def _name(name: object, what: str = "writer") -> str:
    if not isinstance(name, str) or not name.strip():
        raise ReviewError(f"name the {what}: it is empty")
    name = name.strip()
    if len(name) > LONGEST_NAME:
        raise ReviewError(f"the {what}'s name has at most {LONGEST_NAME} characters")
    return name


def add_note(
    db: AppDb, week: IsoWeek, slide: str, text: str, who: str, now: datetime
) -> ReviewRecord:
    """Append a note on `slide` (a frozen slide's key, or `general`) of `week`'s open review."""
    body = _text(text, "note")
    with db.session() as session:
        row = _open_row(session, week)
        slides = list(
            session.scalars(
                select(ReviewNumbers.slide)
                .where(ReviewNumbers.review_id == row.id)
                .order_by(ReviewNumbers.position)
            )
        )
        known = [*slides, GENERAL]
        if slide not in known:
            hint = did_you_mean(str(slide), known)
            raise ReviewError(
                f"the review of {week} has no slide {str(slide)[:60]!r}"
                + (f" ({hint})" if hint else "")
                + f"; slides: {', '.join(known)}"
            )
        session.add(
            ReviewNote(
                review_id=row.id, slide=slide, text=body, created_by=_name(who), created_at=now
            )
        )
        audit(session, who, NOTE_ADDED, f"{week} {slide}: {_short(body)}")
    return _record(db, week)


def add_decision(db: AppDb, week: IsoWeek, text: str, who: str, now: datetime) -> ReviewRecord:
    body = _text(text, "decision")
    with db.session() as session:
        row = _open_row(session, week)
        session.add(
            ReviewDecision(review_id=row.id, text=body, created_by=_name(who), created_at=now)
        )
        audit(session, who, DECISION_ADDED, f"{week}: {_short(body)}")
    return _record(db, week)


def add_action(
    db: AppDb,
    week: IsoWeek,
    text: str,
    owner: str,
    due: date | None,
    who: str,
    now: datetime,
) -> Action:
    """A new open action of `week`'s review, owned by `owner`, due on `due` (optional)."""
    body = _text(text, "action")
    owner = _name(owner, "action's owner")
    if due is not None and not isinstance(due, date):
        raise ReviewError("write the due date as YYYY-MM-DD")
    with db.session() as session:
        row = _open_row(session, week)
        action = ReviewAction(
            review_id=row.id,
            text=body,
            owner=owner,
            due=due,
            status="open",
            created_by=_name(who),
            created_at=now,
        )
        session.add(action)
        session.flush()
        when = f", due {due}" if due else ""
        audit(session, who, ACTION_ADDED, f"{week} #{action.id} {owner}{when}: {_short(body)}")
        return action_of(action, str(week))


def set_action_done(db: AppDb, action_id: int, done: bool, who: str, now: datetime) -> Action:
    """Tick action `action_id` done (or open again); the same state twice changes nothing."""
    with db.session() as session:
        row = session.get(ReviewAction, action_id)
        if row is None:
            raise ReviewError(
                f"there is no action #{action_id}; `northstar review show` lists the open ones"
            )
        week = session.get(Review, row.review_id).week  # type: ignore[union-attr]
        if done and row.status != "done":
            row.status, row.done_at, row.done_by = "done", now, _name(who)
            audit(session, who, ACTION_DONE, f"{week} #{row.id} {row.owner}: {_short(row.text)}")
        elif not done and row.status == "done":
            row.status, row.done_at, row.done_by = "open", None, None
            audit(session, who, ACTION_REOPENED, f"{week} #{row.id}: {_short(row.text)}")
        return action_of(row, week)


def close_review(db: AppDb, week: IsoWeek, who: str, now: datetime) -> ReviewRecord:
    """Close `week`'s review: no more notes, decisions or actions (actions can still be done)."""
    with db.session() as session:
        row = _open_row(session, week)
        row.status, row.closed_at, row.closed_by = "closed", now, _name(who)
        audit(session, who, CLOSED, str(week))
    return _record(db, week)


def _record(db: AppDb, week: IsoWeek) -> ReviewRecord:
    record = get_review(db, week)
    assert record is not None
    return record


def _short(text: str, longest: int = 80) -> str:
    line = " ".join(text.split())
    return line if len(line) <= longest else line[: longest - 1] + "…"


def parse_due(text: object) -> date | None:
    """A due day as typed (YYYY-MM-DD; empty: none); ReviewError otherwise."""
    if text is None or (isinstance(text, str) and not text.strip()):
        return None
    shown = str(text).strip()[:40]
    if not isinstance(text, str) or not _DAY.fullmatch(text.strip()):
        raise ReviewError(f"write the due date as YYYY-MM-DD, not {shown!r}")
    try:
        return date.fromisoformat(text.strip())
    except ValueError:
        raise ReviewError(f"{shown} is not a day of the calendar") from None
