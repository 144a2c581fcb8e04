"""Row-level scope in the metric service, against pandas filtered by hand.

A user limited to `region: south` must get, on both query paths (raw tables, rollups), exactly
the numbers pandas computes from the South's rows: counts, sums, ratios, distinct counts, active
users, breakdowns, filter-picker values, root-cause segments and driver values. Hidden metrics and
filters that would widen the scope are refused; company-wide metrics are shown whole.
"""

from __future__ import annotations

from datetime import date, timedelta

import numpy as np
import pandas as pd
import pytest

from analysis.explain import driver_contributions, explain
from analysis.ranges import DayRange
from metric_layer.errors import SpecError
from metric_layer.loader import parse_spec
from metric_layer.query import DimensionFilter, MetricQuery
from metric_layer.rollup_build import build_rollups, rollups_stale
from metric_layer.scope import Scope, ScopeError
from metric_layer.segment_frames import range_totals, segment_frames
from tests.conftest import SPEC_PATH, TODAY, build_warehouse, make_service
from warehouse import Warehouse

SOUTH = Scope.of({"region": ["south"]})
START, END = date(2025, 3, 1), date(2025, 12, 31)  # ten whole months of the medium shop
NOV = (date(2025, 11, 1), date(2025, 11, 30))
DEC = (date(2025, 12, 1), date(2025, 12, 31))
NULL = "<null>"


# -- the shop's rows by hand -------------------------------------------------------------------
def _local(ts: pd.Series) -> pd.Series:
    """Shanghai-local day (UTC+8, no DST) of a UTC timestamp column, naive or tz-aware."""
    if getattr(ts.dt, "tz", None) is not None:
        ts = ts.dt.tz_convert("UTC").dt.tz_localize(None)
    return (ts + pd.Timedelta(hours=8)).dt.date


def orders_of(data, region: str | None = "south") -> pd.DataFrame:
    """Paid orders with their customer's region and channel; one region's, or all (None)."""
    people = data.customers[["customer_id", "channel", "region"]]
    rows = data.orders.merge(people, on="customer_id", how="left")
    rows["day"] = _local(rows["ordered_at"])
    rows = rows[rows["status"] == "paid"]
    return rows if region is None else rows[rows["region"] == region]


def sessions_of(data, region: str | None = "south") -> pd.DataFrame:
    people = data.customers[["customer_id", "region"]]
    rows = data.sessions.merge(people, on="customer_id", how="left")
    rows["day"] = _local(rows["started_at"])
    return rows if region is None else rows[rows["region"] == region]


def within(rows: pd.DataFrame, lo: date, hi: date) -> pd.DataFrame:
    return rows[(rows["day"] >= lo) & (rows["day"] <= hi)]


def monthly(rows: pd.DataFrame, how, by: list[str] | None = None) -> pd.Series:
    rows = within(rows, START, END)
    month = rows["day"].map(lambda d: d.replace(day=1)).rename("period")
    keys = [month] + [rows[d].astype(object).where(rows[d].notna(), NULL) for d in by or []]
    return rows.groupby(keys).apply(how, include_groups=False).astype(float)


def got_series(frame: pd.DataFrame, metric: str, by: list[str] | None = None) -> pd.Series:
    keyed = frame.assign(
        **{d: frame[d].astype(object).where(frame[d].notna(), NULL) for d in by or []}
    )
    return keyed.set_index(["period", *(by or [])])[metric].astype(float)


def assert_same(got: pd.Series, want: pd.Series, fill: float | None = 0.0) -> None:
    """Equal on every key of either side; a key missing on one side counts `fill` there."""
    keys = got.index.union(want.index)
    g, w = got.reindex(keys), want.reindex(keys)
    if fill is not None:
        g, w = g.fillna(fill), w.fillna(fill)
    np.testing.assert_allclose(g.to_numpy(), w.to_numpy(), rtol=1e-9, equal_nan=True)


@pytest.fixture
def south(medium_service):
    return medium_service.scoped(SOUTH)


