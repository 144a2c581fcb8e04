"""Root cause's batched numbers (one GROUPING SETS statement per source) against pandas by hand.

The small shop has NULL dimension values (an order without platform, a customer without channel or
region, an order of an unknown customer) and segments with rows in one range only; both query paths
(raw tables, rollups) must give the per-segment values pandas gives, for counts, sums, distinct
counts and ratios.
"""

from __future__ import annotations

import itertools
from dataclasses import astuple
from datetime import date

import numpy as np
import pandas as pd
import pytest

from analysis.explain import explain, find_segments
from analysis.ranges import DayRange
from metric_layer.errors import QueryError
from metric_layer.loader import parse_spec
from metric_layer.query import DimensionFilter
from metric_layer.segment_frames import batchable, range_totals, segment_frames
from metric_layer.segment_parts import segment_parts
from metric_layer.service import MetricService
from tests.conftest import SPEC_PATH, build_warehouse
from warehouse import Warehouse

WEEK = (date(2026, 1, 5), date(2026, 1, 11))
PREVIOUS = (date(2025, 12, 29), date(2026, 1, 4))
CUSTOM_A = (date(2026, 1, 3), date(2026, 1, 7))  # 5 days: not a whole period
CUSTOM_B = (date(2025, 12, 27), date(2026, 1, 2))
ORDER_DIMS = ["platform", "size", "channel", "region"]
NULL = "<null>"


def _local(frame: pd.DataFrame, column: str) -> pd.Series:
    """Shanghai-local day of a UTC timestamp column (naive or tz-aware)."""
    ts = frame[column]
    if getattr(ts.dt, "tz", None) is not None:
        ts = ts.dt.tz_convert("UTC").dt.tz_localize(None)
    return (ts + pd.Timedelta(hours=8)).dt.date


def _orders(data) -> pd.DataFrame:
    people = data.customers[["customer_id", "channel", "region"]]
    orders = data.orders.merge(people, on="customer_id", how="left")
    orders["day"] = _local(orders, "ordered_at")
    orders["size"] = np.where(orders["amount"] >= 100, "large", "small")
    return orders


def _sessions(data) -> pd.DataFrame:
    people = data.customers[["customer_id", "channel", "region"]]
    sessions = data.sessions.merge(people, on="customer_id", how="left")
    sessions["day"] = _local(sessions, "started_at")
    return sessions


def _in(frame, days):
    return frame[(frame["day"] >= days[0]) & (frame["day"] <= days[1])]


def _want(rows: pd.DataFrame, dims, how) -> dict:
    """{segment: value} by hand; NULL is a segment of its own."""
    if not dims:
        return {(): float(how(rows))}
    keyed = rows.assign(**{d: rows[d].astype(object).where(rows[d].notna(), NULL) for d in dims})
    return {
        (key if isinstance(key, tuple) else (key,)): float(how(group))
        for key, group in keyed.groupby(list(dims), dropna=False)
    }


def _got(frame: pd.DataFrame, dims, column: str = "value") -> dict:
    out = {}
    for row in frame.to_dict("records"):
        key = tuple(NULL if pd.isna(row[d]) else row[d] for d in dims)
        out[key] = float(row[column])
    return out


def _sets(dims):
    return [(d,) for d in dims] + list(itertools.combinations(dims, 2))


MEASURES = {
    "orders": lambda g: len(g[g["status"] == "paid"]),
    "revenue": lambda g: g.loc[g["status"] == "paid", "amount"].sum(),
    "buyers": lambda g: g.loc[g["status"] == "paid", "customer_id"].nunique(),
}


@pytest.mark.parametrize(
    "metric, ranges",
    [
        ("orders", (CUSTOM_B, CUSTOM_A)),
        ("revenue", (CUSTOM_B, CUSTOM_A)),
        ("buyers", (PREVIOUS, WEEK)),
        ("buyers", (CUSTOM_B, CUSTOM_A)),
        ("orders", (PREVIOUS, WEEK)),
    ],
)
def test_every_segment_of_orders_metrics_matches_pandas(small_service, small_data, metric, ranges):
    orders = _orders(small_data)
    paid = orders[orders["status"] == "paid"]
    got = segment_parts(small_service, [metric], ranges, _sets(ORDER_DIMS))
    once = set()
    for dims in [(), *_sets(ORDER_DIMS)]:
        for side, days in enumerate(ranges):
            # a segment has a value where paid orders of it exist (a raw GROUP BY's rows)
            want = _want(_in(paid, days), dims, MEASURES[metric])
            if not dims and not want:
                want = {(): 0.0}
            assert _got(got.frame(metric, dims, side), dims) == pytest.approx(want), (dims, side)
        seen = [set(_want(_in(paid, d), dims, len)) for d in ranges]
        once |= seen[0] ^ seen[1]
    assert (NULL,) in _want(paid, ("platform",), len)  # NULL platform is a segment
    assert once, "some segment must have rows in one range only"


