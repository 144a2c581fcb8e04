"""The as-of day ("treat this day as today") and the bounds on what one query may cost.

A user who imports history that ended months ago must get the same answers as on the day the
data ended; and no request may ask for millions of periods or days the calendars cannot hold.
Expected numbers come from conftest.small_frames, computed by hand in pandas below.
"""

from __future__ import annotations

from datetime import date, datetime, timedelta

import pandas as pd
import pytest
from typer.testing import CliRunner

from app import build_cli
from metric_layer import bounds
from metric_layer.errors import QueryError
from metric_layer.query import MetricQuery
from metric_layer.service import MetricService
from settings import Settings
from tests.conftest import TZ

LATER = datetime(2026, 6, 30, 12)  # long after the small shop's data ends (2026-01-08)


def paid_per_day(orders: pd.DataFrame) -> pd.Series:
    """Paid orders per Shanghai-local day, by hand."""
    paid = orders[orders["status"] == "paid"]
    local = paid["ordered_at"].dt.tz_localize("UTC").dt.tz_convert(TZ).dt.date
    return local.value_counts()


@pytest.fixture
def later(small_warehouse, small_spec) -> MetricService:
    return MetricService(small_warehouse, small_spec, clock=lambda: LATER, use_rollups=False)


def test_as_of_replaces_the_clock_for_the_default_range_and_partial_flags(later, small_data):
    q = MetricQuery(("orders",), grain="day", as_of=date(2026, 1, 8))
    result = later.query(q)
    frame = result.frame
    # Default range: the 90 days before the as-of day, through the as-of day.
    assert frame["period"].iloc[0] == date(2026, 1, 8) - timedelta(days=90)
    assert frame["period"].iloc[-1] == date(2026, 1, 8)
    expected = paid_per_day(small_data.orders)
    for day, value in zip(frame["period"], frame["orders"], strict=True):
        assert value == expected.get(day, 0), day
    assert frame["is_partial"].tolist() == [False] * (len(frame) - 1) + [True]
    assert result.as_of == date(2026, 1, 8)
    assert result.notice is None


def test_service_as_of_setting_is_the_default_and_a_query_may_override_it(
    small_warehouse, small_spec
):
    svc = MetricService(
        small_warehouse, small_spec, clock=lambda: LATER, as_of=date(2026, 1, 5), use_rollups=False
    )
    assert svc.today() == date(2026, 1, 5)
    week = svc.query(MetricQuery(("orders",), grain="week", start=date(2026, 1, 5))).frame
    assert week["period"].tolist() == [date(2026, 1, 5)] and week["is_partial"].tolist() == [True]
    week_of_5th = dict(grain="week", start=date(2026, 1, 5), end=date(2026, 1, 11))
    later = MetricQuery(("orders",), as_of=date(2026, 1, 12), **week_of_5th)
    assert svc.query(later).frame["is_partial"].tolist() == [False]


def test_retention_cohorts_mature_as_of_the_day_not_the_clock(later, small_data):
    """c6's cohort day is 01-07: its D1 window closes with 01-08, so it counts only as of 01-09."""
    q = dict(grain="day", start=date(2026, 1, 7), end=date(2026, 1, 7))
    before = later.query(MetricQuery(("d1_retention",), as_of=date(2026, 1, 8), **q)).frame
    after = later.query(MetricQuery(("d1_retention",), as_of=date(2026, 1, 9), **q)).frame
    assert before["is_partial"].tolist() == [True]
    assert after["is_partial"].tolist() == [False]
    assert after["d1_retention"].tolist() == [1.0]  # s24 on 01-07, s26 on 01-08 (local)


def test_an_empty_range_says_where_the_data_is(later, small_data):
    result = later.query(MetricQuery(("orders",), grain="week"))  # 90 days before 2026-06-30
    local = small_data.orders["ordered_at"].dt.tz_localize("UTC").dt.tz_convert(TZ).dt.date
    span = f"data spans {local.min()}..{local.max()}"
    assert result.notice is not None and span in result.notice, result.notice
    assert "--as-of" in result.notice
    assert (result.frame["orders"] == 0).all()


def test_a_ratio_without_values_in_an_empty_range_gets_the_notice(later):
    result = later.query(MetricQuery(("aov",), grain="week"))  # 90 days before 2026-06-30
    assert result.frame["aov"].isna().all()  # no orders: no average, not 0
    assert result.notice is not None and "data spans" in result.notice, result.notice


def test_a_range_with_data_and_real_zeros_has_no_notice(later):
    q = MetricQuery(("orders",), grain="day", start=date(2025, 6, 1), end=date(2025, 6, 30))
    assert later.query(q).notice is None  # no orders in June 2025, but data spans it


