"""`northstar explain METRIC`: why a metric moved between two ranges (drivers and segments)."""

from __future__ import annotations

import csv
import io
import json
from datetime import date, timedelta
from typing import Annotated

import typer
from rich.table import Table

from analysis.explain import explain as explain_metric
from analysis.leadlag import lead_lag
from analysis.ranges import DayRange, baseline_range
from analysis.report import driver_records, segment_records, segment_verdict, summary_record
from cli.context import service_or_exit
from cli.output import console, fail, say
from dashboard.formatting import format_delta, format_value
from metric_layer.errors import QueryError
from metric_layer.query import MetricQuery
from metric_layer.where import WHERE_HELP, read_filters
from settings import Settings, parse_as_of


def register(app: typer.Typer) -> None:
    app.command()(explain)
    app.command()(leadlag)


def explain(
    metric: Annotated[str, typer.Argument(help="metric name")],
    from_: Annotated[str, typer.Option("--from", help="first day of the range, YYYY-MM-DD")],
    to: Annotated[str, typer.Option("--to", help="last day of the range, YYYY-MM-DD")],
    vs_from: Annotated[
        str | None, typer.Option("--vs-from", help="first day to compare with")
    ] = None,
    vs_to: Annotated[str | None, typer.Option("--vs-to", help="last day to compare with")] = None,
    compare: Annotated[
        str | None, typer.Option(help="previous or last_year (instead of --vs-from/--vs-to)")
    ] = None,
    by: Annotated[
        list[str], typer.Option("--by", help="dimension to search (repeatable; default: all)")
    ] = [],  # noqa: B006
    where: Annotated[list[str], typer.Option(help=WHERE_HELP)] = [],  # noqa: B006
    pairs: Annotated[bool, typer.Option(help="also search pairs of dimensions")] = True,
    format: Annotated[str, typer.Option(help="table, csv or json")] = "table",
    as_of: Annotated[
        str | None, typer.Option("--as-of", help="treat this day (YYYY-MM-DD) as today")
    ] = None,
) -> None:
    """Why did METRIC move? Its change, each driver's exact share and the segments that moved it."""
    if format not in ("table", "csv", "json"):
        fail("--format must be table, csv or json")
    current = _range(_date(from_, "--from"), _date(to, "--to"), "--from/--to")
    if compare is not None and (vs_from or vs_to):
        fail("give either --compare or --vs-from/--vs-to, not both")
    if vs_from or vs_to:
        if not (vs_from and vs_to):
            fail("--vs-from and --vs-to go together")
        baseline = _range(_date(vs_from, "--vs-from"), _date(vs_to, "--vs-to"), "--vs-from/--vs-to")
    elif compare in (None, "previous", "last_year"):
        baseline = baseline_range(current, compare or "previous")  # type: ignore[arg-type]
    else:
        fail("--compare must be previous or last_year")
    try:
        filters, conditions = read_filters(where)
        day = parse_as_of(as_of, "--as-of") if as_of else None
        service = service_or_exit(Settings.load())
        result = explain_metric(
            service,
            metric,
            current,
            baseline,
            dimensions=list(by) or None,
            filters=filters,
            where=conditions,
            pairs=pairs,
            as_of=day,
        )
    except (QueryError, ValueError) as exc:
        fail(str(exc))
    definition = service.spec.metric(metric)

    def value(v: float) -> str:
        return format_value(v, definition, service.spec.currency)

    def change(v: float) -> str:
        return format_delta(v, definition, service.spec.currency)

    summary = summary_record(result)
    drivers = driver_records(result)
    segments = segment_records(result, value, change)
    if format == "json":
        payload = {
            **summary,
            "drivers": drivers,
            "segments": segments,
            "verdict": segment_verdict(result),
            "notes": result.notes,
        }
        typer.echo(json.dumps(payload, indent=2))
    elif format == "csv":
        typer.echo(_csv(summary, drivers, segments), nl=False)
    else:
        _tables(result, summary, drivers, segments, value, change)
    for note in result.notes:
        say(note, err=True)


