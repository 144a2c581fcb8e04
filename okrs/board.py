"""A quarter's OKRs as one board: every objective with its score, its key results' readings and
check-ins, arranged as the alignment tree (company → team → person). The CLI prints it, the OKR
page draws it, the worker records its linked values.

`build_board` is pure given how to read a linked key result (okrs.read, bound to a service) and
the quarter's check-ins: a manual key result's value is its latest check-in with a value up to
the as-of day.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime
from zoneinfo import ZoneInfo

from okrs.model import KeyResult, Objective, OkrsConfig
from okrs.quarters import Quarter
from okrs.read import Reading, not_started
from okrs.score import KeyResultScore, ObjectiveScore, score_key_result, score_objective
from okrs.store import CheckIn

ReadLinked = Callable[[KeyResult], Reading]


@dataclass(frozen=True)
class KeyResultRow:
    objective: Objective
    kr: KeyResult
    reading: Reading
    score: KeyResultScore
    check_ins: tuple[CheckIn, ...] = ()  # newest first

    @property
    def ref(self) -> str:
        return f"{self.objective.id}.{self.kr.id}"

    @property
    def confidence(self) -> int | None:
        """The latest check-in's confidence, if any check-in gave one."""
        return next((c.confidence for c in self.check_ins if c.confidence is not None), None)


@dataclass(frozen=True)
class ObjectiveRow:
    objective: Objective
    score: ObjectiveScore
    key_results: tuple[KeyResultRow, ...]
    children: tuple[ObjectiveRow, ...] = ()


@dataclass(frozen=True)
class Board:
    quarter: Quarter
    today: date  # the first day that is not complete (the as-of day)
    roots: tuple[ObjectiveRow, ...]

    @property
    def last_day(self) -> date | None:
        return self.quarter.last_complete_day(self.today)

    @property
    def elapsed(self) -> float:
        return self.quarter.elapsed(self.last_day) if self.last_day else 0.0

    def rows(self) -> list[ObjectiveRow]:
        """Every objective, depth first in tree order."""
        out: list[ObjectiveRow] = []

        def walk(row: ObjectiveRow) -> None:
            out.append(row)
            for child in row.children:
                walk(child)

        for root in self.roots:
            walk(root)
        return out

    def depth(self) -> dict[str, int]:
        out: dict[str, int] = {}

        def walk(row: ObjectiveRow, depth: int) -> None:
            out[row.objective.id] = depth
            for child in row.children:
                walk(child, depth + 1)

        for root in self.roots:
            walk(root, 0)
        return out


def local_day(at: datetime, zone: str) -> date:
    """The spec's local day of a naive-UTC time."""
    return at.replace(tzinfo=UTC).astimezone(ZoneInfo(zone)).date()


def manual_reading(
    kr: KeyResult, quarter: Quarter, today: date, check_ins: Sequence[CheckIn], zone: str
) -> Reading:
    """A manual key result's value: its latest check-in with a value (a check-in made today counts
    at once); the course is every such check-in, oldest first, each on its local day kept within
    the quarter and up to `today`. An as-of day moves the metric data, not people's words: a
    check-in saved after it still counts, on the as-of day."""
    if today <= quarter.start:
        return Reading(None, None, (), not_started(quarter, today))
    last = min(today, quarter.last_day)
    points = []
    for c in sorted(check_ins, key=lambda c: (c.at, c.id)):
        if c.value is not None:
            day = min(max(local_day(c.at, zone), quarter.start), last)
            points.append((day, c.value))
    if not points:
        return Reading(None, None, (), "no value yet: check in a value")
    day, value = points[-1]
    return Reading(value, day, tuple(points))


def build_board(
    config: OkrsConfig,
    quarter: Quarter,
    today: date,
    read_linked: ReadLinked,
    check_ins: Sequence[CheckIn] = (),
    zone: str = "UTC",
) -> Board:
    """The board of `quarter` as of `today`; `check_ins` of that quarter (any order)."""
    by_kr: dict[tuple[str, str], list[CheckIn]] = {}
    for c in sorted(check_ins, key=lambda c: (c.at, c.id), reverse=True):
        by_kr.setdefault((c.objective, c.key_result), []).append(c)
    objectives = config.of_quarter(quarter)
    rows: dict[str, ObjectiveRow] = {}
    for objective in objectives:
        krs = []
        for kr in objective.key_results:
            said = by_kr.get((objective.id, kr.id), [])
            reading = (
                manual_reading(kr, quarter, today, said, zone) if kr.manual else read_linked(kr)
            )
            score = score_key_result(
                kr, quarter, reading.value, reading.value_day, objective.type, reading.note
            )
            krs.append(KeyResultRow(objective, kr, reading, score, tuple(said)))
        scored = score_objective(objective, [k.score for k in krs])
        rows[objective.id] = ObjectiveRow(objective, scored, tuple(krs))
    return Board(quarter, today, _tree(objectives, rows))


def _tree(
    objectives: Sequence[Objective], rows: dict[str, ObjectiveRow]
) -> tuple[ObjectiveRow, ...]:
    children: dict[str | None, list[str]] = {}
    for o in objectives:
        parent = o.parent if o.parent in rows else None
        children.setdefault(parent, []).append(o.id)

    def build(oid: str) -> ObjectiveRow:
        row = rows[oid]
        kids = tuple(build(c) for c in children.get(oid, []))
        return ObjectiveRow(row.objective, row.score, row.key_results, kids)

    return tuple(build(oid) for oid in children.get(None, []))


def default_quarter(config: OkrsConfig, today: date) -> Quarter:
    """The quarter a board opens on: today's when it has objectives, else the newest one with
    objectives before today, else the first defined, else today's."""
    current = Quarter.of(today)
    quarters = config.quarters()
    if not quarters or current in quarters:
        return current
    before = [q for q in quarters if q < current]
    return before[-1] if before else quarters[0]
