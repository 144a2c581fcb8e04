"""Shared fixtures: small hand-checkable and medium random warehouses for the metric layer.

Timestamps of raw.customers and raw.orders are naive UTC (TIMESTAMP); raw.sessions.started_at is
tz-aware (TIMESTAMPTZ), so both time paths of the compiler are exercised. The spec cuts periods in
Asia/Shanghai (UTC+8, no DST): 16:00 UTC is local midnight of the next day.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from datetime import date, datetime
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from hypothesis import HealthCheck, settings

from metric_layer.loader import load_spec, parse_spec
from metric_layer.service import MetricService
from metric_layer.spec import Spec
from warehouse import Warehouse

SPEC_PATH = Path(__file__).parent / "fixtures" / "small_spec.yml"
TZ = "Asia/Shanghai"
# The clock of every service in these tests: Thursday 2026-01-08 noon in Shanghai (naive = local).
NOW = datetime(2026, 1, 8, 12)
TODAY = date(2026, 1, 8)


def property_settings(examples: int) -> settings:
    """Hypothesis settings for the property tests: `examples` fixed cases in CI, the same on
    every machine; NORTHSTAR_PROPERTY_EXAMPLES=N searches N fresh random ones (add --timeout 0)."""
    wanted = os.environ.get("NORTHSTAR_PROPERTY_EXAMPLES")
    return settings(
        max_examples=int(wanted or examples),
        deadline=None,
        derandomize=not wanted,
        database=None,
        suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
    )


@dataclass(frozen=True)
class Dataset:
    name: str
    customers: pd.DataFrame
    orders: pd.DataFrame
    sessions: pd.DataFrame
    today: date
    start: date  # a default query range for tests
    end: date


CUSTOMER_COLUMNS = ["customer_id", "channel", "region", "signed_up_at"]
ORDER_COLUMNS = ["order_id", "customer_id", "ordered_at", "amount", "status", "platform"]
SESSION_COLUMNS = ["session_id", "customer_id", "started_at", "platform"]


def customers_frame(rows) -> pd.DataFrame:
    """Rows (id, channel, region, signed_up_at as UTC text) → naive-UTC TIMESTAMP column."""
    frame = pd.DataFrame(list(rows), columns=CUSTOMER_COLUMNS)
    frame["signed_up_at"] = pd.to_datetime(frame["signed_up_at"], format="ISO8601")
    frame["signed_up_at"] = frame["signed_up_at"].astype("datetime64[us]")
    return frame


def orders_frame(rows) -> pd.DataFrame:
    """Rows (id, customer, ordered_at as UTC text, amount, status, platform)."""
    frame = pd.DataFrame(list(rows), columns=ORDER_COLUMNS)
    frame["ordered_at"] = pd.to_datetime(frame["ordered_at"], format="ISO8601")
    frame["ordered_at"] = frame["ordered_at"].astype("datetime64[us]")
    frame["amount"] = frame["amount"].astype("float64")
    return frame


def sessions_frame(rows) -> pd.DataFrame:
    """Rows (id, customer, started_at as UTC text, platform) → TIMESTAMPTZ column."""
    frame = pd.DataFrame(list(rows), columns=SESSION_COLUMNS)
    frame["customer_id"] = frame["customer_id"].astype(object)
    started = pd.to_datetime(frame["started_at"], format="ISO8601").astype("datetime64[us]")
    frame["started_at"] = started.dt.tz_localize("UTC")
    return frame


def small_frames() -> tuple[pd.DataFrame, pd.DataFrame, pd.DataFrame]:
    """Hand-made rows; comments give each timestamp's Shanghai-local day and why it is there."""
    customers = customers_frame(
        [
            # id, channel, region, signed_up_at (UTC, naive)
            ("c1", "ads", "north", "2025-12-28 15:30"),  # local 12-28 23:30 (Sun)
            ("c2", "organic", "south", "2025-12-28 16:30"),  # local 12-29 00:30 (Mon, next week)
            ("c3", "ads", "south", "2025-12-31 17:00"),  # local 2026-01-01 01:00 (new year)
            ("c4", None, "north", "2026-01-02 03:00"),  # NULL channel
            ("c5", "email", None, "2026-01-06 10:00"),  # NULL region; local 01-06
            ("c6", "organic", "north", "2026-01-07 02:00"),  # no orders; cohort 01-07 immature
            ("c7", "ads", "south", "2024-12-20 02:00"),  # old customer (last-year data)
            ("c8", "email", "north", "2025-12-16 07:00"),  # local 12-16 15:00
            ("c9", "ads", None, "2025-12-18 09:00"),  # local 12-18 17:00
        ]
    )
    orders = orders_frame(
        [
            # id, customer, ordered_at (UTC, naive), amount, status, platform
            ("o01", "c7", "2025-01-02 10:00", 60.0, "paid", "ios"),  # local 2025-01-02 (last year)
            ("o02", "c7", "2025-11-30 20:00", 10.0, "paid", "web"),  # local 12-01 04:00: December
            (
                "o03",
                "c8",
                "2025-12-14 10:00",
                50.0,
                "paid",
                "ios",
            ),  # local 12-14 (Sun), before range
            ("o04", "c1", "2025-12-28 15:59", 120.0, "paid", "ios"),  # local 12-28 23:59 (Sun)
            ("o05", "c2", "2025-12-28 16:00", 80.0, "paid", "android"),  # local 12-29 00:00 (Mon)
            ("o06", "c2", "2025-12-31 15:59:59", 200.0, "paid", "web"),  # local 12-31 23:59:59
            ("o07", "c3", "2025-12-31 16:00", 30.0, "paid", "ios"),  # local 2026-01-01 00:00
            ("o08", "c3", "2026-01-01 02:00", 70.0, "cancelled", "ios"),  # not paid
            ("o09", "c4", "2026-01-02 05:00", 100.0, "paid", None),  # NULL platform, amount 100
            ("o10", "c99", "2026-01-03 06:00", 45.0, "paid", "android"),  # customer unknown
            ("o11", "c4", "2026-01-04 15:00", 60.0, "paid", "ios"),  # local 01-04 23:00 (Sun)
            ("o12", "c1", "2026-01-04 17:00", 40.0, "paid", "android"),  # local Mon 01-05 01:00
            ("o13", "c3", "2026-01-05 01:00", 35.0, "refunded", "web"),  # not paid
            ("o14", "c5", "2026-01-06 11:00", 150.0, "paid", "web"),
            ("o15", "c5", "2026-01-06 12:00", 99.5, "cancelled", "web"),
            ("o16", "c2", "2026-01-07 23:30", 25.0, "paid", "ios"),  # local 01-08 07:30 (today)
        ]
    )
    sessions = sessions_frame(
        [
            # id, customer, started_at (UTC, stored tz-aware), platform
            ("s01", "c7", "2024-12-20 05:00", "web"),  # c7's first activity
            ("s02", "c7", "2025-01-02 09:00", "ios"),  # local 2025-01-02
            ("s03", "c7", "2025-12-10 03:00", "web"),
            ("s04", "c8", "2025-12-16 08:00", "ios"),  # c8 cohort day 12-16 (first activity)
            ("s05", "c9", "2025-12-18 10:00", "android"),  # c9 cohort day 12-18
            ("s06", "c9", "2025-12-18 16:30", "android"),  # local 12-19 00:30: c9 day-1 hit
            ("s07", "c9", "2025-12-24 15:00", "android"),  # local 12-24 23:00: day 6, not week 1
            ("s08", "c1", "2025-12-28 15:40", "ios"),  # local 12-28 23:40: c1 first activity
            ("s09", "c1", "2025-12-28 16:10", "ios"),  # local 12-29 00:10: c1 day-1 hit
            ("s10", "c2", "2025-12-28 16:40", "android"),  # local 12-29 00:40: c2 first activity
            ("s11", "c2", "2025-12-29 15:00", "android"),  # local 12-29 23:00: same day again
            ("s12", "c8", "2025-12-29 15:30", "web"),  # local 12-29 23:30: c8 week-1 last day hit
            ("s13", "c3", "2025-12-31 17:30", "ios"),  # local 01-01 01:30: c3 cohort day
            ("s14", "c9", "2025-12-31 16:00", "android"),  # local 01-01 00:00: just after c9 week 1
            ("s15", "c3", "2026-01-01 16:30", "web"),  # local 01-02 00:30: c3 day-1 hit
            ("s16", "c4", "2026-01-02 04:00", "ios"),  # local 01-02 12:00: c4 cohort day
            ("s17", "c7", "2026-01-02 09:00", "web"),  # local 01-02 17:00
            ("s18", "c4", "2026-01-03 15:59", "ios"),  # local 01-03 23:59: c4 day-1 hit
            ("s19", "c2", "2026-01-04 17:00", "android"),  # local Mon 01-05 01:00
            ("s20", "c1", "2026-01-05 00:00", "ios"),  # local 01-05 08:00
            ("s21", None, "2026-01-05 10:00", "web"),  # anonymous visitor
            ("s22", "c5", "2026-01-06 10:30", "web"),  # local 01-06 18:30: c5 cohort day
            ("s23", "c4", "2026-01-06 02:00", None),  # NULL platform
            ("s24", "c6", "2026-01-07 03:00", "ios"),  # local 01-07 11:00: c6 cohort day
            ("s25", "c5", "2026-01-07 16:00", "web"),  # local 01-08 00:00 (today): c5 day 2
            ("s26", "c6", "2026-01-08 01:00", "ios"),  # local 01-08 09:00: c6 day 1, immature
        ]
    )
    return customers, orders, sessions