# -- numbers -----------------------------------------------------------------------------------
def test_counts_sums_ratios_and_distinct_counts_are_the_souths(south, medium_service, medium_data):
    query = MetricQuery(("orders", "revenue", "aov", "buyers"), "month", START, END)
    frame = south.query(query).frame
    paid = orders_of(medium_data)
    orders = monthly(paid, lambda g: len(g))
    revenue = monthly(paid, lambda g: g["amount"].sum())
    assert_same(got_series(frame, "orders"), orders)
    assert_same(got_series(frame, "revenue"), revenue)
    assert_same(got_series(frame, "aov"), revenue / orders, fill=None)
    assert_same(got_series(frame, "buyers"), monthly(paid, lambda g: g["customer_id"].nunique()))
    # The whole shop differs: the scope is what made these numbers.
    everyone = medium_service.query(query).frame
    assert everyone["orders"].sum() > frame["orders"].sum() > 0


def test_distinct_counts_and_active_users_skip_materialized_results(
    south, medium_service, medium_data, use_rollups
):
    """Materialized DAU/buyers hold every region: a scoped read must decline them (rollups.py)
    and count distinct over the South's entity-day rows or raw rows instead."""
    lo, hi = date(2025, 12, 1), date(2025, 12, 31)
    query = MetricQuery(("dau", "wau", "buyers"), "day", lo, hi)
    frame = south.query(query).frame.set_index("period")
    visits = sessions_of(medium_data).dropna(subset=["customer_id"])
    paid = orders_of(medium_data)
    days = [lo + timedelta(days=i) for i in range((hi - lo).days + 1)]
    dau = [visits[visits["day"] == d]["customer_id"].nunique() for d in days]
    wau = [within(visits, d - timedelta(days=6), d)["customer_id"].nunique() for d in days]
    buyers = [paid[paid["day"] == d]["customer_id"].nunique() for d in days]
    np.testing.assert_allclose(frame.loc[days, "dau"].astype(float), dau)
    np.testing.assert_allclose(frame.loc[days, "wau"].astype(float), wau)
    np.testing.assert_allclose(frame.loc[days, "buyers"].astype(float), buyers)
    for metric in ("dau", "wau", "buyers"):
        assert (
            "materialized" not in south.plan(metric, MetricQuery((metric,), "day", lo, hi)).sources
        )
    if use_rollups:  # the same question unscoped does read them: the decline is the scope's
        assert (
            "materialized"
            in medium_service.plan("dau", MetricQuery(("dau",), "day", lo, hi)).sources
        )


def test_breakdown_by_another_dimension(south, medium_data):
    frame = south.query(
        MetricQuery(("orders", "revenue"), "month", START, END, ("platform",))
    ).frame
    paid = orders_of(medium_data)
    assert_same(got_series(frame, "orders", ["platform"]), monthly(paid, len, ["platform"]))
    want = monthly(paid, lambda g: g["amount"].sum(), ["platform"])
    assert_same(got_series(frame, "revenue", ["platform"]), want)


def test_breakdown_by_the_scoped_dimension_shows_only_its_values(south, medium_data):
    frame = south.query(MetricQuery(("orders",), "month", START, END, ("region",))).frame
    assert set(frame["region"]) == {"south"}
    assert_same(
        got_series(frame, "orders", ["region"]), monthly(orders_of(medium_data), len, ["region"])
    )


def test_filters_narrow_the_scope(south, medium_data):
    ads = DimensionFilter("channel", "=", ("ads",))
    not_north = DimensionFilter("region", "!=", ("north",))  # ANDed: still the South only
    frame = south.query(
        MetricQuery(("orders",), "month", START, END, filters=(ads, not_north))
    ).frame
    paid = orders_of(medium_data)
    assert_same(got_series(frame, "orders"), monthly(paid[paid["channel"] == "ads"], len))
    # A value the scope allows may be asked for explicitly.
    same = south.query(
        MetricQuery(
            ("orders",), "month", START, END, filters=(DimensionFilter("region", "=", ("south",)),)
        )
    ).frame
    assert_same(got_series(same, "orders"), monthly(paid, len))


@pytest.mark.parametrize(
    "filters, where",
    [
        ((DimensionFilter("region", "=", ("north",)),), ()),
        ((DimensionFilter("region", "in", ("south", "north")),), ()),
        ((DimensionFilter("customers.region", "=", ("north",)),), ()),
        ((), ("region = 'north'",)),
        ((), ("region IN ('north', 'south')",)),
    ],
    ids=["equals", "in", "qualified", "sql", "sql-in"],
)
def test_a_filter_widening_the_scope_is_refused(south, filters, where):
    query = MetricQuery(("orders",), "month", START, END, filters=filters, where=where)
    with pytest.raises(ScopeError, match=r"outside your scope \(region: south\); pick among south"):
        south.query(query)
    with pytest.raises(ScopeError):
        south.sql("orders", query)


