"""Who the customers are and when they intend to buy: sign-ups plus a renewal process per buyer.

A buyer's first order comes shortly after sign-up; after every order there is another one with a
customer-specific probability (their loyalty) after a random gap, so the chance of a further order
decays geometrically and loyal customers carry most repeat volume. Gaps are measured in operational
time (demo/seasonality.py), so promotions pull orders in and nights push them out.

Only compact per-customer state lives for the whole run (~24 bytes a customer: ~0.9 GB for the 37M
customers behind 50M orders); everything else is per chunk.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from demo.seasonality import Calendar

DAY = 86_400
CHANNELS = np.array(["organic", "paid_search", "social", "referral", "email"])
CHANNEL_SHARE = np.array([0.35, 0.25, 0.2, 0.12, 0.08])
ORGANIC, SOCIAL = 0, 2
REGIONS = np.array(["North", "East", "South", "West", "Central"])
_REGION_SHARE = np.array([0.2, 0.3, 0.25, 0.1, 0.15])
SOUTH = 2
_PLATFORM_SHARE = np.array([0.35, 0.4, 0.25])  # ios, android, web
PLANS = np.array(["free", "plus", "pro"])
_PLAN_SHARE = np.array([0.75, 0.18, 0.07])
BUY_BY_CHANNEL = np.array([0.55, 0.6, 0.45, 0.65, 0.6])  # share of sign-ups who ever buy
_BUY_BY_PLAN = np.array([0.95, 1.15, 1.3])
_LOYALTY_BY_PLAN = np.array([0.0, 0.05, 0.08])


@dataclass
class Newcomers:
    """One chunk's sign-ups: attributes only needed to write the customers part."""

    first: int  # customer index of the first newcomer
    channel: np.ndarray  # as attributed (after the tracking outage), not the true channel
    plan: np.ndarray
    signup_op: np.ndarray
    visitors: np.ndarray  # customer indices of newcomers who will never buy


class Population:
    """Per-customer state, preallocated for all customers (index = customer_id - 1)."""

    def __init__(self, n: int) -> None:
        self.signup_s = np.zeros(n, np.int32)  # local seconds since history start (< 2**31)
        self.region = np.zeros(n, np.int8)
        self.platform = np.zeros(n, np.int8)  # sign-up platform
        self.next_op = np.full(n, np.inf)  # operational time of the next intended order
        self.loyalty = np.zeros(n, np.float32)  # probability of another order after each order
        self.gap = np.zeros(n, np.float32)  # median gap between orders, operational days
        self.orders = np.zeros(n, np.int16)  # orders placed so far (customer_order_number)

    def sign_up(
        self,
        rng: np.random.Generator,
        cal: Calendar,
        customers: tuple[int, int],
        hours: tuple[int, int],
        outage_days: np.ndarray,
    ) -> Newcomers:
        """Customers c0..c1-1 sign up between hours h0 and h1, in customer_id order."""
        (c0, c1), (h0, h1) = customers, hours
        n, s, cum = c1 - c0, slice(c0, c1), cal.signup_cum
        u = np.sort(rng.uniform(cum[h0], cum[h1], n))
        t = np.interp(u, cum, np.arange(cal.hours + 1, dtype=np.float64))
        self.signup_s[s] = np.floor(t * 3600)
        signup_op = cal.to_operational(t)
        channel = rng.choice(CHANNELS.size, n, p=CHANNEL_SHARE)
        self.region[s] = rng.choice(REGIONS.size, n, p=_REGION_SHARE)
        self.platform[s] = rng.choice(_PLATFORM_SHARE.size, n, p=_PLATFORM_SHARE)
        plan = rng.choice(PLANS.size, n, p=_PLAN_SHARE)
        buyer = rng.random(n) < np.minimum(BUY_BY_CHANNEL[channel] * _BUY_BY_PLAN[plan], 0.9)
        self.loyalty[s] = np.minimum(
            0.2 + 0.8 * rng.beta(2.0, 2.5, n) + _LOYALTY_BY_PLAN[plan], 0.93
        )
        self.gap[s] = 28.0 * rng.lognormal(0.0, 0.5, n)
        # Half the buyers order right away, the others think it over for a couple of weeks.
        quick = rng.random(n) < 0.45
        delay = 0.002 + np.where(quick, rng.exponential(0.04, n), rng.exponential(12.0, n))
        self.next_op[s] = np.where(buyer, signup_op + delay, np.inf)
        # Tracking outage: social sign-ups still arrive (and behave as social) but lose attribution.
        day = self.signup_s[s] // DAY
        lost = outage_days[day] & (channel == SOCIAL) & (rng.random(n) < 0.8)
        attributed = np.where(lost, ORGANIC, channel).astype(np.int8)
        return Newcomers(
            c0, attributed, plan.astype(np.int8), signup_op, np.flatnonzero(~buyer) + c0
        )

    def intended_orders(
        self, rng: np.random.Generator, known: int, op_end: float
    ) -> tuple[np.ndarray, np.ndarray]:
        """(customer index, operational time) of all intended orders before op_end among the first
        `known` customers, advancing each buyer's renewal process past op_end."""
        active = np.flatnonzero(self.next_op[:known] < op_end)
        cust, op = [np.zeros(0, np.int64)], [np.zeros(0)]
        while active.size:
            cust.append(active)
            op.append(self.next_op[active])
            again = rng.random(active.size) < self.loyalty[active]
            nxt = self.next_op[active] + self.gap[active] * rng.lognormal(0.0, 0.7, active.size)
            nxt[~again] = np.inf
            self.next_op[active] = nxt
            active = active[nxt < op_end]
        return np.concatenate(cust), np.concatenate(op)

    def number_orders(self, cust: np.ndarray) -> np.ndarray:
        """customer_order_number for orders given in time order; counts them as placed."""
        by_cust = np.argsort(cust, kind="stable")
        sorted_cust = cust[by_cust]
        group_start = np.flatnonzero(np.r_[True, sorted_cust[1:] != sorted_cust[:-1]])
        sizes = np.diff(np.r_[group_start, sorted_cust.size])
        rank = np.arange(cust.size) - np.repeat(group_start, sizes)
        number = np.empty(cust.size, np.int32)
        number[by_cust] = self.orders[sorted_cust].astype(np.int32) + rank + 1
        firsts = sorted_cust[group_start]
        self.orders[firsts] = self.orders[firsts] + sizes
        return number
