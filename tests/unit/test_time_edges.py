"""Calendar edge cases: partial periods, time-zone and year boundaries, week starts, empty ranges,
division by zero and comparisons. Expected numbers are typed in; the rows they come from are in
conftest.small_frames (periods are cut in Asia/Shanghai, UTC+8; the clock is 2026-01-08 12:00)."""

from __future__ import annotations

import math
from datetime import date, datetime

import numpy as np
import pytest

from metric_layer.query import DimensionFilter, MetricQuery
from metric_layer.service import MetricService

NAN = float("nan")
D = date


def run(svc: MetricService, metrics, grain: str, start: date, end: date, **kw):
    metrics = (metrics,) if isinstance(metrics, str) else tuple(metrics)
    return svc.query(MetricQuery(metrics, grain=grain, start=start, end=end, **kw)).frame


def col(frame, name: str) -> list:
    return frame[name].tolist()


def by_key(frame, dim: str, name: str) -> dict:
    return {
        (p, None if (v is None or v != v) else v): x
        for p, v, x in zip(frame["period"], frame[dim], frame[name], strict=True)
    }


# -- partial periods ---------------------------------------------------------------------------
@pytest.mark.parametrize(
    ("grain", "start", "periods", "partial"),
    [
        ("day", D(2026, 1, 6), [D(2026, 1, 6), D(2026, 1, 7), D(2026, 1, 8)], [False, False, True]),
        (
            "week",
            D(2025, 12, 22),
            [D(2025, 12, 22), D(2025, 12, 29), D(2026, 1, 5)],
            [False, False, True],
        ),
        (
            "month",
            D(2025, 11, 5),
            [D(2025, 11, 1), D(2025, 12, 1), D(2026, 1, 1)],
            [False, False, True],
        ),
        (
            "quarter",
            D(2025, 8, 1),
            [D(2025, 7, 1), D(2025, 10, 1), D(2026, 1, 1)],
            [False, False, True],
        ),
        ("year", D(2025, 6, 1), [D(2025, 1, 1), D(2026, 1, 1)], [False, True]),
    ],
)
def test_current_period_is_partial(small_service, grain, start, periods, partial):
    frame = run(small_service, "orders", grain, start, D(2026, 1, 8))
    assert col(frame, "period") == periods
    assert col(frame, "is_partial") == partial


def test_retention_partial_until_cohorts_mature(small_service):
    # d1: a week is complete once its last cohort day + 1 is before today (01-08)
    d1 = run(small_service, "d1_retention", "week", D(2025, 12, 15), D(2026, 1, 8))
    assert col(d1, "is_partial") == [False, False, False, True]
    # w1: last cohort day + 13 must be before today: only the week of 12-15 (12-21 + 13 = 01-03)
    w1 = run(small_service, "w1_retention", "week", D(2025, 12, 15), D(2026, 1, 8))
    assert col(w1, "is_partial") == [False, True, True, True]
    # day grain: cohort day 01-06 is mature (01-07 < 01-08), 01-07 is not
    days = run(small_service, "d1_retention", "day", D(2026, 1, 6), D(2026, 1, 7))
    assert col(days, "is_partial") == [False, True]
    # c5 (01-06) did not come back on 01-07; c6 (01-07) came back on 01-08 but is immature
    assert col(days, "d1_retention") == pytest.approx([0.0, NAN], nan_ok=True)


def test_partial_period_counts_today_so_far(small_service):
    # o16 is at 07:30 today (local); the clock is at 12:00
    frame = run(small_service, ["orders", "revenue"], "day", D(2026, 1, 8), D(2026, 1, 8))
    assert col(frame, "orders") == [1]
    assert col(frame, "revenue") == [25.0]
    assert col(frame, "is_partial") == [True]


