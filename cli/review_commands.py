"""`northstar review start|show|list|close`, `review note add`, `review decide add`,
`review action add|done`: the weekly review record from the command line.

`start` freezes the week's numbers from the newest published snapshot (or the warehouse); `show`
prints them beside today's where a later correction changed them. Writes are recorded as
`--as NAME`, else `cli:<user>`, and audited. Weeks are ISO weeks written 2026-W48; without
--week, `start` takes the last complete week and the others the newest review.
"""

from __future__ import annotations

from typing import Annotated

import typer
from rich.table import Table

from appdb import AppDb
from appdb.models import utc_now
from cli.app_db import cli_actor, open_app_db
from cli.context import open_warehouse, read_spec, service_or_exit
from cli.output import console, say
from dashboard.review_rows import note_place, number_rows, slide_title
from metric_layer.errors import SpecError
from metric_layer.service import MetricService
from okrs.spec import okrs_or_none
from reviews import (
    IsoWeek,
    ReviewError,
    ReviewRecord,
    add_action,
    add_decision,
    add_note,
    close_review,
    compare_frozen,
    get_review,
    last_complete_week,
    latest_review,
    list_reviews,
    set_action_done,
    start_review,
)
from reviews.records import GENERAL, Action
from reviews.store import parse_due
from settings import Settings
from warehouse import WarehouseError

WeekOption = Annotated[
    str | None, typer.Option("--week", help="the ISO week, e.g. 2026-W48 (default: see help)")
]
As = Annotated[
    str | None, typer.Option("--as", help="who writes this (default: cli:<user>); audited")
]


def register(app: typer.Typer) -> None:
    review = typer.Typer(
        help="The weekly review record: frozen numbers, notes, decisions, actions. "
        "start | show | list | close | note add | decide add | action add | action done",
        no_args_is_help=True,
    )
    review.command("start")(start)
    review.command("show")(show)
    review.command("list")(list_command)
    review.command("close")(close)
    note = typer.Typer(help="Notes on a review's slides.", no_args_is_help=True)
    note.command("add")(note_add)
    decide = typer.Typer(help="Decisions a review took.", no_args_is_help=True)
    decide.command("add")(decide_add)
    action = typer.Typer(help="Action items, carried forward until done.", no_args_is_help=True)
    action.command("add")(action_add)
    action.command("done")(action_done)
    review.add_typer(note, name="note")
    review.add_typer(decide, name="decide")
    review.add_typer(action, name="action")
    app.add_typer(review, name="review")


def _who(given: str | None) -> str:
    return given.strip() if given and given.strip() else cli_actor()


def _week_of(db: AppDb, text: str | None) -> IsoWeek:
    """--week as typed, else the newest review's week."""
    if text is not None:
        return IsoWeek.parse(text)
    newest = latest_review(db)
    if newest is None:
        raise ReviewError("no review yet: start one with `northstar review start`")
    return newest.week


def start(week: WeekOption = None, as_: As = None) -> None:
    """Start the review of a week (default: the last complete one): freeze its numbers."""
    settings = Settings.load()
    service = service_or_exit(settings)
    wanted = IsoWeek.parse(week) if week is not None else last_complete_week(service.today())
    okrs = okrs_or_none(settings.metrics, service.spec)  # the OKR slide, when OKRs are defined
    record = start_review(open_app_db(settings), wanted, service, _who(as_), utc_now(), okrs=okrs)
    say(
        f"started the review of {record.week} ({record.week.days_text()}): numbers frozen from "
        f"snapshot {record.snapshot or '(the warehouse)'}"
    )
    _print_numbers(record, [])


def show(week: WeekOption = None) -> None:
    """Print a review (default: the newest): its numbers as frozen, today's beside them where
    they differ, notes, decisions, its actions and those carried forward from earlier weeks."""
    settings = Settings.load()
    db = open_app_db(settings)
    wanted = _week_of(db, week)
    record = get_review(db, wanted)
    if record is None:
        raise ReviewError(
            f"there is no review of {wanted} yet: `northstar review start --week {wanted}`"
        )
    status = record.status + (f" (closed by {record.closed_by})" if record.closed_by else "")
    say(
        f"review {record.week} ({record.week.days_text()}) · {status} · started "
        f"{record.created_at:%Y-%m-%d %H:%M} UTC by {record.created_by} · numbers from snapshot "
        f"{record.snapshot or '(the warehouse)'}"
    )
    differences, note = _today(settings, record)
    _print_numbers(record, differences)
    if note:
        say(note, err=True)
    _print_notes(record)
    _print_actions("actions", record.actions, "no actions yet")
    _print_actions("carried forward", record.carried, "nothing carried forward from earlier weeks")


