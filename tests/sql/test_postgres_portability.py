"""The same metrics on PostgreSQL as on DuckDB: one spec, one compiler, two engines, equal numbers.

Every metric of the small shop's spec, plus the types added since (exact median and percentile,
an offset formula, conversion rate and count), is compiled once, written for DuckDB and for
PostgreSQL (dialects.py), and run on each engine over the same rows: the small and the medium
test shop copied from the DuckDB warehouse into a fresh PostgreSQL database (schema `raw`, as in
DuckDB), dropped at the end. Both results must hold the same rows, keys equal, values within 1e-9
(NULL equal to NULL). DuckDB's numbers are checked against pandas elsewhere (tests/unit); here
PostgreSQL must agree with them.

The PostgreSQL session runs in America/New_York (DST) while DuckDB runs in UTC: SQL that leaned on
the session's time zone (a TIMESTAMPTZ cast to DATE, date_trunc of a DATE, a day added to a
TIMESTAMPTZ) would give other days or windows there.

Cumulative metrics (running total, trailing windows, grain-to-date; every period value) accumulate
orders (TIMESTAMP in UTC) and sessions (TIMESTAMPTZ); snapshot metrics read a daily subscriptions
table (DATE, the snapshot tests' generator: days the job missed, none after 2026-01-06) added to
both engines' copies of each shop. Their DuckDB numbers are checked against pandas in
tests/unit/test_cumulative_metrics.py and test_snapshot_metrics.py.
"""

from __future__ import annotations

import math
import uuid
from datetime import date, timedelta
from decimal import Decimal

import pytest
import yaml
from sqlglot import exp

from metric_layer.compiler import Compiler
from metric_layer.dialects import render
from metric_layer.errors import QueryError
from metric_layer.loader import parse_spec
from metric_layer.query import DimensionFilter, MetricQuery
from metric_layer.spec import Spec
from metric_layer.statements import plan_statements
from tests.conftest import SPEC_PATH, Dataset
from tests.unit.test_snapshot_metrics import MODEL, subscription_days, with_subscriptions
from warehouse import Warehouse

pytestmark = [pytest.mark.db, pytest.mark.xdist_group("postgres_portability")]

PG_URL = "postgresql://{user}@127.0.0.1:5432/{db}"
PG_SESSION = "-c TimeZone=America/New_York -c jit=off"  # JIT only slows these small queries
TABLES = ("raw.customers", "raw.orders", "raw.sessions")
SNAPSHOT_TABLE = "raw.subscription_days"

