"""Rollups updated in place equal rollups rebuilt from scratch, after any sequence of loads.

Each case starts from a warehouse holding part of the medium shop, builds its rollups, then
applies random steps — new days appended, late rows for old days, old rows updated (amounts,
statuses, platforms, re-dated sessions), customers moved to another region or channel (a joined
dimension under old orders), rows deleted, the as-of day moving on, a load that changed nothing —
each logged in meta.loads as ingest would. After every step the incremental refresh runs, and
every rollup table and every metric's answers are compared with a second warehouse holding the
same rows whose rollups were built from scratch. The comparison is independent of the code under
test: two warehouses, one never refreshed in place.
"""

from __future__ import annotations

import uuid
from datetime import date, datetime, timedelta

import numpy as np
import pandas as pd
import pytest
from hypothesis import Phase, given, settings
from hypothesis import strategies as st

from metric_layer.loader import parse_spec
from metric_layer.query import MetricQuery
from metric_layer.rollup_build import build_rollups, refresh_rollups
from metric_layer.semantics import Semantics
from metric_layer.service import MetricService
from tests.conftest import SPEC_PATH, medium_frames, property_settings
from warehouse import Warehouse
from warehouse.ingest_meta import ensure_meta, log_finished, log_started

pytestmark = pytest.mark.xdist_group("incremental_rollups")

# The spec's tables as ingest names them (raw.<source>__<table>), so meta.loads dates each load.
SPEC_TEXT = (
    SPEC_PATH.read_text(encoding="utf-8")
    .replace("raw.customers", "raw.shop__customers")
    .replace("raw.orders", "raw.shop__orders")
    .replace("raw.sessions", "raw.shop__sessions")
)
TIMES = {"customers": "signed_up_at", "orders": "ordered_at", "sessions": "started_at"}
KEYS = {"customers": "customer_id", "orders": "order_id", "sessions": "session_id"}
CUT = pd.Timestamp("2025-12-01")  # the first warehouse holds rows before this


def frames() -> dict[str, pd.DataFrame]:
    customers, orders, sessions = medium_frames()
    return {"customers": customers, "orders": orders, "sessions": sessions}


ALL = frames()


def _naive(series: pd.Series) -> pd.Series:
    return series.dt.tz_convert(None) if series.dt.tz is not None else series


