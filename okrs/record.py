"""The worker's weekly record of every linked key result's value (issue 15: history that survives
edits to the YAML). One row per objective × key result × week, keyed by the ids, holding the title,
metric and definition it was read by; manual key results are not recorded here (their check-ins
are their history).

Which quarter and week: those of the last complete day, so a run on Monday morning records the
week that has just ended, and the first run of a new quarter records the old quarter's final
values. A second run in the same week replaces that week's row.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, timedelta

from appdb import AppDb
from metric_layer.periods import period_start
from okrs.board import build_board
from okrs.model import OkrsConfig
from okrs.quarters import Quarter
from okrs.read import FrameOf, read_key_result
from okrs.store import record_value


@dataclass(frozen=True)
class Recorded:
    quarter: Quarter
    week: date
    values: int  # rows written (with or without a value)
    without_value: int


def record_week(
    config: OkrsConfig,
    frame_of: FrameOf,
    db: AppDb,
    today: date,
    now: datetime,
    week_start: str = "monday",
) -> Recorded:
    """Read every linked key result of the quarter of the last complete day as of `today` and
    store it under that day's week; `now` (naive UTC) is the rows' recorded_at."""
    last = today - timedelta(days=1)
    quarter = Quarter.of(last)
    week = period_start(last, "week", week_start)
    board = build_board(
        config, quarter, today, lambda kr: read_key_result(kr, quarter, today, frame_of)
    )
    written = empty = 0
    with db.session() as session:
        for row in board.rows():
            for kr_row in row.key_results:
                if kr_row.kr.manual:
                    continue
                score = kr_row.score
                record_value(
                    session,
                    row.objective,
                    kr_row.kr,
                    week=week,
                    value=score.value,
                    value_day=score.value_day,
                    score=score.score,
                    note=score.note,
                    recorded_at=now,
                )
                written += 1
                empty += score.value is None
    return Recorded(quarter, week, written, empty)
