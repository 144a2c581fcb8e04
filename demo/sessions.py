"""Visits to the shop: the sign-up visit, browsing before a purchase, the purchase visit, and
visitors who never buy.

Sessions are derived from *intended* orders, before the android/South checkout failure removes some of
them: people still open the app and try to pay, which is exactly why conversion (orders per session)
falls in that segment while traffic looks normal.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from demo.seasonality import Calendar

PLATFORMS = np.array(["ios", "android", "web"])
ANDROID = 1


@dataclass
class Sessions:
    customer: np.ndarray  # customer index (0-based)
    seconds: np.ndarray  # local seconds since history start
    platform: np.ndarray
    duration: np.ndarray

    @staticmethod
    def concat(parts: list[Sessions]) -> Sessions:
        return Sessions(*(np.concatenate([getattr(p, f) for p in parts]) for f in _FIELDS))


_FIELDS = ("customer", "seconds", "platform", "duration")


def usual_platform(rng: np.random.Generator, own: np.ndarray) -> np.ndarray:
    """Mostly the platform the customer signed up on, sometimes another device."""
    other = rng.integers(0, PLATFORMS.size, own.size)
    return np.where(rng.random(own.size) < 0.8, own, other).astype(np.int8)


def _durations(rng: np.random.Generator, n: int, median_s: float) -> np.ndarray:
    return np.clip(np.round(median_s * rng.lognormal(0.0, 0.9, n)), 5, 10_800).astype(np.int32)


def _seconds(cal: Calendar, op: np.ndarray) -> np.ndarray:
    return np.floor(cal.from_operational(op) * 3600).astype(np.int64)


def signup_sessions(
    rng: np.random.Generator, customer: np.ndarray, seconds: np.ndarray, platform: np.ndarray
) -> Sessions:
    return Sessions(
        customer, seconds, platform.astype(np.int8), _durations(rng, customer.size, 300)
    )


def visitor_sessions(
    rng: np.random.Generator,
    cal: Calendar,
    customer: np.ndarray,
    signup_op: np.ndarray,
    platform: np.ndarray,
) -> Sessions:
    """Return visits of customers who do not (yet) buy: a few, further and further apart."""
    count = rng.geometric(0.6, customer.size) - 1
    owner = np.repeat(np.arange(customer.size), count)
    first = np.cumsum(count) - count
    nth = np.arange(owner.size) - first[owner]
    gaps = 3.0 * 1.8**nth * rng.lognormal(0.0, 1.2, owner.size)
    cum = np.cumsum(gaps)
    op = signup_op[owner] + cum - (cum[first[owner]] - gaps[first[owner]])
    keep = op < cal.order_cum[-1]
    owner, op = owner[keep], op[keep]
    return Sessions(
        customer[owner],
        _seconds(cal, op),
        usual_platform(rng, platform[owner]),
        _durations(rng, owner.size, 150),
    )


def order_sessions(
    rng: np.random.Generator,
    cal: Calendar,
    customer: np.ndarray,
    order_op: np.ndarray,
    order_seconds: np.ndarray,
    order_platform: np.ndarray,
    signup_op: np.ndarray,
    signup_seconds: np.ndarray,
    own_platform: np.ndarray,
    browse_per_order: float,
) -> Sessions:
    """The purchase visit of every intended order plus Poisson(browse_per_order) visits before it.

    signup_op, signup_seconds and own_platform are per order (the customer's values).
    """
    n = customer.size
    duration = _durations(rng, n, 420)
    # The purchase visit starts a little before the order is placed, never before sign-up.
    start = order_seconds - (duration * rng.uniform(0.4, 0.95, n)).astype(np.int64)
    purchase = Sessions(
        customer, np.maximum(start, signup_seconds), order_platform.astype(np.int8), duration
    )
    count = rng.poisson(browse_per_order, n)
    owner = np.repeat(np.arange(n), count)
    op = order_op[owner] - rng.exponential(1.5, owner.size)
    early = op < signup_op[owner]  # would be before sign-up: somewhere between sign-up and order
    op[early] = signup_op[owner][early] + rng.random(int(early.sum())) * (
        order_op[owner][early] - signup_op[owner][early]
    )
    browse = Sessions(
        customer[owner],
        np.maximum(_seconds(cal, op), signup_seconds[owner]),
        usual_platform(rng, own_platform[owner]),
        _durations(rng, owner.size, 180),
    )
    return Sessions.concat([purchase, browse])
