"""warehouse.postgres.PostgresWarehouse against the local server: the catalogue in DuckDB's words,
Arrow results typed as DuckDB's are, bounded reads, read-only sessions, masked errors."""

from __future__ import annotations

import math
import threading
import uuid
from datetime import UTC, date, datetime
from decimal import Decimal

import pyarrow as pa
import pytest

from tests.app_db_support import pg_user
from warehouse import Warehouse, WarehouseError
from warehouse.engines import open_engine
from warehouse.postgres import (
    PostgresWarehouse,
    _decimal_array,
    _without_password,
    duckdb_type_name,
)

pytestmark = [pytest.mark.db, pytest.mark.xdist_group("postgres_warehouse")]
SERVER = "postgresql://{user}@127.0.0.1:5432/{db}"
# (PostgreSQL declaration, DuckDB declaration of the same type)
TYPES = [
    ("text", "VARCHAR"),
    ("varchar(20)", "VARCHAR"),
    ("char(3)", "VARCHAR"),
    ("timestamp", "TIMESTAMP"),
    ("timestamp(3)", "TIMESTAMP"),
    ("timestamptz", "TIMESTAMPTZ"),
    ("date", "DATE"),
    ("double precision", "DOUBLE"),
    ("real", "REAL"),
    ("numeric(12, 2)", "DECIMAL(12, 2)"),
    ("bigint", "BIGINT"),
    ("integer", "INTEGER"),
    ("smallint", "SMALLINT"),
    ("boolean", "BOOLEAN"),
    ("uuid", "UUID"),
    ("interval", "INTERVAL"),
    ("integer[]", "INTEGER[]"),
]


@pytest.fixture(scope="module")
def url():
    import psycopg

    user = pg_user()
    name = f"northstar_wh_{uuid.uuid4().hex[:12]}"
    admin = psycopg.connect(SERVER.format(user=user, db="test"), autocommit=True)
    admin.execute(f'CREATE DATABASE "{name}"')
    url = SERVER.format(user=user, db=name)
    columns = ", ".join(f"c{i} {pg}" for i, (pg, _) in enumerate(TYPES))
    with psycopg.connect(url, autocommit=True) as conn:
        conn.execute(f"CREATE SCHEMA raw; CREATE TABLE raw.kinds ({columns})")
        conn.execute("CREATE VIEW raw.few AS SELECT c0, c9 FROM raw.kinds")
        conn.execute("CREATE SCHEMA hidden; CREATE TABLE hidden.t (x int)")
    yield url
    admin.execute(f'DROP DATABASE "{name}" WITH (FORCE)')
    admin.close()


@pytest.fixture(scope="module")
def pg(url):
    with PostgresWarehouse(url) as wh:
        yield wh


def test_the_catalogue_names_types_as_duckdb_does(pg):
    duck = Warehouse()
    columns = ", ".join(f"c{i} {d}" for i, (_, d) in enumerate(TYPES))
    duck.execute(f"CREATE SCHEMA raw; CREATE TABLE raw.kinds ({columns})")
    got = pg.table_columns()
    assert got["raw.kinds"] == duck.table_columns()["raw.kinds"]
    assert got["raw.few"] == {"c0": "VARCHAR", "c9": "DECIMAL(12,2)"}  # views too
    assert not any(t.startswith(("pg_catalog.", "information_schema.")) for t in got)
    assert pg.has_table("raw.kinds") and not pg.has_table("raw.nothing")


@pytest.mark.parametrize(
    ("pg_type", "name"),
    [
        ("numeric", "DECIMAL"),
        ("timestamp(3) with time zone", "TIMESTAMP WITH TIME ZONE"),
        ("jsonb", "JSON"),
        ("citext", "CITEXT"),  # no DuckDB name: kept, so the spec's checks say what it is
        ("character varying(8)[]", "VARCHAR[]"),
    ],
)
def test_type_names_without_a_table(pg_type, name):
    assert duckdb_type_name(pg_type) == name