def medium_frames(seed: int = 20260108) -> tuple[pd.DataFrame, pd.DataFrame, pd.DataFrame]:
    """~150 customers, ~2k orders, ~5k sessions over ~400 days up to today, seeded."""
    rng = np.random.default_rng(seed)
    first = pd.Timestamp("2024-12-01")
    last = pd.Timestamp("2026-01-08 04:00")  # = 12:00 in Shanghai: nothing after the clock
    span = (last - first).total_seconds()
    n_cust = 150
    channels = np.array(["ads", "organic", "email", None], dtype=object)
    regions = np.array(["north", "south", None], dtype=object)
    signup_s = np.sort(rng.uniform(0, span * 0.9, n_cust))
    customers = pd.DataFrame(
        {
            "customer_id": [f"m{i:03d}" for i in range(n_cust)],
            "channel": channels[rng.choice(4, n_cust, p=[0.4, 0.3, 0.2, 0.1])],
            "region": regions[rng.choice(3, n_cust, p=[0.45, 0.45, 0.1])],
            "signed_up_at": (first + pd.to_timedelta(signup_s.round(), unit="s")).astype(
                "datetime64[us]"
            ),
        }
    )

    def events(n: int) -> tuple[np.ndarray, pd.Series]:
        who = rng.integers(0, n_cust, n)
        # after the customer's signup, up to `last`
        offset = rng.uniform(0, 1, n) * (span - signup_s[who])
        when = first + pd.to_timedelta((signup_s[who] + offset).round(), unit="s")
        return who, pd.Series(when)

    who, when = events(2000)
    platforms = np.array(["ios", "android", "web", None], dtype=object)
    amounts = rng.gamma(2.0, 45.0, len(who)).round(2)
    amounts[rng.random(len(who)) < 0.05] = 100.0  # the `size` boundary
    orders = pd.DataFrame(
        {
            "order_id": [f"mo{i:05d}" for i in range(len(who))],
            "customer_id": [f"m{i:03d}" for i in who],
            "ordered_at": when.astype("datetime64[us]").to_numpy(),
            "amount": amounts,
            "status": np.array(["paid", "cancelled", "refunded"])[
                rng.choice(3, len(who), p=[0.85, 0.1, 0.05])
            ],
            "platform": platforms[rng.choice(4, len(who), p=[0.45, 0.3, 0.2, 0.05])],
        }
    )
    who, when = events(5000)
    sessions = pd.DataFrame(
        {
            "session_id": [f"ms{i:05d}" for i in range(len(who))],
            "customer_id": pd.Series([f"m{i:03d}" for i in who], dtype=object),
            "started_at": when.dt.tz_localize("UTC").to_numpy(),
            "platform": platforms[rng.choice(4, len(who), p=[0.45, 0.3, 0.2, 0.05])],
        }
    )
    sessions["started_at"] = pd.to_datetime(sessions["started_at"], utc=True)
    sessions.loc[rng.random(len(sessions)) < 0.02, "customer_id"] = None  # anonymous
    return customers, orders, sessions


