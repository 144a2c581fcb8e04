"""The same metrics.yml answers the same numbers on every warehouse engine (issue 16).

One test business (tests/conftest.py's small and medium shops) is loaded into each engine of
tests/engine_shops.py (DuckDB; PostgreSQL in a fresh database, its session in New York) and asked
the same questions through MetricService: each metric type (simple count, DECIMAL sum, distinct
count, average and max; ratio; derived, with and without previous(); active; retention;
cumulative) at every grain, with no breakdown and with a breakdown by one dimension plus a filter
on another. Every engine's answer must
- equal pandas: the small spec's metrics against tests/unit/test_metric_values.Reference (pandas
  written by hand from docs/metrics-yml.md, rtol 1e-9), the DECIMAL sum and its running total
  against the pandas below, exactly (Decimal cents);
- equal DuckDB's answer as a MetricFrame: the same rows and column types, DECIMAL values equal
  to the last digit (scale included), integers equal, doubles within 1e-12.
A third engine is one more entry in engine_shops.ENGINES and SHOPS.
"""

from __future__ import annotations

import math
from collections.abc import Iterator
from contextlib import ExitStack
from datetime import date
from decimal import Decimal

import pandas as pd
import pytest

from analysis.explain import explain
from analysis.ranges import DayRange
from analysis.report import driver_records, segment_records, summary_record
from metric_layer.errors import QueryError
from metric_layer.loader import parse_spec
from metric_layer.query import DimensionFilter, MetricQuery
from metric_layer.service import MetricService
from tests.conftest import NOW, SPEC_PATH
from tests.engine_shops import ENGINES, SHOPS
from tests.unit.test_metric_values import Case, Reference, actual, check, period_freq

pytestmark = pytest.mark.xdist_group("engine_conformance")  # one load per engine and shop

EXTRA = """
  - {name: revenue_exact, type: simple, model: orders, agg: sum, expr: "CAST(amount AS DECIMAL(12, 2))", filter: "status = 'paid'"}
  - {name: revenue_to_date, type: cumulative, input_metric: revenue_exact}
  - {name: orders_l7_avg, type: cumulative, input_metric: orders, window: 7, period_value: average}
  - {name: aov_whole, type: derived, formula: "round(aov)"}
  - {name: p90_approx, type: simple, model: orders, agg: percentile, percentile: 0.9, expr: amount, approximate: true}
"""
# What an engine cannot compute, and the words its refusal must hold (docs/scale-out.md).
REFUSED = {
    "postgres": {"p90_approx": r"`p90_approx` is an approximate percentile.*approximate: false"}
}
# Metric types of the small spec, checked against the Reference (pandas).
REFERENCE_METRICS = [
    "orders",  # simple count
    "revenue",  # simple sum of a DOUBLE
    "buyers",  # count_distinct
    "avg_amount",  # avg
    "max_amount",  # max
    "aov",  # ratio
    "revenue_per_buyer",  # derived
    "revenue_growth",  # derived with previous()
    "wau",  # active, 7 days
    "d1_retention",  # retention
]
EXACT_METRICS = ["revenue_exact", "revenue_to_date"]  # DECIMAL: checked to the cent below
OWN_METRICS = ["orders_l7_avg", "aov_whole"]  # an average over days, a rounded ratio: below
GRAINS = ["day", "week", "month", "quarter", "year"]
# No breakdown and no filter; a breakdown by a joined dimension with a filter on another.
VARIANTS = {"total": ((), {}), "channel-north": (("channel",), {"region": ["north"]})}
CENT = Decimal("0.01")


# -- the engines ---------------------------------------------------------------------------------
@pytest.fixture(scope="module")
def shops(request) -> Iterator:
    """(engine, dataset) → a MetricService over that engine's copy of the shop, loaded once."""
    made: dict[tuple[str, str], MetricService] = {}
    with ExitStack() as stack:

        def get(engine: str, dataset: str) -> MetricService:
            if (engine, dataset) not in made:
                data = request.getfixturevalue(f"{dataset}_data")
                wh = stack.enter_context(SHOPS[engine](data))
                spec = spec_for(wh.table_columns())
                made[engine, dataset] = MetricService(wh, spec, clock=lambda: NOW)
            return made[engine, dataset]

        yield get


def spec_for(columns):
    text = SPEC_PATH.read_text(encoding="utf-8").replace("\nnorth_star:", EXTRA + "north_star:")
    return parse_spec(text, "conformance.yml", columns)


