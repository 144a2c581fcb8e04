"""Numbers as the dashboard shows them, by each metric's format."""

from __future__ import annotations

from datetime import date
from types import SimpleNamespace

import pytest

from dashboard.formatting import (
    change_tone,
    format_change,
    format_value,
    period_label,
    relative_change,
)


def metric(fmt: str = "number", decimals: int | None = None, unit: str | None = None):  # type: ignore[no-untyped-def]
    return SimpleNamespace(format=fmt, decimals=decimals, unit=unit)


@pytest.mark.parametrize(
    ("value", "m", "currency", "shown"),
    [
        (1234567, metric(), "USD", "1,234,567"),
        (12.345, metric(), "USD", "12.35"),
        (0.2345, metric("percent"), "USD", "23.4%"),
        (0.2345, metric("percent", decimals=0), "USD", "23%"),
        (1234.5, metric("currency"), "CNY", "¥1,234.50"),
        (-1234.5, metric("currency"), "USD", "-$1,234.50"),
        (123456.7, metric("currency"), "USD", "$123,457"),
        (99.5, metric("currency", unit="CHF"), "USD", "99.50 CHF"),
        (45, metric("duration"), "USD", "45s"),
        (3725, metric("duration"), "USD", "1h 02m"),
        (float("nan"), metric(), "USD", "–"),
        (None, metric("percent"), "USD", "–"),
    ],
)
def test_format_value(value, m, currency, shown) -> None:  # type: ignore[no-untyped-def]
    assert format_value(value, m, currency) == shown


def test_relative_change_and_its_tone() -> None:
    assert relative_change(120, 100) == pytest.approx(0.2)
    assert relative_change(80, -100) == pytest.approx(1.8)  # against |base|
    assert relative_change(5, 0) is None
    assert relative_change(None, 3) is None
    assert format_change(0.2) == "▲ 20.0%"
    assert format_change(-0.05) == "▼ 5.0%"
    assert format_change(None) == "–"
    assert change_tone(0.2, "higher") == "good"
    assert change_tone(0.2, "lower") == "bad"
    assert change_tone(-0.1, "lower") == "good"
    assert change_tone(None) == "flat"


def test_period_labels() -> None:
    assert period_label(date(2026, 11, 23), "week") == "W48 · 23 Nov 2026"
    assert period_label(date(2026, 11, 1), "month") == "Nov 2026"
    assert period_label(date(2026, 10, 1), "quarter") == "Q4 2026"
    assert period_label(date(2026, 1, 1), "year") == "2026"
    assert period_label(date(2026, 11, 24), "day") == "Tue 24 Nov 2026"


def test_counts_show_whole_numbers_even_for_shares_of_a_change() -> None:
    """A count's contribution (LMDI gives +367.21 orders) reads as a count: +367."""
    from dashboard.formatting import format_delta

    count = SimpleNamespace(format="number", decimals=None, unit=None, agg="count")
    distinct = SimpleNamespace(format="number", decimals=None, unit=None, agg="count_distinct")
    average = SimpleNamespace(format="number", decimals=None, unit=None, agg="avg")
    assert format_delta(367.21, count) == "+367"
    assert format_delta(-699.58, distinct) == "-700"
    assert format_value(11.43, count) == "11"
    assert format_value(12.345, average) == "12.35"  # an average keeps its decimals
    assert format_delta(0.5, SimpleNamespace(**{**vars(count), "decimals": 1})) == "+0.5"


def test_range_labels() -> None:
    from dashboard.formatting import range_label

    assert range_label(date(2026, 3, 9), date(2026, 3, 15)) == "9–15 Mar 2026"
    assert range_label(date(2026, 2, 24), date(2026, 3, 8)) == "24 Feb – 8 Mar 2026"
    assert range_label(date(2025, 12, 29), date(2026, 1, 4)) == "29 Dec 2025 – 4 Jan 2026"
    assert range_label(date(2026, 3, 9), date(2026, 3, 9)) == "9 Mar 2026"
