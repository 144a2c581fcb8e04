"""Numbers and periods as people read them: by the metric's format, unit and decimals."""

from __future__ import annotations

import math
from datetime import date
from typing import Any

import pandas as pd

CURRENCY_SYMBOLS = {"USD": "$", "CNY": "¥", "EUR": "€", "GBP": "£", "JPY": "¥"}
MISSING = "–"
COUNTS = ("count", "count_distinct")  # aggregations whose values are whole numbers


def _missing(value: Any) -> bool:
    # pd.NA: a count with no value (MetricFrame counts are nullable Int64)
    return value is None or value is pd.NA or (isinstance(value, float) and math.isnan(value))


def default_decimals(metric: Any, value: float) -> int:
    """Decimals when the spec gives none: percents 1, money 2 (0 when large), counts 0."""
    if metric.decimals is not None:
        return metric.decimals
    if getattr(metric, "agg", None) in COUNTS:
        # A count's own values are whole; its shares of a change (LMDI, Shapley) and a baseline
        # scaled to another range's length are not, and read as "+367", never "+367.21".
        return 0
    if metric.format == "percent":
        return 1
    if metric.format == "currency":
        return 0 if abs(value) >= 10_000 else 2
    return 0 if float(value).is_integer() or abs(value) >= 1_000 else 2


def format_value(value: Any, metric: Any, currency: str = "USD") -> str:
    """A metric value for display: 12.3%, ¥1,234.50, 1h 05m, 12,345."""
    if _missing(value):
        return MISSING
    value = float(value)
    digits = default_decimals(metric, value)
    if metric.format == "percent":
        return f"{value * 100:,.{digits}f}%"
    if metric.format == "currency":
        code = metric.unit or currency
        symbol = CURRENCY_SYMBOLS.get(code)
        text = f"{abs(value):,.{digits}f}"
        sign = "-" if value < 0 else ""
        return f"{sign}{symbol}{text}" if symbol else f"{sign}{text} {code}"
    if metric.format == "duration":
        return format_duration(value)
    return f"{value:,.{digits}f}"


def format_duration(seconds: float) -> str:
    if abs(seconds) < 60:
        return f"{seconds:.0f}s"
    minutes, secs = divmod(round(seconds), 60)
    if minutes < 60:
        return f"{minutes}m {secs:02d}s"
    hours, minutes = divmod(minutes, 60)
    return f"{hours}h {minutes:02d}m"


def relative_change(value: Any, base: Any) -> float | None:
    """(value − base) / |base|; None when either is missing or the base is zero."""
    if _missing(value) or _missing(base) or float(base) == 0:
        return None
    return (float(value) - float(base)) / abs(float(base))


def format_change(change: float | None) -> str:
    if change is None:
        return MISSING
    arrow = "▲" if change > 0 else "▼" if change < 0 else "■"
    return f"{arrow} {abs(change) * 100:,.1f}%"


def change_tone(change: float | None, direction: str = "higher") -> str:
    """good / bad / flat, by whether the metric should go up or down."""
    if change is None or change == 0:
        return "flat"
    better = change > 0 if direction == "higher" else change < 0
    return "good" if better else "bad"


def period_label(period: date, grain: str, end: date | None = None) -> str:
    """Week 48 · 24 Nov 2026, Nov 2026, Q4 2026…: what hover labels and tables show; grain `all`
    shows its days, up to `end` (inclusive) when given."""
    if grain == "all":
        return range_label(period, end) if end else f"from {period.strftime('%-d %b %Y')}"
    if grain == "day":
        return period.strftime("%a %-d %b %Y")
    if grain == "week":
        return f"W{period.isocalendar().week:02d} · {period.strftime('%-d %b %Y')}"
    if grain == "month":
        return period.strftime("%b %Y")
    if grain == "quarter":
        return f"Q{(period.month - 1) // 3 + 1} {period.year}"
    return str(period.year)


def range_label(start: date, end: date) -> str:
    """Days start..end, short: "9–15 Mar 2026", "24 Feb – 8 Mar 2026", "Mar 2026" (a month)."""
    if start == end:
        return start.strftime("%-d %b %Y")
    if start.year != end.year:
        return f"{start.strftime('%-d %b %Y')} – {end.strftime('%-d %b %Y')}"
    if start.month != end.month:
        return f"{start.strftime('%-d %b')} – {end.strftime('%-d %b %Y')}"
    return f"{start.day}–{end.strftime('%-d %b %Y')}"


def axis_format(metric: Any, currency: str = "USD") -> dict[str, Any]:
    """Plotly axis tick format matching format_value, with the decimals the tick step needs: the
    step plotly picks (dtick) chooses the format, so ticks 0.5% apart read 2.5%, 3.0%, not 3%, 3%."""
    if metric.format == "percent":
        return {"tickformat": ".0%", "tickformatstops": _decimal_stops(".{}%", scale=100)}
    if metric.format == "currency":
        symbol = CURRENCY_SYMBOLS.get(metric.unit or currency, "")
        return {
            "tickformat": ",.0f",
            "tickformatstops": _decimal_stops(",.{}f"),
            "tickprefix": symbol,
        }
    return {"tickformat": ",~r"}


def _decimal_stops(pattern: str, scale: int = 1, most: int = 4) -> list[dict[str, Any]]:
    """Plotly tickformatstops: a step of at least 1 shown unit gets 0 decimals, of at least 0.1
    one decimal, and so on. Largest first: plotly takes the first stop whose range holds the step,
    and ranges share their ends."""
    stops: list[dict[str, Any]] = [{"dtickrange": [1 / scale, None], "value": pattern.format(0)}]
    for k in range(1, most):
        stops.append(
            {"dtickrange": [10**-k / scale, 10 ** (1 - k) / scale], "value": pattern.format(k)}
        )
    stops.append({"dtickrange": [None, 10 ** (1 - most) / scale], "value": pattern.format(most)})
    return stops


def format_delta(value: Any, metric: Any, currency: str = "USD") -> str:
    """A signed change in the metric's own unit: +12, -¥300.00, +1.25 pts (percent metrics)."""
    if _missing(value):
        return MISSING
    value = float(value)
    if metric.format == "percent":
        return f"{value * 100:+,.2f} pts"
    return ("+" if value >= 0 else "-") + format_value(abs(value), metric, currency)