def test_filter_picker_values_are_the_scopes(small_service, small_data):
    """Values of a text column offered by the Explorer's filter builder: only the scope's rows."""
    north = small_service.scoped(Scope.of({"region": ["north"]}))
    paid_or_not = small_data.orders.merge(small_data.customers, on="customer_id", how="left")
    want = sorted(paid_or_not[paid_or_not["region"] == "north"]["status"].dropna().unique())
    assert north.column_values("orders", "status") == (want, False)
    assert want == ["paid"]  # the small shop's northern orders are all paid; the others are not
    assert small_service.column_values("orders", "status")[0] == ["cancelled", "paid", "refunded"]
    south = small_service.scoped(SOUTH)
    want = sorted(paid_or_not[paid_or_not["region"] == "south"]["customer_id"].unique())
    assert south.column_values("orders", "customer_id") == (want, False)


def test_data_span_is_the_scopes(small_service, small_data):
    """The no-data hint says where the South's data is, not the shop's."""
    south = small_service.scoped(Scope.of({"region": ["north"]}))
    rows = orders_of(small_data, "north")
    everyone = small_data.orders.assign(day=_local(small_data.orders["ordered_at"]))
    people = small_data.customers[["customer_id", "region"]]
    north_rows = everyone.merge(people, on="customer_id")
    north_rows = north_rows[north_rows["region"] == "north"]
    assert south.data_span("orders") == (north_rows["day"].min(), north_rows["day"].max())
    assert rows["day"].min() > everyone["day"].min()  # the shop's first order is the South's


# -- root cause and drivers --------------------------------------------------------------------
def _segments(rows: pd.DataFrame, dims: tuple[str, ...], how) -> dict:
    keyed = rows.assign(**{d: rows[d].astype(object).where(rows[d].notna(), NULL) for d in dims})
    return {
        (k if isinstance(k, tuple) else (k,)): float(how(g))
        for k, g in keyed.groupby(list(dims), dropna=False)
    }


def _frame_dict(frame: pd.DataFrame, dims, column: str) -> dict:
    return {
        tuple(NULL if pd.isna(r[d]) else r[d] for d in dims): float(r[column])
        for r in frame.to_dict("records")
    }


def test_root_cause_segments_are_the_souths(south, medium_data):
    sets = [("platform",), ("channel",), ("region",)]
    frames = segment_frames(south, "orders", (NOV, DEC), sets)
    paid = orders_of(medium_data)
    for dims in sets:
        for side, days in enumerate((NOV, DEC)):
            got = _frame_dict(frames[dims][side], dims, "value")
            assert got == pytest.approx(_segments(within(paid, *days), dims, len))
    assert set(frames[("region",)][0]["region"]) == {"south"}
    whole = frames[()]
    assert float(whole[1]["value"].iloc[0]) == len(within(paid, *DEC))
    ratio = segment_frames(south, "aov", (NOV, DEC), [("channel",)])[("channel",)][1]
    want_num = _segments(within(paid, *DEC), ("channel",), lambda g: g["amount"].sum())
    assert _frame_dict(ratio, ("channel",), "numerator") == pytest.approx(want_num)


def test_explain_and_driver_values_are_the_souths(south, medium_data):
    paid = orders_of(medium_data)
    dec = (DEC[0], date(2025, 12, 30))  # as long as November: explain compares unscaled
    result = explain(
        south, "orders", DayRange(*dec), DayRange(*NOV), dimensions=["platform", "region"]
    )
    assert (result.comparison.before, result.comparison.after) == (
        len(within(paid, *NOV)),
        len(within(paid, *dec)),
    )
    assert all("north" not in e.label for e in result.segments.effects)
    drivers = {d.metric: d for d in driver_contributions(south, "orders", DEC, NOV)}
    buyers = [within(paid, *r)["customer_id"].nunique() for r in (NOV, DEC)]
    assert (drivers["buyers"].before, drivers["buyers"].after) == tuple(buyers)
    assert (drivers["orders"].before, drivers["orders"].after) == (
        len(within(paid, *NOV)),
        len(within(paid, *DEC)),
    )


