"""`northstar okrs [--quarter 2026-Q4] [--format table|csv|json]` and
`northstar okrs check-in OBJECTIVE.KEY_RESULT --value … --confidence … --comment …`.

The board is read as the pages read it: linked key results from the metric layer (the newest
published snapshot, else the warehouse file), manual ones from their latest check-in, as of the
as-of day. Check-ins from here are audited as `cli:<user>`. The worker's weekly record of linked
values: cli/okr_worker.py.
"""

from __future__ import annotations

import csv
import io
import json
from typing import Annotated, Any

import typer
from rich.table import Table
from rich.text import Text

from appdb.models import utc_now
from cli.app_db import cli_actor, open_app_db
from cli.context import service_or_exit, spec_or_exit
from cli.guard import guarded
from cli.output import USAGE, console, fail, say
from dashboard.okr_format import format_kr_value
from metric_layer.spec import Spec
from okrs.board import Board, KeyResultRow, ObjectiveRow, build_board, default_quarter
from okrs.model import OkrsConfig
from okrs.quarters import Quarter
from okrs.read import read_key_result
from okrs.spec import load_okrs
from okrs.store import add_check_in, check_ins
from settings import Settings

FORMATS = ("table", "csv", "json")
COLOURS = {"red": "red", "yellow": "yellow", "green": "green"}
STATUS_STYLE = {"on track": "green", "at risk": "yellow", "off track": "red"}


def register(app: typer.Typer) -> None:
    okrs = typer.Typer(
        help="OKRs: scores, colours and pace from the metric layer; weekly check-ins.",
        invoke_without_command=True,
        no_args_is_help=False,
    )
    okrs.callback(invoke_without_command=True)(guarded(board))
    okrs.command("check-in")(check_in)
    app.add_typer(okrs, name="okrs")


def board(
    ctx: typer.Context,
    quarter: Annotated[
        str | None,
        typer.Option(help="YYYY-Qn, e.g. 2026-Q4 (default: this quarter, else the newest defined)"),
    ] = None,
    format: Annotated[str, typer.Option(help="table, csv or json")] = "table",
) -> None:
    """Every objective of a quarter and its key results: value, score, colour and pace status."""
    if ctx.invoked_subcommand is not None:
        return
    if format not in FORMATS:
        fail(f"--format must be one of {', '.join(FORMATS)}, not {format!r}", USAGE)
    chosen = Quarter.parse(quarter) if quarter is not None else None  # QuarterError: exit 2
    settings = Settings.load()
    service = service_or_exit(settings)
    config = load_okrs(settings.metrics, service.spec)
    today = service.today()
    shown = chosen or default_quarter(config, today)
    db = open_app_db(settings)
    try:
        with db.session() as session:
            said = check_ins(session, quarter=str(shown))
    finally:
        db.close()
    result = build_board(
        config,
        shown,
        today,
        lambda kr: read_key_result(kr, shown, today, service.query),
        said,
        service.spec.time_zone,
    )
    if not config.of_quarter(shown):
        say(_nothing_defined(config, shown), err=True)
    if format == "json":
        typer.echo(json.dumps(board_json(result, service.spec), indent=2))
    elif format == "csv":
        typer.echo(board_csv(result, service.spec), nl=False)
    else:
        _table(result, service.spec)


def _nothing_defined(config: OkrsConfig, quarter: Quarter) -> str:
    if not config.defined:
        return "no OKRs defined: add an `okrs:` section to metrics.yml or an okrs.yml beside it"
    others = ", ".join(str(q) for q in config.quarters()) or "none"
    return f"no objectives for {quarter}; quarters with objectives: {others}"


def _value_text(row: KeyResultRow, spec: Spec, value: float | None) -> str:
    return "" if value is None else format_kr_value(row.kr, spec, value)


def _score_text(score: float | None) -> str:
    return "" if score is None else f"{score:.2f}"


def _table(result: Board, spec: Spec) -> None:
    last = result.last_day
    day = (
        f"day {(last - result.quarter.start).days + 1} of {result.quarter.days}"
        if last
        else "not started"
    )
    table = Table(
        "id",
        "title",
        "owner",
        "value",
        "baseline → target",
        "score",
        "colour",
        "status",
        "confidence",
        "note",
        title=f"OKRs {result.quarter} ({day}, as of {result.today})",
    )
    depth = result.depth()
    for row in result.rows():
        o, s = row.objective, row.score
        indent = "  " * depth[o.id]
        table.add_row(
            Text(f"{indent}{o.id}", style="bold"),
            Text(f"{o.title} [{o.level}, {o.type}]", style="bold"),
            o.owner,
            "",
            "",
            _score_text(s.score),
            Text(s.colour or "", style=COLOURS.get(s.colour or "", "")),
            Text(s.status or "", style=STATUS_STYLE.get(s.status or "", "")),
            "",
            s.note,
        )
        for k in row.key_results:
            ks = k.score
            table.add_row(
                f"{indent}  {k.ref}",
                k.kr.title,
                "",
                _value_text(k, spec, ks.value),
                f"{_value_text(k, spec, k.kr.baseline)} → {_value_text(k, spec, k.kr.target)}",
                _score_text(ks.score),
                Text(ks.colour or "", style=COLOURS.get(ks.colour or "", "")),
                Text(ks.status or "", style=STATUS_STYLE.get(ks.status or "", "")),
                "" if k.confidence is None else f"{k.confidence}/10",
                ks.note,
            )
    console().print(table)