class Shop:
    """The rows of each table now, and a warehouse kept in step through logged loads."""

    def __init__(self, rng: np.random.Generator) -> None:
        self.rng = rng
        self.rows: dict[str, pd.DataFrame] = {}
        self.held: dict[str, pd.DataFrame] = {}  # rows not loaded yet: future days, late rows
        for name, df in ALL.items():
            before = _naive(df[TIMES[name]]) < CUT
            late = pd.Series(rng.random(len(df)) < 0.05, index=df.index) & before
            self.rows[name] = df[before & ~late].reset_index(drop=True)
            self.held[name] = df[~before | late].reset_index(drop=True)
        self.today = CUT.date()
        self.wh = Warehouse()
        ensure_meta(self.wh)
        for name in self.rows:
            self.load(name)

    def load(self, name: str) -> None:
        """Replace the table and log a load with rows, as a merge by key would."""
        run = uuid.uuid4().hex
        log_started(self.wh, run, "shop", name)
        self.wh.replace_table(f"raw.shop__{name}", self.rows[name])
        log_finished(
            self.wh, run, "shop", name, rows=max(len(self.rows[name]), 1), bytes_=0, status="ok"
        )

    # -- steps ---------------------------------------------------------------------------------
    def append(self, days: int) -> None:
        since, until = pd.Timestamp(self.today), pd.Timestamp(self.today + timedelta(days=days))
        self.today += timedelta(days=days)
        for name in self.rows:
            when = _naive(self.held[name][TIMES[name]])
            self.take(name, (when >= since) & (when < until))

    def late(self, share: float) -> None:
        for name in ("orders", "sessions"):
            when = _naive(self.held[name][TIMES[name]])
            old = (when < pd.Timestamp(self.today)) & (self.rng.random(len(when)) < share)
            self.take(name, old)

    def take(self, name: str, mask: pd.Series) -> None:
        if mask.any():
            rows = pd.concat([self.rows[name], self.held[name][mask]], ignore_index=True)
            self.rows[name] = rows
            self.held[name] = self.held[name][~mask].reset_index(drop=True)
            self.load(name)

    def update(self, n: int) -> None:
        orders = self.rows["orders"].copy()
        pick = self.rng.choice(len(orders), size=min(n, len(orders)), replace=False)
        orders.loc[pick, "amount"] = (orders.loc[pick, "amount"] * 1.5).round(2)
        flip = pick[: len(pick) // 2]
        orders.loc[flip, "status"] = np.where(
            orders.loc[flip, "status"] == "paid", "cancelled", "paid"
        )
        orders.loc[pick[-1:], "platform"] = "ios"
        self.rows["orders"] = orders
        self.load("orders")
        sessions = self.rows["sessions"].copy()
        pick = self.rng.choice(len(sessions), size=min(n, len(sessions)), replace=False)
        # Re-dated: the old day loses the row, another day gains it.
        sessions.loc[pick, "started_at"] = sessions.loc[pick, "started_at"] - pd.Timedelta(days=3)
        sessions.loc[pick[:1], "customer_id"] = self.rows["customers"]["customer_id"].iloc[0]
        self.rows["sessions"] = sessions
        self.load("sessions")

    def move_customers(self, n: int) -> None:
        customers = self.rows["customers"].copy()
        pick = self.rng.choice(len(customers), size=min(n, len(customers)), replace=False)
        customers.loc[pick, "region"] = np.where(
            customers.loc[pick, "region"] == "north", "south", "north"
        )
        customers.loc[pick[:1], "channel"] = "email"
        self.rows["customers"] = customers
        self.load("customers")

    def delete(self, n: int) -> None:
        for name in ("orders", "sessions"):
            rows = self.rows[name]
            drop = self.rng.choice(len(rows), size=min(n, len(rows)), replace=False)
            self.rows[name] = rows.drop(index=drop).reset_index(drop=True)
            self.load(name)

    def clock(self, days: int) -> None:
        self.today += timedelta(days=days)

    def reload_same(self) -> None:
        self.load("orders")  # rows arrived, none differ

    def rebuilt(self, spec) -> Warehouse:
        """Another warehouse with the same rows, its rollups built from scratch."""
        fresh = Warehouse()
        for name, rows in self.rows.items():
            fresh.replace_table(f"raw.shop__{name}", rows)
        build_rollups(fresh, spec, today=self.today)
        return fresh


STEPS = st.one_of(
    st.tuples(st.just("append"), st.integers(1, 12)),
    st.tuples(st.just("late"), st.sampled_from([0.1, 0.5])),
    st.tuples(st.just("update"), st.integers(1, 40)),
    st.tuples(st.just("move_customers"), st.integers(1, 10)),
    st.tuples(st.just("delete"), st.integers(1, 30)),
    st.tuples(st.just("clock"), st.integers(1, 5)),
    st.tuples(st.just("reload_same")),
)


def rollup_tables(wh: Warehouse) -> dict[str, pd.DataFrame]:
    names = [
        t
        for (t,) in wh.rows(
            "SELECT table_name FROM information_schema.tables WHERE table_schema = 'rollup' "
            "AND table_name <> 'manifest'"
        )
    ]
    return {t: wh.frame(f'SELECT * FROM rollup."{t}"') for t in sorted(names)}


def assert_same_tables(got: dict[str, pd.DataFrame], want: dict[str, pd.DataFrame]) -> None:
    assert sorted(got) == sorted(want)
    for name, expected in want.items():
        actual = got[name]
        keys = [c for c in expected.columns if not pd.api.types.is_float_dtype(expected[c])]
        ordered = [
            df.sort_values(keys, kind="stable", na_position="first").reset_index(drop=True)
            for df in (actual, expected)
        ]
        pd.testing.assert_frame_equal(
            *ordered, check_exact=False, rtol=1e-9, check_dtype=False, obj=name
        )


def assert_same_answers(spec, shop: Shop, fresh: Warehouse) -> None:
    now = datetime.combine(shop.today, datetime.min.time()) + timedelta(hours=12)
    services = [
        MetricService(wh, spec, clock=lambda: now, use_rollups=True) for wh in (shop.wh, fresh)
    ]
    start, sem = date(2025, 1, 1), Semantics(spec)
    for metric in spec.metrics:
        for grain, dims in (("week", ()), ("month", ("platform",))):
            if dims and not set(dims) <= set(sem.dimensions_of_metric(metric.name)):
                dims = ()
            q = MetricQuery(
                (metric.name,), grain=grain, start=start, end=shop.today, dimensions=dims
            )
            got, want = (s.query(q).frame for s in services)
            pd.testing.assert_frame_equal(
                got, want, check_exact=False, rtol=1e-9, obj=f"{metric.name} {grain} {dims}"
            )


# Shrinking a failing case takes minutes here (two warehouses built per step): report it as found.
@settings(parent=property_settings(examples=8), phases=[Phase.explicit, Phase.generate])
@given(
    seed=st.integers(0, 2**32 - 1),
    steps=st.lists(STEPS, min_size=2, max_size=4),
    # Whole hours ahead of UTC; half an hour (an hour of the stored column spans two local
    # days); daylight saving (a local hour twice, one missing) inside the data.
    zone=st.sampled_from(["Asia/Shanghai", "Asia/Kolkata", "America/New_York"]),
)
def test_refreshed_in_place_equals_rebuilt_from_scratch(seed, steps, zone):
    shop = Shop(np.random.default_rng(seed))
    text = SPEC_TEXT.replace("time_zone: Asia/Shanghai", f"time_zone: {zone}")
    spec = parse_spec(text, "metrics.yml", shop.wh.table_columns())
    build_rollups(shop.wh, spec, today=shop.today)
    for step, *args in steps:
        getattr(shop, step)(*args)
        refresh = refresh_rollups(shop.wh, spec, shop.today)
        fresh = shop.rebuilt(spec)
        try:
            assert_same_tables(rollup_tables(shop.wh), rollup_tables(fresh))
        finally:
            fresh.close()
        if step in ("append", "late", "update", "delete"):
            assert refresh.in_place, f"{step} rebuilt every unit: {refresh.summary()}"
    fresh = shop.rebuilt(spec)
    try:
        assert_same_answers(spec, shop, fresh)
    finally:
        fresh.close()
        shop.wh.close()


def test_an_append_updates_only_the_new_days_in_place():
    shop = Shop(np.random.default_rng(7))
    spec = parse_spec(SPEC_TEXT, "metrics.yml", shop.wh.table_columns())
    build_rollups(shop.wh, spec, today=shop.today)
    before = len(shop.rows["orders"])
    shop.append(2)
    new = shop.rows["orders"].iloc[before:]["ordered_at"]  # stored in UTC, days in Shanghai
    local_days = new.dt.tz_localize("UTC").dt.tz_convert("Asia/Shanghai").dt.date.nunique()
    refresh = refresh_rollups(shop.wh, spec, shop.today)
    # Every unit fed by the appended tables is updated in place, none rebuilt.
    assert {label for label, _ in refresh.built} == set(refresh.in_place)
    assert refresh.in_place["orders daily"] == f"{local_days} days"
    assert "updated in place" in refresh.summary()
    fresh = shop.rebuilt(spec)
    assert_same_tables(rollup_tables(shop.wh), rollup_tables(fresh))


def test_lost_refresh_state_rebuilds_whole_and_stays_exact():
    # An operator dropped the writer's state (or an older Northstar built the rollups): nothing
    # says which days changed, so every unit fed by new rows is rebuilt, never guessed.
    shop = Shop(np.random.default_rng(11))
    spec = parse_spec(SPEC_TEXT, "metrics.yml", shop.wh.table_columns())
    build_rollups(shop.wh, spec, today=shop.today)
    shop.wh.execute("DROP SCHEMA _rollup_state CASCADE")
    shop.append(3)
    refresh = refresh_rollups(shop.wh, spec, shop.today)
    assert refresh.built and not refresh.in_place
    fresh = shop.rebuilt(spec)
    assert_same_tables(rollup_tables(shop.wh), rollup_tables(fresh))
    shop.update(5)  # the state is back: the next refresh updates in place again
    assert refresh_rollups(shop.wh, spec, shop.today).in_place


def test_a_moved_customer_updates_the_days_of_its_orders_in_place():
    # A customer's region or channel changes: the days of that customer's orders and sessions
    # (found by hashed key in the keys kept at the last refresh) are recounted under the new
    # values; the example's hypothesis runs may not draw this step.
    shop = Shop(np.random.default_rng(5))
    spec = parse_spec(SPEC_TEXT, "metrics.yml", shop.wh.table_columns())
    build_rollups(shop.wh, spec, today=shop.today)
    shop.move_customers(6)
    refresh = refresh_rollups(shop.wh, spec, shop.today)
    assert refresh.in_place, refresh.summary()
    fresh = shop.rebuilt(spec)
    assert_same_tables(rollup_tables(shop.wh), rollup_tables(fresh))
