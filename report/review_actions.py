"""The report's open actions: what the last review (复盘) left to do and is not done yet, so the
Monday report reminds owners before the meeting. Read through reviews' own functions
(reviews.open_actions, reviews.list_reviews): every action still open from the reviews of weeks
up to the reported one (a later review's actions did not exist then), oldest week first, each
with the review it came from (`/reviews/<week>`); overdue when its due day is before the
report's day (the Monday after the week).

No section while no review has been recorded (nothing was ever asked of anyone)."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import date

from appdb import AppDb
from report.weeks import ReportWeek
from reviews import IsoWeek, list_reviews, open_actions

ActionsReader = Callable[[ReportWeek], "OpenActions | None"]


def review_href(week: str) -> str:
    return f"/reviews/{week}"


@dataclass(frozen=True)
class ActionLine:
    text: str
    owner: str
    due: date | None
    week: str  # the review it was decided in
    overdue: bool

    @property
    def href(self) -> str:
        return review_href(self.week)


@dataclass(frozen=True)
class OpenActions:
    last_review: str  # the newest review up to the reported week
    lines: tuple[ActionLine, ...]

    @property
    def href(self) -> str:
        return review_href(self.last_review)

    @property
    def overdue(self) -> int:
        return sum(a.overdue for a in self.lines)


def week_actions(db: AppDb, week: ReportWeek) -> OpenActions | None:
    reported = IsoWeek.parse(week.label)
    reviews = [r.week for r in list_reviews(db) if IsoWeek.parse(r.week) <= reported]
    if not reviews:
        return None
    lines = tuple(
        ActionLine(a.text, a.owner, a.due, a.week, a.overdue(week.after))
        for a in open_actions(db)
        if IsoWeek.parse(a.week) <= reported
    )
    return OpenActions(reviews[0], lines)  # list_reviews: newest week first


def actions_reader(db: AppDb | None) -> ActionsReader:
    if db is None:  # no app database yet: no review was ever recorded
        return lambda week: None
    return lambda week: week_actions(db, week)
