"""What each condition sees on the fixture shop, checked against pandas written here by hand.

The shop (tests/browser/fixture_shop.py, spec tests/fixtures/small_spec.yml) has random orders
over the 430 days before Wednesday 2026-03-18; the spec cuts days in Asia/Shanghai (UTC+8), so
an evaluation at 02:00 UTC on the 18th is 10:00 local: the 18th is today (partial), the week of
Monday 9 March is the latest complete week and the week of the 16th the partial one.
"""

from __future__ import annotations

import math
from datetime import UTC, date, datetime, timedelta

import pandas as pd
import pytest

from alerts.condition_types import Anomaly, Change, Freshness, TargetCondition, Threshold
from alerts.conditions import observe
from alerts.model import WHOLE, Rule
from metric_layer.loader import load_spec
from metric_layer.query import DimensionFilter
from metric_layer.scope import Scope
from metric_layer.service import MetricService
from tests.browser.fixture_shop import SPEC, shop_tables
from warehouse import Warehouse

NOW = datetime(2026, 3, 18, 2)  # naive UTC: 10:00 on Wednesday 18 March in Shanghai
LAST_WEEK = date(2026, 3, 9)
THIS_WEEK = date(2026, 3, 16)


@pytest.fixture(scope="module")
def service(tmp_path_factory):
    file = tmp_path_factory.mktemp("alert_shop") / "warehouse.duckdb"
    with Warehouse(file) as wh:
        for table, frame in shop_tables().items():
            wh.replace_table(table, frame)
        wh.checkpoint()
    wh = Warehouse(file, read_only=True)
    yield MetricService(wh, load_spec(SPEC, wh.table_columns()))
    wh.close()


# -- the numbers, by hand ----------------------------------------------------------------------
def paid_orders() -> pd.DataFrame:
    tables = shop_tables()
    orders = tables["raw.orders"].merge(tables["raw.customers"], on="customer_id", how="left")
    orders = orders[orders["status"] == "paid"].copy()
    local = orders["ordered_at"] + pd.Timedelta(hours=8)  # naive UTC → Shanghai
    orders["day"] = local.dt.date
    orders["week"] = (
        local.dt.normalize() - pd.to_timedelta(local.dt.day_of_week, unit="D")
    ).dt.date
    return orders


def weekly(column: str = "order_id", how: str = "count", by: str | None = None) -> pd.Series:
    orders = paid_orders()
    keys = ["week", by] if by else ["week"]
    return orders.groupby(keys)[column].agg(how)


def rule(condition, metric: str = "orders", grain: str = "week", **kwargs) -> Rule:
    return Rule(name="r", metric=metric, condition=condition, grain=grain, **kwargs)


# -- threshold ---------------------------------------------------------------------------------
def test_threshold_judges_the_latest_complete_week(service) -> None:
    count = int(weekly()[LAST_WEEK])
    assert count > 3  # the fixture has orders that week: the test means something
    [seen] = observe(service, rule(Threshold("above", high=count - 1)), NOW)
    assert (seen.series, seen.outcome, seen.period, seen.value) == (
        WHOLE,
        "breach",
        LAST_WEEK,
        count,
    )
    assert seen.expected == f"at most {count - 1}"
    assert seen.detail == f"{count} in the week of 9 Mar 2026: 1 above {count - 1}"
    [fine] = observe(service, rule(Threshold("above", high=count)), NOW)
    assert fine.outcome == "ok" and fine.value == count
    [low] = observe(service, rule(Threshold("below", low=count + 0.5)), NOW)
    assert low.outcome == "breach"
    [inside] = observe(service, rule(Threshold("outside", count - 1, count + 1)), NOW)
    assert inside.outcome == "ok" and inside.expected == f"within {count - 1}–{count + 1}"


def test_include_partial_judges_the_week_so_far(service) -> None:
    orders = paid_orders()
    so_far = int((orders["week"] == THIS_WEEK).sum())  # Mon, Tue and Wed up to 10:00
    [seen] = observe(service, rule(Threshold("above", high=10_000, include_partial=True)), NOW)
    assert (seen.period, seen.value, seen.outcome) == (THIS_WEEK, so_far, "ok")


