"""The same metrics on Spark as on DuckDB: one spec, one compiler, equal numbers.

The medium test shop (tests/conftest.py, with the daily subscriptions table of the snapshot tests)
is copied from the DuckDB warehouse into a Spark warehouse directory (Parquet, schema `raw`, as
in DuckDB) and read by a Spark local[2] session started once for the module. The spec is the one
test_postgres_portability.py compiles (the small spec, every type added since, the snapshot
metrics). Each metric type runs at every grain; every other metric at one grain; a set of
breakdowns, filters, where conditions and comparisons; the statements the service fuses. Spark's
rows must equal DuckDB's: the same keys, DECIMAL values exactly (Decimal == Decimal), integers
exactly, doubles within 1e-12, NULL only where NULL. A few values are checked against pandas here
as well, and the zone conversions across DST changes on a few rows computed by hand.

Spark runs interpreted here (no code generation, no adaptive re-planning, one shuffle partition,
the JVM's quick compiler only): the same answers, in a third less time on rows this few
(compiling each stage's Java costs more than running it). docs/scale-out.md says how long. It needs pyspark (`pip install -e '.[spark]'`, `make spark`) and Java 17.
"""

from __future__ import annotations

import math
import os
import shutil
from dataclasses import dataclass
from datetime import date
from decimal import Decimal

import numpy as np
import pandas as pd
import pytest
from sqlglot import exp

from metric_layer.compiler import Compiler
from metric_layer.dialects import render
from metric_layer.errors import QueryError
from metric_layer.loader import parse_spec
from metric_layer.query import MetricQuery
from metric_layer.spec import Spec
from metric_layer.statements import plan_statements
from tests.conftest import Dataset, customers_frame, orders_frame, sessions_frame
from tests.sql.test_postgres_portability import (
    CASES,
    DAYS_ONLY,
    EXTRA,
    GRAINS,
    METRICS,
    SNAPSHOT_TABLE,
    SPEC_PATH,
    TABLES,
    spec_with_extra,
)
from tests.unit.test_snapshot_metrics import subscription_days, with_subscriptions
from warehouse import Warehouse, WarehouseError

pytestmark = [pytest.mark.spark, pytest.mark.db, pytest.mark.xdist_group("spark")]
pytest.importorskip("pyspark", reason="pyspark is not installed: pip install -e '.[spark]'")
if not (shutil.which("java") or os.environ.get("JAVA_HOME")):
    pytest.skip(
        "no Java for Spark's local session: apt-get install openjdk-17-jre-headless (make spark)",
        allow_module_level=True,
    )

from warehouse.spark import SparkWarehouse  # noqa: E402  (after the skips: pyspark is there)

FAST = {  # tiny tables: interpreting beats compiling (module docstring)
    "spark.sql.codegen.wholeStage": "false",
    "spark.sql.codegen.factoryMode": "NO_CODEGEN",
    "spark.sql.adaptive.enabled": "false",
    "spark.sql.shuffle.partitions": "1",
    "spark.driver.extraJavaOptions": "-XX:TieredStopAtLevel=1 -XX:+UseSerialGC",
}
# One metric of each type runs at every grain; the rest at one grain each.
BY_TYPE = [
    "revenue_exact",  # simple: a DECIMAL sum
    "aov",  # ratio
    "revenue_growth",  # derived, previous()
    "wau",  # active users, 7 days
    "d1_retention",  # retention
    "visit_to_order",  # conversion rate
    "orders_l28",  # cumulative, trailing window
    "revenue_mtd",  # cumulative, grain to date
    "mrr",  # snapshot
]
OTHERS = [m for m in METRICS if m not in BY_TYPE]
ONCE = [
    (metric, GRAINS[i % len(GRAINS)]) for i, metric in enumerate(OTHERS) if metric not in DAYS_ONLY
] + [("revenue_wow", "week")]
# Breakdowns, filters, where conditions and comparisons: one case of each kind of metric.
SOME_CASES = [CASES[i] for i in (0, 3, 4, 8, 9, 13, 16, 20, 21, 22, 24, 25, 26, 27, 29, 38, 44, 46)]