def leadlag(
    outcome: Annotated[str, typer.Argument(help="the outcome metric, e.g. the NSM")],
    candidate: Annotated[list[str], typer.Option(help="candidate metric (repeatable)")],
    grain: Annotated[str, typer.Option(help="day, week or month")] = "week",
    from_: Annotated[
        str | None, typer.Option("--from", help="first day (default: two years back)")
    ] = None,
    to: Annotated[str | None, typer.Option("--to", help="last day (default: as-of)")] = None,
    max_lag: Annotated[int, typer.Option(help="lags −N..N periods")] = 8,
    format: Annotated[str, typer.Option(help="table or json")] = "table",
    as_of: Annotated[
        str | None, typer.Option("--as-of", help="treat this day (YYYY-MM-DD) as today")
    ] = None,
) -> None:
    """Which candidate leads OUTCOME: correlation of period-over-period changes at lags −N..N."""
    if grain not in ("day", "week", "month"):
        fail("--grain must be day, week or month")
    if format not in ("table", "json"):
        fail("--format must be table or json")
    if not 1 <= max_lag <= 52:
        fail("--max-lag must be between 1 and 52")
    try:
        service = service_or_exit(Settings.load())
        day = parse_as_of(as_of, "--as-of") if as_of else None
        end = _date(to, "--to") if to else service.today(day)
        start = _date(from_, "--from") if from_ else end - timedelta(days=730)
        query = MetricQuery((outcome, *candidate), grain, start, end, as_of=day)
        frame = service.query(query).frame
    except (QueryError, ValueError) as exc:
        fail(str(exc))
    frame = frame[~frame["is_partial"]]  # a period not over yet would fake a change
    results = [
        lead_lag(frame[outcome], frame[c], max_lag=max_lag, names=(outcome, c)) for c in candidate
    ]
    if format == "json":
        payload = [
            {
                "candidate": r.candidate,
                "lag": r.lag,
                "r": None if r.lag is None else r.r,
                "verdict": r.verdict(grain),
                "by_lag": {str(k): (None if v != v else v) for k, v in r.by_lag.items()},
            }
            for r in results
        ]
        typer.echo(json.dumps(payload, indent=2))
        return
    for r in results:
        say(r.verdict(grain))
    say(
        "Correlation is not causation: an A/B test that moves the candidate shows whether it moves the outcome."
    )


def _tables(result, summary, drivers, segments, value, change) -> None:
    out = console()
    pct = summary["change_pct"]
    pct_text = f", {pct * 100:+.1f}%" if pct is not None else ""
    say(
        f"{result.metric}: {summary['current']} vs {summary['baseline']}: "
        f"{value(result.comparison.before)} → {value(result.comparison.after)} "
        f"({change(result.comparison.change)}{pct_text})"
    )
    if drivers:
        table = Table(
            "driver",
            "parent",
            "before",
            "after",
            "contribution",
            "share",
            "method",
            "r",
            title="Drivers",
        )
        for d in drivers:
            share = d["share_of_parent_change"]
            table.add_row(
                "  " * d["depth"] + d["metric"],
                d["parent"] or "",
                _cell(d["before"]),
                _cell(d["after"]),
                _cell(d["contribution"]),
                f"{share * 100:.1f}%" if share is not None else "",
                d["method"],
                f"{d['correlation']:.2f}" if d["correlation"] is not None else "",
            )
        out.print(table)
    if segments:
        table = Table(
            "#", "segment", "before", "after", "contribution", "share", "effect", title="Segments"
        )
        for s in segments:
            share = s["share_of_change"]
            table.add_row(
                str(s["rank"]),
                s["segment"],
                value(s["before"])
                if s["rate_effect"] is not None or not s["overlapping"]
                else _cell(s["before"]),
                value(s["after"]),
                change(s["contribution"]),
                f"{share * 100:.0f}%" if share is not None else "",
                s["effect"],
            )
        out.print(table)
        for s in segments:
            say(s["explanation"])
    say(segment_verdict(result))


def _csv(summary, drivers, segments) -> str:
    """One table: a `section` column says which part (summary, driver, segment) a row is."""
    rows = [{"section": "summary", **summary}]
    rows += [{"section": "driver", **d} for d in drivers]
    rows += [{"section": "segment", **s} for s in segments]
    fields: list[str] = []
    for row in rows:
        fields += [k for k in row if k not in fields]
    buffer = io.StringIO()
    writer = csv.DictWriter(buffer, fieldnames=fields, lineterminator="\n")
    writer.writeheader()
    writer.writerows(rows)
    return buffer.getvalue()


def _cell(value: float | None) -> str:
    if value is None:
        return ""
    return f"{value:,.4g}" if abs(value) < 1000 else f"{value:,.0f}"


def _date(text: str | None, option: str) -> date:
    try:
        return date.fromisoformat(text or "")
    except ValueError:
        fail(f"{option} must be a date like 2026-01-31, not {text!r}")
        raise  # unreachable: _fail exits


def _range(start: date, end: date, options: str) -> DayRange:
    if end < start:
        fail(f"{options}: the range ends ({end}) before it starts ({start})")
    return DayRange(start, end)