def test_a_split_rule_has_one_series_per_value(service) -> None:
    by_platform = weekly(by="platform").xs(LAST_WEEK, level="week")
    seen = observe(service, rule(Threshold("above", high=2), split_by="platform"), NOW)
    assert {o.series: o.value for o in seen} == {f"platform={p}": n for p, n in by_platform.items()}
    assert {o.series for o in seen if o.outcome == "breach"} == {
        f"platform={p}" for p, n in by_platform.items() if n > 2
    }


def test_filters_narrow_every_series(service) -> None:
    orders = paid_orders()
    week = orders[(orders["week"] == LAST_WEEK) & (orders["platform"].isin(["ios", "web"]))]
    expected = week.groupby("region")["order_id"].count()
    condition = Threshold("above", high=10_000)
    seen = observe(
        service,
        rule(
            condition,
            split_by="region",
            filters=(DimensionFilter("platform", "in", ("ios", "web")),),
        ),
        NOW,
    )
    assert {o.series: o.value for o in seen} == {f"region={r}": n for r, n in expected.items()}


# -- change ------------------------------------------------------------------------------------
def test_change_vs_the_week_before_in_percent(service) -> None:
    revenue = weekly("amount", "sum")
    now, before = float(revenue[LAST_WEEK]), float(revenue[LAST_WEEK - timedelta(weeks=1)])
    pct = (now - before) / before * 100
    word = "up" if pct > 0 else "down"
    [seen] = observe(
        service, rule(Change("previous", percent=abs(pct) - 0.1), metric="revenue"), NOW
    )
    assert seen.outcome == "breach" and seen.value == pytest.approx(now)
    assert seen.detail == (
        f"{word} {abs(pct):.1f}% vs the week before (¥{before:,.2f} → ¥{now:,.2f})"
    )
    [fine] = observe(
        service, rule(Change("previous", percent=abs(pct) + 0.1), metric="revenue"), NOW
    )
    assert fine.outcome == "ok"
    # Direction-aware: revenue should rise, so only a fall is `bad`.
    bad = observe(
        service, rule(Change("previous", percent=0.01, direction="bad"), metric="revenue"), NOW
    )
    assert bad[0].outcome == ("breach" if now < before else "ok")
    good = observe(
        service, rule(Change("previous", percent=0.01, direction="good"), metric="revenue"), NOW
    )
    assert good[0].outcome == ("breach" if now > before else "ok")


def test_change_vs_the_same_week_last_year_absolute(service) -> None:
    counts = weekly()
    now = int(counts[LAST_WEEK])
    year_ago = int(counts.get(LAST_WEEK - timedelta(weeks=52), 0))  # 52 weeks: a Monday stays one
    delta = now - year_ago
    assert delta != 0
    [seen] = observe(service, rule(Change("last_year", absolute=abs(delta))), NOW)
    assert seen.outcome == "breach"
    assert seen.detail.endswith(f"vs the same week last year ({year_ago} → {now})")
    [fine] = observe(service, rule(Change("last_year", absolute=abs(delta) + 1)), NOW)
    assert fine.outcome == "ok"


# -- target ------------------------------------------------------------------------------------
def test_target_below_uses_the_north_star_target_of_the_period(service) -> None:
    count = int(weekly()[LAST_WEEK])  # the spec's target: 10 a week from 2026-01-01
    [seen] = observe(service, rule(TargetCondition("below")), NOW)
    assert seen.outcome == ("breach" if count < 10 else "ok")
    assert seen.expected == "at least 10 (the target)"
    gap = abs(count - 10) / 10 * 100
    side = "below" if count < 10 else "above"
    assert seen.detail == f"{count} in the week of 9 Mar 2026: {gap:.1f}% {side} the target of 10"


