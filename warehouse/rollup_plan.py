"""Rollups for another engine, as statements: what the metric layer plans and the publish runs.

The metric layer writes each rollup's SELECT for the engine's dialect (metric_layer/
engine_rollups.py); the engine's publish creates them (warehouse/pg_rollups.py inside its
transaction; warehouse/spark_publish.py as Parquet folders of the version it publishes). This module is the hand-over between the two, so neither imports the other.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date


@dataclass(frozen=True)
class RollupStatement:
    """CREATE TABLE|VIEW <table> AS …, written for the engine; `select` the SELECT alone, for
    an engine whose publish writes a query's rows as files (Spark: warehouse/spark_publish.py)."""

    table: str  # schema-qualified, e.g. rollup.orders__daily
    kind: str  # "TABLE" or "VIEW"
    sql: str
    select: str = ""


@dataclass(frozen=True)
class ManifestRow:
    """One row of the rollup manifest the service's planner reads."""

    table: str
    unit: str
    definition: str


@dataclass(frozen=True)
class RollupPlan:
    statements: tuple[RollupStatement, ...]
    manifest: tuple[ManifestRow, ...]
    as_of: date