EXTRA = """
  - {name: median_paid, type: simple, model: orders, agg: median, expr: amount, filter: "status = 'paid'"}
  - {name: p90_amount, type: simple, model: orders, agg: percentile, percentile: 0.9, expr: amount}
  - {name: p90_approx, type: simple, model: orders, agg: percentile, percentile: 0.9, expr: amount, approximate: true}
  - {name: revenue_wow, type: derived, formula: "revenue / offset(revenue, 7 days) - 1"}
  - {name: orders_per_buyer, type: derived, formula: "orders / buyers"}
  - {name: aov_rounded, type: derived, formula: "round(aov) + round(orders, -1)"}
  - name: visit_to_order
    type: conversion
    entity: customer_id
    base_event: {model: sessions}
    conversion_event: {model: orders, filter: "status = 'paid'"}
    window: 7
  - name: same_platform_orders
    type: conversion
    entity: customer_id
    base_event: {model: sessions}
    conversion_event: {model: orders, filter: "status = 'paid'"}
    window: 3
    constant_properties: [platform]
    calculation: conversions
  - {name: revenue_exact, type: simple, model: orders, agg: sum, expr: "CAST(amount AS DECIMAL(12, 2))", filter: "status = 'paid'"}
  - {name: visits, type: simple, model: sessions, agg: count}
  - {name: revenue_to_date, type: cumulative, input_metric: revenue_exact}
  - {name: orders_l28, type: cumulative, input_metric: orders, window: 28}
  - {name: orders_l7_first, type: cumulative, input_metric: orders, window: 1 week, period_value: first}
  - {name: revenue_mtd, type: cumulative, input_metric: revenue, grain_to_date: month}
  - {name: orders_ytd, type: cumulative, input_metric: orders, grain_to_date: year}
  - {name: orders_wtd_avg, type: cumulative, input_metric: orders, grain_to_date: week, period_value: average}
  - {name: revenue_qtd, type: cumulative, input_metric: revenue, grain_to_date: quarter}
  - {name: ios_orders_to_date, type: cumulative, input_metric: {metric: orders, filter: "platform = 'ios'"}}
  - {name: visits_l7_avg, type: cumulative, input_metric: visits, window: 7, period_value: average}
  - {name: orders_l28_growth, type: derived, formula: "orders_l28 / previous(orders_l28) - 1"}
"""
# A daily snapshot table (tests/unit/test_snapshot_metrics.py), in the spec when the shop has it.
SNAPSHOT_MODEL = MODEL
SNAPSHOTS = """
  - {name: mrr, type: snapshot, model: subscriptions, agg: sum, expr: mrr}
  - {name: mrr_first, type: snapshot, model: subscriptions, agg: sum, expr: mrr, period_value: first}
  - {name: mrr_low, type: snapshot, model: subscriptions, agg: sum, expr: mrr, period_value: min}
  - {name: mrr_peak, type: snapshot, model: subscriptions, agg: sum, expr: mrr, period_value: max}
  - {name: subscribers, type: snapshot, model: subscriptions, agg: count}
  - {name: paying_customers, type: snapshot, model: subscriptions, agg: count_distinct, expr: customer_id}
  - {name: avg_mrr, type: snapshot, model: subscriptions, agg: avg, expr: mrr}
  - {name: peak_pro_mrr, type: snapshot, model: subscriptions, agg: max, expr: mrr, filter: "plan = 'pro'", period_value: max}
  - {name: arpu, type: ratio, numerator: mrr, denominator: paying_customers}
"""
GRAINS = ("day", "week", "month", "quarter", "year", "all")
REFUSED = {"p90_approx"}  # PostgreSQL has no approximate quantile (test below)
DAYS_ONLY = {"revenue_wow"}  # an offset of 7 days moves whole periods at day and week grain only
METRICS = [
    m["name"]
    for m in yaml.safe_load(SPEC_PATH.read_text(encoding="utf-8"))["metrics"]
    + yaml.safe_load(EXTRA)
    + yaml.safe_load(SNAPSHOTS)
    if m["name"] not in REFUSED
]


def spec_with_extra(columns) -> Spec:
    """The small spec plus EXTRA, and the snapshot model and metrics when its table is there."""
    text = SPEC_PATH.read_text(encoding="utf-8")
    if SNAPSHOT_TABLE in columns:
        text = text.replace("\nmetrics:", SNAPSHOT_MODEL + "metrics:", 1)
        text = text.replace("\nnorth_star:", SNAPSHOTS + "north_star:", 1)
    text = text.replace("\nnorth_star:", EXTRA + "north_star:", 1)
    return parse_spec(text, "metrics.yml", columns)


# -- PostgreSQL --------------------------------------------------------------------------------
def _pg_user() -> str:
    import psycopg

    for user in ("postgres", "root"):
        try:
            psycopg.connect(PG_URL.format(user=user, db="test"), connect_timeout=3).close()
            return user
        except psycopg.OperationalError:
            continue
    pytest.skip("no local PostgreSQL at 127.0.0.1:5432")


def copy_tables(wh: Warehouse, conn) -> None:
    """raw.* of the DuckDB warehouse into PostgreSQL: same names, types written by sqlglot."""
    conn.execute("CREATE SCHEMA raw")
    columns = wh.table_columns()
    for table in [t for t in (*TABLES, SNAPSHOT_TABLE) if t in columns]:
        names = list(columns[table])
        schema = exp.Schema(
            this=exp.to_table(table),
            expressions=[
                exp.ColumnDef(
                    this=exp.to_identifier(n), kind=exp.DataType.build(t, dialect="duckdb")
                )
                for n, t in columns[table].items()
            ],
        )
        conn.execute(exp.Create(kind="TABLE", this=schema).sql(dialect="postgres"))
        select = exp.select(*names).from_(table).sql(dialect="duckdb")
        copy = f"COPY {exp.to_table(table).sql(dialect='postgres')} FROM STDIN"
        with conn.cursor().copy(copy) as out:
            for row in wh.rows(select):
                out.write_row(row)
    conn.execute("ANALYZE")  # without statistics the planner nests loops over every join