@pytest.fixture(scope="module")
def refs(small_data, medium_data) -> dict[str, Reference]:
    return {d.name: Reference(d.customers, d.orders, d.sessions) for d in (small_data, medium_data)}


def _case(data, grain: str, variant: str) -> Case:
    dims, filters = VARIANTS[variant]
    return Case(grain, dims, filters, data.start, data.end, data.today)


def _query(c: Case, metrics: tuple[str, ...]) -> MetricQuery:
    filters = tuple(DimensionFilter(d, "in", tuple(v)) for d, v in c.filters.items())
    return MetricQuery(
        metrics, grain=c.grain, start=c.start, end=c.end, dimensions=c.dims, filters=filters
    )


# -- the same frame as DuckDB's ------------------------------------------------------------------
def assert_same_frame(got: pd.DataFrame, want: pd.DataFrame, what: str) -> None:
    """Same columns, dtypes and keys; DECIMAL equal digit for digit, doubles within 1e-12."""
    assert list(got.columns) == list(want.columns), what
    assert [str(t) for t in got.dtypes] == [str(t) for t in want.dtypes], what
    assert len(got) == len(want), f"{what}: {len(got)} rows, DuckDB {len(want)}"
    for column in got.columns:
        for i, (a, b) in enumerate(zip(got[column], want[column], strict=True)):
            assert _same(a, b), f"{what}: {column} row {i}: {a!r}, DuckDB {b!r}"


def _same(a, b) -> bool:
    if _missing(a) or _missing(b):
        return _missing(a) and _missing(b)
    if isinstance(a, Decimal) or isinstance(b, Decimal):
        return type(a) is type(b) and str(a) == str(b)  # the scale too: 2.50 is not 2.5
    if isinstance(a, float) or isinstance(b, float):
        return math.isclose(a, b, rel_tol=1e-12, abs_tol=1e-12)
    return type(a) is type(b) and a == b


def _missing(v) -> bool:
    return v is None or v is pd.NA or (isinstance(v, float) and math.isnan(v))


def duckdb_frame(shops, dataset: str, query: MetricQuery) -> pd.DataFrame:
    return shops("duckdb", dataset).query(query).frame


# -- pandas for the metrics the Reference lacks ----------------------------------------------------
def exact_revenue(ref: Reference, c: Case, running: bool) -> dict[tuple, Decimal]:
    """(period, *dims) → the paid orders' CAST(amount AS DECIMAL(12, 2)) summed over the period's
    days, or (running) over every day up to the period's last day (today for the current one);
    non-zero values only. Period starts are pandas Periods, days local in Shanghai."""
    o = _paid(ref, c)
    o = o.assign(cents=o["amount"].map(lambda a: Decimal(repr(a)).quantize(CENT)))
    today = pd.Timestamp(c.today)
    out: dict[tuple, Decimal] = {}
    for first, last in _periods(c):
        if running:
            last = min(last, today)
            if last < first:
                continue  # a period after today has no value
            days = o[o["day"] <= last]
        else:
            days = o[(o["day"] >= first) & (o["day"] <= last)]
        for key, part in days.groupby("key"):
            total = sum(part["cents"], Decimal(0))
            if total:
                out[(first.date(), *key)] = total
    return out


def trailing_average(ref: Reference, c: Case, window: int = 7) -> dict[tuple, float]:
    """(period, *dims) → the mean, over the period's days up to today, of the paid orders of the
    `window` days ending each day; non-zero values only."""
    o = _paid(ref, c)
    today = pd.Timestamp(c.today)
    days = pd.date_range(pd.Timestamp(c.start) - pd.Timedelta(days=400), today)
    out: dict[tuple, float] = {}
    for key, part in o.groupby("key"):
        daily = part.groupby("day").size().reindex(days, fill_value=0)
        trailing = daily.rolling(window, min_periods=1).sum()
        for first, last in _periods(c):
            if min(last, today) < first:
                continue
            mean = trailing.loc[first : min(last, today)].mean()
            if mean:
                out[(first.date(), *key)] = float(mean)
    return out


def whole_aov(ref: Reference, c: Case) -> dict[tuple, float]:
    """(period, *dims) → round(revenue / orders) of paid orders, halves away from zero."""
    o = _paid(ref, c)
    out: dict[tuple, float] = {}
    for first, last in _periods(c):
        days = o[(o["day"] >= first) & (o["day"] <= last)]
        for key, part in days.groupby("key"):
            aov = part["amount"].sum() / len(part)
            whole = math.floor(abs(aov) + 0.5) * (1 if aov >= 0 else -1)
            if whole:
                out[(first.date(), *key)] = float(whole)
    return out


