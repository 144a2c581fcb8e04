"""`northstar demo build`: generate the demo shop, load it, build rollups, publish a snapshot."""

from __future__ import annotations

import hashlib
import json
import os
import time
from dataclasses import replace
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Annotated

import typer
from rich.progress import BarColumn, Progress, TextColumn, TimeElapsedColumn

from cli.context import spec_or_exit
from cli.ingest_commands import PUBLISHED_AS, IngestProgress
from cli.output import console, fail, say
from metric_layer.engine_rollups import plan_from_text
from metric_layer.rollup_build import build_rollups
from settings import Settings
from warehouse import Warehouse

SCALES = {"1M": 1_000_000, "10M": 10_000_000, "50M": 50_000_000}
demo = typer.Typer(
    help="The demo business: a seeded online shop with planted incidents.", no_args_is_help=True
)


def register(app: typer.Typer) -> None:
    app.add_typer(demo, name="demo")


@demo.command("build")
def build(
    scale: Annotated[
        str, typer.Option(help="orders to generate: 1M, 10M or 50M, or a number")
    ] = "1M",
    end: Annotated[
        str | None,
        typer.Option(
            help="last day of data, YYYY-MM-DD (default: up to now, days in the shop's zone)"
        ),
    ] = None,
    seed: Annotated[int, typer.Option(help="random seed")] = 7,
    force: Annotated[bool, typer.Option(help="rebuild even when current")] = False,
) -> None:
    """Build the demo warehouse (skipped when already built for the same inputs); with engine =
    postgres | spark, its raw tables are published into the PostgreSQL database or the Spark
    warehouse directory (docs/scale-out.md)."""
    settings = Settings.load()
    settings.warehouse_engine()  # a wrong engine setting stops here (exit 2)
    build_demo(settings, orders=_orders(scale), end=_end(end), seed=seed, force=force)


def _orders(scale: str) -> int:
    orders = SCALES.get(scale.upper())
    if orders is None and scale.replace("_", "").isdigit():
        orders = int(scale.replace("_", ""))
    if not orders:
        fail(f"--scale must be {', '.join(SCALES)} or a number of orders above 0, not {scale!r}")
    return orders


def _end(text: str | None) -> date | None:
    try:
        return date.fromisoformat(text) if text is not None else None
    except ValueError:
        fail(f"--end must be a date like 2026-01-31, not {text!r}")


def build_demo(
    settings: Settings, *, orders: int, end: date | None, seed: int, force: bool = False
) -> bool:
    """Returns False when the existing build is current and nothing was done."""
    from demo.generator import generate, local_day

    source_dir = settings.warehouse.parent / "source"
    stamp_file = settings.warehouse.parent / "demo-build.json"
    # By default the data runs up to this moment, days cut in the shop's zone: yesterday (local)
    # is complete and today partial. Ending on the machine's yesterday left a local day empty.
    until = None if end else datetime.now(UTC)
    stamp = {
        "orders": orders,
        "end": (end or local_day(until)).isoformat(),
        "seed": seed,
        "spec": hashlib.sha256(settings.metrics.read_bytes()).hexdigest(),
    }
    engine = settings.warehouse_engine()
    if engine.name != "duckdb":  # built for one database: another one needs the data too
        stamp["engine"] = f"{engine.name} {engine.shown}"
    if not force and _current(stamp_file, stamp, settings):
        say(
            f"demo warehouse is current ({settings.warehouse}); use --force to rebuild",
            color="green",
        )
        return False
    started = time.perf_counter()
    with _progress() as progress:
        task = progress.add_task("generate", total=None)

        def report(table: str, done: int, total: int) -> None:
            progress.update(
                task, description=f"generate {table}", completed=done, total=total or None
            )

        rows = generate(
            source_dir,
            orders=orders,
            end=date.fromisoformat(stamp["end"]),
            seed=seed,
            progress=report,
            until=until,
        )
        progress.update(task, description="generated", completed=1, total=1)
    say(f"generated {', '.join(f'{k}={v:,}' for k, v in rows.items())}")
    last_day = date.fromisoformat(stamp["end"])  # partial when cut at `until`, else complete
    _load(settings, source_dir, as_of=last_day if until else last_day + timedelta(days=1))
    stamp_file.write_text(json.dumps(stamp))
    say(f"demo built in {time.perf_counter() - started:.1f} s", color="green")
    return True


def _load(settings: Settings, source_dir: Path, as_of: date) -> None:
    """Ingest the generated files through the `shop` files source, build rollups, publish.

    The demo goes through the same connector pipeline as real data (sources.yml → raw.shop__*),
    into a fresh file so rows of an older demo never linger; the old warehouse stays whole
    until the new one is complete.
    """
    from connectors import run_ingest

    tmp = settings.warehouse.with_suffix(".building.duckdb")
    tmp.unlink(missing_ok=True)
    building = replace(settings, warehouse=tmp)

    def after_load(wh: Warehouse) -> str:
        text = settings.metrics.read_text(
            encoding="utf-8"
        )  # the snapshot carries it (checked next)
        spec = spec_or_exit(settings, wh)
        engine = settings.warehouse_engine().name
        if engine != "duckdb":  # rollups there come later: every query reads the raw tables
            say(f"rollups not built: on {engine} every query reads the raw tables")
            return text
        t0 = time.perf_counter()
        build_rollups(wh, spec, today=as_of, progress=lambda msg: say(f"  {msg}"))
        say(f"rollups built in {time.perf_counter() - t0:.1f} s")
        return text

    with IngestProgress() as progress:
        report = run_ingest(
            building,
            source="shop",
            full_refresh=True,
            progress=progress,
            after_load=after_load,
            environ={**os.environ, "NORTHSTAR_DATA": str(source_dir.resolve())},
            plan_rollups=plan_from_text,
        )
    if not report.ok:
        failed = [f"{o.table}: {o.error}" for o in report.outcomes if o.status != "ok"]
        raise typer.Exit(_fail("demo ingest failed", [*failed, report.publish_error or ""]))
    tmp.replace(settings.warehouse)
    what = PUBLISHED_AS[settings.warehouse_engine().name]
    say(f"ingested {report.rows:,} rows; published {what} {report.published}")


def _fail(message: str, details: list[str]) -> int:
    say(message, err=True, color="red")
    for line in details:
        if line:
            say(f"  {line}", err=True)
    return 1


def _current(stamp_file: Path, stamp: dict, settings: Settings) -> bool:
    try:
        return json.loads(stamp_file.read_text()) == stamp and settings.warehouse.exists()
    except (FileNotFoundError, ValueError):
        return False


def _progress() -> Progress:
    shown = console()
    return Progress(
        TextColumn("{task.description}"),
        BarColumn(),
        TextColumn("{task.completed:,}/{task.total}"),
        TimeElapsedColumn(),
        console=shown,
        disable=not shown.is_terminal,  # a log gets the "generated …" line instead
    )
