"""What is in each order: item lines, prices, discount, amount and cost of goods.

Money is computed in integer fen (cents) and only divided by 100 when written, so that
sum(quantity * price) per order equals amount + discount exactly, to the cent.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

CATEGORIES = np.array(["apparel", "electronics", "home", "beauty", "grocery"])
ELECTRONICS = 1
_CATEGORY_SHARE = np.array([0.27, 0.14, 0.2, 0.16, 0.23])
_MEDIAN_PRICE = np.array([129.0, 349.0, 89.0, 99.0, 39.0])  # CNY
_PRICE_SIGMA = np.array([0.5, 0.7, 0.5, 0.5, 0.45])
_EXTRA_QUANTITY = np.array([0.15, 0.05, 0.2, 0.25, 0.9])  # Poisson mean on top of 1
_COST_RATIO = np.array([0.5, 0.8, 0.58, 0.45, 0.75])  # cost of goods / list price


@dataclass
class Baskets:
    """Item lines (line-level arrays) and per-order money (order-level arrays), in fen."""

    line_order: np.ndarray  # index of the order each line belongs to
    line_no: np.ndarray
    category: np.ndarray  # code into CATEGORIES
    quantity: np.ndarray
    price: np.ndarray
    gross: np.ndarray  # per order: sum(quantity * price)
    discount: np.ndarray
    amount: np.ndarray
    cost: np.ndarray
    has_electronics: np.ndarray


def fill_baskets(rng: np.random.Generator, promo: np.ndarray) -> Baskets:
    """Baskets for len(promo) orders; promo marks orders that take part in a promotion."""
    n = promo.size
    lines_per_order = 1 + np.minimum(rng.poisson(0.4, n), 7)
    line_order = np.repeat(np.arange(n), lines_per_order)
    starts = np.cumsum(lines_per_order) - lines_per_order
    line_no = np.arange(line_order.size) - starts[line_order] + 1
    category = rng.choice(CATEGORIES.size, size=line_order.size, p=_CATEGORY_SHARE)
    quantity = 1 + rng.poisson(_EXTRA_QUANTITY[category])
    list_price = _MEDIAN_PRICE[category] * rng.lognormal(0.0, _PRICE_SIGMA[category])
    # Shop prices end in .90 or .00 ("128.90"), never below 1 yuan.
    price = np.maximum(np.round(list_price) * 100 - 10 * (rng.random(line_order.size) < 0.6), 100)
    price = price.astype(np.int64)
    value = quantity * price
    gross = np.bincount(line_order, weights=value, minlength=n).astype(np.int64)
    unit_cost = _COST_RATIO[category] * rng.uniform(0.93, 1.07, line_order.size)
    cost = np.round(np.bincount(line_order, weights=value * unit_cost, minlength=n))
    # Promotions give 10-25% off; outside them ~15% of orders use a 5-15% coupon.
    coupon = ~promo & (rng.random(n) < 0.15)
    rate = np.where(
        promo, rng.uniform(0.10, 0.25, n), np.where(coupon, rng.uniform(0.05, 0.15, n), 0.0)
    )
    discount = np.round(gross * rate).astype(np.int64)
    has_electronics = np.bincount(line_order, weights=category == ELECTRONICS, minlength=n) > 0
    return Baskets(
        line_order=line_order,
        line_no=line_no.astype(np.int32),
        category=category.astype(np.int8),
        quantity=quantity.astype(np.int32),
        price=price,
        gross=gross,
        discount=discount,
        amount=gross - discount,
        cost=cost.astype(np.int64),
        has_electronics=has_electronics,
    )
