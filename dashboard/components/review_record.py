"""Blocks of one review's record: the frozen numbers per slide (today's beside them, highlighted,
where they differ), notes per slide, decisions, actions with owner, due day and a done box, and
the actions carried forward from earlier weeks. `editable` adds the forms (editors only); the
TV's read-only record passes False and gets the same numbers, written the same way."""

from __future__ import annotations

from datetime import date
from typing import Any

import dash_mantine_components as dmc
from dash import dcc, html

from dashboard import ids
from dashboard.formatting import MISSING
from dashboard.review_rows import NumberRow, note_place, number_rows, slide_title
from reviews import Difference, ReviewRecord
from reviews.records import GENERAL, Action, Note


def _when(at: Any) -> str:
    return f"{at:%-d %b %Y %H:%M} UTC" if at is not None else ""


def header(record: ReviewRecord, tv: bool = False) -> html.Div:
    status = dmc.Badge(
        record.status, color="teal" if record.is_open else "gray", variant="light", size="lg"
    )
    closed = (
        f" · closed by {record.closed_by} {_when(record.closed_at)}" if record.closed_by else ""
    )
    return html.Div(
        [
            dmc.Group(
                [
                    dmc.Title(
                        f"Review {record.week} · {record.week.days_text()}",
                        order=1 if tv else 2,
                        id="record-title",
                    ),
                    status,
                ],
                gap="md",
            ),
            dmc.Text(
                f"Started {_when(record.created_at)} by {record.created_by}; numbers frozen from "
                f"snapshot {record.snapshot or '(the warehouse)'}{closed}",
                c="dimmed",
                size="sm",
            ),
        ],
        className="ns-record-header",
    )


def differences_banner(differences: list[Difference]) -> Any:
    if not differences:
        return None
    return dmc.Alert(
        "The data under this review has changed since it was frozen (late rows, a corrected "
        "source or definition). The record keeps what the meeting saw; today's value is shown "
        "beside each number that differs, highlighted.",
        title=f"{len(differences)} number(s) differ from today's data",
        color="yellow",
        variant="light",
        id="record-differences",
    )


def _number_table(rows: list[NumberRow], slide_key: str) -> dmc.Table:
    changed = any(r.now is not None for r in rows)
    head = ["", "As frozen"] + (["Now"] if changed else [])
    body = []
    for r in rows:
        cells = [html.Td(r.label), html.Td(r.frozen, className="ns-record-number")]
        if changed:
            now = r.now
            if r.note:  # no value now: the reason alone; else both
                now = r.note if r.now in (None, MISSING) else f"{r.now} ({r.note})"
            cells.append(html.Td(now or "", className="ns-record-number ns-record-now"))
        body.append(
            html.Tr(
                cells,
                className="ns-record-changed" if r.now is not None else None,
                **{"data-key": r.key},
            )
        )
    return dmc.Table(
        [html.Thead(html.Tr([html.Th(h) for h in head])), html.Tbody(body)],
        className="ns-record-table",
        id=f"record-numbers-{slide_key.replace(':', '-')}",
    )


def _notes(notes: list[Note]) -> Any:
    if not notes:
        return None
    return html.Ul(
        [
            html.Li(
                [html.Span(n.text), html.Span(f" — {n.created_by}, {_when(n.created_at)}",
                                              className="ns-record-who")]
            )
            for n in notes
        ],
        className="ns-record-notes",
    )  # fmt: skip


def slide_cards(
    record: ReviewRecord, differences: list[Difference], sees_numbers: bool, hidden: str
) -> Any:
    """A card per slide: its numbers as frozen (hidden for a limited account) and its notes."""
    cards = []
    for slide in record.slides:
        numbers = (
            _number_table(number_rows(slide, differences), slide.slide) if sees_numbers else None
        )
        cards.append(
            dmc.Card(
                [
                    dmc.Text(
                        slide_title(slide), fw=700, size="lg", className="ns-record-slide-title"
                    ),
                    numbers,
                    _notes(record.notes_on(slide.slide)),
                ],
                withBorder=True,
                padding="md",
                className="ns-record-slide",
                id=f"record-slide-{slide.slide.replace(':', '-')}",
            )
        )
    general = record.notes_on(GENERAL)
    if general:
        cards.append(
            dmc.Card(
                [dmc.Text(note_place(GENERAL, record.slides), fw=700, size="lg"), _notes(general)],
                withBorder=True,
                padding="md",
                className="ns-record-slide",
                id="record-slide-general",
            )
        )
    intro = (
        None
        if sees_numbers
        else dmc.Alert(hidden, title="Numbers not shown", color="gray", variant="light")
    )
    return html.Div(
        [intro, dmc.SimpleGrid(cards, cols={"base": 1, "md": 2}, spacing="md")],
        className="ns-record-slides",
    )


def decisions(record: ReviewRecord) -> Any:
    if not record.decisions:
        return dmc.Text("No decisions yet.", c="dimmed", id="record-decisions")
    return html.Ol(
        [
            html.Li([html.Span(d.text), html.Span(f" — {d.created_by}, {_when(d.created_at)}",
                                                  className="ns-record-who")])
            for d in record.decisions
        ],
        id="record-decisions",
        className="ns-record-decisions",
    )  # fmt: skip


