"""Lead-lag: the lag is found on differenced series, and trends alone relate nothing."""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pytest

from analysis.leadlag import lead_lag


def test_a_candidate_two_periods_ahead():
    rng = np.random.default_rng(3)
    steps = rng.normal(0, 1, 60)
    candidate = pd.Series(np.cumsum(steps) + 100)
    # the outcome's change at t is the candidate's change at t − 2 (plus a little noise)
    outcome = pd.Series(np.cumsum(np.r_[0, 0, steps[:-2]] + rng.normal(0, 0.1, 60)) + 500)
    result = lead_lag(outcome, candidate, names=("paid_orders", "new_buyers"))
    assert result.lag == 2 and result.r > 0.95
    assert result.verdict("week").startswith("new_buyers leads paid_orders by 2 weeks, r=0.9")


def test_shared_trend_is_not_a_relation():
    rng = np.random.default_rng(4)
    trend = np.arange(60) * 5.0
    a = pd.Series(trend + rng.normal(0, 1, 60))
    b = pd.Series(trend + rng.normal(0, 1, 60))
    assert np.corrcoef(a, b)[0, 1] > 0.99  # levels look perfectly related
    result = lead_lag(a, b)
    assert abs(result.by_lag[0]) < 0.3  # their changes are not
    assert "no clear relation" in result.verdict()


def test_by_hand_and_too_short():
    # changes of y: 1, −1, 2, −2, 1, −1, 2, −2, 1; x equal to them at lag 0 → r = 1
    y = pd.Series(np.cumsum([0, 1, -1, 2, -2, 1, -1, 2, -2, 1]))
    result = lead_lag(y, y * 3, max_lag=1)
    assert result.lag == 0 and result.r == pytest.approx(1.0)
    assert "moves with" in result.verdict()
    short = lead_lag(pd.Series([1.0, 2.0, 3.0]), pd.Series([1.0, 3.0, 2.0]))
    assert short.lag is None and math.isnan(short.r) and "no clear relation" in short.verdict()