@dataclass
class Shop:
    data: Dataset
    duck: Warehouse
    spark: SparkWarehouse
    types: dict[str, dict[str, str]]
    spec: Spec

    def compiler(self, spec: Spec | None = None) -> Compiler:
        return Compiler(spec or self.spec, self.types)

    def both(self, duckdb_sql: str, spark_sql: str) -> tuple[list[tuple], list[tuple]]:
        return self.duck.rows(duckdb_sql), self.spark.rows(spark_sql)


@pytest.fixture(scope="module")
def shop(medium_data, tmp_path_factory):
    """The medium shop in DuckDB and in a Spark warehouse directory (Spark starts here)."""
    duck = with_subscriptions(medium_data, subscription_days(medium_data.customers))
    spark = SparkWarehouse(
        "local[2]", directory=tmp_path_factory.mktemp("spark"), read_only=False, conf=FAST
    )
    for table in (*TABLES, SNAPSHOT_TABLE):
        spark.replace_table(table, duck.arrow(f"SELECT * FROM {table}"))
    types = duck.table_columns()
    yield Shop(medium_data, duck, spark, types, spec_with_extra(types))
    spark.close()
    duck.close()


# -- comparing results -------------------------------------------------------------------------
def _same(a, b) -> bool:
    if a is None or b is None:
        return a is None and b is None
    if isinstance(a, Decimal) or isinstance(b, Decimal):  # exact, both DECIMAL
        return isinstance(a, Decimal) and isinstance(b, Decimal) and a == b
    if isinstance(a, float) or isinstance(b, float):
        return math.isclose(a, b, rel_tol=1e-12, abs_tol=1e-12)
    return a == b and type(a) is type(b)


def _sorted(rows: list[tuple], keys: int) -> list[tuple]:
    return sorted(
        rows, key=lambda r: [(v is not None, v if v is not None else 0) for v in r[:keys]]
    )


def assert_same_rows(duck: list[tuple], spark: list[tuple], keys: int, what: str) -> None:
    duck, spark = _sorted(duck, keys), _sorted(spark, keys)
    assert len(spark) == len(duck), f"{what}: {len(duck)} rows on DuckDB, {len(spark)} on Spark"
    wrong = [(d, s) for d, s in zip(duck, spark, strict=True) if not all(map(_same, d, s))]
    assert not wrong, f"{what}: {len(wrong)} rows differ (DuckDB, Spark): {wrong[:5]}"


def run_both(shop: Shop, metric: str, query: MetricQuery) -> list[tuple]:
    """Compile once, run on both engines, compare; DuckDB's rows for further checks."""
    compiled = shop.compiler().compile(metric, query, shop.data.today)
    duck, spark = shop.both(compiled.sql(), compiled.sql(dialect="spark"))
    assert_same_rows(duck, spark, 1 + len(query.dimensions), f"{metric} {query}")
    return duck


def _query(shop: Shop, metric: str, grain: str, **kw) -> MetricQuery:
    return MetricQuery((metric,), grain=grain, start=shop.data.start, end=shop.data.end, **kw)


# -- every metric type at every grain, every metric once -----------------------------------------
@pytest.mark.parametrize("grain", GRAINS)
@pytest.mark.parametrize("metric", BY_TYPE)
def test_each_metric_type_at_every_grain(shop, metric, grain):
    duck = run_both(shop, metric, _query(shop, metric, grain))
    assert any(row[-1] is not None for row in duck), "no value at all: nothing was compared"


@pytest.mark.parametrize(("metric", "grain"), ONCE, ids=[f"{m}-{g}" for m, g in ONCE])
def test_every_other_metric(shop, metric, grain):
    duck = run_both(shop, metric, _query(shop, metric, grain))
    assert any(row[-1] is not None for row in duck), "no value at all: nothing was compared"


