"""`northstar demo build`: generate the demo shop, load it, build rollups, publish a snapshot."""

from __future__ import annotations

import hashlib
import json
import time
from datetime import date, timedelta
from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console
from rich.progress import BarColumn, Progress, TextColumn, TimeElapsedColumn

from cli.context import spec_or_exit
from metric_layer.rollup_build import build_rollups
from settings import Settings
from warehouse import SnapshotStore, Warehouse

out = Console()
SCALES = {"1M": 1_000_000, "10M": 10_000_000, "50M": 50_000_000}
TABLES = (
    "customers",
    "sessions",
    "orders",
    "order_items",
    "refunds",
    "marketing_spend",
    "nps_responses",
)
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
        str | None, typer.Option(help="last day of data, YYYY-MM-DD (default today)")
    ] = None,
    seed: Annotated[int, typer.Option(help="random seed")] = 7,
    force: Annotated[bool, typer.Option(help="rebuild even when current")] = False,
) -> None:
    """Build the demo warehouse (skipped when already built for the same inputs)."""
    settings = Settings.load()
    orders = SCALES.get(scale) or int(scale.replace("_", ""))
    build_demo(
        settings,
        orders=orders,
        end=date.fromisoformat(end) if end else None,
        seed=seed,
        force=force,
    )


def build_demo(
    settings: Settings, *, orders: int, end: date | None, seed: int, force: bool = False
) -> bool:
    """Returns False when the existing build is current and nothing was done."""
    from demo.generator import generate

    source_dir = settings.warehouse.parent / "source"
    stamp_file = settings.warehouse.parent / "demo-build.json"
    stamp = {
        "orders": orders,
        # Complete days only: the default demo ends yesterday, so today is the partial period.
        "end": (end or date.today() - timedelta(days=1)).isoformat(),
        "seed": seed,
        "spec": hashlib.sha256(settings.metrics.read_bytes()).hexdigest(),
    }
    if not force and _current(stamp_file, stamp, settings):
        out.print(
            f"[green]demo warehouse is current[/green] ({settings.warehouse}); use --force to rebuild"
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
        )
        progress.update(task, description="generated", completed=1, total=1)
    out.print(f"generated {', '.join(f'{k}={v:,}' for k, v in rows.items())}")
    _load(settings, source_dir, as_of=date.fromisoformat(stamp["end"]) + timedelta(days=1))
    stamp_file.write_text(json.dumps(stamp))
    out.print(f"[green]demo built in {time.perf_counter() - started:.1f} s[/green]")
    return True


def _load(settings: Settings, source_dir: Path, as_of: date) -> None:
    """Load the generated files as raw.shop__<table>, build rollups, publish a snapshot."""
    import pyarrow.dataset as ds

    tmp = settings.warehouse.with_suffix(".building.duckdb")
    tmp.unlink(missing_ok=True)
    with Warehouse(tmp) as wh:
        for table in TABLES:
            t0 = time.perf_counter()
            wh.replace_table(f"raw.shop__{table}", ds.dataset(source_dir / table, format="parquet"))
            out.print(f"loaded raw.shop__{table} in {time.perf_counter() - t0:.1f} s")
        spec = spec_or_exit(settings, wh)
        t0 = time.perf_counter()
        build_rollups(wh, spec, today=as_of, progress=lambda msg: out.print(f"  {msg}"))
        out.print(f"rollups built in {time.perf_counter() - t0:.1f} s")
        wh.checkpoint()
    tmp.replace(settings.warehouse)  # the old warehouse stays whole until the new one is complete
    version = SnapshotStore(settings.serving_dir).publish(settings.warehouse)
    out.print(f"published snapshot {version}")


def _current(stamp_file: Path, stamp: dict, settings: Settings) -> bool:
    try:
        return json.loads(stamp_file.read_text()) == stamp and settings.warehouse.exists()
    except (FileNotFoundError, ValueError):
        return False


def _progress() -> Progress:
    return Progress(
        TextColumn("{task.description}"),
        BarColumn(),
        TextColumn("{task.completed:,}/{task.total}"),
        TimeElapsedColumn(),
        console=out,
    )