def test_clock_in_another_zone_is_converted(small_warehouse, small_spec):
    # 2026-01-07 17:00 UTC is already 01-08 01:00 in Shanghai
    from zoneinfo import ZoneInfo

    now = datetime(2026, 1, 7, 17, 0, tzinfo=ZoneInfo("UTC"))
    svc = MetricService(small_warehouse, small_spec, clock=lambda: now, use_rollups=False)
    assert svc.today() == D(2026, 1, 8)


# -- time zones ----------------------------------------------------------------------------------
def test_utc_evening_is_next_local_day(small_service):
    # o11: 01-04 15:00 UTC = Sunday 23:00 local; o12: 01-04 17:00 UTC = Monday 01-05 01:00 local
    frame = run(small_service, ["orders", "revenue"], "day", D(2026, 1, 4), D(2026, 1, 5))
    assert col(frame, "orders") == [1, 1]
    assert col(frame, "revenue") == [60.0, 40.0]
    weeks = run(small_service, "revenue", "week", D(2026, 1, 4), D(2026, 1, 5))
    assert col(weeks, "period") == [D(2025, 12, 29), D(2026, 1, 5)]
    assert col(weeks, "revenue") == [515.0, 215.0]


def test_local_midnight_boundaries(small_service):
    # o04 15:59 UTC → 12-28 23:59 (Sun); o05 16:00 UTC → 12-29 00:00 (Mon)
    frame = run(small_service, "revenue", "day", D(2025, 12, 28), D(2025, 12, 29))
    assert col(frame, "revenue") == [120.0, 80.0]


def test_local_new_year_boundary(small_service):
    # o06 2025-12-31 15:59:59 UTC is still 2025 locally; o07 16:00 UTC is 2026-01-01 00:00
    frame = run(small_service, "revenue", "year", D(2025, 12, 31), D(2026, 1, 1))
    assert col(frame, "period") == [D(2025, 1, 1), D(2026, 1, 1)]
    assert col(frame, "revenue") == [60 + 460.0, 450.0]
    months = run(small_service, "revenue", "month", D(2025, 11, 1), D(2025, 11, 30))
    # o02 is 11-30 20:00 UTC = 12-01 04:00 local: November has nothing
    assert col(months, "revenue") == [0.0]


def test_timestamptz_sessions_use_local_days(small_service):
    # s13 (12-31 17:30 UTC) and s14 (12-31 16:00 UTC) are both on local 01-01
    frame = run(small_service, ["visitors", "dau"], "day", D(2025, 12, 31), D(2026, 1, 1))
    assert col(frame, "visitors") == [0, 2]
    assert col(frame, "dau") == [0, 2]


def test_event_at_utc_evening_is_monday(tiny_service):
    svc = tiny_service(orders=[("o1", "c0", "2026-01-04 17:00", 10.0, "paid", "ios")])
    frame = run(svc, "orders", "week", D(2025, 12, 29), D(2026, 1, 11))
    assert col(frame, "period") == [D(2025, 12, 29), D(2026, 1, 5)]
    assert col(frame, "orders") == [0, 1]


# -- ISO weeks across year ends --------------------------------------------------------------------
def test_iso_week_2020_53_is_one_week(tiny_service):
    orders = [
        ("o1", "c0", "2020-12-27 16:00", 1.0, "paid", "ios"),  # local Mon 2020-12-28 00:00
        ("o2", "c0", "2020-12-31 17:00", 2.0, "paid", "ios"),  # local 2021-01-01 01:00
        ("o3", "c0", "2021-01-03 15:30", 4.0, "paid", "ios"),  # local Sun 2021-01-03 23:30
        ("o4", "c0", "2021-01-03 16:30", 8.0, "paid", "ios"),  # local Mon 2021-01-04 00:30
    ]
    svc = tiny_service(orders=orders, now=datetime(2021, 3, 1, 12))
    frame = run(svc, ["orders", "revenue"], "week", D(2021, 1, 1), D(2021, 1, 4))
    assert col(frame, "period") == [D(2020, 12, 28), D(2021, 1, 4)]
    assert col(frame, "orders") == [3, 1]
    assert col(frame, "revenue") == [7.0, 8.0]
    assert col(frame, "is_partial") == [False, False]
    years = run(svc, "revenue", "year", D(2020, 12, 28), D(2021, 1, 3))
    assert col(years, "revenue") == [1.0, 14.0]