@pytest.mark.parametrize(
    "ranges", [(PREVIOUS, WEEK), (CUSTOM_B, CUSTOM_A)], ids=["weeks", "custom"]
)
def test_distinct_visitors_count_anonymous_sessions_as_a_segment_of_zero(
    small_service, small_data, ranges
):
    sessions = _sessions(small_data)
    got = segment_parts(small_service, ["visitors"], ranges, _sets(["platform", "channel"]))
    for dims in [(), *_sets(["platform", "channel"])]:
        for side, days in enumerate(ranges):
            want = _want(_in(sessions, days), dims, lambda g: g["customer_id"].nunique())
            assert _got(got.frame("visitors", dims, side), dims) == pytest.approx(want), dims


@pytest.mark.parametrize(
    "ranges", [(PREVIOUS, WEEK), (CUSTOM_B, CUSTOM_A)], ids=["weeks", "custom"]
)
def test_ratio_frames_hold_both_inputs_per_segment(small_service, small_data, ranges):
    orders, sessions = _orders(small_data), _sessions(small_data)
    paid = orders[orders["status"] == "paid"]
    dims_sets = _sets(["platform", "channel"])
    for metric, num_rows, den_rows, num, den in [
        ("aov", paid, paid, MEASURES["revenue"], len),
        (
            "conversion",
            paid,
            sessions,
            lambda g: g["customer_id"].nunique(),
            lambda g: g["customer_id"].nunique(),
        ),
    ]:
        frames = segment_frames(small_service, metric, ranges, dims_sets)
        for dims in [(), *dims_sets]:
            for side, days in enumerate(ranges):
                n = _want(_in(num_rows, days), dims, num)
                d = _want(_in(den_rows, days), dims, den)
                frame = frames[dims][side]
                want_n = {k: n.get(k, 0.0) for k in set(n) | set(d)}
                want_d = {k: d.get(k, 0.0) for k in set(n) | set(d)}
                assert _got(frame, dims, "numerator") == pytest.approx(want_n), (metric, dims)
                assert _got(frame, dims, "denominator") == pytest.approx(want_d), (metric, dims)


@pytest.mark.parametrize(
    "ranges", [(PREVIOUS, WEEK), (CUSTOM_B, CUSTOM_A)], ids=["weeks", "custom"]
)
def test_range_totals_of_the_tree(small_service, small_data, ranges):
    paid = _orders(small_data).query("status == 'paid'")
    got = range_totals(small_service, ["orders", "buyers", "aov"], ranges)
    a, b = (_in(paid, days) for days in ranges)
    assert got["orders"] == (len(a), len(b))
    assert got["buyers"] == (a["customer_id"].nunique(), b["customer_id"].nunique())
    assert got["aov"] == pytest.approx((a["amount"].mean(), b["amount"].mean()))


def test_overlapping_ranges_put_shared_days_on_both_sides(small_service, small_data):
    paid = _orders(small_data).query("status == 'paid'")
    ranges = ((date(2025, 12, 29), date(2026, 1, 5)), (date(2026, 1, 2), date(2026, 1, 7)))
    got = segment_parts(small_service, ["revenue"], ranges, [("platform",)])
    for side, days in enumerate(ranges):
        assert got.total("revenue", side) == pytest.approx(_in(paid, days)["amount"].sum())


def test_filters_apply_to_every_segment(small_service, small_data):
    from metric_layer.query import DimensionFilter

    paid = _orders(small_data).query("status == 'paid'")
    only = (DimensionFilter("region", "=", ("north",)),)
    got = segment_parts(small_service, ["orders"], (PREVIOUS, WEEK), [("platform",)], only)
    for side, days in enumerate((PREVIOUS, WEEK)):
        rows = _in(paid[paid["region"] == "north"], days)
        assert _got(got.frame("orders", ("platform",), side), ("platform",)) == _want(
            rows, ("platform",), len
        )