@pytest.mark.parametrize(
    ("metric", "grain", "dims", "filters", "where", "compare"),
    [pytest.param(*case, id=f"{case[0]}-{case[1]}") for case in SOME_CASES],
)
def test_breakdowns_filters_and_comparisons(shop, metric, grain, dims, filters, where, compare):
    query = _query(
        shop, metric, grain, dimensions=dims, filters=filters, where=where, compare=compare
    )
    duck = run_both(shop, metric, query)
    assert any(v is not None for row in duck for v in row[1 + len(dims) :]), "no value at all"
    if compare:
        assert any(row[-1] is not None for row in duck), "no comparison value"


def test_one_statement_per_model(shop):
    """The statements the service runs (fused.py: one per model), equal on both engines."""
    metrics = ("orders", "revenue", "buyers", "avg_amount", "aov", "ios_share", "wau")
    query = MetricQuery(
        metrics,
        grain="week",
        start=shop.data.start,
        end=shop.data.end,
        dimensions=("channel",),
        where=("platform IS NOT NULL",),
    )
    duck = plan_statements(shop.compiler(), query, shop.data.today)
    spark = plan_statements(shop.compiler(), query, shop.data.today, dialect="spark")
    assert [s.metrics for s in spark] == [s.metrics for s in duck]
    assert any(s.fused and len(s.metrics) > 1 for s in duck)
    for d, s in zip(duck, spark, strict=True):
        assert_same_rows(*shop.both(d.sql, s.sql), keys=2, what=", ".join(d.metrics))


def test_round_equals_duckdbs(shop):
    """round(x, n) of DECIMALs and integers, digits -2 to 3, and of doubles to whole numbers
    (halves away from zero: 2.5 → 3, -7.5 → -8): Spark's equal DuckDB's, value and type."""
    exact = [(exp.Literal.string(v), "DECIMAL(12, 4)") for v in ("2.675", "-0.125", "1234.5678")]
    exact += [(exp.Literal.number(v), "BIGINT") for v in (1234, 1235, -1235, 7)]
    doubles = [(exp.Literal.number(repr(k / 4)), "DOUBLE") for k in range(-40, 40)]
    cases = [(n, exact + doubles) for n in (None, 0)] + [(n, exact) for n in (-2, -1, 1, 2, 3)]
    tree = exp.select(
        *[
            exp.Round(
                this=exp.cast(value, exp.DataType.build(kind, dialect="duckdb")),
                decimals=None if n is None else exp.Literal.number(n),
            )
            for n, values in cases
            for value, kind in values
        ]
    )
    duck, spark = shop.both(tree.sql(dialect="duckdb"), render(tree, "spark"))
    assert_same_rows(duck, spark, 0, "round")


# -- against pandas ----------------------------------------------------------------------------
def _local_days(orders: pd.DataFrame) -> pd.Series:
    """Shanghai calendar days of the naive-UTC order times (UTC+8, no DST)."""
    return (orders["ordered_at"] + pd.Timedelta(hours=8)).dt.normalize()


def test_decimal_revenue_by_month_equals_pandas_to_the_cent(shop):
    orders = shop.data.orders
    paid = orders[orders["status"] == "paid"]
    months = _local_days(paid).dt.to_period("M").dt.start_time.dt.date
    cents = paid["amount"].map(lambda a: Decimal(repr(a)).quantize(Decimal("0.01")))
    want = cents.groupby(months).sum()
    query = MetricQuery(
        ("revenue_exact",), grain="month", start=date(2025, 3, 1), end=date(2025, 12, 31)
    )
    compiled = shop.compiler().compile("revenue_exact", query, shop.data.today)
    got = dict(shop.spark.rows(compiled.sql(dialect="spark")))
    assert len(got) == 10
    for month, value in got.items():
        assert isinstance(value, Decimal) and value == want[month], month


