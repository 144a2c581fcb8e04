"""Helpers shared by the connector tests (a plain module: conftest is not importable by name)."""

from __future__ import annotations

from settings import Settings
from warehouse import Warehouse


def settings_env(settings: Settings) -> dict[str, str]:
    """The environment that makes a `northstar` command use these settings' files."""
    return {
        "NORTHSTAR_SOURCES": str(settings.sources),
        "NORTHSTAR_WAREHOUSE": str(settings.warehouse),
        "NORTHSTAR_SERVING_DIR": str(settings.serving_dir),
        "NORTHSTAR_METRICS": str(settings.metrics),
    }


def write_sources(settings: Settings, text: str) -> None:
    settings.sources.write_text(text)


def query(settings: Settings, sql: str, params=None) -> list[tuple]:
    with Warehouse(settings.warehouse, read_only=True) as wh:
        return wh.rows(sql, params)
