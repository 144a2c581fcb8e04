"""The compiled SQL of one query per metric type, with and without a comparison.

A change in these files is a change in what runs against the warehouse: review the diff, then
`pytest tests/sql --snapshot-update`. Snapshots are the raw path (no rollups).
"""

from __future__ import annotations

from datetime import date, datetime

import pytest
from syrupy.extensions.single_file import SingleFileSnapshotExtension, WriteMode

from metric_layer.query import DimensionFilter, MetricQuery
from metric_layer.service import MetricService


class SQLSnapshot(SingleFileSnapshotExtension):
    """One readable .sql file per snapshot."""

    _write_mode = WriteMode.TEXT
    file_extension = "sql"


@pytest.fixture
def sql_snapshot(snapshot):
    return snapshot.use_extension(SQLSnapshot)


@pytest.fixture(scope="module")
def raw_service(small_warehouse, small_spec) -> MetricService:
    return MetricService(
        small_warehouse, small_spec, clock=lambda: datetime(2026, 1, 8, 12), use_rollups=False
    )


CASES = {
    # type: (metric, breakdown, filters)
    "simple": ("revenue", ("channel",), (DimensionFilter("platform", "=", ("ios",)),)),
    "ratio": ("ios_share", ("channel",), ()),
    "derived": ("revenue_growth", (), (DimensionFilter("region", "in", ("north", "south")),)),
    "active": ("wau", ("platform",), ()),
    "retention": ("w1_retention", ("channel",), ()),
    "retention_cohort_model": ("d1_retention", (), ()),
}


@pytest.mark.parametrize(
    "compare", [None, "previous", "last_year"], ids=["plain", "previous", "last_year"]
)
@pytest.mark.parametrize("kind", list(CASES))
def test_compiled_sql(raw_service, sql_snapshot, kind, compare):
    metric, dims, filters = CASES[kind]
    query = MetricQuery(
        (metric,),
        grain="week",
        start=date(2025, 12, 17),
        end=date(2026, 1, 8),
        dimensions=dims,
        filters=filters,
        compare=compare,
    )
    sql = raw_service.sql(metric, query)
    assert sql == sql_snapshot
    raw_service.query(query)  # and it runs