def test_weekly_orders_and_quarterly_p90_equal_pandas(shop):
    orders = shop.data.orders
    days = _local_days(orders)
    paid_weeks = (days - pd.to_timedelta(days.dt.day_of_week, unit="D"))[orders["status"] == "paid"]
    weekly = paid_weeks.dt.date.value_counts()
    query = MetricQuery(("orders",), grain="week", start=date(2025, 3, 3), end=date(2025, 11, 30))
    compiled = shop.compiler().compile("orders", query, shop.data.today)
    got = shop.spark.rows(compiled.sql(dialect="spark"))
    assert len(got) == 39
    assert all(type(n) is int and n == weekly.get(week, 0) for week, n in got)

    quarters = days.dt.to_period("Q").dt.start_time.dt.date
    p90 = {q: float(np.percentile(a, 90)) for q, a in orders["amount"].groupby(quarters)}
    query = MetricQuery(
        ("p90_amount",), grain="quarter", start=date(2025, 4, 1), end=date(2025, 9, 30)
    )
    compiled = shop.compiler().compile("p90_amount", query, shop.data.today)
    got = shop.spark.rows(compiled.sql(dialect="spark"))
    assert [q for q, _ in got] == [date(2025, 4, 1), date(2025, 7, 1)]
    assert all(math.isclose(v, p90[q], rel_tol=1e-12) for q, v in got)


def test_zone_conversions_across_dst_changes(shop):
    """A spec in New York (DST) whose orders are wall times in Berlin (DST on other days) and
    whose sessions are instants: days and the conversion window, computed by hand, equal on
    both engines. Wall times that do not exist (Berlin 2025-03-30 02:30) or happen twice
    (2025-10-26 02:30) are read alike too. Tables in schema `dst` beside raw."""
    orders = orders_frame(
        [
            ("o1", "c1", "2025-03-30 02:30", 10.0, "paid", "ios"),  # no such time in Berlin
            ("o2", "c1", "2025-10-26 02:30", 20.0, "paid", "ios"),  # twice in Berlin
            ("o3", "c2", "2025-03-09 07:30", 30.0, "paid", "web"),  # 06:30 UTC, 01:30 in NY
            ("o4", "c2", "2025-11-02 06:30", 40.0, "paid", "web"),  # 05:30 UTC, 01:30 EDT
            ("o5", "c2", "2025-03-10 05:59", 50.0, "paid", "web"),  # 04:59 UTC, 00:59 EDT
        ]
    )
    sessions = sessions_frame(
        [
            ("s1", "c1", "2025-03-29 23:00", "ios"),  # 19:00 EDT on the 29th: o1 within 7 days
            ("s2", "c2", "2025-03-09 06:00", "web"),  # 01:00 EST, o3 30 minutes later
            ("s3", "c2", "2025-11-02 06:00", "web"),  # 01:00 EST (the second 01:00)
        ]
    )
    customers = customers_frame(
        [("c1", "ads", "north", "2025-01-01 00:00"), ("c2", "organic", "south", "2025-01-01 00:00")]
    )
    with Warehouse() as duck:
        for name, frame in (("customers", customers), ("orders", orders), ("sessions", sessions)):
            duck.replace_table(f"dst.{name}", frame)
            shop.spark.replace_table(f"dst.{name}", duck.arrow(f"SELECT * FROM dst.{name}"))
        types = duck.table_columns()
        text = SPEC_PATH.read_text(encoding="utf-8").replace("table: raw.", "table: dst.")
        text = text.replace("time_zone: Asia/Shanghai", "time_zone: America/New_York")
        text = text.replace(
            "{column: ordered_at, time_zone: UTC}", "{column: ordered_at, time_zone: Europe/Berlin}"
        )
        spec = parse_spec(text.replace("\nnorth_star:", EXTRA + "north_star:", 1), "dst.yml", types)
        compiler = Compiler(spec, types)
        # By hand: Berlin wall time → UTC → New York day (o1 and o2 land on the same day whichever
        # way a missing or doubled wall time is read); a visit converts if its customer pays within
        # 168 hours after it (s3's customer paid half an hour before it).
        want = {
            "orders": {
                date(2025, 3, 9): 1,
                date(2025, 3, 10): 1,
                date(2025, 3, 29): 1,
                date(2025, 10, 25): 1,
                date(2025, 11, 2): 1,
            },
            "visitors": {date(2025, 3, 9): 1, date(2025, 3, 29): 1, date(2025, 11, 2): 1},
            "visit_to_order": {
                date(2025, 3, 9): 1.0,
                date(2025, 3, 29): 1.0,
                date(2025, 11, 2): 0.0,
            },
        }
        for metric, values in want.items():
            query = MetricQuery(
                (metric,), grain="day", start=date(2025, 3, 1), end=date(2025, 11, 30)
            )
            compiled = compiler.compile(metric, query, date(2026, 1, 1))
            duck_rows, spark_rows = (
                duck.rows(compiled.sql()),
                shop.spark.rows(compiled.sql(dialect="spark")),
            )
            assert_same_rows(duck_rows, spark_rows, 1, metric)
            assert {d: v for d, v in spark_rows if d in values} == values, metric
            assert all(v in (0, None) for d, v in spark_rows if d not in values), metric