def test_week_across_2025_2026(small_service):
    frame = run(small_service, ["orders", "revenue"], "week", D(2026, 1, 1), D(2026, 1, 1))
    assert col(frame, "period") == [D(2025, 12, 29)]
    assert col(frame, "orders") == [6]
    assert col(frame, "revenue") == [515.0]


def test_range_widens_to_whole_periods(small_service):
    mf = small_service.query(
        MetricQuery(("revenue",), grain="month", start=D(2025, 12, 17), end=D(2026, 1, 2))
    )
    assert (mf.start, mf.end) == (D(2025, 12, 1), D(2026, 2, 1))
    # o02 (12-01 local) and o03 (12-14) are before the asked start but in the widened month
    assert col(mf.frame, "revenue") == [460.0, 450.0]


# -- week_start: sunday ------------------------------------------------------------------------------
@pytest.fixture
def sunday_service(small_warehouse, sunday_spec) -> MetricService:
    return MetricService(
        small_warehouse, sunday_spec, clock=lambda: datetime(2026, 1, 8, 12), use_rollups=False
    )


def test_sunday_weeks(sunday_service):
    frame = run(
        sunday_service, ["orders", "revenue", "wau"], "week", D(2025, 12, 17), D(2026, 1, 10)
    )
    assert col(frame, "period") == [
        D(2025, 12, 14),
        D(2025, 12, 21),
        D(2025, 12, 28),
        D(2026, 1, 4),
    ]
    # 12-14 (Sun): o03; 12-28..01-03: o04 o05 o06 o07 o09 o10; 01-04..: o11 o12 o14 o16
    assert col(frame, "orders") == [1, 0, 6, 4]
    assert col(frame, "revenue") == [50.0, 0.0, 575.0, 275.0]
    # 7 days ending Sat 12-20: c8 c9; 12-27: c9; 01-03: c1 c2 c8 c3 c9 c4 c7; today: 7
    assert col(frame, "wau") == [2, 1, 7, 7]
    assert col(frame, "is_partial") == [False, False, False, True]


def test_sunday_week_compare_and_derived(sunday_service):
    frame = run(
        sunday_service, ["revenue", "revenue_growth"], "week", D(2025, 12, 21), D(2026, 1, 3)
    )
    assert col(frame, "revenue") == [0.0, 575.0]
    assert col(frame, "revenue_growth") == pytest.approx([-1.0, NAN], nan_ok=True)


def test_sunday_week_start_of_a_sunday_is_itself(sunday_service):
    frame = run(sunday_service, "orders", "week", D(2026, 1, 4), D(2026, 1, 4))
    assert col(frame, "period") == [D(2026, 1, 4)]


# -- empty ranges ------------------------------------------------------------------------------------
ZERO = ["orders", "revenue", "buyers", "visitors"]
EMPTY = [
    "avg_amount",
    "max_amount",
    "min_amount",
    "aov",
    "ios_share",
    "conversion",
    "revenue_growth",
    "revenue_yoy",
    "revenue_per_buyer",
    "stickiness",
    "d1_retention",
    "w1_retention",
]


def test_range_without_data_gives_zeros_and_no_values(small_service):
    frame = run(
        small_service, [*ZERO, *EMPTY, "dau", "wau", "mau"], "week", D(2023, 3, 1), D(2023, 3, 31)
    )
    assert len(frame) == 5  # weeks of 02-27 .. 03-27
    for name in ZERO:
        assert col(frame, name) == [0.0] * 5, name
    for name in EMPTY:
        assert frame[name].isna().all(), name
    for name in ("dau", "wau", "mau"):  # nobody was active: 0 active users, a real number
        assert col(frame, name) == [0.0] * 5, name
    assert not frame["is_partial"].any()


