"""A snapshot a worker stops serving stays readable while something still reads it.

A worker keeps the newest snapshot and the one before open. Two publishes during one long request
(a report, an explanation of many queries) used to close the snapshot that request was reading,
and its next query failed. A retired snapshot now closes, and frees its version for the pruner,
when the last reader lets go of it: at once when nothing holds it.
"""

from __future__ import annotations

import gc
from pathlib import Path

import pandas as pd
import pytest
from flask_caching import Cache
from page_client import join_warm_ups
from shop_project import make_project, publish, settings_for

from dashboard.serving import Serving
from metric_layer.query import MetricQuery
from tests.browser.fixture_shop import AS_OF, shop_tables
from warehouse import SnapshotStore
from warehouse.leases import Lease


@pytest.fixture
def project(tmp_path: Path) -> Path:
    return make_project(tmp_path)


@pytest.fixture
def serving(project: Path):  # type: ignore[no-untyped-def]
    serving = Serving(settings_for(project), Cache(config={"CACHE_TYPE": "NullCache"}), warm=False)
    yield serving
    join_warm_ups()
    serving.close()


def paid_orders_in_range(start, end) -> int:  # type: ignore[no-untyped-def]
    """Paid orders with a local (Asia/Shanghai) day in [start, end), counted by hand."""
    orders = shop_tables()["raw.orders"]
    local = (orders["ordered_at"] + pd.Timedelta(hours=8)).dt.date
    return int(((orders["status"] == "paid") & (local >= start) & (local < end)).sum())


def held_by_a_reader(project: Path, version: str) -> bool:
    """Whether some open snapshot still holds `version` (the pruner could not remove it)."""
    lease = Lease.exclusive_now(SnapshotStore(settings_for(project).serving_dir).lock_file(version))
    if lease is None:
        return True
    lease.release()
    return False


def test_a_reader_of_a_snapshot_two_publishes_old_goes_on_reading(project, serving) -> None:
    first = publish(project)
    held = serving.snapshot()  # a long request starts on the first snapshot
    assert held.version == first
    query = MetricQuery(("orders",), grain="all", as_of=AS_OF)
    publish(project)
    serving.snapshot()  # other requests move the worker on, twice
    third = publish(project)
    assert serving.snapshot().version == third

    answer = held.service.query(query)  # the long request's next query

    value = int(answer.frame["orders"].iloc[0])
    assert value > 0
    assert value == paid_orders_in_range(answer.start, answer.end)
    assert held_by_a_reader(project, first)
    del held, answer
    gc.collect()
    assert not held_by_a_reader(project, first)  # closed once its reader let go


def test_a_retired_snapshot_nobody_reads_is_closed_when_it_is_retired(project, serving) -> None:
    first = publish(project)
    serving.snapshot()
    publish(project)
    serving.snapshot()
    assert held_by_a_reader(project, first)  # the previous snapshot stays open
    publish(project)
    serving.snapshot()
    assert not held_by_a_reader(project, first)


def test_closing_the_serving_closes_a_retired_snapshot_still_held(project, serving) -> None:
    first = publish(project)
    held = serving.snapshot()
    for _ in range(2):
        publish(project)
        serving.snapshot()
    serving.close()
    assert not held_by_a_reader(project, first)
    assert held.version == first  # `held` was alive all along: close() closed it anyway
