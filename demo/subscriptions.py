"""Paid subscriptions as a daily snapshot table: live subscribers and their MRR per segment and day.

Customers who sign up on the plus or pro plan subscribe that day and stay a geometric number of
days (monthly churn 6% on plus, 3.5% on pro); a share of them pay yearly at a discount, which
lowers their monthly recurring revenue. The table holds one row per local day and (plan, channel,
region) with at least one live subscriber — what a nightly snapshot job of a billing system would
write, and the kind of table a semi-additive metric (MRR) reads: its rows add up across segments
on one day, never across days. Lifetimes come from their own sub-seeded generator, so adding this
table changed no other table's bytes.
"""

from __future__ import annotations

import numpy as np
import pyarrow as pa

from demo.parts import labels
from demo.population import CHANNELS, DAY, PLANS, REGIONS

_MONTHLY_CHURN = np.array([0.0, 0.06, 0.035])  # by plan code: free, plus, pro
_YEARLY_SHARE = np.array([0.0, 0.25, 0.4])
_MONTHLY_PRICE = np.array([0.0, 39.0, 99.0])  # CNY per month
_YEARLY_PRICE = np.array([0.0, 399.0, 999.0])  # CNY per year: MRR = price / 12 (33.25, 83.25)


def subscription_snapshots(
    seed: int,
    signup_s: np.ndarray,
    plan: np.ndarray,
    channel: np.ndarray,
    region: np.ndarray,
    days: int,
    epoch_day: int,
) -> dict[str, object]:
    """Columns of the snapshot table for days 0..days-1 (local day indices; day 0 = epoch_day).

    signup_s are local seconds since the history start of paying customers (plan 1 or 2), in
    customer order; channel is the attributed one, as in the customers table.
    """
    rng = np.random.default_rng([seed, 3])
    n = signup_s.size
    daily_hazard = 1.0 - (1.0 - _MONTHLY_CHURN[plan]) ** (1.0 / 30.4)
    start = (signup_s // DAY).astype(np.int64)
    end = np.minimum(start + rng.geometric(np.maximum(daily_hazard, 1e-9)), days)  # exclusive
    yearly = rng.random(n) < _YEARLY_SHARE[plan]
    # Quarters of a yuan are exact in binary floating point: the running sums below stay exact.
    mrr = np.where(yearly, _YEARLY_PRICE[plan] / 12.0, _MONTHLY_PRICE[plan])
    segment = ((plan.astype(np.int64) - 1) * CHANNELS.size + channel) * REGIONS.size + region
    segments = (PLANS.size - 1) * CHANNELS.size * REGIONS.size
    live = np.zeros((days + 1, segments), np.int64)
    money = np.zeros((days + 1, segments))
    np.add.at(live, (start, segment), 1)
    np.add.at(live, (end, segment), -1)
    np.add.at(money, (start, segment), mrr)
    np.add.at(money, (end, segment), -mrr)
    live, money = live.cumsum(axis=0)[:days], money.cumsum(axis=0)[:days]
    day, seg = np.nonzero(live > 0)
    seg_plan = seg // (CHANNELS.size * REGIONS.size) + 1
    seg_channel = seg // REGIONS.size % CHANNELS.size
    return {
        "day": pa.array(day + epoch_day, pa.int32()).view(pa.date32()),
        "plan": labels(seg_plan, PLANS),
        "channel": labels(seg_channel, CHANNELS),
        "region": labels(seg % REGIONS.size, REGIONS),
        "subscribers": live[day, seg].astype(np.int32),
        "mrr": np.round(money[day, seg], 2),
    }
