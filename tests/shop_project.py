"""A project folder for fault tests: the fixture shop's warehouse, its metrics.yml, and the ways
an operator breaks them (a damaged snapshot, an invalid spec)."""

from __future__ import annotations

import shutil
from pathlib import Path

from settings import Settings
from tests.browser.fixture_shop import AS_OF, SPEC, shop_tables
from warehouse import SnapshotStore, Warehouse

DAMAGED = "29991231T235959-000000000"  # a version that sorts after every real one


def make_project(folder: Path) -> Path:
    """folder with metrics.yml and a built warehouse.duckdb (nothing published yet)."""
    shutil.copyfile(SPEC, folder / "metrics.yml")
    with Warehouse(folder / "warehouse.duckdb") as wh:
        for table, frame in shop_tables().items():
            wh.replace_table(table, frame)
        wh.checkpoint()
    return folder


def settings_for(project: Path) -> Settings:
    # Absolute paths, as NORTHSTAR_* variables often give them: pages must still show relative ones.
    return Settings(
        metrics=project / "metrics.yml",
        warehouse=project / "warehouse.duckdb",
        serving_dir=project / "data" / "serving",
        as_of=AS_OF.isoformat(),  # the shop's data ends on AS_OF
    )


def publish(project: Path, with_spec: bool = True) -> str:
    spec = (project / "metrics.yml").read_text() if with_spec else None
    store = SnapshotStore(settings_for(project).serving_dir)
    return store.publish(project / "warehouse.duckdb", spec_text=spec)


def publish_damaged(project: Path, content: bytes = b"not a duckdb file " * 300) -> str:
    """A damaged snapshot made current, as a broken copy or a wrong file would be."""
    store = SnapshotStore(settings_for(project).serving_dir)
    store.dir.mkdir(parents=True, exist_ok=True)
    (store.dir / f"{DAMAGED}.duckdb").write_bytes(content)
    (store.dir / "CURRENT").write_text(DAMAGED)
    return DAMAGED


def break_spec(project: Path) -> int:
    """Make metrics.yml invalid (an unknown aggregation); return the line of the problem."""
    path = project / "metrics.yml"
    lines = path.read_text().splitlines()
    line = next(i for i, text in enumerate(lines) if "agg: count" in text)
    lines[line] = lines[line].replace("agg: count", "agg: cnt", 1)
    path.write_text("\n".join(lines) + "\n")
    return line + 1
