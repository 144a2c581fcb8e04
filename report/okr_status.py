"""The report's OKR status: each objective of the quarter holding the week, with its score,
colour and pace status, as the OKR page shows them as of the Monday after the week
(`/okrs?quarter=<Q>&as_of=<Monday>`): the same board function (okrs.quarter_board), the same
frames (a reader's scope reaches them), the same check-ins.

No section at all while no OKRs are defined (an `okrs:` section or okrs.yml); a note instead of
numbers when they do not validate (the report still goes out) or the quarter has no objectives.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import date
from pathlib import Path
from typing import Any

from appdb import AppDb
from metric_layer.errors import SpecError
from okrs.quarter_board import quarter_board
from okrs.quarters import Quarter
from okrs.spec import load_okrs
from report.weeks import ReportWeek

OkrsReader = Callable[[ReportWeek], "WeekOkrs | None"]


@dataclass(frozen=True)
class OkrLine:
    id: str
    title: str
    owner: str
    team: str | None
    type: str
    depth: int  # 0 for a company objective, 1 for its team's, …
    score: float | None
    colour: str | None  # red | yellow | green; None without a value
    status: str | None  # on track | at risk | off track
    note: str  # why there is no score, or what is left out of it


@dataclass(frozen=True)
class WeekOkrs:
    quarter: str
    as_of: date  # the Monday after the week: the board's as-of day
    last_day: date | None  # the last day of data the board covers
    day: int  # of the quarter's `days`
    days: int
    lines: tuple[OkrLine, ...]
    note: str = ""  # the OKRs cannot be read, or the quarter has no objectives

    @property
    def href(self) -> str:
        """The OKR page showing these numbers (path and query)."""
        return f"/okrs?quarter={self.quarter}&as_of={self.as_of.isoformat()}"


def quarter_of(week: ReportWeek) -> Quarter:
    """The quarter holding the week: the one its last day falls in (as okrs.read counts a week
    that starts in one quarter and ends in the next)."""
    return Quarter.of(week.end)


def okrs_reader(metrics: Path, serving: Any, db: AppDb | None) -> OkrsReader:
    """Read the week's OKR status from `serving` (a Serving or ScopedServing) and `db`."""

    def read(week: ReportWeek) -> WeekOkrs | None:
        snap = serving.snapshot()
        quarter = quarter_of(week)
        empty = WeekOkrs(str(quarter), week.after, None, 0, quarter.days, ())
        try:
            config = load_okrs(metrics, snap.service.spec)
        except SpecError as exc:
            issues = "; ".join(str(i) for i in exc.issues)
            return _with_note(empty, f"The OKRs cannot be read: {issues}")
        if not config.defined:
            return None
        board = quarter_board(config, quarter, week.after, serving.frame, db, snap.spec.time_zone)
        depth = board.depth()
        lines = tuple(
            OkrLine(
                row.objective.id,
                row.objective.title,
                row.objective.owner,
                row.objective.team,
                row.objective.type,
                depth.get(row.objective.id, 0),
                row.score.score,
                row.score.colour,
                row.score.status,
                row.score.note,
            )
            for row in board.rows()
        )
        last = board.last_day
        day = (last - quarter.start).days + 1 if last else 0
        found = WeekOkrs(str(quarter), week.after, last, day, quarter.days, lines)
        return found if lines else _with_note(found, f"No objectives for {quarter}.")

    return read


def _with_note(okrs: WeekOkrs, note: str) -> WeekOkrs:
    return WeekOkrs(okrs.quarter, okrs.as_of, okrs.last_day, okrs.day, okrs.days, (), note)