def test_arrow_keeps_decimals_exact_and_integers_integers(pg):
    table = pg.arrow(
        "SELECT count(*) AS n, sum(x::bigint) AS total, sum(x) AS sum4, "
        "sum(x::numeric(12, 2) / 4) AS money, "
        "avg(x)::double precision AS mean, min(x::smallint) AS small, "
        "max(x::int) AS mid, NULL::numeric AS nothing "
        "FROM generate_series(1, 7) AS x"
    )
    assert table.schema.field("n").type == pa.int64()
    assert table.schema.field("total").type == pa.decimal128(38, 0)  # as DuckDB's HUGEINT sum
    assert table.schema.field("sum4").type == pa.int64()  # PostgreSQL sums int4 as bigint
    assert table.schema.field("money").type.scale >= 2
    assert table.schema.field("mean").type == pa.float64()
    assert table.schema.field("small").type == pa.int16()
    assert table.schema.field("mid").type == pa.int32()
    assert table.schema.field("nothing").type == pa.decimal128(38, 0)
    row = table.to_pylist()[0]
    assert row["n"] == 7 and row["total"] == Decimal(28) and row["money"] == Decimal("7.00")
    assert row["mean"] == 4.0 and row["nothing"] is None


def test_arrow_reads_days_and_moments(pg):
    table = pg.arrow(
        "SELECT DATE '2026-01-08' AS day, TIMESTAMP '2026-01-08 12:30' AS naive, "
        "TIMESTAMPTZ '2026-01-08 12:30+08' AS aware, 'ios' AS platform, true AS yes, "
        "interval '1 day' AS span"
    )
    row = table.to_pylist()[0]
    assert row["day"] == date(2026, 1, 8) and row["naive"] == datetime(2026, 1, 8, 12, 30)
    assert row["aware"] == datetime(2026, 1, 8, 4, 30, tzinfo=UTC)  # the same instant, in UTC
    assert (row["platform"], row["yes"], row["span"]) == ("ios", True, "1 day, 0:00:00")


def test_an_empty_answer_keeps_its_columns(pg):
    table = pg.arrow("SELECT 1::bigint AS a, 'x' AS b WHERE false")
    assert table.num_rows == 0 and table.column_names == ["a", "b"]
    assert table.schema.field("a").type == pa.int64()
    assert pg.frame("SELECT 1 AS a WHERE false").columns.tolist() == ["a"]


def test_max_rows_reads_one_more_row_at_most(pg):
    table = pg.arrow("SELECT x FROM generate_series(1, 100000) AS x", max_rows=10)
    assert table.num_rows == 11
    assert pg.arrow("SELECT 1 AS x", max_rows=10).num_rows == 1


def test_values_are_bound_not_pasted(pg):
    assert pg.rows("SELECT %s::text || %s", ["it's ", "fine"]) == [("it's fine",)]


def test_sessions_are_read_only(pg):
    with pytest.raises(WarehouseError, match="read-only"):
        pg.rows("CREATE TABLE raw.sneaky (x int)")
    with pytest.raises(WarehouseError, match="open read-only"):
        pg.execute("DROP TABLE raw.kinds")
    assert pg.has_table("raw.kinds")
    assert pg.dialect == "postgres" and pg.frozen is False


