"""Numbers and periods in alert texts, the way the pages write them: 12,220 · 8.6% · ¥1,234.50 ·
"the week of 4 May 2026" · "vs the week before".

The pages' own formatter lives in dashboard.formatting, which alerts may not import (alerts run in
the worker, without the web side); this follows the same rules for the few cases alerts need.
"""

from __future__ import annotations

import math
from datetime import date
from typing import Any

CURRENCY_SYMBOLS = {"USD": "$", "CNY": "¥", "EUR": "€", "GBP": "£", "JPY": "¥"}
_GRAIN_WORDS = {
    "day": "day",
    "week": "week",
    "month": "month",
    "quarter": "quarter",
    "year": "year",
}


def number(value: float | None, metric: Any, currency: str = "USD") -> str:
    """A metric value: 12,220 · 8.6% · ¥1,234.50 · 3.25 (by the metric's format and decimals)."""
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return "–"
    value = float(value)
    fmt = getattr(metric, "format", "number")
    digits = _decimals(metric, value)
    if fmt == "percent":
        return f"{value * 100:,.{digits}f}%"
    if fmt == "currency":
        code = getattr(metric, "unit", None) or currency
        symbol = CURRENCY_SYMBOLS.get(code)
        text = f"{abs(value):,.{digits}f}"
        sign = "-" if value < 0 else ""
        return f"{sign}{symbol}{text}" if symbol else f"{sign}{text} {code}"
    return f"{value:,.{digits}f}"


def _decimals(metric: Any, value: float) -> int:
    # As dashboard.formatting.default_decimals: the spec's, else percents 1, money 2 (0 when
    # large), counts 0, other numbers 2 unless whole or large.
    if getattr(metric, "decimals", None) is not None:
        return metric.decimals
    if getattr(metric, "agg", None) in ("count", "count_distinct"):
        return 0
    fmt = getattr(metric, "format", "number")
    if fmt == "percent":
        return 1
    if fmt == "currency":
        return 0 if abs(value) >= 10_000 else 2
    return 0 if value.is_integer() or abs(value) >= 1_000 else 2


def amount(delta: float, metric: Any, currency: str = "USD") -> str:
    """A difference in the metric's unit: 1,730 · 0.6 pts (percent metrics) · ¥120.00."""
    if getattr(metric, "format", "number") == "percent":
        return f"{abs(delta) * 100:,.1f} pts"
    return number(abs(delta), metric, currency)


def percent(share: float) -> str:
    """12.4% from 0.124."""
    return f"{abs(share) * 100:,.1f}%"


def period_words(period: date, grain: str) -> str:
    """ "Tue 12 May 2026", "the week of 4 May 2026", "May 2026", "Q2 2026", "2026"."""
    if grain == "day":
        return period.strftime("%a %-d %b %Y")
    if grain == "week":
        return f"the week of {period.strftime('%-d %b %Y')}"
    if grain == "month":
        return period.strftime("%b %Y")
    if grain == "quarter":
        return f"Q{(period.month - 1) // 3 + 1} {period.year}"
    return str(period.year)


def versus(grain: str, vs: str) -> str:
    """ "vs the week before", "vs the same week last year"."""
    word = _GRAIN_WORDS.get(grain, grain)
    return f"vs the {word} before" if vs == "previous" else f"vs the same {word} last year"


def in_period(period: date, grain: str) -> str:
    """ "on Tue 12 May 2026", "in the week of 4 May 2026", "in May 2026"."""
    return f"{'on' if grain == 'day' else 'in'} {period_words(period, grain)}"


def usual_for(period: date, grain: str) -> str:
    """What an anomaly band is usual for: "a Tuesday", "a week", "a month"."""
    return f"a {period.strftime('%A')}" if grain == "day" else f"a {_GRAIN_WORDS.get(grain, grain)}"