def _dataset(name: str) -> Dataset:
    if name == "small":
        c, o, s = small_frames()
        return Dataset(name, c, o, s, TODAY, date(2025, 12, 17), date(2026, 1, 10))
    c, o, s = medium_frames()
    return Dataset(name, c, o, s, TODAY, date(2025, 2, 12), date(2026, 1, 8))


def build_warehouse(data: Dataset) -> Warehouse:
    wh = Warehouse()
    wh.replace_table("raw.customers", data.customers)
    wh.replace_table("raw.orders", data.orders)
    wh.replace_table("raw.sessions", data.sessions)
    return wh


@pytest.fixture(scope="session")
def small_data() -> Dataset:
    return _dataset("small")


@pytest.fixture(scope="session")
def medium_data() -> Dataset:
    return _dataset("medium")


@pytest.fixture(scope="session")
def small_warehouse(small_data: Dataset) -> Warehouse:
    return build_warehouse(small_data)


@pytest.fixture(scope="session")
def medium_warehouse(medium_data: Dataset) -> Warehouse:
    return build_warehouse(medium_data)


@pytest.fixture(scope="session")
def small_spec(small_warehouse: Warehouse) -> Spec:
    return load_spec(SPEC_PATH, small_warehouse.table_columns())


@pytest.fixture(scope="session")
def sunday_spec(small_warehouse: Warehouse) -> Spec:
    """The small spec with `week_start: sunday`."""
    text = SPEC_PATH.read_text(encoding="utf-8")
    assert "week_start: monday" in text
    text = text.replace("week_start: monday", "week_start: sunday")
    return parse_spec(text, "sunday_spec.yml", small_warehouse.table_columns())