# -- hidden and company-wide metrics -----------------------------------------------------------
EXTRA_MODEL = """\
  - name: raw_visits
    table: raw.sessions
    primary_key: session_id
    time: {column: started_at}
    dimensions: [platform]
"""
EXTRA_METRICS = """\
  - {name: visits, type: simple, model: raw_visits, agg: count}
  - {name: all_visits, type: simple, model: raw_visits, agg: count, company_wide: true}
  - {name: orders_per_visit, type: ratio, numerator: orders, denominator: visits}
  - {name: company_orders, type: simple, model: orders, agg: count, filter: "status = 'paid'", company_wide: true}
"""


def extended_text() -> str:
    """The small spec with a model lacking `region` (sessions without the customers join), its
    metrics (hidden, company-wide), a company-wide metric that has `region`, and a tree node
    the South cannot see."""
    text = SPEC_PATH.read_text(encoding="utf-8")
    text = text.replace("metrics:\n", EXTRA_MODEL + "metrics:\n", 1)
    text = text.replace("north_star:", EXTRA_METRICS + "north_star:", 1)
    return text.replace(
        "      - {metric: buyers}",
        "      - {metric: buyers, relation: related, children: [{metric: visits}]}",
    )


@pytest.fixture(scope="module")
def extended(medium_warehouse):
    spec = parse_spec(extended_text(), "metrics.yml", medium_warehouse.table_columns())
    return make_service(medium_warehouse, spec)


def test_metrics_lacking_the_dimension_are_hidden_and_refused(extended):
    south = extended.scoped(SOUTH)
    assert "visits" not in south.metric_names and "orders_per_visit" not in south.metric_names
    assert {"orders", "all_visits", "company_orders"} <= set(south.metric_names)
    assert "visits" in extended.metric_names
    query = MetricQuery(("visits",), "month", START, END)
    for ask in (
        lambda: south.query(query),
        lambda: south.query(MetricQuery(("orders", "orders_per_visit"), "month", START, END)),
        lambda: south.sql("visits", query),
        lambda: south.column_values("visits", "platform"),
        lambda: south.data_span("visits"),
        lambda: explain(south, "visits", DayRange(*DEC), DayRange(*NOV)),
        lambda: segment_frames(south, "visits", (NOV, DEC), [("platform",)]),
    ):
        with pytest.raises(ScopeError, match=r"`(visits|orders_per_visit)` is outside your scope"):
            ask()
    # Listing: the tree loses the hidden node, the spec pages read lists only what is shown.
    tree = south.shown_spec.north_star.tree
    buyers = next(c for c in tree.children if c.metric == "buyers")
    assert buyers.children == [] and south.spec.metric("visits")  # the service keeps it
    assert extended.shown_spec.north_star.tree.children[0].children[0].metric == "visits"


def test_company_wide_metrics_are_whole_beside_scoped_ones(extended, medium_data):
    """One query mixing them: each metric read its own way (two metrics of one model, scoped
    and company-wide, must not share one scan with one set of filters)."""
    south = extended.scoped(SOUTH)
    frame = south.query(
        MetricQuery(("orders", "company_orders", "all_visits"), "month", START, END)
    ).frame
    assert_same(got_series(frame, "orders"), monthly(orders_of(medium_data), len))
    assert_same(got_series(frame, "company_orders"), monthly(orders_of(medium_data, None), len))
    assert_same(got_series(frame, "all_visits"), monthly(sessions_of(medium_data, None), len))
    # Company-wide: any region may be asked for, North included.
    north = DimensionFilter("region", "=", ("north",))
    asked = south.query(MetricQuery(("company_orders",), "month", START, END, filters=(north,)))
    assert_same(
        got_series(asked.frame, "company_orders"), monthly(orders_of(medium_data, "north"), len)
    )
    totals = range_totals(south, ["orders", "company_orders"], (NOV, DEC))
    assert totals["orders"] == (
        len(within(orders_of(medium_data), *NOV)),
        len(within(orders_of(medium_data), *DEC)),
    )
    everyone = orders_of(medium_data, None)
    assert totals["company_orders"] == (len(within(everyone, *NOV)), len(within(everyone, *DEC)))