def _records(result: Board, spec: Spec) -> list[dict[str, Any]]:
    """One flat record per objective and per key result (csv; json nests the same fields)."""
    out: list[dict[str, Any]] = []
    depth = result.depth()
    for row in result.rows():
        out.append(_objective_record(row, depth[row.objective.id]))
        out.extend(_kr_record(k, spec) for k in row.key_results)
    return out


def _objective_record(row: ObjectiveRow, depth: int) -> dict[str, Any]:
    o, s = row.objective, row.score
    return {
        "kind": "objective",
        "id": o.id,
        "parent": o.parent or "",
        "depth": depth,
        "level": o.level,
        "type": o.type,
        "title": o.title,
        "owner": o.owner,
        "team": o.team or "",
        "quarter": str(o.quarter),
        "score": _round(s.score),
        "colour": s.colour,
        "expected": _round(s.expected),
        "status": s.status,
        "note": s.note,
    }


def _kr_record(k: KeyResultRow, spec: Spec) -> dict[str, Any]:
    s = k.score
    return {
        "kind": "key_result",
        "id": k.ref,
        "parent": k.objective.id,
        "title": k.kr.title,
        "metric": k.kr.metric or "",
        "manual": k.kr.manual,
        "unit": k.kr.unit or "",
        "read": "" if k.kr.manual else k.kr.read,
        "grain": "" if k.kr.manual or k.kr.read == "to_date" else k.kr.grain,
        "direction": k.kr.direction,
        "baseline": k.kr.baseline,
        "target": k.kr.target,
        "value": _round(s.value, 6),
        "value_day": s.value_day.isoformat() if s.value_day else None,
        "score": _round(s.score),
        "colour": s.colour,
        "expected": _round(s.expected),
        "status": s.status,
        "confidence": k.confidence,
        "note": s.note,
    }


def _round(value: float | None, places: int = 4) -> float | None:
    return None if value is None else round(value, places)


def board_csv(result: Board, spec: Spec) -> str:
    records = _records(result, spec)
    columns: list[str] = []
    for r in records:
        columns += [c for c in r if c not in columns]
    out = io.StringIO()
    writer = csv.DictWriter(out, columns, lineterminator="\n")
    writer.writeheader()
    for r in records:
        writer.writerow({c: "" if r.get(c) is None else r.get(c, "") for c in columns})
    return out.getvalue()


def board_json(result: Board, spec: Spec) -> dict[str, Any]:
    depth = result.depth()

    def tree(row: ObjectiveRow) -> dict[str, Any]:
        record = _objective_record(row, depth[row.objective.id])
        record["key_results"] = [_kr_record(k, spec) for k in row.key_results]
        record["children"] = [tree(c) for c in row.children]
        return record

    last = result.last_day
    return {
        "quarter": str(result.quarter),
        "as_of": result.today.isoformat(),
        "last_complete_day": last.isoformat() if last else None,
        "elapsed": round(result.elapsed, 4),
        "objectives": [tree(r) for r in result.roots],
    }


def check_in(
    key_result: Annotated[
        str, typer.Argument(help="OBJECTIVE.KEY_RESULT, e.g. grow_orders.weekly_orders")
    ],
    value: Annotated[
        str | None, typer.Option(help="the value now (manual key results only)")
    ] = None,
    confidence: Annotated[
        str | None, typer.Option(help="0 (no chance) to 10 (sure) of reaching the target")
    ] = None,
    obstacles: Annotated[str, typer.Option(help="what is in the way")] = "",
    help_needed: Annotated[
        str, typer.Option("--help-needed", help="what help would unblock it")
    ] = "",
    comment: Annotated[str, typer.Option(help="progress in words")] = "",
) -> None:
    """Add a weekly check-in on one key result (history is kept; audited as cli:<user>)."""
    settings = Settings.load()
    spec = spec_or_exit(settings, None)
    config = load_okrs(settings.metrics, spec)
    objective, kr = config.key_result(key_result)  # OkrError: exit 2, with did-you-mean
    who = cli_actor()
    db = open_app_db(settings)
    try:
        with db.session() as session:
            saved = add_check_in(
                session,
                objective,
                kr,
                who=who,
                at=utc_now(),
                value=value,
                confidence=confidence,
                obstacles=obstacles,
                help_needed=help_needed,
                comment=comment,
            )
    finally:
        db.close()
    said = [
        f"value {saved.value:g}" if saved.value is not None else "",
        f"confidence {saved.confidence}/10" if saved.confidence is not None else "",
    ]
    what = ", ".join(s for s in said if s) or "comments"
    say(f"checked in on {objective.id}.{kr.id} ({objective.quarter}): {what}, as {who}")