def _paid(ref: Reference, c: Case) -> pd.DataFrame:
    o = ref.orders[ref.orders["status"] == "paid"]
    for dim, values in c.filters.items():
        o = o[o[dim].isin(values)]
    return o.assign(key=_keys(o, c.dims))


def _keys(frame: pd.DataFrame, dims: tuple[str, ...]) -> list[tuple]:
    """Each row's segment, NULL as None (pandas' groupby would drop NaN keys)."""
    return [tuple(None if pd.isna(v) else v for v in row) for row in frame[list(dims)].values]


def _periods(c: Case) -> list[tuple[pd.Timestamp, pd.Timestamp]]:
    """(first day, last day) of each period covering start..end."""
    span = pd.period_range(pd.Timestamp(c.start), pd.Timestamp(c.end), freq=period_freq(c.grain))
    return [(p.start_time, p.end_time.normalize()) for p in span]


def nonzero(frame: pd.DataFrame, metric: str, dims) -> dict[tuple, Decimal]:
    rows = frame[[*["period", *dims], metric]].itertuples(index=False)
    return {
        tuple(None if _missing(v) else v for v in r[:-1]): r[-1]
        for r in rows
        if not _missing(r[-1]) and r[-1]  # no value (after today) and zeros left out
    }


def assert_pandas(service, frame: pd.DataFrame, ref: Reference, metric: str, c: Case) -> None:
    if metric in EXACT_METRICS:
        want = exact_revenue(ref, c, running=metric == "revenue_to_date")
        got = nonzero(frame, metric, c.dims)
        assert want and got == want  # Decimal == Decimal: to the cent
        assert all(isinstance(v, Decimal) for v in got.values())
    elif metric in OWN_METRICS:
        want = trailing_average(ref, c) if metric == "orders_l7_avg" else whole_aov(ref, c)
        got = nonzero(frame, metric, c.dims)
        assert want and set(got) == set(want)
        assert [got[k] for k in want] == pytest.approx(list(want.values()), rel=1e-9)
    else:
        check(actual(service, metric, c), ref.metric(metric, c))


# -- every metric type, every grain, a breakdown and a filter ------------------------------------
CASES = [
    pytest.param(metric, grain, variant, id=f"{metric}-{grain}-{variant}")
    for metric in REFERENCE_METRICS + EXACT_METRICS + OWN_METRICS
    for grain in GRAINS
    for variant in VARIANTS
]


@pytest.mark.parametrize("engine", ENGINES)
@pytest.mark.parametrize(("metric", "grain", "variant"), CASES)
def test_small_shop_answers_pandas_on_every_engine(
    shops, refs, small_data, engine, metric, grain, variant
):
    c = _case(small_data, grain, variant)
    service = shops(engine, "small")
    frame = service.query(_query(c, (metric,))).frame
    assert_pandas(service, frame, refs["small"], metric, c)
    if engine != "duckdb":
        want_frame = duckdb_frame(shops, "small", _query(c, (metric,)))
        assert_same_frame(frame, want_frame, f"{engine} {metric} {grain} {variant}")


MEDIUM = [("week", "channel-north"), ("quarter", "total")]


@pytest.mark.parametrize("engine", ENGINES)
@pytest.mark.parametrize(("grain", "variant"), MEDIUM, ids=[f"{g}-{v}" for g, v in MEDIUM])
@pytest.mark.parametrize("metric", REFERENCE_METRICS + EXACT_METRICS + OWN_METRICS)
def test_medium_shop_answers_pandas_on_every_engine(
    shops, refs, medium_data, engine, metric, grain, variant
):
    """A year of random orders: sums of thousands of cents stay exact on every engine."""
    c = _case(medium_data, grain, variant)
    service = shops(engine, "medium")
    frame = service.query(_query(c, (metric,))).frame
    assert_pandas(service, frame, refs["medium"], metric, c)
    if engine != "duckdb":
        want_frame = duckdb_frame(shops, "medium", _query(c, (metric,)))
        assert_same_frame(frame, want_frame, f"{engine} {metric} {grain} {variant}")


@pytest.mark.parametrize("engine", ENGINES)
def test_grain_all_and_one_statement_per_model(shops, engine, medium_data):
    """Metrics of one model asked together share one statement (fused.py); at grain `all` too."""
    metrics = ("orders", "revenue_exact", "buyers", "avg_amount", "max_amount", "aov", "wau")
    for grain in ("all", "month"):
        c = _case(medium_data, grain, "channel-north")
        service = shops(engine, "medium")
        result = service.query(_query(c, metrics))
        assert len(set(result.sql.values())) < len(metrics)  # some share a statement
        for name in metrics:  # each as asked alone
            alone = service.query(_query(c, (name,))).frame
            assert_same_frame(result.frame[alone.columns], alone, f"{engine} {name} {grain}")
        if engine != "duckdb":
            want = duckdb_frame(shops, "medium", _query(c, metrics))
            assert_same_frame(result.frame, want, f"{engine} together {grain}")


