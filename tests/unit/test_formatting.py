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
