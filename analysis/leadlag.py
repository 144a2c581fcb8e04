"""Which metric leads another: correlation at lags on differenced series.

In: two per-period series on the same periods (the outcome, e.g. the NSM, and a candidate).
Out: Pearson r of the candidate's period-over-period change k periods earlier against the
outcome's change, for k in −max_lag..max_lag; the best lag is the largest |r|. Differencing first
keeps two series that merely share a trend from looking related. Correlation is not causation: an
A/B test that moves the candidate is what shows that it moves the outcome.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
import pandas as pd

MIN_POINTS = 8  # fewer overlapping changes than this give no r at that lag
CLEAR = 0.5  # |r| below this is "no clear relation" (17 lags of pure noise reach ~0.4)


@dataclass(frozen=True)
class LeadLag:
    outcome: str
    candidate: str
    by_lag: dict[int, float]  # lag → r (NaN where too few points)
    lag: int | None  # best lag: > 0 the candidate leads, < 0 it follows
    r: float

    def verdict(self, grain: str = "period") -> str:
        if self.lag is None or math.isnan(self.r) or abs(self.r) < CLEAR:
            return f"{self.candidate}: no clear relation with {self.outcome} at any lag"
        unit = f"{abs(self.lag)} {grain}{'s' if abs(self.lag) != 1 else ''}"
        if self.lag > 0:
            how = f"leads {self.outcome} by {unit}"
        elif self.lag < 0:
            how = f"follows {self.outcome} by {unit}"
        else:
            how = f"moves with {self.outcome} in the same {grain}"
        return f"{self.candidate} {how}, r={self.r:.2f}"


def lead_lag(
    outcome: pd.Series,
    candidate: pd.Series,
    *,
    max_lag: int = 8,
    names: tuple[str, str] = ("outcome", "candidate"),
) -> LeadLag:
    """r at each lag of the candidate's changes against the outcome's changes (same index)."""
    y = pd.Series(outcome, dtype="float64").diff()
    x = pd.Series(candidate, dtype="float64").diff()
    by_lag: dict[int, float] = {}
    for k in range(-max_lag, max_lag + 1):
        both = pd.concat([y, x.shift(k)], axis=1).dropna()
        if len(both) < MIN_POINTS or both.iloc[:, 0].std() == 0 or both.iloc[:, 1].std() == 0:
            by_lag[k] = math.nan
            continue
        by_lag[k] = float(np.corrcoef(both.iloc[:, 0], both.iloc[:, 1])[0, 1])
    known = {k: r for k, r in by_lag.items() if not math.isnan(r)}
    if not known:
        return LeadLag(*names, by_lag, None, math.nan)
    best = max(known, key=lambda k: (abs(known[k]), -abs(k)))  # ties: the shorter lag
    return LeadLag(*names, by_lag, best, known[best])