def _today(settings: Settings, record: ReviewRecord) -> tuple[list, str]:
    """compare_frozen on the newest data, or no differences and why not."""
    try:
        warehouse, version = open_warehouse(settings)
    except WarehouseError as exc:
        return [], f"today's numbers not compared: {exc}"
    if warehouse is None:
        return [], "today's numbers not compared: no warehouse or published snapshot"
    try:
        spec = read_spec(settings.metrics, warehouse)
        service = MetricService(warehouse, spec, snapshot=version, as_of=settings.as_of_date())
        differences = compare_frozen(record, service)
    except SpecError as exc:
        return (
            [],
            f"today's numbers not compared: metrics.yml is invalid ({len(exc.issues)} problems)",
        )
    finally:
        warehouse.close()
    if differences:
        return differences, f"{len(differences)} number(s) differ from today's data (column `now`)"
    return [], "every number is as today's data gives it"


def _print_numbers(record: ReviewRecord, differences: list) -> None:
    """The frozen numbers; a `now` column with today's value where one differs."""
    table = Table("slide", "number", "as frozen", *(["now"] if differences else []))
    for slide in record.slides:
        for row in number_rows(slide, differences):
            now = "" if row.now is None else row.now + (f" ({row.note})" if row.note else "")
            table.add_row(
                slide_title(slide), row.label, row.frozen, *([now] if differences else [])
            )
    console().print(table)


def _print_notes(record: ReviewRecord) -> None:
    if record.notes:
        table = Table("slide", "note", "by", "at (UTC)")
        for n in record.notes:
            table.add_row(
                note_place(n.slide, record.slides),
                n.text,
                n.created_by,
                f"{n.created_at:%Y-%m-%d %H:%M}",
            )
        console().print(table)
    else:
        say("no notes yet")
    if record.decisions:
        table = Table("decision", "by", "at (UTC)")
        for d in record.decisions:
            table.add_row(d.text, d.created_by, f"{d.created_at:%Y-%m-%d %H:%M}")
        console().print(table)
    else:
        say("no decisions yet")


def _print_actions(title: str, actions: list[Action], empty: str) -> None:
    if not actions:
        say(empty)
        return
    table = Table("id", "week", "action", "owner", "due", "status", title=title)
    for a in actions:
        status = f"done {a.done_at:%Y-%m-%d} by {a.done_by}" if a.done and a.done_at else a.status
        table.add_row(str(a.id), a.week, a.text, a.owner, str(a.due or ""), status)
    console().print(table)


def list_command() -> None:
    """Every review, newest week first: status and how many notes, decisions, open actions."""
    reviews = list_reviews(open_app_db())
    if not reviews:
        say("no reviews yet; start one with `northstar review start`")
        return
    table = Table("week", "status", "started (UTC)", "by", "notes", "decisions", "open actions")
    for r in reviews:
        table.add_row(
            r.week, r.status, f"{r.created_at:%Y-%m-%d %H:%M}", r.created_by, str(r.notes),
            str(r.decisions), f"{r.open_actions} of {r.actions}",
        )  # fmt: skip
    console().print(table)


def close(week: WeekOption = None, as_: As = None) -> None:
    """Close a review (default: the newest): no more notes, decisions or actions in it."""
    db = open_app_db()
    record = close_review(db, _week_of(db, week), _who(as_), utc_now())
    say(f"closed the review of {record.week}")


def note_add(
    text: Annotated[str, typer.Argument(help="the note")],
    slide: Annotated[
        str, typer.Option(help="nsm, why, driver:<metric>, alerts or general")
    ] = GENERAL,
    week: WeekOption = None,
    as_: As = None,
) -> None:
    """Add a note on a slide of a review (default: the newest review, the review as a whole)."""
    db = open_app_db()
    wanted = _week_of(db, week)
    add_note(db, wanted, slide, text, _who(as_), utc_now())
    say(f"note added to {wanted} ({slide})")


def decide_add(
    text: Annotated[str, typer.Argument(help="the decision")],
    week: WeekOption = None,
    as_: As = None,
) -> None:
    """Record a decision of a review (default: the newest)."""
    db = open_app_db()
    wanted = _week_of(db, week)
    add_decision(db, wanted, text, _who(as_), utc_now())
    say(f"decision added to {wanted}")


def action_add(
    text: Annotated[str, typer.Argument(help="what is to be done")],
    owner: Annotated[str, typer.Option(help="who does it")],
    due: Annotated[str | None, typer.Option(help="by when, YYYY-MM-DD")] = None,
    week: WeekOption = None,
    as_: As = None,
) -> None:
    """Add an action item to a review (default: the newest); later reviews list it until done."""
    db = open_app_db()
    wanted = _week_of(db, week)
    action = add_action(db, wanted, text, owner, parse_due(due), _who(as_), utc_now())
    when = f", due {action.due}" if action.due else ""
    say(f"action #{action.id} added to {wanted} for {action.owner}{when}")


def action_done(
    action_id: Annotated[int, typer.Argument(help="the action's id (review show)")],
    undo: Annotated[bool, typer.Option(help="open it again")] = False,
    as_: As = None,
) -> None:
    """Tick an action done (with --undo: open again)."""
    action = set_action_done(open_app_db(), action_id, not undo, _who(as_), utc_now())
    say(f"action #{action.id} ({action.week}) is {action.status}")