class Engines:
    """One dataset in DuckDB and in PostgreSQL, and the compiler both run."""

    def __init__(self, data: Dataset, make_database) -> None:
        self.data = data
        self.wh = with_subscriptions(data, subscription_days(data.customers))
        self.types = self.wh.table_columns()
        self.spec = spec_with_extra(self.types)
        self.pg = make_database()
        copy_tables(self.wh, self.pg)

    def compiler(self) -> Compiler:
        return Compiler(self.spec, self.types)  # no rollups: they are DuckDB tables

    def both(self, duckdb_sql: str, postgres_sql: str) -> tuple[list[tuple], list[tuple]]:
        return self.wh.rows(duckdb_sql), self.pg.execute(postgres_sql).fetchall()


@pytest.fixture(scope="module")
def make_database():
    """Factory of fresh PostgreSQL databases (northstar_pg_<random>), all dropped at the end."""
    import psycopg

    user = _pg_user()
    admin = psycopg.connect(PG_URL.format(user=user, db="test"), autocommit=True)
    made: list[tuple[str, object]] = []

    def make():
        name = f"northstar_pg_{uuid.uuid4().hex[:12]}"
        admin.execute(f'CREATE DATABASE "{name}"')
        conn = psycopg.connect(
            PG_URL.format(user=user, db=name), autocommit=True, options=PG_SESSION
        )
        made.append((name, conn))
        return conn

    yield make
    for name, conn in made:
        conn.close()
        admin.execute(f'DROP DATABASE "{name}" WITH (FORCE)')
    admin.close()


@pytest.fixture(scope="module")
def engines(request, make_database):
    """`small` or `medium` (tests/conftest.py) on both engines, loaded once per module."""
    cache: dict[str, Engines] = {}

    def get(dataset: str) -> Engines:
        if dataset not in cache:
            data = request.getfixturevalue(f"{dataset}_data")
            cache[dataset] = Engines(data, make_database)
        return cache[dataset]

    yield get
    for e in cache.values():
        e.wh.close()


# -- comparing results -------------------------------------------------------------------------
def _number(value):
    return float(value) if isinstance(value, Decimal) else value


def _sorted(rows: list[tuple], keys: int) -> list[tuple]:
    rows = [tuple(_number(v) for v in row) for row in rows]
    return sorted(
        rows, key=lambda r: [(v is not None, v if v is not None else 0) for v in r[:keys]]
    )


def _same(a, b) -> bool:
    if a is None or b is None:
        return a is None and b is None
    if isinstance(a, int | float) and isinstance(b, int | float):
        return math.isclose(a, b, rel_tol=1e-9, abs_tol=1e-9)
    return a == b


def assert_same_rows(duck: list[tuple], pg: list[tuple], keys: int, what: str) -> None:
    """Same keys (period, dimensions) in both; values within 1e-9; NULL only where NULL."""
    duck, pg = _sorted(duck, keys), _sorted(pg, keys)
    assert len(pg) == len(duck), f"{what}: {len(duck)} rows on DuckDB, {len(pg)} on PostgreSQL"
    wrong = [(d, p) for d, p in zip(duck, pg, strict=True) if not all(map(_same, d, p))]
    assert not wrong, f"{what}: {len(wrong)} rows differ (DuckDB, PostgreSQL): {wrong[:5]}"


def run_both(engines: Engines, metric: str, query: MetricQuery) -> list[tuple]:
    """Compile once, run on both engines, compare; DuckDB's rows for further checks."""
    compiled = engines.compiler().compile(metric, query, engines.data.today)
    duck, pg = engines.both(compiled.sql(), compiled.sql(dialect="postgres"))
    assert_same_rows(duck, pg, 1 + len(query.dimensions), f"{metric} {query}")
    return duck


# -- every metric, every grain -----------------------------------------------------------------
MATRIX = [
    pytest.param(dataset, metric, grain, id=f"{dataset}-{metric}-{grain}")
    for dataset in ("small", "medium")
    for metric in METRICS
    for grain in GRAINS
    if metric not in DAYS_ONLY or grain in ("day", "week", "all")
]