def test_target_pace_judges_the_complete_days_of_this_week(service) -> None:
    orders = paid_orders()
    this_week = orders[orders["day"].between(THIS_WEEK, THIS_WEEK + timedelta(days=1))]
    so_far = len(this_week)  # Monday and Tuesday: Wednesday is not over
    # The share Monday and Tuesday usually bring, from the four weeks before.
    weeks = [THIS_WEEK - timedelta(weeks=k) for k in range(1, 5)]
    past = orders[orders["week"].isin(weeks)]
    early = past[[(d - w).days < 2 for d, w in zip(past["day"], past["week"], strict=True)]]
    share = len(early) / len(past)
    expected = 10 * share
    [seen] = observe(service, rule(TargetCondition("pace")), NOW)
    assert (seen.period, seen.value) == (THIS_WEEK, so_far)
    assert seen.outcome == ("breach" if so_far < expected else "ok")
    assert seen.expected == (  # a count is whole: at least 3.33 is at least 4
        f"at least {math.ceil(expected)} after 2 of 7 days ({share * 100:.1f}% of the target of 10)"
    )


def test_target_pace_on_the_first_day_judges_last_week_whole(service) -> None:
    monday = datetime(2026, 3, 16, 2)  # 10:00 Monday local: no complete day this week yet
    [seen] = observe(service, rule(TargetCondition("pace")), monday)
    assert (seen.period, seen.value) == (LAST_WEEK, int(weekly()[LAST_WEEK]))


# -- anomaly (the band itself: test_alert_anomaly.py) ---------------------------------------
def test_anomaly_on_the_shop_reads_weeks_before_the_judged_one(service) -> None:
    [seen] = observe(service, rule(Anomaly(sensitivity=3)), NOW)
    assert seen.period == LAST_WEEK and seen.value == int(weekly()[LAST_WEEK])
    assert seen.expected.startswith("within ") and seen.expected.endswith("(usual for a week)")


# -- no data, errors, scope, freshness ---------------------------------------------------------
def test_no_value_for_the_period_is_nodata(service) -> None:
    # An average over no orders has no value (a count would be 0).
    nothing = (DimensionFilter("platform", "=", ("fax",)),)
    [seen] = observe(
        service, rule(Threshold("above", high=1), metric="avg_amount", filters=nothing), NOW
    )
    assert (seen.outcome, seen.value) == ("nodata", None)
    assert seen.detail == "no value in the week of 9 Mar 2026"


def test_a_failing_query_is_an_error_outcome_not_an_exception(service) -> None:
    seen = observe(service, rule(Threshold("above", high=1), metric="no_such_metric"), NOW)
    assert [(o.series, o.outcome) for o in seen] == [(WHOLE, "error")]
    assert "no_such_metric" in seen[0].error and "\n" not in seen[0].error


def test_a_scoped_service_sees_its_rows_only(service) -> None:
    orders = paid_orders()
    north = orders[(orders["week"] == LAST_WEEK) & (orders["region"] == "north")]
    scoped = service.scoped(Scope.of({"region": ["north"]}))
    [seen] = observe(scoped, rule(Threshold("above", high=10_000)), NOW)
    assert seen.value == len(north) < int(weekly()[LAST_WEEK])


def test_as_of_of_the_service_is_today(service, tmp_path) -> None:
    wh = service.warehouse
    dated = MetricService(wh, service.spec, as_of=date(2026, 3, 11))  # a Wednesday, a week before
    [seen] = observe(dated, rule(Threshold("above", high=10_000)), NOW)
    assert seen.period == LAST_WEEK - timedelta(weeks=1)


@pytest.mark.parametrize(
    ("loaded", "outcome"),
    [
        (datetime(2026, 3, 17, 21, 0), "ok"),  # 5 hours before NOW
        (datetime(2026, 3, 17, 19, 59), "breach"),  # 6 hours 1 minute
        (datetime(2026, 3, 17, 21, 0, tzinfo=UTC), "ok"),  # aware, as service.last_loads gives
        (None, "nodata"),
    ],
)
def test_freshness_against_max_age(service, loaded, outcome) -> None:
    fresh = Rule("f", None, Freshness("shop", timedelta(hours=6)))
    loads = {"shop": loaded} if loaded else {"other": NOW}
    [seen] = observe(service, fresh, NOW, last_loads=loads)
    assert seen.outcome == outcome
    assert seen.expected == "a load of `shop` in the last 6 hours"


def test_freshness_reads_the_load_log_by_default(service) -> None:
    fresh = Rule("f", None, Freshness("shop", timedelta(hours=6)))
    [seen] = observe(service, fresh, NOW)  # the fixture shop was never ingested
    assert seen.outcome == "nodata" and "no successful load of `shop`" in seen.detail
