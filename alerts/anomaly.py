"""The usual range of a metric for one period: a robust seasonal band, as a pure function of the
series' complete periods before it.

    band = seasonal_band(history, period, grain, lookback=8, sensitivity=3)

Method (why this one). Each period's *baseline* is the median of its comparable periods just
before it: at day grain the same weekday of the last `lookback` weeks (shops, apps and B2B tools
all live by the week, and a Saturday is only comparable with Saturdays), at other grains the last
`lookback` periods (a rolling median; weeks carry no weekly pattern and months too few
observations to fit a yearly one). A period's *residual* is its value minus its baseline. The
band is

    centre = baseline(period) + median(residuals)
    band   = centre ± sensitivity × 1.4826 × MAD(residuals)

over the recent residuals (RESIDUALS: four weeks of days, half a year of weeks). Medians and
the MAD (median absolute deviation; × 1.4826 estimates one standard deviation for normal noise)
ignore up to half of the values being extreme, so last week's promotion, a holiday or the
incident being alerted on do not widen the band or drag its centre, which a mean and standard
deviation (or an STL fit by least squares) would. The median residual adds back the level the
medians lag behind when the metric grows. When more than half the residuals are equal (a series
that is mostly 0, a constant) the MAD is 0 and the band would be a point: the scale falls back to
1.2533 × the mean absolute deviation (Iglewicz & Hoaglin's modified z-score), and is 0 only when
every residual is equal, so any change of a constant series is outside its band. A count of
events varies by at least √n by chance (Poisson), so for counts the scale is never below
√centre: a reason for refunds seen twice a week is not an anomaly at five. A series that has not
been negative gets no band below 0.

STL was the alternative: it needs two or more whole seasons of clean history, a least-squares fit
that a spike bends, and scipy/statsmodels in the worker. The weekday median needs three weeks,
costs a sort, and reads in one sentence in an alert ("usual for a Tuesday").

The band never uses the period it judges, nor any after it; the caller passes complete periods
only (the current, partial period is judged only when a rule asks, and never enters the history).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date, timedelta

import numpy as np
import pandas as pd

from metric_layer.periods import shift

# How many recent residuals set the band's width: four weeks of days (every weekday four times),
# half a year of weeks, a year of months. Fewer make the MAD itself noisy: with 8 weekly
# residuals the demo's conversion by region fired a dozen times in two years at sensitivity 3.
RESIDUALS = {"day": 28, "week": 26, "month": 12, "quarter": 8, "year": 5}
MIN_COMPARABLE = 3  # a baseline needs at least three comparable periods
MAD_TO_SD = 1.4826
MEAN_AD_TO_SD = 1.2533


@dataclass(frozen=True)
class Band:
    """The usual range of one period: centre ± sensitivity × scale."""

    centre: float
    scale: float  # robust standard deviation of the residuals
    low: float
    high: float
    residuals: int  # how many residuals set the scale

    def deviation(self, value: float) -> float:
        """How far `value` is from the centre, in robust standard deviations (inf: a flat band)."""
        if self.scale > 0:
            return (value - self.centre) / self.scale
        return 0.0 if value == self.centre else float(np.sign(value - self.centre)) * np.inf

    def contains(self, value: float) -> bool:
        return self.low <= value <= self.high


def comparable_periods(period: date, grain: str, lookback: int) -> list[date]:
    """The periods a period's baseline is the median of, nearest first."""
    if grain == "day":
        return [period - timedelta(weeks=k) for k in range(1, lookback + 1)]
    return [shift(period, grain, "previous", k) for k in range(1, lookback + 1)]


def history_periods(grain: str, lookback: int) -> int:
    """How many periods before the judged one the band reads (residual window + its baselines)."""
    return RESIDUALS[grain] + (7 * lookback if grain == "day" else lookback)


Values = Mapping[date, float]  # complete periods' values by period start (no missing values)


def known_values(series: pd.Series | Mapping[date, object]) -> dict[date, float]:
    """The periods of `series` that have a value, as floats."""
    items = series.items()
    return {p: float(v) for p, v in items if v is not None and not pd.isna(v)}


def baseline(values: Values, period: date, grain: str, lookback: int) -> float | None:
    """The median of `period`'s comparable periods with a value; None with fewer than three."""
    known = [values[p] for p in comparable_periods(period, grain, lookback) if p in values]
    return float(np.median(known)) if len(known) >= MIN_COMPARABLE else None


def seasonal_band(
    history: Values,
    period: date,
    grain: str,
    lookback: int = 8,
    sensitivity: float = 3.0,
    counts: bool = False,
) -> Band | None:
    """The band for `period` from `history` (known_values of the series). Only periods before
    `period` are read, so a history holding later ones gives the same band. None when there is
    too little history: fewer than three comparable periods, or fewer than half the residual
    window."""
    centre = baseline(history, period, grain, lookback)
    if centre is None:
        return None
    window = RESIDUALS[grain]
    residuals = []
    for k in range(1, window + 1):
        p = shift(period, grain, "previous", k)
        base = baseline(history, p, grain, lookback) if p in history else None
        if base is not None:
            residuals.append(history[p] - base)
    if len(residuals) < max(MIN_COMPARABLE, window // 2):
        return None
    r = np.array(residuals)
    middle = float(np.median(r))
    spread = np.abs(r - middle)
    scale = MAD_TO_SD * float(np.median(spread))
    if scale == 0:
        scale = MEAN_AD_TO_SD * float(np.mean(spread))
    centre += middle
    low_floor = (
        0.0
        if all(history[p] >= 0 for p in comparable_periods(period, grain, lookback) if p in history)
        else None
    )
    if counts:
        scale = max(scale, float(np.sqrt(max(abs(centre), 1.0))))
    half = sensitivity * scale
    # A series that has not been negative (counts, rates, money) gets no band below 0.
    low = centre - half if low_floor is None else max(centre - half, low_floor)
    return Band(centre, scale, low, centre + half, len(residuals))