def test_a_negative_value_after_the_data_ends_is_a_value_not_no_data(later, small_data):
    """Revenue growth the day after the last order day is -100 % (revenue 0 against the day
    before's): a value, so no notice says the range is empty, though no model has rows in it."""
    paid = small_data.orders[small_data.orders["status"] == "paid"]
    local = paid["ordered_at"].dt.tz_localize("UTC").dt.tz_convert(TZ).dt.date
    last = local.max()
    assert paid.loc[local == last, "amount"].sum() > 0
    after = last + timedelta(days=1)
    q = MetricQuery(("revenue_growth",), grain="day", start=after, end=after + timedelta(days=6))
    result = later.query(q)
    growth = dict(zip(result.frame["period"], result.frame["revenue_growth"], strict=True))
    assert growth[after] == -1.0
    assert result.notice is None


@pytest.mark.parametrize(
    ("start", "end", "grain", "compare", "message"),
    [
        (date(1, 1, 1), date(1, 1, 10), "day", "previous", "outside 1900-01-01..2999-12-31"),
        (date(2026, 1, 1), date(9999, 12, 31), "year", None, "outside 1900-01-01..2999-12-31"),
        (date(1900, 1, 1), date(2999, 12, 31), "day", None, "choose a coarser grain"),
        (date(1990, 1, 1), date(2026, 1, 1), "day", None, "at most 10,000 fit"),
    ],
)
def test_oversized_or_out_of_calendar_ranges_are_refused(
    later, start, end, grain, compare, message
):
    q = MetricQuery(("orders",), grain=grain, start=start, end=end, compare=compare)
    with pytest.raises(QueryError, match=message):
        later.query(q)


def test_a_century_of_years_is_fine(later):
    q = MetricQuery(("orders",), grain="year", start=date(1950, 1, 1), end=date(2049, 12, 31))
    assert len(later.query(q).frame) == 100


def test_answers_with_too_many_rows_are_refused(later, monkeypatch):
    monkeypatch.setattr(bounds, "MAX_ROWS", 10)
    monkeypatch.setattr("metric_layer.service.MAX_ROWS", 10)
    q = MetricQuery(("orders",), grain="day", start=date(2026, 1, 1), end=date(2026, 1, 8))
    assert len(later.query(q).frame) == 8
    q = MetricQuery(("orders",), grain="day", start=date(2025, 12, 1), end=date(2026, 1, 8))
    with pytest.raises(QueryError, match="more than 10 rows"):
        later.query(q)


@pytest.mark.parametrize(
    ("grain", "lo", "hi", "count"),
    [
        ("day", date(2026, 1, 1), date(2026, 2, 1), 31),
        ("week", date(2025, 12, 29), date(2026, 2, 2), 5),
        ("month", date(2026, 1, 1), date(2027, 1, 1), 12),
        ("quarter", date(2026, 1, 1), date(2026, 7, 1), 2),
        ("year", date(1900, 1, 1), date(3000, 1, 1), 1100),
    ],
)
def test_period_count_matches_listing(grain, lo, hi, count):
    assert bounds.period_count(lo, hi, grain) == count


def test_as_of_setting_is_checked():
    assert Settings.load({"NORTHSTAR_AS_OF": "2026-03-27"}).as_of_date() == date(2026, 3, 27)
    assert Settings.load({}).as_of_date() is None
    with pytest.raises(ValueError, match="must be a date like"):
        Settings.load({"NORTHSTAR_AS_OF": "last friday"}).as_of_date()
    with pytest.raises(ValueError, match="outside"):
        Settings.load({"NORTHSTAR_AS_OF": "0001-01-01"}).as_of_date()


def test_cli_as_of_and_clear_errors(tmp_path):
    from tests.unit.test_cli import env as make_env  # the CLI tests' published snapshot

    env = make_env.__wrapped__(tmp_path)
    runner = CliRunner()
    args = ["query", "orders", "--grain", "week", "--format", "csv", "--as-of", "2026-01-08"]
    result = runner.invoke(build_cli(), args, env=env)
    assert result.exit_code == 0, result.output
    lines = result.stdout.strip().splitlines()
    assert lines[-2:] == ["2025-12-29,2,False", "2026-01-05,1,True"]  # counts are integers

    args = ["query", "orders", "--grain", "day", "--from", "0001-01-01", "--to", "0001-01-10"]
    result = runner.invoke(build_cli(), [*args, "--compare", "previous"], env=env)
    assert result.exit_code == 2 and "outside 1900-01-01" in result.output
    assert ("Traceback" not in result.output and result.exception is None) or isinstance(
        result.exception, SystemExit
    )

    args = ["query", "orders", "--grain", "week", "--format", "csv", "--as-of", "2030-01-01"]
    result = runner.invoke(build_cli(), args, env=env)
    assert result.exit_code == 0
    assert "data spans 2026-01-02..2026-01-05" in result.output
