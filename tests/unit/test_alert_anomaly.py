"""The robust seasonal band (alerts.anomaly) on synthetic series with known answers."""

from __future__ import annotations

from datetime import date, timedelta
from types import SimpleNamespace

import numpy as np
import pytest

from alerts.anomaly import baseline, seasonal_band
from alerts.condition_types import Anomaly
from alerts.judges import Context, judge

MONDAY = date(2026, 5, 4)
WEEKDAY = np.array([0.96, 0.97, 0.98, 0.99, 1.02, 1.20, 1.15])  # a shop busier at the weekend


def days(values, last: date) -> dict[date, float]:
    """`values` as consecutive days ending on `last`."""
    first = last - timedelta(days=len(values) - 1)
    return {first + timedelta(days=i): float(v) for i, v in enumerate(values)}


def weeks(values, last: date) -> dict[date, float]:
    first = last - timedelta(weeks=len(values) - 1)
    return {first + timedelta(weeks=i): float(v) for i, v in enumerate(values)}


def shop_days(n: int, last: date, noise: float = 0.02, seed: int = 3, growth: float = 0.0):
    """n days of 1,000 × weekday pattern × growth per day, with `noise` relative normal noise."""
    rng = np.random.default_rng(seed)
    first = last - timedelta(days=n - 1)
    out = {}
    for i in range(n):
        day = first + timedelta(days=i)
        level = 1000 * (1 + growth) ** i * WEEKDAY[day.weekday()]
        out[day] = level * (1 + rng.normal(0, noise))
    return out


def test_week_band_by_hand() -> None:
    # 34 weeks alternating 100, 102: every baseline (median of the 8 weeks before) is 101, every
    # residual ±1, their median 0 and MAD 1, so the band is 101 ± 3 × 1.4826.
    history = weeks([100 if i % 2 else 102 for i in range(34)], MONDAY - timedelta(weeks=1))
    band = seasonal_band(history, MONDAY, "week", lookback=8, sensitivity=3)
    assert band is not None and band.residuals == 26
    assert (band.centre, band.scale) == pytest.approx((101.0, 1.4826))
    assert (band.low, band.high) == pytest.approx((101 - 4.4478, 101 + 4.4478))


def test_day_band_follows_the_weekday_and_catches_a_planted_spike() -> None:
    last = MONDAY + timedelta(days=5)  # a Saturday, the busiest day
    history = shop_days(120, last - timedelta(days=1))
    band = seasonal_band(history, last, "day", lookback=8, sensitivity=3)
    assert band is not None
    saturday = 1000 * WEEKDAY[5]
    assert band.centre == pytest.approx(saturday, rel=0.02)  # a Saturday, not an average day
    assert band.scale == pytest.approx(0.02 * saturday, rel=0.35)  # the noise we put in
    assert band.contains(saturday)
    assert not band.contains(saturday * 1.3)  # a 30% spike
    assert not band.contains(saturday * 0.7)
    # An average day's value would be an anomaly on a Saturday.
    assert not band.contains(1000 * WEEKDAY.mean())


def test_past_spikes_do_not_widen_the_band() -> None:
    last = MONDAY + timedelta(weeks=20)
    clean = shop_days(140, last - timedelta(days=1))
    spiked = dict(clean)
    for k in (3, 4, 10, 11, 12):  # a promotion and an outage in the residual window
        day = last - timedelta(days=k)
        spiked[day] = clean[day] * (3.0 if k < 5 else 0.2)
    a = seasonal_band(clean, last, "day")
    b = seasonal_band(spiked, last, "day")
    assert a is not None and b is not None
    assert b.scale == pytest.approx(a.scale, rel=0.25)
    assert b.centre == pytest.approx(a.centre, rel=0.01)
    # A mean ± standard deviation band would have been blown open by them.
    residuals = [spiked[last - timedelta(days=k)] for k in range(1, 29)]
    assert np.std(residuals) > 5 * b.scale