def actions_table(
    actions: list[Action], table_id: str, empty: str, editable: bool, today: date
) -> Any:
    if not actions:
        return dmc.Text(empty, c="dimmed", id=table_id)
    rows = []
    for a in actions:
        done = (
            dmc.Checkbox(
                # `was`: the state it was drawn with. Dash reports a box when a render mounts
                # it, and that report may reach the server after the user's own tick (two
                # requests in flight): a report of the drawn state is never a change to record.
                id={"type": ids.RECORD_ACTION_DONE, "index": a.id, "was": a.done},
                checked=a.done,
                disabled=not editable,
                **{"aria-label": f"Done: {a.text}"},
            )
            if editable
            else html.Span("✓" if a.done else "○", className="ns-record-done-mark")
        )
        status = (
            f"done {a.done_at:%-d %b} by {a.done_by}"
            if a.done and a.done_at
            else "overdue"
            if a.overdue(today)
            else "open"
        )
        rows.append(
            html.Tr(
                [
                    html.Td(done),
                    html.Td(a.text),
                    html.Td(a.owner),
                    html.Td(f"{a.due:%-d %b %Y}" if a.due else "—", className="ns-nowrap"),
                    html.Td(a.week, className="ns-nowrap"),
                    html.Td(status, className=f"ns-record-status-{status.split()[0]}"),
                ],
                className="ns-record-action-done" if a.done else None,
                **{"data-action": str(a.id)},
            )
        )
    head = ("Done", "Action", "Owner", "Due", "Week", "Status")
    return dmc.Table(
        [html.Thead(html.Tr([html.Th(h) for h in head])), html.Tbody(rows)],
        id=table_id,
        className="ns-record-actions",
        highlightOnHover=True,
        fz="sm",
    )


def note_form(record: ReviewRecord) -> html.Div:
    options = [{"value": k, "label": note_place(k, record.slides)} for k in record.slide_keys]
    return html.Div(
        [
            dmc.Select(
                id=ids.RECORD_NOTE_SLIDE,
                data=options,
                value=record.slide_keys[0],
                label="Note on",
                allowDeselect=False,
                w=260,
            ),
            dmc.Textarea(id=ids.RECORD_NOTE_TEXT, label="Note", autosize=True, minRows=2),
            dmc.Button("Add note", id=ids.RECORD_NOTE_ADD, variant="light"),
        ],
        className="ns-record-form",
    )


def decision_form() -> html.Div:
    return html.Div(
        [
            dmc.Textarea(id=ids.RECORD_DECISION_TEXT, label="Decision", autosize=True, minRows=1),
            dmc.Button("Add decision", id=ids.RECORD_DECISION_ADD, variant="light"),
        ],
        className="ns-record-form",
    )  # fmt: skip


def action_form() -> html.Div:
    return html.Div(
        [
            dmc.TextInput(id=ids.RECORD_ACTION_TEXT, label="Action"),
            dmc.Group(
                [
                    dmc.TextInput(id=ids.RECORD_ACTION_OWNER, label="Owner", w=200),
                    dmc.TextInput(
                        id=ids.RECORD_ACTION_DUE, label="Due", placeholder="YYYY-MM-DD", w=160
                    ),
                ],
                gap="sm",
            ),
            dmc.Button("Add action", id=ids.RECORD_ACTION_ADD, variant="light"),
        ],
        className="ns-record-form",
    )


def section(title: str, *children: Any) -> html.Div:
    return html.Div([dmc.Title(title, order=3, className="ns-record-heading"), *children])


def record_view(
    record: ReviewRecord,
    differences: list[Difference],
    *,
    editable: bool,
    sees_numbers: bool,
    hidden: str,
    today: date,
    tv: bool = False,
) -> html.Div:
    """The whole record; forms only when `editable` (an editor, the review open)."""
    writable = editable and record.is_open
    right = [
        section(
            "Decisions",
            decisions(record),
            decision_form() if writable else None,
        ),
        section(
            "Actions",
            actions_table(record.actions, "record-actions", "No actions yet.", editable, today),
            action_form() if writable else None,
        ),
        section(
            "Carried forward from earlier weeks",
            actions_table(
                record.carried,
                "record-carried",
                "Nothing carried forward: every earlier action was done.",
                editable,
                today,
            ),
        ),
    ]
    left = [
        differences_banner(differences) if sees_numbers else None,
        slide_cards(record, differences, sees_numbers, hidden),
        section("Add a note", note_form(record)) if writable else None,
    ]
    return html.Div(
        [
            header(record, tv),
            html.Div(
                [
                    html.Div(left, className="ns-record-left"),
                    html.Div(right, className="ns-record-right"),
                ],
                className="ns-record-columns",
            ),
        ],
        className="ns-record ns-record-tv" if tv else "ns-record",
    )


def week_link(week: str) -> dcc.Link:
    return dcc.Link(week, href=f"/reviews/{week}", className="ns-record-week-link")