def test_range_without_data_with_breakdown_is_empty(small_service):
    frame = run(
        small_service, "revenue", "week", D(2023, 3, 1), D(2023, 3, 31), dimensions=("channel",)
    )
    assert frame.empty
    assert {"period", "channel", "revenue", "is_partial"} <= set(frame.columns)


def test_future_range(small_service):
    frame = run(
        small_service, ["orders", "wau", "d1_retention"], "month", D(2026, 3, 1), D(2026, 4, 30)
    )
    assert col(frame, "orders") == [0.0, 0.0]
    assert frame["wau"].isna().all()  # no day of it has happened
    assert frame["d1_retention"].isna().all()
    assert col(frame, "is_partial") == [True, True]


def test_filter_matching_nothing(small_service):
    frame = run(
        small_service,
        ["orders", "aov"],
        "week",
        D(2025, 12, 29),
        D(2026, 1, 4),
        filters=(DimensionFilter("platform", "=", ("windows-phone",)),),
    )
    assert col(frame, "orders") == [0.0]
    assert frame["aov"].isna().all()


def test_end_before_start_is_refused(small_service):
    from metric_layer.errors import QueryError

    with pytest.raises(QueryError):
        run(small_service, "orders", "week", D(2026, 1, 8), D(2026, 1, 1))


# -- division by zero ------------------------------------------------------------------------------
def test_division_by_zero_is_nan_not_inf(tiny_service):
    svc = tiny_service(
        orders=[
            ("o1", "c1", "2026-01-05 02:00", 0.0, "paid", "ios"),  # revenue 0 on 01-05
            ("o2", "c1", "2026-01-06 02:00", 30.0, "paid", "ios"),
        ],
        sessions=[
            ("s1", None, "2026-01-06 03:00", "ios"),  # only anonymous visits on 01-06
        ],
        customers=[("c1", "ads", "north", "2026-01-01 00:00")],
    )
    frame = run(
        svc,
        ["revenue", "visitors", "conversion", "revenue_growth", "aov", "stickiness"],
        "day",
        D(2026, 1, 5),
        D(2026, 1, 6),
    )
    assert col(frame, "revenue") == [0.0, 30.0]
    assert col(frame, "visitors") == [0, 0]
    assert frame["conversion"].isna().all()  # 1 buyer / 0 visitors
    # 01-05: (0 - 0) / 0 (nothing on 01-04); 01-06: (30 - 0) / 0
    assert frame["revenue_growth"].isna().all()
    assert col(frame, "aov") == [0.0, 30.0]
    assert frame["stickiness"].isna().all()  # 0 / 0 active users
    numbers = frame.select_dtypes("number").to_numpy(dtype="float64")
    assert not np.isinf(numbers).any()


def test_stickiness_with_no_monthly_users_is_nan(small_service):
    # 30 days ending 2025-11-15: nobody (c7 was active on 2025-01-02 and 2025-12-10)
    frame = run(
        small_service, ["dau", "mau", "stickiness"], "day", D(2025, 11, 15), D(2025, 11, 15)
    )
    assert col(frame, "dau") == [0.0]
    assert col(frame, "mau") == [0.0]
    assert math.isnan(frame["stickiness"][0])


# -- comparisons -------------------------------------------------------------------------------------
WEEKS = [D(2025, 12, 15), D(2025, 12, 22), D(2025, 12, 29), D(2026, 1, 5)]


def test_compare_previous_week(small_service):
    frame = run(
        small_service, "revenue", "week", D(2025, 12, 15), D(2026, 1, 8), compare="previous"
    )
    assert col(frame, "period") == WEEKS
    assert col(frame, "revenue") == [0.0, 120.0, 515.0, 215.0]
    # the week before 12-15 had o03 (50): the comparison reaches before the range
    assert col(frame, "revenue__compare") == [50.0, 0.0, 120.0, 515.0]
    assert col(frame, "is_partial") == [False, False, False, True]


