"""`northstar validate | metrics | query`: the metric layer from the terminal."""

from __future__ import annotations

from dataclasses import replace
from datetime import date
from decimal import Decimal
from pathlib import Path
from typing import Annotated

import pandas as pd
import typer
from rich.table import Table

from alerts.spec import load_alerts
from cli.context import open_warehouse, read_spec, service_or_exit, spec_or_exit
from cli.guard import spec_summary
from cli.output import FAILED, USAGE, console, fail, say
from metric_layer.errors import SpecError
from metric_layer.frame_json import frame_json
from metric_layer.periods import QUERY_GRAINS as GRAINS
from metric_layer.query import MetricQuery
from metric_layer.spec import Spec
from metric_layer.where import WHERE_HELP, read_filters
from okrs.spec import load_okrs
from settings import Settings, parse_as_of
from warehouse import WarehouseError


def register(app: typer.Typer) -> None:
    app.command()(validate)
    app.command()(metrics)
    app.command()(query)


def validate(
    path: Annotated[
        Path | None,
        typer.Argument(
            help="metrics.yml, or a folder holding one (default: NORTHSTAR_METRICS / settings)",
            metavar="PATH",
            show_default=False,
        ),
    ] = None,
    no_warehouse: Annotated[
        bool, typer.Option("--no-warehouse", help="skip column checks against the warehouse")
    ] = False,
) -> None:
    """Check metrics.yml: one line per problem, `file:line: key: message (hint)`; exit 1 if any."""
    settings = Settings.load()
    if path is not None:
        if path.is_dir():
            path = path / "metrics.yml"
        if not path.exists():
            fail(f"{path}: no such file; pass a metrics.yml or a folder holding one", USAGE)
        # A project named by path is checked whole: its sources.yml is the one beside it.
        settings = replace(settings, metrics=path, sources=path.parent / "sources.yml")
    warehouse = None
    if not no_warehouse:
        try:
            warehouse, _ = open_warehouse(settings)
        except WarehouseError as exc:
            say(f"warehouse not checked: {exc}", err=True, color="yellow")
    try:
        spec = read_spec(settings.metrics, warehouse)
    except SpecError as exc:
        # The problems are this command's output (stdout, as linters do); the count goes to stderr.
        for issue in exc.issues:
            say(str(issue))
        # Alert rules refer to the spec: they are checked once it is valid (docs/alerts.md).
        fail(spec_summary(len(exc.issues)), FAILED)
    try:
        alerts = load_alerts(settings.metrics, spec, sources_path=settings.sources)
    except SpecError as exc:
        for issue in exc.issues:
            say(str(issue))
        fail(
            f"{len(exc.issues)} problem(s) in the alert rules; fix them and run `northstar validate` again",
            FAILED,
        )
    checked = "with warehouse columns" if warehouse else "columns not checked: no warehouse"
    say(
        f"{settings.metrics}: {len(spec.models)} models, {len(spec.metrics)} metrics OK ({checked})",
        color="green",
    )
    if alerts.file:
        channels = len(alerts.channels) - 1  # in-app is built in
        say(
            f"{alerts.file}: {len(alerts.rules)} alert rules, {channels} channels OK", color="green"
        )
    _validate_okrs(settings.metrics, spec)


def _validate_okrs(path: Path, spec: Spec) -> None:
    """The OKRs beside metrics.yml: problems fail the command like the spec's; warnings (the
    seeds' advice) are printed and do not."""
    try:
        config = load_okrs(path, spec)
    except SpecError as exc:
        for issue in exc.issues:
            say(str(issue))
        fail(
            f"{len(exc.issues)} problem(s) in the OKRs; fix them and run `northstar validate` again",
            FAILED,
        )
    if not config.defined:
        return
    for warning in config.warnings:
        say(str(warning), color="yellow")
    krs = sum(len(o.key_results) for o in config.objectives)
    advice = f", {len(config.warnings)} warning(s)" if config.warnings else ""
    say(
        f"{config.file}: {len(config.objectives)} objectives, {krs} key results OK{advice}",
        color="green",
    )


