"""One quarter's board as the OKR page, the review slide and the weekly report all read it: the
objectives of `quarter` as of `today`, linked key results read through `frame_of` (a service's
query, or the web side's cached, scoped frames), manual ones from the quarter's check-ins in the
app database. One function, so the three cannot show different numbers for the same as-of day."""

from __future__ import annotations

from datetime import date

from appdb import AppDb
from okrs.board import Board, build_board
from okrs.model import OkrsConfig
from okrs.quarters import Quarter
from okrs.read import FrameOf, read_key_result
from okrs.store import check_ins


def quarter_board(
    config: OkrsConfig,
    quarter: Quarter,
    today: date,
    frame_of: FrameOf,
    db: AppDb | None,
    zone: str,
) -> Board:
    """The board of `quarter` as of `today`; `db` None: no check-in was ever written."""
    said = []
    if db is not None:
        with db.session() as session:
            said = check_ins(session, quarter=str(quarter))
    return build_board(
        config,
        quarter,
        today,
        lambda kr: read_key_result(kr, quarter, today, frame_of),
        said,
        zone,
    )
