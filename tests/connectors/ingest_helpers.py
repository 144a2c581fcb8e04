"""Helpers shared by the connector tests (a plain module: conftest is not importable by name)."""

from __future__ import annotations

import sqlite3
from pathlib import Path

from settings import Settings
from warehouse import Warehouse


def write_sources(settings: Settings, text: str) -> None:
    settings.sources.write_text(text)


def cli_env(settings: Settings) -> dict[str, str]:
    """The environment that points the `northstar` CLI at these settings."""
    return {
        "NORTHSTAR_SOURCES": str(settings.sources),
        "NORTHSTAR_WAREHOUSE": str(settings.warehouse),
        "NORTHSTAR_SERVING_DIR": str(settings.serving_dir),
        "NORTHSTAR_METRICS": str(settings.metrics),
    }


def query(settings: Settings, sql: str, params=None) -> list[tuple]:
    with Warehouse(settings.warehouse, read_only=True) as wh:
        return wh.rows(sql, params)


def sqlite_source(settings: Settings, folder: Path, table: str, *statements: str) -> None:
    """A SQLite file made by `statements`, declared as source `legacy` with `table` (key `id`)."""
    db = folder / "app.sqlite"
    con = sqlite3.connect(db)
    for sql in statements:
        con.execute(sql)
    con.commit()
    con.close()
    write_sources(
        settings,
        f"sources:\n  - name: legacy\n    kind: sql\n    url: sqlite:///{db}\n    tables:\n"
        f"      - {{name: {table}, table: {table}, primary_key: [id]}}\n",
    )
