"""`northstar validate | metrics | query`: the metric layer from the terminal."""

from __future__ import annotations

import json
from datetime import date
from typing import Annotated

import typer
from rich.console import Console
from rich.table import Table

from cli.context import err, open_warehouse, service_or_exit, spec_or_exit
from metric_layer.errors import QueryError
from metric_layer.query import DimensionFilter, MetricQuery
from metric_layer.spec import GRAINS
from settings import Settings, parse_as_of
from warehouse import WarehouseError


def out() -> Console:
    # Built per call so the terminal width (COLUMNS) is read when the command runs.
    return Console()


def register(app: typer.Typer) -> None:
    app.command()(validate)
    app.command()(metrics)
    app.command()(query)


def validate(
    no_warehouse: Annotated[
        bool, typer.Option(help="skip column checks against the warehouse")
    ] = False,
) -> None:
    """Check metrics.yml; print every problem with file, line and key; exit 1 if any."""
    settings = Settings.load()
    warehouse = None
    if not no_warehouse:
        try:
            warehouse, _ = open_warehouse(settings)
        except WarehouseError as exc:
            err().print(f"[yellow]warehouse not checked: {exc}[/yellow]")
    spec = spec_or_exit(settings, warehouse)
    checked = "with warehouse columns" if warehouse else "columns not checked: no warehouse"
    out().print(
        f"[green]{settings.metrics}: {len(spec.models)} models, {len(spec.metrics)} metrics OK[/green] ({checked})"
    )


def metrics() -> None:
    """List metric definitions."""
    settings = Settings.load()
    spec = spec_or_exit(settings, None)
    table = Table("name", "type", "label", "format", "owner", "tier", "description")
    nsm = spec.north_star.metric if spec.north_star else None
    for m in spec.metrics:
        tier = "nsm" if m.name == nsm else (m.tier or "")
        table.add_row(m.name, m.type, m.title, m.format, m.owner or "", tier, m.description)
    out().print(table)


def query(
    metric: Annotated[list[str], typer.Argument(help="metric name(s)")],
    grain: Annotated[str, typer.Option(help=f"one of {', '.join(GRAINS)}")] = "week",
    by: Annotated[
        list[str], typer.Option("--by", help="dimension to break down by (repeatable)")
    ] = [],  # noqa: B006
    from_: Annotated[str | None, typer.Option("--from", help="first day, YYYY-MM-DD")] = None,
    to: Annotated[str | None, typer.Option("--to", help="last day, YYYY-MM-DD")] = None,
    where: Annotated[
        list[str], typer.Option(help="filter like channel=ads or platform!=web,ios")
    ] = [],  # noqa: B006
    compare: Annotated[str | None, typer.Option(help="previous or last_year")] = None,
    format: Annotated[str, typer.Option(help="table, csv or json")] = "table",
    sql: Annotated[bool, typer.Option(help="print the SQL that ran")] = False,
    as_of: Annotated[
        str | None,
        typer.Option("--as-of", help="treat this day (YYYY-MM-DD) as today; default: the clock"),
    ] = None,
) -> None:
    """Compute metrics and print them."""
    if grain not in GRAINS:
        _fail(f"--grain must be one of {', '.join(GRAINS)}, not {grain!r}")
    if compare not in (None, "previous", "last_year"):
        _fail("--compare must be previous or last_year")
    if format not in ("table", "csv", "json"):
        _fail("--format must be table, csv or json")
    try:
        q = MetricQuery(
            metrics=tuple(metric),
            grain=grain,
            start=_date(from_, "--from"),
            end=_date(to, "--to"),
            dimensions=tuple(by),
            filters=tuple(DimensionFilter.parse(w) for w in where),
            compare=compare,  # type: ignore[arg-type]
            as_of=parse_as_of(as_of, "--as-of") if as_of else None,
        )
        result = service_or_exit(Settings.load()).query(q)
    except (QueryError, ValueError) as exc:
        _fail(str(exc))
    frame = result.frame
    if format == "csv":
        typer.echo(frame.to_csv(index=False), nl=False)
    elif format == "json":
        typer.echo(
            json.dumps(json.loads(frame.to_json(orient="records", date_format="iso")), indent=2)
        )
    else:
        table = Table(*[str(c) for c in frame.columns], title=f"{', '.join(metric)} by {grain}")
        for row in frame.itertuples(index=False):
            table.add_row(*[_cell(v) for v in row])
        out().print(table)
        if result.has_partial:
            out().print("[yellow]is_partial = True: the period is not over yet[/yellow]")
    if result.notice:
        err().print(result.notice, markup=False, highlight=False)
    if sql:
        for name, text in result.sql.items():
            err().print(f"-- {name}\n{text}", markup=False, highlight=False)


def _date(text: str | None, option: str) -> date | None:
    if text is None:
        return None
    try:
        return date.fromisoformat(text)
    except ValueError:
        _fail(f"{option} must be a date like 2026-01-31, not {text!r}")


def _cell(value: object) -> str:
    if isinstance(value, float):
        return "" if value != value else f"{value:,.4g}" if abs(value) < 1000 else f"{value:,.0f}"
    return str(value)


def _fail(message: str) -> None:
    err().print(f"[red]{message}[/red]")
    raise typer.Exit(2)