def test_batched_and_per_set_root_cause_agree(medium_service):
    for metric, ranges in [
        (
            "revenue",
            ((date(2025, 10, 1), date(2025, 11, 9)), (date(2025, 11, 10), date(2025, 12, 3))),
        ),
        (
            "buyers",
            ((date(2025, 11, 1), date(2025, 11, 30)), (date(2025, 12, 1), date(2025, 12, 31))),
        ),
        ("aov", ((date(2025, 11, 3), date(2025, 11, 9)), (date(2025, 11, 10), date(2025, 11, 16)))),
        (
            "conversion",
            ((date(2025, 11, 1), date(2025, 11, 30)), (date(2025, 12, 1), date(2025, 12, 31))),
        ),
        # custom days: distinct over each range in one statement vs grain `all` per set
        (
            "buyers",
            ((date(2025, 10, 1), date(2025, 11, 9)), (date(2025, 11, 10), date(2025, 12, 3))),
        ),
        (
            "conversion",
            ((date(2025, 10, 20), date(2025, 11, 12)), (date(2025, 11, 13), date(2025, 12, 6))),
        ),
    ]:
        then, now = ranges
        dims = ["platform", "channel", "region"] if metric == "conversion" else ORDER_DIMS
        fast = find_segments(medium_service, metric, dims, now, then)
        slow = find_segments(medium_service, metric, dims, now, then, batched=False)
        assert astuple(fast.totals) == pytest.approx(astuple(slow.totals), nan_ok=True)
        assert [f.label for f in fast.findings] == [f.label for f in slow.findings], metric
        by_label = {e.label: e for e in slow.effects}
        assert len(fast.effects) == len(slow.effects), metric
        for e in fast.effects:
            twin = by_label[e.label]
            assert (e.before, e.after, e.contribution) == pytest.approx(
                (twin.before, twin.after, twin.contribution)
            ), (metric, e.label)
        assert fast.overlapping == slow.overlapping


def test_distinct_counts_over_custom_days_are_batched_and_exact(small_service, small_data):
    spec = small_service.spec
    assert all(batchable(spec, m) for m in ("orders", "buyers", "visitors", "conversion"))
    assert not batchable(spec, "ios_share")  # a filtered input: not a metric of its own
    assert not batchable(spec, "wau")  # active: one query per set and range (grain `all`)
    paid = _orders(small_data).query("status == 'paid'")
    dims = ["platform", "channel"]
    for batched in (True, False):
        got = find_segments(small_service, "buyers", dims, CUSTOM_A, CUSTOM_B, batched=batched)
        assert got is not None
        before, after = (_in(paid, d) for d in (CUSTOM_B, CUSTOM_A))
        # c1, c2 (twice), c3, c4 then c99, c4, c1, c5: 4 and 4, distinct over the days
        assert (got.totals.before, got.totals.after) == (4.0, 4.0)
        assert got.totals.after == after["customer_id"].nunique()
        for dim_set in [(d,) for d in dims] + [tuple(dims)]:
            want = [
                _want(rows, dim_set, lambda g: g["customer_id"].nunique())
                for rows in (before, after)
            ]
            effects = {  # root cause shows NULL as (none); _want as NULL
                tuple(NULL if v == "(none)" else v for _, v in e.segment): e
                for e in got.effects
                if tuple(d for d, _ in e.segment) == dim_set
            }
            assert set(effects) == set(want[0]) | set(want[1]), (batched, dim_set)
            for key, e in effects.items():
                want_pair = (want[0].get(key, 0.0), want[1].get(key, 0.0))
                assert (e.before, e.after) == want_pair, (batched, dim_set, key)
    result = explain(small_service, "buyers", DayRange(*CUSTOM_A), DayRange(*CUSTOM_B))
    assert (result.comparison.before, result.comparison.after) == (4.0, 4.0)


def test_a_ratio_of_active_metrics_splits_by_segment_over_custom_days(small_service, small_data):
    """stickiness = dau / mau: not batchable, each range one grain-`all` query per set."""
    sessions = _sessions(small_data)
    known = sessions[sessions["customer_id"].notna()]
    got = find_segments(small_service, "stickiness", ["platform"], CUSTOM_A, CUSTOM_B)
    assert got is not None and got.kind == "ratio"
    for days, rate_of in ((CUSTOM_B, "before"), (CUSTOM_A, "after")):
        span = pd.date_range(days[0], days[1], freq="D").date
        month = _in(known, (days[1] - pd.Timedelta(days=29), days[1]))
        for platform, rows in _in(known, days).groupby("platform"):
            daily = rows.groupby("day")["customer_id"].nunique().reindex(span).fillna(0)
            mau = month[month["platform"] == platform]["customer_id"].nunique()
            (effect,) = [e for e in got.effects if e.segment == (("platform", platform),)]
            assert getattr(effect, rate_of) == pytest.approx(daily.mean() / mau), platform


