"""Key-result values read from the metric layer on the fixture shop, against pandas written by
hand here: the latest complete week, quarter to date (a sum, a ratio, a distinct count), the
average of complete weeks with a filter, their courses through the quarter, a quarter that has
not started or has ended, and a user's scope."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import date, timedelta
from pathlib import Path

import pandas as pd
import pytest

from metric_layer.loader import load_spec
from metric_layer.scope import Scope
from metric_layer.service import MetricService
from okrs.board import build_board
from okrs.quarters import Quarter
from okrs.read import read_key_result
from okrs.spec import load_okrs
from tests.browser.fixture_shop import AS_OF, SPEC, build_shop, shop_tables
from warehouse import SnapshotStore

Q1 = Quarter(2026, 1)
LAST = AS_OF - timedelta(days=1)  # 17 Mar 2026: the last complete day


@pytest.fixture(scope="module")
def service(tmp_path_factory: pytest.TempPathFactory) -> Iterator[MetricService]:
    serving = build_shop(tmp_path_factory.mktemp("shop"))
    store = SnapshotStore(serving)
    version = store.current()[0]  # type: ignore[index]
    warehouse = store.open_snapshot(version)
    spec = load_spec(SPEC, warehouse.table_columns())
    yield MetricService(warehouse, spec, snapshot=version, as_of=AS_OF)
    warehouse.close()


@pytest.fixture(scope="module")
def paid() -> pd.DataFrame:
    """Paid orders with their local (Asia/Shanghai, UTC+8) day and the customer's region."""
    tables = shop_tables()
    orders = tables["raw.orders"]
    orders = orders[orders["status"] == "paid"].copy()
    orders["day"] = (orders["ordered_at"] + pd.Timedelta(hours=8)).dt.date
    customers = tables["raw.customers"][["customer_id", "region"]]
    return orders.merge(customers, on="customer_id", how="left")


def between(frame: pd.DataFrame, first: date, last: date) -> pd.DataFrame:
    return frame[(frame["day"] >= first) & (frame["day"] <= last)]


def weeks_of_quarter(quarter: Quarter, today: date) -> list[tuple[date, date]]:
    """Complete Monday–Sunday weeks ending in the quarter before `today`, by hand."""
    monday = quarter.start - timedelta(days=quarter.start.weekday())
    out = []
    while monday + timedelta(days=6) < min(today, quarter.end):
        out.append((monday, monday + timedelta(days=6)))
        monday += timedelta(days=7)
    return out


def key_result(objective: str, kr: str, service: MetricService):  # type: ignore[no-untyped-def]
    return load_okrs(SPEC, service.spec).key_result(f"{objective}.{kr}")[1]


def test_latest_complete_week(service: MetricService, paid: pd.DataFrame) -> None:
    kr = key_result("grow_orders", "weekly_orders", service)
    reading = read_key_result(kr, Q1, AS_OF, service.query)
    weeks = weeks_of_quarter(Q1, AS_OF)
    assert weeks[0] == (date(2025, 12, 29), date(2026, 1, 4))  # starts in Q4, counted whole
    assert weeks[-1] == (date(2026, 3, 9), date(2026, 3, 15))  # 16-22 Mar is not over
    counts = [len(between(paid, a, b)) for a, b in weeks]
    assert [v for _, v in reading.series] == counts
    assert [d for d, _ in reading.series] == [b for _, b in weeks]
    assert (reading.value, reading.value_day) == (counts[-1], date(2026, 3, 15))


def test_quarter_to_date_sum_ratio_and_distinct_count(
    service: MetricService, paid: pd.DataFrame
) -> None:
    quarter = between(paid, Q1.start, LAST)
    checkpoints = [Q1.start + timedelta(days=6 + 7 * i) for i in range(10)] + [LAST]
    assert checkpoints[-2] == date(2026, 3, 11)

    revenue = read_key_result(
        key_result("grow_orders", "quarter_revenue", service), Q1, AS_OF, service.query
    )
    assert revenue.value == pytest.approx(quarter["amount"].sum())
    assert revenue.value_day == LAST
    assert [d for d, _ in revenue.series] == checkpoints
    expected = [between(paid, Q1.start, d)["amount"].sum() for d in checkpoints]
    assert [v for _, v in revenue.series] == pytest.approx(expected)

    aov = read_key_result(
        key_result("basket_size", "aov_to_date", service), Q1, AS_OF, service.query
    )
    assert aov.value == pytest.approx(quarter["amount"].sum() / len(quarter))  # ratio of sums
    assert aov.value != pytest.approx(quarter.groupby("day")["amount"].mean().mean())

    buyers = read_key_result(
        key_result("basket_size", "buyers_to_date", service), Q1, AS_OF, service.query
    )
    assert buyers.value == quarter["customer_id"].nunique()
    expected = [between(paid, Q1.start, d)["customer_id"].nunique() for d in checkpoints]
    assert [v for _, v in buyers.series] == expected  # distinct over the days so far, not summed