# -- the warehouse -------------------------------------------------------------------------------
def test_table_columns_name_types_as_duckdb_does(shop):
    spark = shop.spark.table_columns()
    assert {t: spark[t] for t in (*TABLES, SNAPSHOT_TABLE)} == {
        t: shop.types[t] for t in (*TABLES, SNAPSHOT_TABLE)
    }
    assert shop.types["raw.sessions"]["started_at"] == "TIMESTAMP WITH TIME ZONE"
    assert shop.types["raw.subscription_days"]["mrr"] == "DECIMAL(10,2)"
    assert shop.spark.has_table("raw.orders") and not shop.spark.has_table("raw.refunds")


def test_arrow_keeps_decimals_exact_and_integers_integers(shop):
    sql = (
        "SELECT plan, sum(mrr) AS mrr, count(*) AS n, max(seats) AS seats "
        "FROM raw.subscription_days GROUP BY plan ORDER BY plan"
    )
    duck, spark = shop.duck.arrow(sql), shop.spark.arrow(sql)
    assert spark.schema.field("mrr").type.scale == 2  # decimal128(20, 2): exact
    assert str(spark.schema.field("n").type) == "int64"
    assert str(spark.schema.field("seats").type) == "int32"
    assert spark.to_pylist() == duck.to_pylist()
    frame = shop.spark.frame(sql)  # floats, as DuckDB's frames have them
    assert frame["mrr"].dtype == "float64" and frame["n"].dtype == "int64"
    assert shop.spark.arrow("SELECT * FROM raw.orders", max_rows=10).num_rows == 11


def test_approximate_percentiles_are_refused_naming_the_metric(shop):
    compiled = shop.compiler().compile(
        "p90_approx", _query(shop, "p90_approx", "month"), shop.data.today
    )
    with pytest.raises(
        QueryError, match=r"`p90_approx` is an approximate percentile.*approximate: false"
    ):
        compiled.sql(dialect="spark")


def test_a_second_directory_while_one_is_open_is_refused(shop, tmp_path):
    (tmp_path / "raw" / "orders").mkdir(parents=True)
    with pytest.raises(WarehouseError, match="close it first"):
        SparkWarehouse("local[2]", directory=tmp_path)
    assert shop.spark.rows("SELECT count(*) FROM raw.orders") == [(len(shop.data.orders),)]


def test_writes_and_other_zones_are_refused(shop, tmp_path):
    reader = SparkWarehouse("local[2]", directory=shop.spark.directory)  # the shop's tables too
    with pytest.raises(WarehouseError, match="read-only"):
        reader.replace_table("raw.orders", shop.data.orders)
    with pytest.raises(WarehouseError, match="timeZone=America/New_York is not allowed"):
        SparkWarehouse("local[2]", conf={"spark.sql.session.timeZone": "America/New_York"})
    with pytest.raises(WarehouseError, match="neither local"):
        SparkWarehouse("yarn")
    with pytest.raises(WarehouseError, match="does not exist"):
        SparkWarehouse("local[2]", directory=tmp_path / "missing")
    with pytest.raises(WarehouseError, match="TABLE_OR_VIEW_NOT_FOUND"):
        reader.rows("SELECT * FROM raw.refunds")
    reader.close()
    assert shop.spark.has_table("raw.orders")  # closing a reader keeps the shop's tables