def test_what_root_cause_cannot_split_is_left_out_with_what_works(small_service):
    notes: list[str] = []
    assert (
        find_segments(small_service, "ios_share", ["size"], CUSTOM_A, CUSTOM_B, notes=notes) is None
    )
    assert "filters its inputs" in notes[-1] and "metric of its own" in notes[-1]
    assert (
        find_segments(small_service, "wau", ["platform"], CUSTOM_A, CUSTOM_B, notes=notes) is None
    )
    assert "is an active metric; root cause splits counts, sums" in notes[-1]
    assert "northstar query wau --grain all" in notes[-1]


def test_unknown_dimension_is_refused_with_the_metric_s_dimensions(small_service):
    with pytest.raises(QueryError, match=r"its dimensions: .*platform"):
        segment_parts(small_service, ["visitors"], (PREVIOUS, WEEK), [("size",)])


class _Counting:
    """A read-only (frozen: a snapshot's) warehouse that counts the statements it runs."""

    def __init__(self, warehouse: Warehouse) -> None:
        self._wh, self.read_only, self.frozen, self.statements = warehouse, True, True, 0

    def arrow(self, *args, **kwargs):
        self.statements += 1
        return self._wh.arrow(*args, **kwargs)

    def __getattr__(self, name):
        return getattr(self._wh, name)


def test_a_snapshot_s_service_answers_the_second_ask_from_memory(small_data, small_spec):
    counted = _Counting(build_warehouse(small_data))
    service = MetricService(counted, small_spec, as_of=small_data.today)
    first = explain(service, "revenue", DayRange(*WEEK), DayRange(*PREVIOUS))
    ran = counted.statements
    again = explain(service, "revenue", DayRange(*WEEK), DayRange(*PREVIOUS))
    assert counted.statements == ran  # nothing ran the second time
    assert [e.label for e in again.segments.effects] == [e.label for e in first.segments.effects]
    # a read-write warehouse may load rows under the service: it asks every time
    live = MetricService(build_warehouse(small_data), small_spec, as_of=small_data.today)
    assert live.remember(("k",), lambda: 1) == 1 and live.remember(("k",), lambda: 2) == 2


def test_the_tree_over_custom_days_matches_pandas(small_service, small_data):
    # buyers (a distinct count under orders) over 5 custom days: distinct over the days
    paid = _orders(small_data).query("status == 'paid'")
    result = explain(small_service, "orders", DayRange(*CUSTOM_A), DayRange(*CUSTOM_B))
    rows = {r.metric: r for r in result.drivers}
    a, b = _in(paid, CUSTOM_B), _in(paid, CUSTOM_A)
    assert (rows["orders"].before, rows["orders"].after) == (len(a), len(b))
    assert (rows["buyers"].before, rows["buyers"].after) == (
        a["customer_id"].nunique(),
        b["customer_id"].nunique(),
    )
    per_buyer = rows["revenue_per_buyer"]
    assert (per_buyer.before, per_buyer.after) == pytest.approx(
        (
            a["amount"].sum() / a["customer_id"].nunique(),
            b["amount"].sum() / b["customer_id"].nunique(),
        )
    )
    parts = [r.contribution for r in result.drivers if r.parent == "orders"]
    assert sum(parts) == pytest.approx(len(b) - len(a))
    assert not any(n.startswith("drivers left out") for n in result.notes)


def test_a_tree_node_that_cannot_be_computed_leaves_the_drivers_out_with_the_reason(
    small_warehouse, small_data
):
    # visitors (sessions) has no `size`: filtered by size, its values cannot be computed
    text = SPEC_PATH.read_text(encoding="utf-8")
    text = text.replace("      - {metric: revenue_per_buyer}", "      - {metric: visitors}")
    spec = parse_spec(text, "tree.yml", small_warehouse.table_columns())
    service = MetricService(small_warehouse, spec, as_of=small_data.today)
    only = (DimensionFilter("size", "=", ("small",)),)
    result = explain(service, "orders", DayRange(*CUSTOM_A), DayRange(*CUSTOM_B), filters=only)
    assert result.drivers == []
    assert any(
        n.startswith("drivers left out:") and "cannot be broken down or filtered by `size`" in n
        for n in result.notes
    )
    assert result.segments is not None  # the segments of orders still are