def test_growth_is_not_an_anomaly() -> None:
    # 2% a week: the medians of eight weeks lag ~8%; the median residual adds the lag back.
    last = MONDAY + timedelta(weeks=30)
    history = shop_days(200, last - timedelta(days=1), noise=0.01, growth=0.02 / 7)
    band = seasonal_band(history, last, "day")
    expected = 1000 * (1 + 0.02 / 7) ** 200 * WEEKDAY[last.weekday()]
    assert band is not None and band.contains(expected)
    assert band.centre == pytest.approx(expected, rel=0.03)
    # The weekday median alone (eight Mondays back, ~4.5 weeks of growth behind) would not be.
    assert not band.contains(baseline(history, last, "day", 8))


def test_only_periods_before_the_judged_one_are_read() -> None:
    last = MONDAY + timedelta(weeks=20)
    history = shop_days(140, last - timedelta(days=1))
    later = {**history, last: 99_999.0, last + timedelta(days=3): -5.0}
    assert seasonal_band(later, last, "day") == seasonal_band(history, last, "day")


def test_too_little_history_gives_no_band() -> None:
    assert seasonal_band(days([10] * 15, MONDAY - timedelta(days=1)), MONDAY, "day") is None
    assert seasonal_band(weeks([10] * 6, MONDAY - timedelta(weeks=1)), MONDAY, "week") is None


def test_a_constant_series_has_a_flat_band_and_any_change_is_outside() -> None:
    history = weeks([7] * 40, MONDAY - timedelta(weeks=1))
    band = seasonal_band(history, MONDAY, "week")
    assert band is not None and (band.low, band.high, band.scale) == (7, 7, 0)
    assert band.contains(7) and not band.contains(8)
    assert band.deviation(8) == float("inf")


def test_a_mostly_zero_series_falls_back_to_the_mean_deviation() -> None:
    # More than half the residuals are 0, so the MAD is 0; the mean absolute deviation is not.
    values = [1 if i % 5 == 0 else 0 for i in range(40)]
    band = seasonal_band(weeks(values, MONDAY - timedelta(weeks=1)), MONDAY, "week")
    assert band is not None and band.scale > 0
    assert band.low == 0  # never below 0 for a series that never was
    counted = seasonal_band(weeks(values, MONDAY - timedelta(weeks=1)), MONDAY, "week", counts=True)
    assert counted is not None and counted.scale == pytest.approx(1.0)  # √1: Poisson floor
    assert counted.contains(3) and not counted.contains(4)  # 0 ± 3 × 1


def metric(direction: str = "higher", fmt: str = "number"):
    return SimpleNamespace(direction=direction, format=fmt, decimals=None, agg=None, unit=None)


@pytest.mark.parametrize(
    ("direction", "metric_direction", "factor", "outcome"),
    [
        ("any", "higher", 0.6, "breach"),
        ("any", "higher", 1.4, "breach"),
        ("bad", "higher", 0.6, "breach"),  # a drop is bad when higher is better
        ("bad", "higher", 1.4, "ok"),
        ("bad", "lower", 1.4, "breach"),  # a rise is bad for a cost
        ("bad", "lower", 0.6, "ok"),
        ("good", "higher", 1.4, "breach"),
        ("up", "lower", 1.4, "breach"),
        ("down", "lower", 1.4, "ok"),
        ("any", "higher", 1.0, "ok"),
    ],
)
def test_the_judge_is_direction_aware(direction, metric_direction, factor, outcome) -> None:
    last = MONDAY + timedelta(weeks=20)
    history = shop_days(140, last - timedelta(days=1))
    value = 1000 * WEEKDAY[last.weekday()] * factor
    ctx = Context(metric(metric_direction), "day")
    verdict = judge(Anomaly(3, direction), {**history, last: value}, last, ctx)
    assert verdict.outcome == outcome
    if direction == "bad" and metric_direction == "higher":
        assert verdict.expected.startswith("at least ")
        assert verdict.expected.endswith("(usual for a Monday)")


def test_the_judge_says_what_it_saw() -> None:
    history = weeks([100 if i % 2 else 102 for i in range(34)], MONDAY - timedelta(weeks=1))
    verdict = judge(Anomaly(3), {**history, MONDAY: 90.0}, MONDAY, Context(metric(), "week"))
    assert verdict.outcome == "breach"
    assert verdict.expected == "within 96.55–105.45 (usual for a week)"
    assert verdict.detail == (
        "90 in the week of 4 May 2026: below the usual 96.55–105.45 for a week "
        "(7.4 robust SDs from 101)"
    )
