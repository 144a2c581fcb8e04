"""Review mode's OKRs slide: the quarter's objectives, each with its score, colour and pace
status, in type readable from the back of the room. Pure: built from a board, no database.

The numbers are those of the OKR page (okrs.quarter_board, same as-of day); the colours are the
board's (red, yellow, green from okrs.score), the status is against the straight pace line."""

from __future__ import annotations

from dash import html

from dashboard.ids import okr_dom
from okrs.board import Board, ObjectiveRow

SHOWN = 6  # objectives that fit a 1080-pixel screen in this type; the rest are counted
TONES = {"green": "#40C057", "yellow": "#FAB005", "red": "#FA5252"}  # dark-theme Mantine 6
STATUS_TONES = {"on track": "#40C057", "at risk": "#FD7E14", "off track": "#FA5252"}
INDENT = 48  # pixels per alignment level (company → team → person)


def okrs_slide(board: Board) -> list:
    """Title, how far the quarter is, and one line per objective in alignment order."""
    rows = board.rows()
    depth = board.depth()
    items = [_objective(row, depth.get(row.objective.id, 0)) for row in rows[:SHOWN]]
    if len(rows) > SHOWN:
        items.append(html.Div(f"and {len(rows) - SHOWN} more on /okrs", className="ns-slide-more"))
    return [
        html.Div(
            f"OKRs · {board.quarter}",
            className="ns-review-title",
            id="review-title",
            **{"data-metric": "okrs"},
        ),
        html.Div(_when(board), className="ns-slide-note", id="review-okrs-when"),
        html.Div(items, id="review-okrs"),
    ]


def _when(board: Board) -> str:
    last = board.last_day
    if last is None:
        return f"{board.quarter} starts on {board.quarter.start:%-d %b %Y}"
    day = (last - board.quarter.start).days + 1
    return (
        f"Day {day} of {board.quarter.days} ({board.elapsed:.0%} of the quarter) · "
        f"data through {last:%-d %b %Y} · pace: a straight line from baseline to target"
    )


def _objective(row: ObjectiveRow, depth: int) -> html.Div:
    o, s = row.objective, row.score
    if s.score is None:
        score = html.Span("—", className="ns-slide-okr-score", style={"color": "#909296"})
    else:
        score = html.Span(
            f"{s.score:.2f}",
            className="ns-slide-okr-score",
            style={"color": TONES[s.colour]},  # type: ignore[index]
            **{"data-colour": s.colour},
        )
    status = (
        html.Span(
            s.status, className="ns-slide-okr-status", style={"color": STATUS_TONES[s.status]}
        )
        if s.status
        else html.Span(s.note, className="ns-slide-okr-status", style={"color": "#909296"})
    )
    who = " · ".join(p for p in (o.owner, o.team, o.type) if p)
    return html.Div(
        [
            score,
            html.Div(
                [
                    html.Div(o.title, className="ns-slide-okr-title"),
                    html.Div(
                        [status, html.Span(f" · {who}", className="ns-slide-note")],
                        className="ns-slide-okr-detail",
                    ),
                ],
                style={"minWidth": 0},
            ),
        ],
        className="ns-slide-okr",
        id=f"review-okr-{okr_dom(o.id)}",
        style={"marginLeft": f"{depth * INDENT}px"},
    )