def test_compare_last_year_is_52_weeks_back(small_service):
    frame = run(
        small_service, "revenue", "week", D(2025, 12, 29), D(2026, 1, 4), compare="last_year"
    )
    # 52 weeks before Mon 2025-12-29 is Mon 2024-12-30; o01 (2025-01-02) is in that week
    assert col(frame, "revenue__compare") == [60.0]
    yoy = run(small_service, "revenue_yoy", "week", D(2025, 12, 29), D(2026, 1, 4))
    assert col(yoy, "revenue_yoy") == pytest.approx([515 / 60 - 1])


@pytest.mark.parametrize(
    ("grain", "start", "end", "values", "compare"),
    [
        ("day", D(2026, 1, 2), D(2026, 1, 2), [100.0], [60.0]),  # o01 on 2025-01-02
        ("month", D(2025, 12, 1), D(2026, 1, 31), [460.0, 450.0], [0.0, 60.0]),
        ("quarter", D(2026, 1, 1), D(2026, 1, 1), [450.0], [60.0]),
        ("year", D(2026, 1, 1), D(2026, 1, 1), [450.0], [520.0]),
    ],
)
def test_compare_last_year(small_service, grain, start, end, values, compare):
    frame = run(small_service, "revenue", grain, start, end, compare="last_year")
    assert col(frame, "revenue") == values
    assert col(frame, "revenue__compare") == compare


@pytest.mark.parametrize(
    ("name", "values", "compare"),
    [
        ("orders", [0, 1, 6, 3], [1, 0, 1, 6]),
        ("aov", [NAN, 120.0, 515 / 6, 215 / 3], [50.0, NAN, 120.0, 515 / 6]),
        ("wau", [2, 2, 7, 7], [1, 2, 2, 7]),  # 7 days ending 12-14: c7 (12-10)
        ("d1_retention", [0.5, 1.0, 2 / 3, 0.0], [NAN, 0.5, 1.0, 2 / 3]),
        # growth of the week of 12-08: (50 - 10) / 10, o02 being in the week of 12-01
        ("revenue_growth", [-1.0, NAN, 395 / 120, -300 / 515], [4.0, -1.0, NAN, 395 / 120]),
    ],
)
def test_compare_previous_by_metric_type(small_service, name, values, compare):
    frame = run(small_service, name, "week", D(2025, 12, 15), D(2026, 1, 8), compare="previous")
    assert col(frame, name) == pytest.approx(values, nan_ok=True)
    assert col(frame, f"{name}__compare") == pytest.approx(compare, nan_ok=True)


def test_compare_with_breakdown(small_service):
    frame = run(
        small_service,
        "revenue",
        "week",
        D(2025, 12, 29),
        D(2026, 1, 8),
        dimensions=("channel",),
        compare="previous",
    )
    got = by_key(frame, "channel", "revenue__compare")
    cur = by_key(frame, "channel", "revenue")
    w1, w2 = D(2025, 12, 29), D(2026, 1, 5)
    assert cur[(w1, "ads")] == 30.0 and got[(w1, "ads")] == 120.0  # o07 vs o04
    # a known segment without orders in a period had revenue 0 there (as without a breakdown)
    assert cur[(w1, "organic")] == 280.0 and got[(w1, "organic")] == 0.0
    assert cur[(w2, "organic")] == 25.0 and got[(w2, "organic")] == 280.0
    assert cur[(w2, "email")] == 150.0 and got[(w2, "email")] == 0.0
    assert cur[(w1, "email")] == 0.0  # email's first order is in w2; it is known in the range
    # NULL channel (c4 and the unknown c99) compares with NULL channel
    assert cur[(w1, None)] == 205.0
    assert cur[(w2, None)] == 0.0 and got[(w2, None)] == 205.0  # nothing this week, 205 before
    assert (
        len(frame) == 2 * 4
    )  # every week × every channel seen in the range (ads email organic NULL)