@pytest.mark.parametrize(("dataset", "metric", "grain"), MATRIX)
def test_every_metric_at_every_grain(engines, dataset, metric, grain):
    e = engines(dataset)
    query = MetricQuery((metric,), grain=grain, start=e.data.start, end=e.data.end)
    duck = run_both(e, metric, query)
    assert any(row[-1] is not None for row in duck), "no value at all: nothing was compared"


# -- breakdowns, filters, where conditions, comparisons ----------------------------------------
NORTH_SOUTH = (DimensionFilter("region", "in", ("north", "south")),)
CASES = [
    # metric, grain, breakdown, dimension filters, where, compare
    ("revenue", "week", ("channel",), (DimensionFilter("platform", "=", ("ios",)),), (), None),
    ("orders", "day", ("platform",), (), (), "7 days"),  # week-over-week at day grain
    ("buyers", "all", ("channel", "platform"), (), (), "previous"),
    ("avg_amount", "year", ("size",), (), ("lower(platform) LIKE 'i%'",), None),
    ("min_amount", "quarter", ("region",), (), ("round(amount) >= 100",), "previous"),
    ("aov", "month", ("region",), (), (), "previous"),
    ("ios_share", "quarter", ("size",), (), ("amount > 20 AND platform IS NOT NULL",), None),
    ("conversion", "week", ("channel",), (), (), "last_year"),
    ("revenue_growth", "week", (), NORTH_SOUTH, (), None),
    (
        "revenue_yoy",
        "month",
        ("platform",),
        (),
        ("amount > 100 OR platform IN ('ios', 'web')",),
        None,
    ),
    ("revenue_per_buyer", "all", ("region",), (), ("amount BETWEEN 10 AND 400",), "1 month"),
    ("revenue_wow", "day", ("platform",), (), (), None),
    ("revenue", "day", ("channel", "platform"), (), ("round(amount / 3) > 10",), None),
    ("aov_rounded", "week", ("platform",), (), (), "previous"),
    ("orders_per_buyer", "month", ("region",), (), (), None),
    ("dau", "month", ("channel",), (), (), "previous"),
    ("wau", "week", ("platform",), (), (), "last_year"),
    ("mau", "all", ("region",), NORTH_SOUTH, (), None),
    ("stickiness", "day", (), (), (), "7 days"),
    ("d1_retention", "week", ("channel",), (), (), "previous"),
    # first-activity cohorts take each dimension's first non-NULL value (arg_min): NULL platforms
    ("w1_retention", "month", ("platform",), (), (), None),
    ("w1_retention", "week", ("channel",), (DimensionFilter("region", "=", ("north",)),), (), None),
    ("median_paid", "month", ("platform",), (), ("amount >= 20",), None),
    ("p90_amount", "quarter", (), (), (), "previous"),
    ("visit_to_order", "week", ("channel",), (), (), "7 days"),
    ("same_platform_orders", "month", ("platform",), (), (), None),
    # cumulative: every accumulation and period value, with breakdowns, filters and comparisons
    (
        "orders_l28",
        "week",
        ("channel",),
        (DimensionFilter("platform", "=", ("ios",)),),
        (),
        "previous",
    ),
    ("revenue_mtd", "day", ("platform",), (), ("amount > 100",), "7 days"),
    ("revenue_to_date", "month", ("region",), NORTH_SOUTH, (), "last_year"),
    ("revenue_to_date", "all", ("channel", "platform"), (), ("lower(platform) LIKE 'i%'",), None),
    ("orders_wtd_avg", "all", ("channel",), (), (), "previous"),
    ("orders_l7_first", "quarter", ("size",), (), ("round(amount) >= 50",), "previous"),
    ("orders_ytd", "month", ("platform",), (), (), "last_year"),
    ("revenue_qtd", "all", ("region",), (), (), "1 month"),
    ("ios_orders_to_date", "year", ("channel",), NORTH_SOUTH, (), "previous"),
    ("visits_l7_avg", "week", ("platform",), (), ("platform IS NOT NULL",), "last_year"),
    ("orders_l28_growth", "month", ("channel",), (), (), None),
    # snapshot: each period value and agg, by the table's own and a joined dimension
    ("mrr", "month", ("plan",), (), (), "previous"),
    ("mrr", "all", ("channel",), (DimensionFilter("plan", "=", ("pro",)),), (), "last_year"),
    ("mrr_first", "week", ("region",), (), ("mrr > 50",), "previous"),
    ("mrr_low", "quarter", ("plan",), NORTH_SOUTH, (), None),
    ("mrr_peak", "all", ("plan", "channel"), (), (), "previous"),
    ("subscribers", "day", ("plan",), (), (), "7 days"),
    ("paying_customers", "week", ("channel",), (), ("plan IN ('pro', 'plus')",), "last_year"),
    ("avg_mrr", "month", ("region",), (), (), "previous"),
    ("peak_pro_mrr", "year", ("channel",), (), (), None),
    ("arpu", "month", ("plan",), (), ("seats >= 2",), "previous"),
]