# -- what else the service reads: explanations, filter values, data spans ------------------------
@pytest.mark.parametrize("engine", ENGINES)
def test_explain_finds_the_same_drivers_and_segments(shops, engine):
    """The segment search's batched statements (segment_parts.py) on each engine: the same
    change, drivers and ranked segments as on DuckDB."""
    service = shops(engine, "medium")
    current = DayRange(date(2025, 12, 1), date(2025, 12, 28))
    baseline = DayRange(date(2025, 11, 3), date(2025, 11, 30))
    for metric in ("orders", "revenue_exact", "buyers"):
        got = explain(service, metric, current, baseline)
        want = explain(shops("duckdb", "medium"), metric, current, baseline)
        assert summary_record(got) == summary_record(want)
        assert driver_records(got) == driver_records(want)
        assert segment_records(got) == segment_records(want)
        assert segment_records(got), f"{metric}: no segment found"


@pytest.mark.parametrize("engine", ENGINES)
def test_filter_values_and_data_span(shops, engine, small_data):
    service = shops(engine, "small")
    assert service.column_values("orders", "platform") == (["android", "ios", "web"], False)
    assert service.column_values("visitors", "platform") == (["android", "ios", "web"], False)
    # Shanghai days of the first and last order (o01 2025-01-02 10:00 UTC, o16 2026-01-07
    # 23:30 UTC) and session (s01 2024-12-20 05:00 UTC, s26 2026-01-08 01:00 UTC)
    assert service.data_span("orders") == (date(2025, 1, 2), date(2026, 1, 8))
    assert service.data_span("conversion") == (date(2024, 12, 20), date(2026, 1, 8))


@pytest.mark.parametrize("engine", ENGINES)
def test_the_plan_says_where_answers_come_from(shops, engine):
    route = shops(engine, "small").plan("orders")
    assert route.source == "raw"
    if engine == "duckdb":
        assert route.reasons == ("no rollups built — run `northstar rollups build`",)
    else:
        assert route.reasons == (  # a database loaded without a publish: no rollups there
            f"no rollups published to {engine} — the next `northstar ingest` builds them with its "
            "publish",
        )


@pytest.mark.parametrize("engine", ENGINES)
def test_what_an_engine_cannot_compute_is_refused_naming_the_metric(shops, engine, small_data):
    service = shops(engine, "small")
    query = _query(_case(small_data, "month", "total"), ("p90_approx",))
    message = REFUSED.get(engine, {}).get("p90_approx")
    if message is None:
        assert service.query(query).frame["p90_approx"].notna().any()
        return
    with pytest.raises(QueryError, match=message):
        service.query(query)
    with pytest.raises(QueryError, match=message):
        service.sql("p90_approx", query)


@pytest.mark.parametrize("engine", ENGINES)
@pytest.mark.parametrize("values", [("web",), ("web", "ios")])
def test_not_a_value_keeps_rows_without_one_on_every_engine(shops, engine, small_data, values):
    """`platform!=web` is "everything but web": orders with no platform stay (o09), as pandas'
    `~isin` keeps NaN; one value is IS DISTINCT FROM, several NOT IN … OR IS NULL."""
    o = small_data.orders
    day = (o["ordered_at"] + pd.Timedelta(hours=8)).dt.date  # the spec's Asia/Shanghai days
    paid = o[(o["status"] == "paid") & (day >= small_data.start) & (day <= small_data.end)]
    kept = paid[~paid["platform"].isin(values)]
    assert kept["platform"].isna().any()  # the case the rule is about is in the data
    for op in ("!=", "not in") if len(values) > 1 else ("!=",):
        f = DimensionFilter("platform", op, values)
        q = MetricQuery(
            ("orders", "revenue_exact"),
            grain="all",
            start=small_data.start,
            end=small_data.end,
            filters=(f,),
        )
        row = shops(engine, "small").query(q).frame.iloc[0]
        assert int(row["orders"]) == len(kept), (engine, op)
        want = sum(Decimal(str(a)).quantize(CENT) for a in kept["amount"])
        assert row["revenue_exact"] == want, (engine, op)
