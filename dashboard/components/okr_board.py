"""The OKR board as Dash components: the alignment tree (company → team → person), each
objective's score, colour and pace, each key result's sparkline against its pace line with a link
to its metric in the Explorer, and a check-in form with the history under it (okr_check_ins.py).

Ids of things tests and people read are `okr-…-<objective>--<key_result>` (ids hold no dots:
Dash reads `a.b` as a component and a property).
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date

import dash_mantine_components as dmc
from dash import dcc, html

from dashboard import ids
from dashboard.components.okr_check_ins import check_in_panel
from dashboard.ids import okr_dom
from dashboard.okr_figures import okr_sparkline
from dashboard.okr_format import format_kr_value
from dashboard.views import ExplorerView
from metric_layer.spec import Spec
from okrs.board import Board, KeyResultRow, ObjectiveRow
from okrs.quarters import Quarter
from okrs.score import ASPIRATIONAL_GREEN_FROM, GREEN_FROM, YELLOW_FROM
from okrs.store import RecordedValue

MANTINE = {"green": "green", "yellow": "yellow", "red": "red"}
STATUS = {"on track": "green", "at risk": "orange", "off track": "red"}
LEVEL_LABEL = {"company": "Company", "department": "Department", "team": "Team", "person": "Person"}


def board_header(board: Board, quarters: Sequence[Quarter]) -> dmc.Group:
    last = board.last_day
    if last is None:
        when = f"{board.quarter} starts on {board.quarter.start}"
    else:
        day = (last - board.quarter.start).days + 1
        when = (
            f"Day {day} of {board.quarter.days} ({board.elapsed:.0%} of the quarter), "
            f"data through {last:%d %b %Y}"
        )
    return dmc.Group(
        [
            dmc.Select(
                id=ids.OKRS_QUARTER,
                data=[str(q) for q in quarters],
                value=str(board.quarter),
                w=140,
                allowDeselect=False,
                label="Quarter",
            ),
            dmc.Stack(
                [
                    dmc.Text(when, size="sm", id="okrs-when"),
                    dmc.Text(
                        f"Scores 0–1 from baseline to target. Red below {YELLOW_FROM}, yellow "
                        f"from {YELLOW_FROM}, green from {GREEN_FROM} (aspirational: from "
                        f"{ASPIRATIONAL_GREEN_FROM}). Pace: a straight line from baseline to "
                        "target through the quarter.",
                        size="xs",
                        c="dimmed",
                    ),
                ],
                gap=2,
            ),
        ],
        align="flex-end",
        mb="md",
    )


def objective_tree(
    board: Board,
    spec: Spec,
    *,
    may_write: bool,
    refusal: str,
    recorded: Sequence[RecordedValue] = (),
    as_of: date | None = None,
) -> html.Div:
    by_kr: dict[tuple[str, str], list[RecordedValue]] = {}
    for r in recorded:
        by_kr.setdefault((r.objective, r.key_result), []).append(r)
    ctx = _Context(board, spec, may_write, refusal, by_kr, as_of)
    return html.Div([ctx.branch(row) for row in board.roots], className="ns-okr-tree")


class _Context:
    def __init__(self, board, spec, may_write, refusal, recorded, as_of) -> None:  # type: ignore[no-untyped-def]
        self.board, self.spec = board, spec
        self.may_write, self.refusal = may_write, refusal
        self.recorded, self.as_of = recorded, as_of

    def branch(self, row: ObjectiveRow) -> html.Div:
        parts: list = [self.objective(row)]
        if row.children:
            parts.append(
                html.Div([self.branch(c) for c in row.children], className="ns-okr-children")
            )
        return html.Div(parts, className="ns-okr-branch")

    def objective(self, row: ObjectiveRow) -> dmc.Paper:
        o, s = row.objective, row.score
        owner = " · ".join(p for p in (o.owner, o.team) if p)
        badges = [
            dmc.Badge(LEVEL_LABEL[o.level], variant="filled", color="gray", size="sm"),
            dmc.Badge(o.type, variant="outline", size="sm"),
        ]
        score = (
            dmc.Badge(
                f"{s.score:.2f}",
                color=MANTINE[s.colour],  # type: ignore[index]
                size="xl",
                variant="filled",
                id=f"okr-objective-score-{o.id}",
            )
            if s.score is not None
            else dmc.Badge(
                "no value yet", color="gray", size="lg", id=f"okr-objective-score-{o.id}"
            )
        )
        status = (
            dmc.Badge(s.status, color=STATUS[s.status], variant="light", size="lg")
            if s.status
            else None
        )
        return dmc.Paper(
            [
                dmc.Group(
                    [
                        dmc.Stack(
                            [
                                dmc.Group([*badges, dmc.Text(o.id, size="xs", c="dimmed")], gap=6),
                                dmc.Title(o.title, order=4),
                                dmc.Text(owner, size="sm", c="dimmed"),
                            ],
                            gap=4,
                        ),
                        dmc.Group([status, score], gap="sm"),
                    ],
                    justify="space-between",
                    align="flex-start",
                    wrap="nowrap",
                ),
                dmc.Progress(
                    value=round((s.score or 0) * 100, 1),
                    color=MANTINE.get(s.colour or "", "gray"),
                    size="sm",
                    mt="xs",
                    mb="xs",
                ),
                dmc.Text(s.note, size="xs", c="dimmed") if s.note else None,
                html.Div([self.key_result(k) for k in row.key_results]),
            ],
            withBorder=True,
            radius="md",
            p="md",
            mb="sm",
            id=f"okr-objective-{o.id}",
            className="ns-okr-objective",
        )

    # -- key results ---------------------------------------------------------------------------
    def shown(self, k: KeyResultRow):  # type: ignore[no-untyped-def]
        return lambda v: format_kr_value(k.kr, self.spec, v)

    def key_result(self, k: KeyResultRow) -> html.Div:
        kr, s, ref = k.kr, k.score, okr_dom(k.ref)
        shown = self.shown(k)
        quarter = self.board.quarter
        if kr.manual:
            source = dmc.Text(f"Checked in by hand ({kr.unit})", size="xs", c="dimmed")
        else:
            source = dcc.Link(
                f"{kr.metric} · {kr.read_words()} →",
                href=self.explorer_href(k),
                id=f"okr-explorer-{ref}",
                className="ns-okr-link",
            )
        value = dmc.Text(
            shown(s.value) if s.value is not None else "no value yet",
            fw=700,
            size="lg",
            id=f"okr-value-{ref}",
            className="ns-okr-value",
        )
        badges = []
        if s.score is not None:
            badges.append(
                dmc.Badge(
                    f"{s.score:.2f}",
                    color=MANTINE[s.colour],  # type: ignore[index]
                    variant="filled",
                    id=f"okr-score-{ref}",
                )
            )
        if s.status:
            badges.append(dmc.Badge(s.status, color=STATUS[s.status], variant="light"))
        detail = (
            f"expected {s.expected:.2f} by {s.value_day:%d %b}"
            if s.expected is not None and s.value_day
            else s.note
        )
        confidence = f" · confidence {k.confidence}/10" if k.confidence is not None else ""
        return html.Div(
            [
                dmc.Grid(
                    [
                        dmc.GridCol(
                            [
                                dmc.Text(kr.title, fw=500, size="sm"),
                                dmc.Text(
                                    f"{shown(kr.baseline)} → {shown(kr.target)} "
                                    f"({'rise' if kr.direction == 'higher' else 'fall'})",
                                    size="xs",
                                    c="dimmed",
                                ),
                                source,
                            ],
                            span={"base": 12, "md": 5},
                        ),
                        dmc.GridCol(
                            dcc.Graph(
                                figure=okr_sparkline(
                                    k.reading.series,
                                    quarter,
                                    kr.baseline,
                                    kr.target,
                                    shown,
                                    s.colour,
                                ),
                                config={"displayModeBar": False},
                                style={"height": "64px"},
                                id=f"okr-spark-{ref}",
                            ),
                            span={"base": 12, "md": 3},
                        ),
                        dmc.GridCol(
                            [
                                dmc.Group([value, *badges], gap="xs"),
                                dmc.Text(f"{detail}{confidence}", size="xs", c="dimmed"),
                            ],
                            span={"base": 12, "md": 4},
                        ),
                    ],
                    align="center",
                    gutter="sm",
                ),
                check_in_panel(
                    k,
                    self.spec,
                    None if self.may_write else self.refusal,
                    self.recorded.get((k.objective.id, k.kr.id), []),
                ),
            ],
            className="ns-okr-kr",
            id=f"okr-kr-{ref}",
        )

    def explorer_href(self, k: KeyResultRow) -> str:
        quarter = self.board.quarter
        last = self.board.last_day or quarter.start
        grain = "week" if k.kr.read == "to_date" else k.kr.grain
        return ExplorerView(
            k.kr.metric,  # type: ignore[arg-type]
            grain=grain,
            range="custom",
            start=quarter.start,
            end=max(last, quarter.start),
            filters=k.kr.filters,
            as_of=self.as_of,
        ).href()