@pytest.mark.parametrize("dataset", ["small", "medium"])
@pytest.mark.parametrize(
    ("metric", "grain", "dims", "filters", "where", "compare"),
    [
        pytest.param(*case, id=f"{case[0]}-{case[1]}-{len(CASES[:i])}")
        for i, case in enumerate(CASES)
    ],
)
def test_breakdowns_filters_and_comparisons(
    engines, dataset, metric, grain, dims, filters, where, compare
):
    e = engines(dataset)
    query = MetricQuery(
        (metric,),
        grain=grain,
        start=e.data.start,
        end=e.data.end,
        dimensions=dims,
        filters=filters,
        where=where,
        compare=compare,
    )
    duck = run_both(e, metric, query)
    values = [v for row in duck for v in row[1 + len(dims) :]]
    assert any(v is not None for v in values), "no value at all: nothing was compared"
    if compare and dataset == "medium":  # the comparison column too (the small shop is short)
        assert any(row[-1] is not None for row in duck), "no comparison value"


def test_one_statement_per_model_on_both_engines(engines):
    """The shared statement of a query's metrics of one model (fused.py), and the rest, as the
    service plans them, equal on both engines."""
    e = engines("medium")
    query = MetricQuery(
        (
            "orders",
            "revenue",
            "buyers",
            "avg_amount",
            "aov",
            "ios_share",
            "revenue_per_buyer",
            "wau",
        ),
        grain="week",
        start=e.data.start,
        end=e.data.end,
        dimensions=("channel",),
        where=("platform IS NOT NULL",),
    )
    duck = plan_statements(e.compiler(), query, e.data.today)
    pg = plan_statements(e.compiler(), query, e.data.today, dialect="postgres")
    assert [s.metrics for s in pg] == [s.metrics for s in duck]
    assert any(s.fused and len(s.metrics) > 1 for s in duck)
    for d, p in zip(duck, pg, strict=True):
        assert_same_rows(*e.both(d.sql, p.sql), keys=2, what=", ".join(d.metrics))


def test_round_equals_duckdbs(engines):
    """round(x, n) of DECIMALs (exact: 2.675 → 2.68, -0.125 → -0.13) and integers, digits from -2
    to 3, and of doubles to whole numbers (halves away from zero: 2.5 → 3, -7.5 → -8; PostgreSQL's
    own round(double) gives 2 and -8): PostgreSQL's results equal DuckDB's exactly. (A double with
    digits is rounded by DuckDB as its binary value: 2.675 → 2.67 there, 2.68 on PostgreSQL.)"""
    e = engines("small")
    exact = [(exp.Literal.string(v), "DECIMAL(12, 4)") for v in ("2.675", "-0.125", "1234.5678")]
    exact += [(exp.Literal.number(v), "BIGINT") for v in (1234, 1235, -1235, 7)]
    doubles = [(exp.Literal.number(repr(k / 4)), "DOUBLE") for k in range(-40, 40)]
    for n, cases in [(None, exact + doubles), (0, exact + doubles)] + [
        (n, exact) for n in (-2, -1, 1, 2, 3)
    ]:
        tree = exp.select(
            *[
                exp.Round(
                    this=exp.cast(value, exp.DataType.build(kind, dialect="duckdb")),
                    decimals=None if n is None else exp.Literal.number(n),
                )
                for value, kind in cases
            ]
        )
        duck, pg = e.both(tree.sql(dialect="duckdb"), render(tree, "postgres"))
        assert [_number(v) for v in pg[0]] == [_number(v) for v in duck[0]], f"digits {n}"


