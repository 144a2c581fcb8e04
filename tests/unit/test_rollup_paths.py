"""The rollup path and the raw path give the same frame for every query (a property test).

Hypothesis draws a metric of small_spec.yml, a grain, a range (before the first day of data,
across it, past the last day, past the as-of day), a breakdown, a filter, a comparison and the
as-of day of the query; the same MetricQuery must give equal frames on the raw tables and on
rollups. Rollups are built once for the day the data ends (TODAY) and once for a day twelve days
later (the data then ends on a Thursday, as with a business whose events stopped before today),
with weeks starting on Monday and, once, on Sunday.
NORTHSTAR_PROPERTY_EXAMPLES=2000 searches longer (see tests/conftest.py property_settings).
"""

from __future__ import annotations

from datetime import date, timedelta

import pandas as pd
import pytest
from hypothesis import given
from hypothesis import strategies as st

from metric_layer.errors import QueryError
from metric_layer.query import DimensionFilter, MetricQuery
from metric_layer.semantics import Semantics
from metric_layer.service import MetricService
from tests.conftest import TODAY, build_rollup_warehouse, build_warehouse, property_settings

LATER = TODAY + timedelta(days=12)  # rollups built for a day well after the data's last day
FIRST_DATA, LAST_DATA = date(2024, 12, 20), TODAY
DAYS = st.dates(
    min_value=FIRST_DATA - timedelta(days=120), max_value=LAST_DATA + timedelta(days=90)
)
GRAINS = ("day", "week", "month", "quarter", "year")
FILTER_VALUES = {
    "channel": ("ads", "organic", "email"),
    "region": ("north", "south"),
    "platform": ("ios", "android", "web"),
    "size": ("large", "small"),
}


class Paths(dict):
    """(built-for day, week start) → (raw service, rollup service) over the same rows."""

    def __repr__(self) -> str:
        return "paths"


CONFIGS = [(TODAY, "monday"), (LATER, "monday"), (LATER, "sunday")]


@pytest.fixture(scope="module")
def paths(small_data, small_spec, sunday_spec):
    raw = build_warehouse(small_data)
    out = Paths()
    made = [raw]
    for built_for, week_start in CONFIGS:
        spec = small_spec if week_start == "monday" else sunday_spec
        data = small_data.__class__(**{**small_data.__dict__, "today": built_for})
        rolled = build_rollup_warehouse(data, spec)
        made.append(rolled)
        fast = MetricService(rolled, spec, as_of=built_for)
        assert fast.rollup_planner is not None and fast.rollup_planner.built_for == built_for
        slow = MetricService(raw, spec, use_rollups=False, as_of=built_for)
        out[built_for, week_start] = (slow, fast)
    yield out
    for wh in made:
        wh.close()


@st.composite
def queries(draw, spec) -> tuple[tuple[date, str], MetricQuery]:
    sem = Semantics(spec)
    metric = draw(st.sampled_from(spec.metric_names))
    dims = sorted(k for k in sem.dimensions_of_metric(metric) if "." not in k)
    grain = draw(st.sampled_from(GRAINS))
    a, b = draw(DAYS), draw(DAYS)
    start, end = min(a, b), max(a, b)
    if grain == "day" and (end - start).days > 200:  # keep day-grain answers small
        end = start + timedelta(days=200)
    breakdown = (
        tuple(draw(st.lists(st.sampled_from(dims), max_size=2, unique=True))) if dims else ()
    )
    filters: tuple[DimensionFilter, ...] = ()
    if dims and draw(st.booleans()):
        dim = draw(st.sampled_from([d for d in dims if d in FILTER_VALUES]))
        values = tuple(draw(st.lists(st.sampled_from(FILTER_VALUES[dim]), min_size=1, unique=True)))
        filters = (DimensionFilter(dim, draw(st.sampled_from(["in", "not in"])), values),)
    config = draw(st.sampled_from(CONFIGS))
    built_for = config[0]
    # Mostly the day the rollups were built for; sometimes any day, before or after it.
    as_of = draw(st.one_of(st.just(built_for), st.just(None), DAYS))
    query = MetricQuery(
        (metric,),
        grain=grain,
        start=start,
        end=end,
        dimensions=breakdown,
        filters=filters,
        compare=draw(st.sampled_from([None, None, "previous", "last_year"])),
        as_of=as_of,
    )
    return config, query


def assert_same(raw: MetricService, fast: MetricService, query: MetricQuery) -> None:
    try:
        want = raw.query(query).frame
    except QueryError as exc:  # refused queries are refused on both paths, with the same words
        with pytest.raises(QueryError) as got:
            fast.query(query)
        assert str(got.value) == str(exc)
        return
    got = fast.query(query).frame
    pd.testing.assert_frame_equal(got, want, check_exact=False, rtol=1e-9, obj=repr(query))


@property_settings(150)
@given(data=st.data())
def test_rollups_and_raw_give_the_same_frame(paths, data):
    config, query = data.draw(queries(paths[CONFIGS[0]][0].spec))
    raw, fast = paths[config]
    assert_same(raw, fast, query)


ACTIVE = ("dau", "wau", "mau", "stickiness")


@pytest.mark.parametrize("metric", ACTIVE)
@pytest.mark.parametrize("grain", ["day", "week", "month"])
@pytest.mark.parametrize("dims", [(), ("platform",)])
def test_active_metrics_past_the_last_day_of_data(paths, metric, grain, dims):
    """Data ends 2026-01-08, rollups are built for 2026-01-20: the days between are not empty."""
    raw, fast = paths[LATER, "monday"]
    query = MetricQuery(
        (metric,),
        grain=grain,
        start=date(2025, 12, 1),
        end=LATER + timedelta(days=10),
        dimensions=dims,
    )
    assert_same(raw, fast, query)
    assert '"rollup".' in fast.sql(metric, query)  # answered from rollups, not raw tables


@pytest.mark.parametrize("metric", ["wau", "mau"])
@pytest.mark.parametrize("grain", ["day", "week", "month"])
@pytest.mark.parametrize("as_of", [LATER - timedelta(days=5), LATER + timedelta(days=9)])
def test_rolling_windows_built_for_another_day(paths, metric, grain, as_of):
    """Rollups built for LATER, today another day: periods that ended before both days come from
    the materialized results, the rest from entity days, and the frame is the raw path's."""
    raw, fast = paths[LATER, "monday"]
    used = []
    for end in (
        as_of - timedelta(days=40),
        as_of - timedelta(days=1),
        LATER - timedelta(days=1),
        LATER + timedelta(days=3),
    ):
        query = MetricQuery((metric,), grain=grain, start=date(2025, 11, 3), end=end, as_of=as_of)
        assert_same(raw, fast, query)
        used.append("m__" in fast.sql(metric, query))
    assert used[0]  # the earliest range ended before both days: the materialized results
    assert not used[-1]  # one reaching past the build day: entity days