def test_average_of_complete_weeks_with_a_filter(
    service: MetricService, paid: pd.DataFrame
) -> None:
    kr = key_result("win_ios", "ios_orders", service)
    reading = read_key_result(kr, Q1, AS_OF, service.query)
    ios = paid[paid["platform"] == "ios"]
    counts = [len(between(ios, a, b)) for a, b in weeks_of_quarter(Q1, AS_OF)]
    running = [sum(counts[: i + 1]) / (i + 1) for i in range(len(counts))]
    assert [v for _, v in reading.series] == pytest.approx(running)
    assert reading.value == pytest.approx(sum(counts) / len(counts))


def test_board_scores_from_the_hand_counted_values(
    service: MetricService, paid: pd.DataFrame
) -> None:
    config = load_okrs(SPEC, service.spec)
    board = build_board(
        config,
        Q1,
        AS_OF,
        lambda kr: read_key_result(kr, Q1, AS_OF, service.query),
        (),
        "Asia/Shanghai",
    )
    [root] = board.roots
    week = len(between(paid, date(2026, 3, 9), date(2026, 3, 15)))
    revenue = between(paid, Q1.start, LAST)["amount"].sum()
    weekly = min(max((week - 8) / (14 - 8), 0), 1)
    quarterly = min(max(revenue / 15000, 0), 1)
    assert [k.score.score for k in root.key_results] == pytest.approx([weekly, quarterly])
    assert root.score.score == pytest.approx((weekly + quarterly) / 2)
    # pace: 15 Mar is day 74 of 90, 17 Mar day 76
    assert [k.score.expected for k in root.key_results] == pytest.approx([74 / 90, 76 / 90])
    [team] = root.children
    assert team.key_results[1].score.note == "no value yet: check in a value"
    assert team.score.scored == 1  # the manual one without a check-in is left out


def test_quarters_not_started_just_started_and_over(
    service: MetricService, paid: pd.DataFrame
) -> None:
    kr = key_result("grow_orders", "weekly_orders", service)
    ahead = read_key_result(kr, Quarter(2026, 2), AS_OF, service.query)
    assert (ahead.value, ahead.note) == (None, "2026-Q2 starts on 2026-04-01")
    early = read_key_result(kr, Q1, date(2026, 1, 3), service.query)  # Sat 3 Jan: no week over
    assert early.value is None and early.note == "no complete week of 2026-Q1 yet"
    first = read_key_result(kr, Q1, date(2026, 1, 5), service.query)
    assert first.value == len(between(paid, date(2025, 12, 29), date(2026, 1, 4)))
    q4 = read_key_result(kr, Quarter(2025, 4), AS_OF, service.query)
    assert q4.value_day == date(2025, 12, 28)  # the week into January ends after Q4
    assert q4.value == len(between(paid, date(2025, 12, 22), date(2025, 12, 28)))
    total = read_key_result(
        key_result("grow_orders", "quarter_revenue", service),
        Quarter(2025, 4),
        AS_OF,
        service.query,
    )
    assert total.value == pytest.approx(
        between(paid, date(2025, 10, 1), date(2025, 12, 31))["amount"].sum()
    )


def test_a_scoped_service_reads_its_rows_only(service: MetricService, paid: pd.DataFrame) -> None:
    north = service.scoped(Scope.of({"region": ["north"]}))
    kr = key_result("grow_orders", "quarter_revenue", service)
    reading = read_key_result(kr, Q1, AS_OF, north.query)
    mine = between(paid[paid["region"] == "north"], Q1.start, LAST)
    assert reading.value == pytest.approx(mine["amount"].sum())
    assert reading.value != pytest.approx(between(paid, Q1.start, LAST)["amount"].sum())


def test_spec_fixture_is_the_one_beside_the_small_spec() -> None:
    assert (Path(SPEC).parent / "okrs.yml").exists()
