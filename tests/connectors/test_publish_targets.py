"""What an ingest run's publish target hands its publisher (connectors/publish_targets.py).

The database publishes themselves are tested against the engines (test_pg_publish.py, marker db;
tests/sql/test_spark_publish.py, marker spark); here a recording publisher stands in, so the
rollup plan each target asks for (which dialect, which spec and tables), what it hands on and
what it closes afterwards are checked in the fast suite.
"""

from __future__ import annotations

import types
from datetime import date

import pandas as pd
import pytest

from connectors.publish_targets import PostgresTarget, SparkTarget
from settings import EngineChoice
from warehouse import Warehouse
from warehouse.ingest_meta import last_change
from warehouse.rollup_plan import RollupPlan


class Publisher:
    def __init__(self) -> None:
        self.published: list[tuple] = []
        self.closed = 0

    def publish(self, warehouse, spec_text, changed, rollups=None):
        self.published.append((spec_text, changed, rollups))
        return types.SimpleNamespace(version="v7")

    def close(self) -> None:
        self.closed += 1


def open_warehouse(path) -> Warehouse:
    wh = Warehouse(path)
    wh.replace_table("raw.orders", pd.DataFrame({"id": [1]}))
    return wh


@pytest.fixture
def warehouse(tmp_path):
    return open_warehouse(tmp_path / "w.duckdb")


def planner(calls: list[tuple]):
    def plan(spec_text, columns, dialect):
        calls.append((spec_text, columns, dialect))
        return RollupPlan((), (), date(2026, 3, 1))

    return plan


@pytest.mark.parametrize("target_class", [PostgresTarget, SparkTarget])
def test_a_target_plans_rollups_in_its_engine_s_dialect_and_hands_them_on(
    target_class, warehouse, tmp_path
):
    calls: list[tuple] = []
    engine = EngineChoice(target_class.__name__[:-6].lower(), "x", directory=str(tmp_path / "d"))
    target = target_class(engine, plan_rollups=planner(calls))
    publisher = Publisher()
    if target_class is PostgresTarget:
        target._publisher = publisher
    else:
        target.publisher = publisher
    changed = last_change(warehouse)
    columns = warehouse.table_columns()
    assert target.publish(warehouse, "metrics: []") == "v7"
    assert calls == [("metrics: []", columns, engine.name)]
    assert publisher.published == [("metrics: []", changed, RollupPlan((), (), date(2026, 3, 1)))]
    with pytest.raises(Exception, match="closed"):  # the target closes the warehouse
        warehouse.rows("SELECT 1")
    assert publisher.closed == (1 if target_class is PostgresTarget else 0)


@pytest.mark.parametrize("target_class", [PostgresTarget, SparkTarget])
def test_without_a_spec_or_a_planner_a_target_publishes_no_rollups(target_class, tmp_path):
    calls: list[tuple] = []
    engine = EngineChoice(target_class.__name__[:-6].lower(), "x", directory=str(tmp_path / "d"))
    for spec_text, plan in [(None, planner(calls)), ("metrics: []", None)]:
        target = target_class(engine, plan_rollups=plan)
        publisher = Publisher()
        if target_class is PostgresTarget:
            target._publisher = publisher
        else:
            target.publisher = publisher
        target.publish(open_warehouse(tmp_path / "w.duckdb"), spec_text)
        assert publisher.published[0][2] is None
    assert calls == []


def test_a_failed_postgres_publish_says_what_readers_see_and_what_to_do():
    from warehouse.pg_publish import PostgresPublisher

    publisher = object.__new__(PostgresPublisher)  # no database: the message alone
    publisher.shown, publisher._secrets = "postgresql://ns:***@db/analytics", ("hunter22",)
    error = publisher._failed(RuntimeError(" server closed the connection (hunter22)\n"))
    assert str(error) == (
        "publishing to PostgreSQL postgresql://ns:***@db/analytics failed: server closed the "
        "connection (***). The tables readers see are as they were; the data is loaded: run "
        "`northstar ingest` again to publish what is pending."
    )
    assert PostgresTarget(EngineChoice("postgres", "x")).failed(error) == str(error)
