"""What the service tells pages about the data itself: last successful loads per source."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

from metric_layer.loader import load_spec
from metric_layer.service import MetricService
from warehouse import Warehouse

SPEC = Path(__file__).resolve().parents[1] / "fixtures" / "small_spec.yml"


def test_last_loads_is_empty_before_any_ingest():
    assert MetricService(Warehouse(), load_spec(SPEC)).last_loads() == {}


def test_last_loads_takes_the_latest_successful_run_per_source():
    wh = Warehouse()
    wh.execute("CREATE SCHEMA meta")
    wh.execute("CREATE TABLE meta.loads (source VARCHAR, finished TIMESTAMPTZ, status VARCHAR)")
    rows = [
        ("shop", "2026-11-20 08:00:00+00", "ok"),
        ("shop", "2026-11-21 08:00:00+00", "ok"),
        ("shop", "2026-11-22 08:00:00+00", "failed"),  # a failure does not make data fresher
        ("crm", "2026-11-19 06:30:00+00", "ok"),
    ]
    for row in rows:
        wh.execute("INSERT INTO meta.loads VALUES (?, ?, ?)", list(row))
    loads = MetricService(wh, load_spec(SPEC)).last_loads()
    assert {k: v.astimezone(UTC) for k, v in loads.items()} == {
        "shop": datetime(2026, 11, 21, 8, tzinfo=UTC),
        "crm": datetime(2026, 11, 19, 6, 30, tzinfo=UTC),
    }


def test_compiled_sql_is_reused_across_services_with_the_same_tables_only():
    from datetime import date

    import pandas as pd

    from metric_layer.compile_cache import CompileCache
    from metric_layer.query import MetricQuery

    def warehouse(amounts):
        wh = Warehouse()
        orders = pd.DataFrame(
            {
                "order_id": range(len(amounts)),
                "customer_id": 1,
                "ordered_at": pd.Timestamp("2026-01-05 10:00"),
                "platform": "ios",
                "status": "paid",
                "amount": amounts,
            }
        )
        wh.replace_table("raw.orders", orders)
        wh.replace_table(
            "raw.customers",
            pd.DataFrame(
                {
                    "customer_id": [1],
                    "signed_up_at": [pd.Timestamp("2026-01-01")],
                    "channel": ["ads"],
                    "region": ["N"],
                }
            ),
        )
        wh.replace_table(
            "raw.sessions",
            pd.DataFrame(
                {
                    "session_id": [1],
                    "customer_id": [1],
                    "started_at": [pd.Timestamp("2026-01-05")],
                    "platform": ["ios"],
                }
            ),
        )
        return wh

    cache = CompileCache()
    calls = []
    original = cache.get_or_make

    def counting(key, make):
        return original(key, lambda: calls.append(key) or make())

    cache.get_or_make = counting
    q = MetricQuery(("revenue",), grain="week", start=date(2026, 1, 5), end=date(2026, 1, 11))
    clock = lambda: datetime(2026, 1, 20, tzinfo=UTC)  # noqa: E731
    first = MetricService(warehouse([10.0]), load_spec(SPEC), clock=clock, compile_cache=cache)
    second = MetricService(
        warehouse([10.0, 5.0]), load_spec(SPEC), clock=clock, compile_cache=cache
    )
    assert first.query(q).frame["revenue"].tolist() == [10.0]
    assert second.query(q).frame["revenue"].tolist() == [15.0]  # same SQL, new data
    assert len(calls) == 1
    wider = warehouse([1.0])
    wider.execute("ALTER TABLE raw.orders ADD COLUMN note VARCHAR")
    MetricService(wider, load_spec(SPEC), clock=clock, compile_cache=cache).query(q)
    assert len(calls) == 2  # other columns: compiled again