def test_every_model_a_metric_reads_needs_the_dimension(small_service):
    """Scoped by platform (orders and sessions have it, customers not): a retention over
    customer cohorts is hidden; retention over first visits and buyers/visitors are not."""
    ios = small_service.scoped(Scope.of({"platform": ["ios"]}))
    assert "d1_retention" not in ios.metric_names
    assert {"w1_retention", "conversion", "stickiness", "orders"} <= set(ios.metric_names)
    with pytest.raises(ScopeError):
        ios.query(MetricQuery(("d1_retention",)))


# -- the scope value -----------------------------------------------------------------------------
def test_scope_checks_its_dimensions_against_the_spec(small_service):
    with pytest.raises(
        ScopeError, match=r"`regoin`.*did you mean `region`\?.*dimensions: .*channel"
    ):
        small_service.scoped(Scope.of({"regoin": ["south"]}))
    with pytest.raises(ScopeError, match="allows no value of `region`"):
        Scope.of({"region": []})
    with pytest.raises(ScopeError, match=r"share no value of `region` \(south vs north\)"):
        Scope.of({"region": ["south"]}) & Scope.of({"region": ["north"]})
    both = Scope.of({"region": "south"}) & Scope.of({"channel": ["ads", "email"]})
    assert str(both) == "channel: ads, email; region: south"
    assert Scope.of({"region": ["south"]}).key() != Scope.of({"region": ["south", "north"]}).key()
    # One service per scope; a scoped service scoped again holds both.
    south = small_service.scoped(SOUTH)
    assert small_service.scoped(Scope.of({"region": ["south"]})) is south
    assert south.scoped(Scope.of({"channel": ["ads"]})).scope == SOUTH & Scope.of(
        {"channel": ["ads"]}
    )
    assert small_service.scoped(None) is small_service


def test_scoped_answers_are_remembered_apart(small_data, small_spec, tmp_path):
    """A read-only warehouse's service remembers explanations; the keys carry the scope, so the
    whole shop's answer never answers the South (nor the other way round)."""
    path = tmp_path / "shop.duckdb"
    with Warehouse(path) as wh:
        for table, frame in (
            ("raw.customers", small_data.customers),
            ("raw.orders", small_data.orders),
            ("raw.sessions", small_data.sessions),
        ):
            wh.replace_table(table, frame)
        wh.checkpoint()
    with Warehouse(path, read_only=True) as wh:
        service = make_service(wh, small_spec)
        now, then = (
            DayRange(date(2026, 1, 5), date(2026, 1, 7)),
            DayRange(date(2025, 12, 29), date(2025, 12, 31)),
        )
        paid = orders_of(small_data)
        for first, second in ((service, service.scoped(SOUTH)), (service.scoped(SOUTH), service)):
            explain(first, "orders", now, then)
            answer = explain(second, "orders", now, then)
            rows = paid if second.scope else orders_of(small_data, None)
            assert answer.comparison.after == len(within(rows, now.start, now.end))
        assert len(within(paid, now.start, now.end)) != len(
            within(orders_of(small_data, None), now.start, now.end)
        )


# -- the spec key ------------------------------------------------------------------------------
def test_company_wide_is_validated_with_its_line(small_warehouse):
    text = SPEC_PATH.read_text(encoding="utf-8").replace(
        "{name: orders, type: simple,", "{name: orders, company_wide: maybe, type: simple,"
    )
    with pytest.raises(SpecError) as caught:
        parse_spec(text, "metrics.yml", small_warehouse.table_columns())
    issue = caught.value.issues[0]
    line = next(n for n, t in enumerate(text.splitlines(), 1) if "company_wide: maybe" in t)
    assert (issue.line, issue.path) == (line, "metrics[0].company_wide")
    assert "true or false" in (issue.hint or "")


def test_marking_a_metric_company_wide_rebuilds_no_rollup(small_data):
    wh = build_warehouse(small_data)
    try:
        text = SPEC_PATH.read_text(encoding="utf-8")
        build_rollups(wh, parse_spec(text, "metrics.yml", wh.table_columns()), today=TODAY)
        marked = text.replace(
            "{name: buyers, type: simple,", "{name: buyers, company_wide: true, type: simple,"
        ).replace("{name: dau, type: active,", "{name: dau, company_wide: true, type: active,")
        assert marked != text
        assert not rollups_stale(wh, parse_spec(marked, "metrics.yml", wh.table_columns()), TODAY)
    finally:
        wh.close()
