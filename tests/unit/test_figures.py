"""Figure builders and the breakdown's top N + Other, on hand-made frames."""

from __future__ import annotations

from datetime import date
from types import SimpleNamespace

import pandas as pd
import pytest

from dashboard import theme
from dashboard.breakdown import OTHER, is_additive, top_n
from dashboard.figures import breakdown_figure, sparkline, target_series, trend_figure
from metric_layer.spec import Target

REVENUE = SimpleNamespace(
    name="revenue",
    title="Revenue",
    format="currency",
    unit=None,
    decimals=None,
    direction="higher",
    type="simple",
    agg="sum",
)
WEEKS = [date(2026, 11, 2), date(2026, 11, 9), date(2026, 11, 16), date(2026, 11, 23)]


def weekly() -> pd.DataFrame:
    return pd.DataFrame(
        {
            "period": WEEKS,
            "revenue": [10.0, 12.0, 9.0, 3.0],
            "revenue__compare": [8.0, 10.0, 12.0, 9.0],
            "is_partial": [False, False, False, True],
        }
    )


def test_trend_marks_the_partial_period_and_draws_compare_and_target() -> None:
    targets = target_series([Target(**{"from": date(2026, 1, 1), "value": 11})], WEEKS, "week")
    fig = trend_figure(
        weekly(), REVENUE, "week", compare="previous", targets=targets, currency="CNY"
    )
    names = [t.name for t in fig.data]
    assert names == ["Revenue", "Revenue (so far)", "Previous period", "Target"]
    complete, so_far = fig.data[0], fig.data[1]
    assert list(complete.y) == [10.0, 12.0, 9.0]  # the partial week is not on the solid line
    assert list(so_far.y) == [9.0, 3.0] and so_far.line.dash == "dot"
    assert so_far.customdata[-1][1] == "¥3.00 (partial)"  # hover shows the exact, formatted value
    assert complete.customdata[0][0] == "W45 · 2 Nov 2026"
    assert list(fig.data[3].y) == [11, 11, 11, 11]
    assert fig.layout.shapes[0].fillcolor == theme.COMPARE  # the shaded partial band


def test_targets_of_another_grain_are_not_drawn() -> None:
    monthly = Target(**{"from": date(2026, 1, 1), "value": 40, "grain": "month"})
    weekly_t = Target(**{"from": date(2026, 11, 9), "value": 12})
    assert target_series([monthly, weekly_t], WEEKS, "week") == [(d, 12) for d in WEEKS[1:]]


def by_channel() -> pd.DataFrame:
    rows = []
    for week in WEEKS[:2]:
        for channel, value in (("ads", 5.0), ("email", 1.0), ("organic", 3.0), ("referral", 2.0)):
            rows.append({"period": week, "channel": channel, "revenue": value, "is_partial": False})
    return pd.DataFrame(rows)


def test_top_n_folds_the_rest_into_other_when_additive() -> None:
    out = top_n(by_channel(), "revenue", "channel", 2, additive=True)
    first = out[out["period"] == WEEKS[0]].set_index("channel")["revenue"].to_dict()
    assert first == {"ads": 5.0, "organic": 3.0, OTHER: 3.0}
    assert top_n(by_channel(), "revenue", "channel", 2, additive=False)["channel"].nunique() == 2


def test_breakdown_colours_are_stable_per_value() -> None:
    fig = breakdown_figure(by_channel(), REVENUE, "week", "channel", stacked=True)
    colours = {t.name: t.line.color for t in fig.data}
    again = breakdown_figure(
        by_channel()[by_channel()["channel"] != "email"], REVENUE, "week", "channel"
    )
    assert all(colours[t.name] == t.line.color for t in again.data if t.name != "email")
    assert len(set(colours.values())) == 4
    assert fig.data[0].stackgroup == "one"


def test_sparkline_colour_follows_tone_and_additivity() -> None:
    assert (
        sparkline(weekly(), REVENUE, "week", tone="bad").data[0].line.color == theme.TONE_HEX["bad"]
    )
    assert is_additive(REVENUE)
    assert not is_additive(SimpleNamespace(type="ratio"))


PERCENT = SimpleNamespace(**{**REVENUE.__dict__, "title": "D30 retention", "format": "percent"})


def _format_for(axis: dict, dtick: float) -> str:
    """The tick format plotly.js uses for a step: the first tickformatstop whose range holds it
    (ends inclusive, as in plotly.js getTickFormat), else tickformat."""
    for stop in axis.get("tickformatstops", []):
        lo, hi = stop["dtickrange"]
        if (lo is None or dtick >= lo) and (hi is None or dtick <= hi):
            return stop["value"]
    return axis["tickformat"]


def _label(fmt: str, value: float) -> str:
    """d3-format's `.N%` and `,.Nf`, written out by hand for the formats the axes use."""
    digits = int(fmt.split(".")[1][:-1])
    return f"{value * 100:.{digits}f}%" if fmt.endswith("%") else f"{value:,.{digits}f}"


@pytest.mark.parametrize("metric", [PERCENT, REVENUE])
@pytest.mark.parametrize("unit", [100, 10, 1, 0.1, 0.01, 0.001, 0.0001])
@pytest.mark.parametrize("nice", [1, 2, 5])  # plotly's linear steps are 1, 2 or 5 × 10^k
def test_tick_labels_carry_the_decimals_their_step_needs(metric, unit, nice) -> None:  # type: ignore[no-untyped-def]
    """D30 retention read 3%, 3%, 2%, 2%, 1%, 1%, 0% for ticks 0.5% apart."""
    dtick = nice * unit / (100 if metric.format == "percent" else 1)
    axis = trend_figure(weekly(), metric, "week").layout.yaxis.to_plotly_json()
    fmt = _format_for(axis, dtick)
    ticks = [round(i * dtick, 12) for i in range(7)]
    labels = [_label(fmt, t) for t in ticks]
    assert len(set(labels)) == len(labels), labels
    if dtick * (100 if metric.format == "percent" else 1) >= 1:
        assert "." not in labels[1]  # whole steps stay whole: 3%, not 3.0%


def test_the_d30_axis_from_the_issue() -> None:
    axis = trend_figure(weekly(), PERCENT, "week").layout.yaxis.to_plotly_json()
    labels = [_label(_format_for(axis, 0.005), i * 0.005) for i in range(7)]
    assert labels == ["0.0%", "0.5%", "1.0%", "1.5%", "2.0%", "2.5%", "3.0%"]
    breakdown = breakdown_figure(by_channel(), PERCENT, "week", "channel")
    assert (
        breakdown.layout.yaxis.tickformatstops
        == trend_figure(weekly(), PERCENT, "week").layout.yaxis.tickformatstops
    )


def test_sparkline_shows_complete_periods_and_marks_the_partial_one() -> None:
    fig = sparkline(weekly(), REVENUE, "week", tone="good")
    complete, so_far = fig.data
    assert list(complete.y) == [10.0, 12.0, 9.0]  # the partial 3.0 is not on the solid line
    assert list(so_far.y) == [9.0, 3.0] and so_far.line.dash == "dot"
    assert so_far.marker.symbol == "circle-open"
    assert len(sparkline(weekly().iloc[:3], REVENUE, "week").data) == 1
