"""Where the web side finds what to serve, per warehouse engine, and how it opens a DuckDB
snapshot: the serving snapshots (duckdb), the versions published into a PostgreSQL database or a
Spark warehouse directory (or tables other tools load there), all in SnapshotStore's words."""

from __future__ import annotations

from settings import Settings
from warehouse import SnapshotStore
from warehouse.engines import SparkVersions, open_engine
from warehouse.pg_published import PostgresPublished as PublishedVersions


def duckdb_config(settings: Settings) -> dict[str, str | int]:
    """DuckDB settings of a snapshot connection: the configured threads and memory ceiling, and
    DuckDB's allocator handing memory back after each query above 4 MB rather than 128 MB (on the
    1M demo that keeps about 10 MB less in each worker; bench_load.py)."""
    return {**settings.serving_duckdb(), "allocator_flush_threshold": "4MB"}


def serving_store(settings: Settings) -> SnapshotStore | PublishedVersions | SparkVersions:
    """Where the web side finds what to serve: the DuckDB serving snapshots, or with engine =
    postgres the versions published into the database (ValueError: a wrong engine setting)."""
    engine = settings.warehouse_engine()
    if engine.name == "postgres":
        return PublishedVersions(engine.url, shown=engine.shown, secrets=engine.secrets)
    if engine.name == "spark":  # versions published into the directory, or other tools' tables
        return SparkVersions(
            engine.directory,
            lambda version: open_engine(
                "spark", engine.url, shown=engine.shown, directory=engine.directory, version=version
            ),
        )
    return SnapshotStore(settings.serving_dir)