# -- what PostgreSQL cannot run ----------------------------------------------------------------
def _small_compiled(small_data, small_warehouse, metric: str):
    types = small_warehouse.table_columns()
    query = MetricQuery((metric,), grain="month", start=small_data.start, end=small_data.end)
    return Compiler(spec_with_extra(types), types).compile(metric, query, small_data.today)


def test_approximate_percentiles_are_refused_naming_the_metric(small_data, small_warehouse):
    compiled = _small_compiled(small_data, small_warehouse, "p90_approx")
    assert "APPROX_QUANTILE" in compiled.sql()  # DuckDB has one
    with pytest.raises(
        QueryError, match=r"`p90_approx` is an approximate percentile.*approximate: false"
    ):
        compiled.sql(dialect="postgres")


def test_an_unknown_dialect_is_refused(small_data, small_warehouse):
    compiled = _small_compiled(small_data, small_warehouse, "orders")
    with pytest.raises(QueryError, match="duckdb, postgres"):
        compiled.sql(dialect="mysql")


# -- session time zones --------------------------------------------------------------------------
def test_conversion_window_is_absolute_hours_on_both_engines(make_database, tiny_service):
    """A paid order 167.5 hours after a visit, across New York's spring DST change: within 7 days
    (168 hours) whatever the session's zone. Adding `INTERVAL 7 DAY` to a TIMESTAMPTZ would add
    calendar days in the session's zone (167 hours there) and miss it."""
    import duckdb

    service = tiny_service(
        sessions=[("s1", "c1", "2025-03-05 12:00", "ios")],  # local 03-05 20:00 (Shanghai)
        orders=[("o1", "c1", "2025-03-12 11:30", 50.0, "paid", "ios")],  # +167.5 h
    )
    spec = spec_with_extra(service.column_types)
    query = MetricQuery(
        ("visit_to_order",), grain="day", start=date(2025, 3, 5), end=date(2025, 3, 5)
    )
    compiled = Compiler(spec, service.column_types).compile(
        "visit_to_order", query, date(2025, 4, 1)
    )
    want = [(date(2025, 3, 5), 1.0)]  # c1 visited and bought within the window: 1 of 1

    pg = make_database()
    copy_tables(service.warehouse, pg)
    assert pg.execute(compiled.sql(dialect="postgres")).fetchall() == want

    duck = duckdb.connect()
    duck.execute("SET TimeZone = 'America/New_York'")
    duck.execute("CREATE SCHEMA raw")
    for table in TABLES:
        duck.register("copied", service.warehouse.frame(f"SELECT * FROM {table}"))
        duck.execute(f"CREATE TABLE {table} AS SELECT * FROM copied")
        duck.unregister("copied")
    assert duck.execute(compiled.sql()).fetchall() == want
    duck.close()


def test_cumulative_days_step_through_calendar_days_whatever_the_session_zone(
    make_database, tiny_service
):
    """Samoa skipped 2011-12-30: a series of DATEs stepped through a Pacific/Apia session's
    TIMESTAMPTZ (PostgreSQL's pick for DATE bounds) would have no such day, and the running count
    of the Shanghai days around it would lose a row."""
    service = tiny_service(
        orders=[
            (f"o{d}", "c1", f"2011-12-{d} 04:00", 10.0, "paid", "ios") for d in (29, 30, 31)
        ],  # local noon of Dec 29, 30, 31 in Shanghai
    )
    spec = spec_with_extra(service.column_types)
    query = MetricQuery(
        ("orders_l28",), grain="day", start=date(2011, 12, 28), end=date(2012, 1, 1)
    )
    compiled = Compiler(spec, service.column_types).compile("orders_l28", query, date(2026, 1, 8))
    counts = [0, 1, 2, 3, 3]  # by hand: orders on the 28 days ending each day
    want = [(date(2011, 12, 28) + timedelta(days=i), n) for i, n in enumerate(counts)]
    assert service.warehouse.rows(compiled.sql()) == want
    pg = make_database()
    copy_tables(service.warehouse, pg)
    pg.execute("SET TimeZone = 'Pacific/Apia'")
    assert pg.execute(compiled.sql(dialect="postgres")).fetchall() == want