def metrics() -> None:
    """List metric definitions."""
    settings = Settings.load()
    spec = spec_or_exit(settings, None)
    table = Table("name", "type", "label", "format", "owner", "tier", "description")
    nsm = spec.north_star.metric if spec.north_star else None
    for m in spec.metrics:
        tier = "nsm" if m.name == nsm else (m.tier or "")
        # One row per metric on one line each: a description's line breaks are folded.
        description = " ".join(m.description.split())
        table.add_row(m.name, m.type, m.title, m.format, m.owner or "", tier, description)
    console().print(table)


def query(
    metric: Annotated[list[str], typer.Argument(help="metric name(s)")],
    grain: Annotated[str, typer.Option(help=f"one of {', '.join(GRAINS)}")] = "week",
    by: Annotated[
        list[str], typer.Option("--by", help="dimension to break down by (repeatable)")
    ] = [],  # noqa: B006
    from_: Annotated[str | None, typer.Option("--from", help="first day, YYYY-MM-DD")] = None,
    to: Annotated[str | None, typer.Option("--to", help="last day, YYYY-MM-DD")] = None,
    where: Annotated[
        list[str],
        typer.Option(help=WHERE_HELP),
    ] = [],  # noqa: B006
    compare: Annotated[
        str | None,
        typer.Option(help="previous, last_year or an offset such as '7 days', '1 month'"),
    ] = None,
    format: Annotated[str, typer.Option(help="table, csv or json")] = "table",
    sql: Annotated[bool, typer.Option(help="print the SQL that ran")] = False,
    as_of: Annotated[
        str | None,
        typer.Option("--as-of", help="treat this day (YYYY-MM-DD) as today; default: the clock"),
    ] = None,
) -> None:
    """Compute metrics and print them."""
    if grain not in GRAINS:
        fail(f"--grain must be one of {', '.join(GRAINS)}, not {grain!r}")
    if format not in ("table", "csv", "json"):
        fail(f"--format must be table, csv or json, not {format!r}")
    # QueryError and ValueError (bad filters, days out of range, unknown names) end the command
    # through cli.guard with their message and exit code 2.
    filters, conditions = read_filters(where)
    q = MetricQuery(
        metrics=tuple(metric),
        grain=grain,
        start=_date(from_, "--from"),
        end=_date(to, "--to"),
        dimensions=tuple(by),
        filters=filters,
        where=conditions,
        compare=compare,  # type: ignore[arg-type]
        as_of=parse_as_of(as_of, "--as-of") if as_of is not None else None,
    )
    service = service_or_exit(Settings.load())
    result = service.query(q)
    frame = result.frame
    if format == "csv":
        typer.echo(frame.to_csv(index=False), nl=False)
    elif format == "json":
        typer.echo(frame_json(frame))  # DECIMAL sums as exact JSON numbers
    else:
        table = Table(*[str(c) for c in frame.columns], title=f"{', '.join(metric)} by {grain}")
        for row in frame.itertuples(index=False):
            table.add_row(*[_cell(v) for v in row])
        console().print(table)
        if result.has_partial:
            say("is_partial = True: the period is not over yet", color="yellow")
    if result.notice:
        say(result.notice, err=True)
    if sql:
        by_text: dict[str, list[str]] = {}  # metrics of one model share one statement
        for name, text in result.sql.items():
            by_text.setdefault(text, []).append(name)
        for text, names in by_text.items():
            plans = [service.plan(n, q) for n in names]
            routes = [f"-- plan: {p.sources}" for p in plans if p.sources]  # each read's source
            routes += [f"-- {n}: {p.describe()}" for n, p in zip(names, plans, strict=True)]
            if len(names) > 1:
                routes.append(f"-- one statement for {', '.join(names)}")
            say("\n".join(routes) + f"\n{text}", err=True)  # verbatim: the text that ran


def _date(text: str | None, option: str) -> date | None:
    if text is None:
        return None
    try:
        return date.fromisoformat(text)
    except ValueError:
        fail(f"{option} must be a date like 2026-01-31, not {text!r}")


def _cell(value: object) -> str:
    if value is None or value is pd.NA:
        return ""
    if isinstance(value, Decimal):
        return f"{value:,}"  # every digit of an exact sum
    if isinstance(value, float):
        return "" if value != value else f"{value:,.4g}" if abs(value) < 1000 else f"{value:,.0f}"
    return str(value)