def build_rollup_warehouse(data: Dataset, spec: Spec) -> Warehouse:
    """A second warehouse with the same rows plus the rollup tables built as of TODAY."""
    from metric_layer.rollup_build import build_rollups

    wh = build_warehouse(data)
    build_rollups(wh, spec, today=data.today)
    return wh


@pytest.fixture(scope="session")
def small_rollup_warehouse(small_data: Dataset, small_spec: Spec) -> Warehouse:
    return build_rollup_warehouse(small_data, small_spec)


@pytest.fixture(scope="session")
def medium_rollup_warehouse(medium_data: Dataset, small_spec: Spec) -> Warehouse:
    return build_rollup_warehouse(medium_data, small_spec)


@pytest.fixture(params=[False, True], ids=["raw", "rollups"])
def use_rollups(request: pytest.FixtureRequest) -> bool:
    """Both query paths; the rollup path must give the same numbers as the raw one."""
    return request.param


def make_service(
    wh: Warehouse, spec: Spec, *, use_rollups: bool = False, now: datetime = NOW
) -> MetricService:
    return MetricService(wh, spec, clock=lambda: now, use_rollups=use_rollups)


@pytest.fixture(scope="session")
def _service_cache() -> dict[tuple[str, bool], MetricService]:
    return {}


def _cached_service(request, cache, dataset: str, spec: Spec, use_rollups: bool) -> MetricService:
    """Services are stateless (fixed clock): one per dataset and path for the whole session."""
    key = (dataset, use_rollups)
    if key not in cache:
        name = f"{dataset}_rollup_warehouse" if use_rollups else f"{dataset}_warehouse"
        cache[key] = make_service(request.getfixturevalue(name), spec, use_rollups=use_rollups)
    return cache[key]


@pytest.fixture
def small_service(request, _service_cache, small_spec: Spec, use_rollups: bool) -> MetricService:
    """The small shop's service, on the raw tables or (use_rollups) on built rollups."""
    return _cached_service(request, _service_cache, "small", small_spec, use_rollups)


@pytest.fixture
def medium_service(request, _service_cache, small_spec: Spec, use_rollups: bool) -> MetricService:
    return _cached_service(request, _service_cache, "medium", small_spec, use_rollups)


# A row far in the past keeps every table non-empty and typed; it never reaches a tested range.
_SENTINEL_CUSTOMER = ("c0", "ads", "north", "2000-01-01 00:00")
_SENTINEL_ORDER = ("o0", "c0", "2000-01-01 00:00", 1.0, "paid", "web")
_SENTINEL_SESSION = ("s0", "c0", "2000-01-01 00:00", "web")


@pytest.fixture
def tiny_service():
    """Factory: a raw-path service over a few rows (tuples as in conftest.small_frames)."""
    made: list[Warehouse] = []

    def build(
        orders=(), sessions=(), customers=(), *, week_start: str = "monday", now: datetime = NOW
    ) -> MetricService:
        data = Dataset(
            "tiny",
            customers_frame([_SENTINEL_CUSTOMER, *customers]),
            orders_frame([_SENTINEL_ORDER, *orders]),
            sessions_frame([_SENTINEL_SESSION, *sessions]),
            now.date(),
            now.date(),
            now.date(),
        )
        wh = build_warehouse(data)
        made.append(wh)
        text = SPEC_PATH.read_text(encoding="utf-8")
        text = text.replace("week_start: monday", f"week_start: {week_start}")
        spec = parse_spec(text, "tiny_spec.yml", wh.table_columns())
        return make_service(wh, spec, now=now)

    yield build
    for wh in made:
        wh.close()


@pytest.fixture(params=["sqlite", pytest.param("postgres", marks=pytest.mark.db)])
def app_db_url(request: pytest.FixtureRequest, tmp_path: Path):  # type: ignore[no-untyped-def]
    """An empty app database on each engine the app supports (tests/app_db_support.py)."""
    from app_db_support import postgres_app_db, sqlite_app_db

    if request.param == "sqlite":
        yield sqlite_app_db(tmp_path)
    else:
        with postgres_app_db() as url:
            yield url