def test_threads_read_side_by_side(pg):
    answers: list[int] = []

    def ask(n: int) -> None:
        answers.append(pg.rows("SELECT %s::int * 2", [n])[0][0])

    threads = [threading.Thread(target=ask, args=(n,)) for n in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert sorted(answers) == [n * 2 for n in range(8)]


def test_errors_never_hold_a_secret(url):
    with PostgresWarehouse(url, secrets=["hunter22"], shown="postgresql://u:***@h/db") as wh:
        with pytest.raises(WarehouseError) as caught:
            wh.rows("SELECT 'hunter22'::int")
        assert "hunter22" not in str(caught.value) and "***" in str(caught.value)
        assert "hunter22" not in repr(wh) and "***" in repr(wh)


def test_a_database_that_cannot_be_reached_says_which_and_what_to_check(url):
    missing = url.rsplit("/", 1)[0] + "/northstar_missing_db"
    with pytest.raises(WarehouseError, match=r"cannot connect.*northstar_missing_db.*engine_url"):
        PostgresWarehouse(missing, shown=missing)


def test_open_engine_opens_postgres_read_only_under_its_shown_name(url):
    wh = open_engine("postgres", url, shown="postgresql://u:***@h/db", secrets=["hunter22"])
    try:
        assert isinstance(wh, PostgresWarehouse) and wh.read_only is True
        assert repr(wh) == "PostgresWarehouse('postgresql://u:***@h/db', read_only=True)"
        assert wh.rows("SELECT 2 + 3") == [(5,)]
        with pytest.raises(WarehouseError, match="read-only"):
            wh.rows("CREATE TABLE raw.sneaky (x int)")
        with pytest.raises(WarehouseError) as caught:
            wh.rows("SELECT 'hunter22'::int")  # the secret it was given is masked
        assert "hunter22" not in str(caught.value) and "***" in str(caught.value)
    finally:
        wh.close()


def test_open_engine_refuses_an_engine_it_does_not_open_by_url():
    with pytest.raises(WarehouseError) as caught:
        open_engine("oracle", "oracle://nowhere")
    message = str(caught.value)
    assert "'oracle'" in message and "duckdb, postgres, spark" in message
    assert "NORTHSTAR_WAREHOUSE" in message  # where the DuckDB file is named instead
    with pytest.raises(WarehouseError, match="'duckdb'"):
        open_engine("duckdb", "warehouse.duckdb")  # the file is opened through its snapshots


def test_decimals_take_the_largest_scale_among_the_values():
    got = _decimal_array([Decimal("1.5"), None, Decimal("2.125"), Decimal("-3")])
    assert got.type == pa.decimal128(38, 3)
    assert got.to_pylist() == [Decimal("1.500"), None, Decimal("2.125"), Decimal("-3.000")]
    whole = _decimal_array([Decimal(28), Decimal("1E+2")])  # integers (and 100 as 1E+2): scale 0
    assert whole.type == pa.decimal128(38, 0) and whole.to_pylist() == [28, 100]
    nothing = _decimal_array([None, None])
    assert nothing.type == pa.decimal128(38, 0) and nothing.to_pylist() == [None, None]


def test_nan_or_infinity_make_the_column_a_double():
    got = _decimal_array([Decimal("1.25"), None, Decimal("NaN")])
    assert got.type == pa.float64()
    first, missing, nan = got.to_pylist()
    assert first == 1.25 and missing is None and math.isnan(nan)
    inf = _decimal_array([Decimal("-Infinity"), Decimal(2)])
    assert inf.type == pa.float64() and inf.to_pylist() == [-math.inf, 2.0]


def test_decimals_past_38_digits_widen_to_256_bits():
    # 37 whole digits and 1 decimal: 38 digits, the most decimal128 holds
    edge = Decimal("1" * 37 + ".5")
    fits = _decimal_array([edge])
    assert fits.type == pa.decimal128(38, 1) and fits.to_pylist() == [edge]
    # 30 whole digits and 9 decimals: 39 digits (30 - 9 would fit, 30 + 9 does not)
    wide = Decimal("9" * 30 + "." + "1" * 9)
    got = _decimal_array([wide, None, Decimal("0.5")])
    assert got.type == pa.decimal256(76, 9)
    assert got.to_pylist() == [wide, None, Decimal("0.500000000")]
    huge = Decimal("1" * 39)  # 39 whole digits at scale 0: past decimal128 too
    assert _decimal_array([huge]).type == pa.decimal256(76, 0)


def test_the_server_s_reason_reaches_the_message(url):
    missing = url.rsplit("/", 1)[0] + "/northstar_missing_db"
    with pytest.raises(WarehouseError) as caught:
        PostgresWarehouse(missing)  # nothing shown: the reason alone names the database
    message = str(caught.value)
    # Named once, by its address without any password (it said "the PostgreSQL warehouse" twice)
    assert message.startswith("cannot connect to the PostgreSQL warehouse postgresql://")
    assert message.count("PostgreSQL warehouse") == 1 and "/northstar_missing_db:" in message
    assert 'database "northstar_missing_db" does not exist' in message
    assert "NORTHSTAR_ENGINE_URL" in message


def test_an_unnamed_url_is_shown_without_its_password():
    shown = _without_password(
        "postgresql://bob:hunter22@db.example:6543/shop?password=x2&sslmode=require"
    )
    assert shown == "postgresql://bob@db.example:6543/shop"
    assert _without_password("host=h dbname=d user=u password=hunter22") == "postgresql://u@h/d"
    assert _without_password("not = a url =") == "(an unreadable URL)"
    # no host (the local socket): nothing between // and /, never "None"
    assert _without_password("postgresql:///test") == "postgresql:///test"
    assert _without_password("postgresql://u:pw@/d") == "postgresql://u@/d"


def test_connections_are_autocommit_bounded_and_read_only_when_asked(url):
    with PostgresWarehouse(url, connect_timeout=7) as wh:
        conn = wh.connect()
        try:
            assert conn.autocommit is True  # no transaction left open between reads
            assert conn.info.get_parameters()["connect_timeout"] == "7"
            assert conn.execute("SHOW default_transaction_read_only").fetchone() == ("on",)
        finally:
            conn.close()
    with PostgresWarehouse(url, read_only=False) as wh, wh.connect() as conn:
        assert conn.execute("SHOW default_transaction_read_only").fetchone() == ("off",)
