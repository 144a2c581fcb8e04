"""The Spark engine's Python side without a JVM (warehouse/spark.py, spark_session.py, engines.py).

A stand-in session records the SQL the warehouse sends and answers with Arrow tables; a stand-in
pyspark.sql records how a session is built. So which statements register a directory's tables,
which settings a session starts with, which branch open_engine takes and what each message says
are checked in the fast suite; tests/sql/test_spark_engine.py runs the same code on a real local
session (under the `spark` marker).
"""

from __future__ import annotations

import os
import sys
import types
from decimal import Decimal
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq
import pytest

import warehouse.spark as spark_module
import warehouse.spark_session as session_module
from warehouse import WarehouseError
from warehouse.engines import LIVE, SparkVersions, open_engine
from warehouse.spark import SparkWarehouse
from warehouse.spark_session import duckdb_type_name, spark_session
from warehouse.spark_versions import PublishedTable, SparkVersion, write_version

SparkError = type("AnalysisException", (Exception,), {"__module__": "pyspark.errors.exceptions"})


class Frame:
    def __init__(self, session: Session, sql: str) -> None:
        self.session, self.sql, self.limited = session, sql, None

    def collect(self) -> list[tuple]:
        return self.session.answers.get(self.sql, [])

    def limit(self, n: int) -> Frame:
        self.limited = n
        self.session.limits.append(n)
        return self

    def toArrow(self) -> pa.Table:
        return self.session.arrow


class Session:
    """Records each statement; `tables` are in its catalog, `answers` what collect() returns."""

    def __init__(self) -> None:
        self.sent: list[tuple[str, object]] = []
        self.tables: set[str] = set()
        self.answers: dict[str, list[tuple]] = {}
        self.schemas: dict[str, list[tuple[str, str]]] = {}
        self.limits: list[int] = []
        self.arrow = pa.table({"n": [1]})
        self.fail: BaseException | None = None
        self.catalog = types.SimpleNamespace(tableExists=lambda name: name in self.tables)

    def sql(self, sql: str, args: object = None) -> Frame:
        if self.fail is not None:
            raise self.fail
        self.sent.append((sql, args))
        return Frame(self, sql)

    def table(self, name: str) -> object:
        fields = [
            types.SimpleNamespace(
                name=n, dataType=types.SimpleNamespace(simpleString=lambda t=t: t)
            )
            for n, t in self.schemas[name]
        ]
        return types.SimpleNamespace(schema=types.SimpleNamespace(fields=fields))

    @property
    def statements(self) -> list[str]:
        return [sql for sql, _ in self.sent]


@pytest.fixture
def session(monkeypatch):
    fake = Session()
    started: list[tuple[str, object]] = []

    def start(url, conf=None):
        started.append((url, conf))
        return fake

    monkeypatch.setattr(spark_module, "spark_session", start)
    # the process's registrations: a warehouse a test leaves open must not refuse the next test's
    monkeypatch.setattr(spark_module, "_registered", {})
    fake.started = started
    return fake


def lake_with(tmp_path: Path, *tables: str) -> Path:
    lake = tmp_path / "lake"
    for name in tables:
        folder = lake.joinpath(*name.split("."))
        folder.mkdir(parents=True)
        pq.write_table(pa.table({"id": [1]}), folder / "part-0.parquet")
    return lake


# -- a directory loaded by other tools: its tables registered in the session's catalog ---------
def test_a_directory_s_tables_are_registered_as_external_parquet_and_dropped_on_close(
    session, tmp_path
):
    lake = lake_with(tmp_path, "raw.orders", "raw.customers")
    for skipped in ["_temporary", ".hidden", "bad-name"]:
        (lake / "raw" / skipped).mkdir()
    (lake / "raw" / "notes.txt").write_text("a file, not a table")
    (lake / "_spark_metadata").mkdir()
    wh = SparkWarehouse("local[3]", directory=lake, conf={"a": "b"})
    assert session.started == [("local[3]", {"a": "b"})]
    assert (wh.dialect, wh.frozen, wh.version, wh.read_only) == ("spark", False, None, True)
    assert repr(wh) == f"SparkWarehouse('local[3]', directory={lake}, read_only=True)"
    assert session.statements == [
        "CREATE SCHEMA IF NOT EXISTS `raw`",
        "DROP TABLE IF EXISTS `raw`.`customers`",
        f"CREATE TABLE `raw`.`customers` USING PARQUET LOCATION '{lake}/raw/customers'",
        "CREATE SCHEMA IF NOT EXISTS `raw`",
        "DROP TABLE IF EXISTS `raw`.`orders`",
        f"CREATE TABLE `raw`.`orders` USING PARQUET LOCATION '{lake}/raw/orders'",
    ]
    # A second warehouse on the same directory shares the registration: nothing is sent.
    session.sent.clear()
    other = SparkWarehouse("local[3]", directory=lake)
    assert session.statements == []
    wh.close()
    assert session.statements == []  # the other one still reads them
    other.close()
    assert session.statements == [
        "DROP TABLE IF EXISTS `raw`.`customers`",
        "DROP TABLE IF EXISTS `raw`.`orders`",
    ]
    other.close()  # twice: nothing more
    assert len(session.statements) == 2


def test_a_table_already_in_the_catalog_or_from_another_directory_is_refused(session, tmp_path):
    lake = lake_with(tmp_path, "raw.orders")
    session.tables.add("raw.orders")
    with pytest.raises(WarehouseError) as caught:
        SparkWarehouse(directory=lake)
    assert str(caught.value) == (
        "raw.orders is already a table in Spark's catalog; it is read as it is, so "
        f"move {lake}/raw/orders out of the warehouse directory or drop that table"
    )
    session.tables.clear()
    first = SparkWarehouse(directory=lake_with(tmp_path / "one", "raw.orders", "raw.zzz"))
    second_lake = lake_with(tmp_path / "two", "raw.aaa", "raw.orders")
    session.sent.clear()
    with pytest.raises(WarehouseError) as caught:
        SparkWarehouse(directory=second_lake)
    assert str(caught.value) == (
        f"raw.orders is registered from {tmp_path / 'one' / 'lake'} by another Spark warehouse "
        "of this process; close it first (one directory at a time)"
    )
    # what it registered before the refusal is dropped again
    assert session.statements[-1] == "DROP TABLE IF EXISTS `raw`.`aaa`"
    first.close()
    SparkWarehouse(directory=second_lake).close()  # once the first is closed


def test_a_missing_directory_says_what_it_holds_unless_the_warehouse_writes(session, tmp_path):
    missing = tmp_path / "nowhere"
    with pytest.raises(WarehouseError) as caught:
        SparkWarehouse(directory=missing)
    assert str(caught.value) == (
        f"Spark warehouse directory {missing} does not exist; it holds one folder of Parquet "
        "files per table (raw/orders/…), docs/scale-out.md"
    )
    assert session.started == []  # no session for a warehouse that cannot open
    with SparkWarehouse(directory=missing, read_only=False) as wh:
        assert missing.is_dir() and not wh.read_only


def test_replace_table_writes_parquet_and_registers_it_anew(session, tmp_path):
    lake = tmp_path / "lake"
    with SparkWarehouse(directory=lake, read_only=False) as wh:
        wh.replace_table("raw.orders", pa.table({"id": [1, 2]}))
        import pandas as pd

        wh.replace_table(
            "raw.orders", pd.DataFrame({"id": [3], "at": [pd.Timestamp("2026-01-01")]})
        )
        assert pq.read_table(lake / "raw" / "orders").to_pydict()["id"] == [3]
        assert str(
            pq.read_schema(next((lake / "raw/orders").glob("*.parquet"))).field("at").type
        ) == ("timestamp[us]")
        assert [p.name for p in (lake / "raw").iterdir()] == ["orders"]  # no staging left
        assert session.statements.count("DROP TABLE IF EXISTS `raw`.`orders`") == 2
    with pytest.raises(WarehouseError, match=r"^this warehouse is open read-only; only the ingest"):
        SparkWarehouse(directory=lake).replace_table("raw.x", pa.table({"a": [1]}))
    with pytest.raises(WarehouseError, match=r"^replace_table needs the warehouse directory"):
        SparkWarehouse(read_only=False).replace_table("raw.x", pa.table({"a": [1]}))


# -- reading ----------------------------------------------------------------------------------
def test_reading_sends_the_sql_with_its_parameters_and_limits_what_it_fetches(session):
    wh = SparkWarehouse()
    session.arrow = pa.table(
        {"amount": pa.array([Decimal("12.34")], pa.decimal128(12, 2)), "n": pa.array([7])}
    )
    assert wh.arrow("SELECT 1", {"x": 1}, max_rows=10) is session.arrow
    assert session.sent[-1] == ("SELECT 1", {"x": 1}) and session.limits == [11]
    frame = wh.frame("SELECT 2")
    assert session.sent[-1] == ("SELECT 2", None) and session.limits == [11]
    assert frame["amount"].tolist() == [12.34] and frame["amount"].dtype == "float64"
    assert frame["n"].tolist() == [7]
    assert wh.rows("SELECT 3", [1]) == [(Decimal("12.34"), 7)]
    assert session.sent[-1] == ("SELECT 3", [1])


def test_table_columns_lists_each_database_s_tables_without_temporary_views(session):
    session.answers = {
        "SHOW DATABASES": [("raw",), ("odd db",)],
        "SHOW TABLES IN `raw`": [("raw", "orders", False), ("", "tmp_view", True)],
        "SHOW TABLES IN `odd db`": [("odd db", "t", False)],
    }
    session.schemas = {
        "`raw`.`orders`": [("amount", "decimal(12,2)"), ("at", "timestamp_ntz")],
        "`odd db`.`t`": [("x", "array<int>")],
    }
    session.tables = {"raw.orders"}
    wh = SparkWarehouse()
    assert wh.table_columns() == {
        "odd db.t": {"x": "INTEGER[]"},
        "raw.orders": {"amount": "DECIMAL(12,2)", "at": "TIMESTAMP"},
    }
    assert list(wh.table_columns()) == ["odd db.t", "raw.orders"]
    assert wh.has_table("raw.orders") and not wh.has_table("raw.none")


def test_spark_s_errors_become_warehouse_errors_with_their_first_lines(session):
    wh = SparkWarehouse()
    session.fail = SparkError("[TABLE_OR_VIEW_NOT_FOUND] no raw.x\n\n  line 2\nline 3\nJVM stack")
    with pytest.raises(WarehouseError) as caught:
        wh.rows("SELECT * FROM raw.x")
    assert str(caught.value) == "[TABLE_OR_VIEW_NOT_FOUND] no raw.x   line 2 line 3"
    assert isinstance(caught.value.__cause__, SparkError)
    session.fail = SparkError("")
    with pytest.raises(WarehouseError, match=r"^AnalysisException$"):
        wh.rows("SELECT 1")
    session.fail = ZeroDivisionError("not Spark's")  # other errors are not Spark's to rename
    with pytest.raises(ZeroDivisionError):
        wh.rows("SELECT 1")
    session.fail = WarehouseError("already ours")
    with pytest.raises(WarehouseError, match=r"^already ours$"):
        wh.rows("SELECT 1")


# -- a directory Northstar published: one version's folders, nothing registered ----------------
def published_lake(tmp_path: Path) -> Path:
    lake = tmp_path / "lake"
    tables = {
        "raw.orders": PublishedTable(
            "_northstar/tables/raw.orders.v1",
            [("id", "BIGINT"), ("amount", "DECIMAL(12,2)")],
            2,
            "d",
        ),
        "meta.loads": PublishedTable(
            "_northstar/tables/meta.loads.v1", [("source", "VARCHAR")], 1, ""
        ),
    }
    write_version(lake, SparkVersion("v1", "2026-03-01T00:00:00+00:00", None, "spec one", tables))
    write_version(lake, SparkVersion("v2", "2026-03-02T00:00:00+00:00", None, "spec two", tables))
    return lake


def test_a_published_version_is_read_from_its_folders_and_registers_nothing(session, tmp_path):
    lake = published_lake(tmp_path)
    (lake / "raw" / "orders").mkdir(parents=True)  # another tool's table beside: not registered
    wh = SparkWarehouse(directory=lake)
    assert (wh.version, wh.frozen) == ("v2", True)
    assert session.statements == []
    assert wh.table_columns() == {
        "meta.loads": {"source": "VARCHAR"},
        "raw.orders": {"id": "BIGINT", "amount": "DECIMAL(12,2)"},
    }
    assert wh.has_table("raw.orders") and not wh.has_table("raw.customers")
    wh.rows("SELECT count(*) FROM raw.orders")
    wh.rows("SELECT count(*) FROM raw.orders")
    assert (
        session.statements
        == [f"SELECT COUNT(*) FROM parquet.`{lake}/_northstar/tables/raw.orders.v1` AS orders"] * 2
    )
    with pytest.raises(WarehouseError) as caught:
        SparkWarehouse(directory=lake, read_only=False).replace_table("raw.x", pa.table({"a": [1]}))
    assert str(caught.value) == (
        f"{lake} is published by `northstar ingest` (engine = spark): load tables through "
        "sources.yml, not into a version"
    )
    assert SparkWarehouse(directory=lake, version="v1").version == "v1"
    with pytest.raises(WarehouseError, match=r"^Spark warehouse: version v0 of .* is gone"):
        SparkWarehouse(directory=lake, version="v0")
    (lake / "_northstar" / "CURRENT").write_text(".\n")
    with pytest.raises(WarehouseError, match=r"^Spark warehouse: .*CURRENT names no version"):
        SparkWarehouse(directory=lake)


def test_spark_versions_lists_the_published_versions_or_live(tmp_path):
    opened: list[str | None] = []
    versions = SparkVersions(tmp_path, lambda v: opened.append(v) or v)
    assert versions.current() == (LIVE, None) and versions.versions() == [LIVE]
    assert versions.spec_text(LIVE) is None
    assert versions.open_snapshot(LIVE) is None and opened == [None]
    lake = published_lake(tmp_path)
    versions = SparkVersions(lake, lambda v: opened.append(v) or v)
    assert versions.current() == ("v2", "spec two") and versions.versions() == ["v2", "v1"]
    assert versions.spec_text("v1") == "spec one"
    assert versions.open_snapshot("v1", config={"threads": 1}) == "v1" and opened[-1] == "v1"
    with pytest.raises(WarehouseError, match=r"^Spark warehouse: version v0 .* is gone"):
        versions.spec_text("v0")
    (lake / "_northstar" / "CURRENT").write_text("a/b")
    with pytest.raises(WarehouseError, match=r"^Spark warehouse: .*CURRENT names no version"):
        versions.current()
    assert versions.close() is None


# -- open_engine: which branch, with what --------------------------------------------------------
def test_open_engine_opens_spark_read_only_on_its_directory_and_version(monkeypatch):
    opened = []

    class Recorded:
        def __init__(self, url, **kwargs):
            opened.append((url, kwargs))

    monkeypatch.setattr("importlib.util.find_spec", lambda name: object())
    monkeypatch.setattr(spark_module, "SparkWarehouse", Recorded)
    assert isinstance(open_engine("spark", "local[2]", directory="/lake", version="v1"), Recorded)
    assert opened == [("local[2]", {"directory": "/lake", "read_only": True, "version": "v1"})]


def test_open_engine_without_pyspark_or_for_an_unknown_engine_says_what_to_do(monkeypatch):
    monkeypatch.setattr("importlib.util.find_spec", lambda name: None)
    with pytest.raises(WarehouseError) as caught:
        open_engine("spark", "local[2]")
    assert str(caught.value) == (
        "engine = spark needs pyspark: pip install -e '.[spark]' (or `make spark`, which also "
        "installs Java 17 where it is missing)"
    )
    with pytest.raises(WarehouseError) as caught:
        open_engine("duckdb", "data/warehouse.duckdb")
    assert str(caught.value) == (
        "no engine 'duckdb' is opened by URL; engines: duckdb, postgres, spark (the duckdb "
        "warehouse is a file: NORTHSTAR_WAREHOUSE)"
    )


# -- the session: one per process, started with Northstar's settings ----------------------------
class Builder:
    def __init__(self, fail: BaseException | None = None) -> None:
        self.calls: list[tuple] = []
        self.fail = fail
        self.session = types.SimpleNamespace(
            sparkContext=types.SimpleNamespace(master=None, setLogLevel=self.log_level),
            conf=types.SimpleNamespace(set=lambda k, v: self.calls.append(("conf.set", k, v))),
        )

    def __getattr__(self, method: str):
        def call(*args):
            self.calls.append((method, *args))
            if method == "master":
                self.session.sparkContext.master = args[0]
            return self

        return call

    def log_level(self, level: str) -> None:
        self.calls.append(("setLogLevel", level))

    def getOrCreate(self):  # pyspark's name
        if self.fail is not None:
            raise self.fail
        return self.session

    def settings(self) -> dict[str, str]:
        return {c[1]: c[2] for c in self.calls if c[0] == "config"}


@pytest.fixture
def builder(monkeypatch):
    """A stand-in pyspark.sql (and pyspark.logger) recording how the session is built."""
    made = Builder()
    loggers: dict[str, list[int]] = {}

    class Logger:
        @staticmethod
        def getLogger(name):
            return types.SimpleNamespace(
                setLevel=lambda lvl: loggers.setdefault(name, []).append(lvl)
            )

    monkeypatch.setitem(
        sys.modules,
        "pyspark.sql",
        types.SimpleNamespace(SparkSession=types.SimpleNamespace(builder=made)),
    )
    monkeypatch.setitem(sys.modules, "pyspark.logger", types.SimpleNamespace(PySparkLogger=Logger))
    monkeypatch.setattr(session_module, "_sessions", {})
    monkeypatch.delenv("SPARK_LOCAL_IP", raising=False)
    made.loggers = loggers
    return made


def test_a_local_session_starts_once_with_northstar_s_settings(builder):
    session = spark_session("local[3]", {"spark.driver.extraJavaOptions": "-Xss4m", "x.y": "z"})
    assert session is builder.session
    assert spark_session("local[3]", {"ignored": "now"}) is session  # started once
    assert [c for c in builder.calls if c[0] != "config"] == [
        ("appName", "northstar"),
        ("master", "local[3]"),
        ("setLogLevel", "ERROR"),
    ]
    config = builder.settings()
    scratch = Path(config.pop("spark.sql.warehouse.dir"))
    assert scratch.is_dir() and scratch.name.startswith("northstar-spark-")
    java = config.pop("spark.driver.extraJavaOptions")
    assert java == f"-Xss4m -Dlog4j2.configurationFile={(scratch / 'log4j2.properties').as_uri()}"
    assert (scratch / "log4j2.properties").read_text().startswith("rootLogger.level = error\n")
    assert config == {
        "spark.ui.enabled": "false",
        "spark.ui.showConsoleProgress": "false",
        "spark.driver.host": "127.0.0.1",
        "spark.driver.bindAddress": "127.0.0.1",
        "spark.sql.shuffle.partitions": "3",
        "spark.sql.session.timeZone": "UTC",
        "spark.sql.ansi.enabled": "true",
        "x.y": "z",
    }
    assert os.environ["SPARK_LOCAL_IP"] == "127.0.0.1"
    assert builder.loggers == {
        "SQLQueryContextLogger": [50],
        "DataFrameQueryContextLogger": [50],
    }
    with pytest.raises(WarehouseError) as caught:
        spark_session("local[4]")
    assert str(caught.value) == (
        "this process already runs Spark as local[3]; one local session per process, so "
        "local[4] cannot start beside it"
    )


@pytest.mark.parametrize(
    ("url", "shuffle"), [("local", "1"), ("local[*]", str(os.cpu_count())), ("local[12]", "12")]
)
def test_a_local_session_shuffles_into_as_many_partitions_as_it_has_cores(builder, url, shuffle):
    spark_session(url, {"spark.driver.extraJavaOptions": ""})
    assert builder.settings()["spark.sql.shuffle.partitions"] == shuffle
    assert builder.settings()["spark.driver.extraJavaOptions"].startswith("-Dlog4j2.configuration")


def test_a_spark_connect_session_gets_the_session_settings_from_the_client(builder):
    session = spark_session("sc://spark.internal:15002", {"spark.sql.shuffle.partitions": "8"})
    assert spark_session("sc://spark.internal:15002") is session
    assert builder.calls == [
        ("appName", "northstar"),
        ("remote", "sc://spark.internal:15002"),
        ("config", "spark.sql.session.timeZone", "UTC"),
        ("config", "spark.sql.ansi.enabled", "true"),
        ("config", "spark.sql.shuffle.partitions", "8"),
        ("conf.set", "spark.sql.session.timeZone", "UTC"),
        ("conf.set", "spark.sql.ansi.enabled", "true"),
    ]


@pytest.mark.parametrize(
    ("url", "fail", "message"),
    [
        (
            "local[2]",
            RuntimeError("Java gateway process exited\nbefore sending its port"),
            "cannot start Spark at local[2]: Java gateway process exited; a local session needs "
            "Java 17 (java -version; apt-get install openjdk-17-jre-headless)",
        ),
        (
            "sc://h:15002",
            ConnectionError(),
            "cannot start Spark at sc://h:15002: ConnectionError; check that the Spark Connect "
            "server runs and the URL's host and port",
        ),
        (
            "sc://h:15002",
            ImportError("No module named 'grpc'"),
            "a Spark Connect URL needs pyspark's connect extra (No module named 'grpc'): "
            "pip install 'pyspark[connect]'",
        ),
    ],
)
def test_a_session_that_does_not_start_says_why_and_what_to_check(builder, url, fail, message):
    builder.fail = fail
    with pytest.raises(WarehouseError) as caught:
        spark_session(url)
    assert str(caught.value) == message
    assert session_module._sessions == {}


def test_without_pyspark_the_session_says_how_to_install_it(monkeypatch):
    monkeypatch.setitem(sys.modules, "pyspark.sql", None)
    monkeypatch.setattr(session_module, "_sessions", {})
    with pytest.raises(WarehouseError) as caught:
        spark_session("local[2]")
    assert str(caught.value) == (
        "the Spark engine needs pyspark: pip install 'northstar[spark]' (and Java 17 for a local "
        "session)"
    )


@pytest.mark.parametrize(
    ("url", "conf", "message"),
    [
        ("yarn", None, r"^Spark URL 'yarn' is neither local\[N\] nor a Spark Connect URL"),
        ("local[2x]", None, r"Spark URL 'local\[2x\]' is neither"),
        (
            "http://h",
            None,
            r"\(sc://host:port\); set engine_url to one of them \(docs/scale-out.md",
        ),
        (
            "local[2]",
            {"spark.sql.session.timeZone": "Asia/Shanghai"},
            r"^Spark setting spark.sql.session.timeZone=Asia/Shanghai is not allowed: the SQL "
            r"Northstar writes for Spark needs UTC \(docs/scale-out.md, Spark\)$",
        ),
        ("local[2]", {"spark.sql.ansi.enabled": "false"}, r"ansi.enabled=false .* needs true"),
    ],
)
def test_a_url_or_setting_spark_cannot_run_with_is_refused_before_starting(
    monkeypatch, url, conf, message
):
    monkeypatch.setattr(session_module, "_sessions", {})
    monkeypatch.setattr(session_module, "_start", lambda *a: pytest.fail("started"))
    with pytest.raises(WarehouseError, match=message):
        spark_session(url, conf)


def test_settings_equal_to_northstar_s_are_allowed(monkeypatch):
    monkeypatch.setattr(session_module, "_sessions", {})
    monkeypatch.setattr(session_module, "_start", lambda url, local, conf: (url, local, conf))
    conf = {"spark.sql.session.timeZone": "UTC", "spark.executor.memory": "2g"}
    assert spark_session("local[2]", conf) == ("local[2]", True, conf)
    assert spark_session("sc://h:1") == ("sc://h:1", False, {})


@pytest.mark.parametrize(
    ("spark", "duckdb"),
    [
        ("string", "VARCHAR"),
        ("varchar(10)", "VARCHAR"),
        ("char(2)", "VARCHAR"),
        ("timestamp_ntz", "TIMESTAMP"),
        ("timestamp", "TIMESTAMP WITH TIME ZONE"),
        ("date", "DATE"),
        ("double", "DOUBLE"),
        ("float", "FLOAT"),
        ("bigint", "BIGINT"),
        ("int", "INTEGER"),
        ("smallint", "SMALLINT"),
        ("tinyint", "TINYINT"),
        ("boolean", "BOOLEAN"),
        ("binary", "BLOB"),
        ("void", '"NULL"'),
        ("decimal(12, 2)", "DECIMAL(12,2)"),
        ("array<decimal(5,1)>", "DECIMAL(5,1)[]"),
        ("array<array<string>>", "VARCHAR[][]"),
        ("map<string,int>", "MAP<STRING,INT>"),
        ("interval day", "INTERVAL DAY"),
    ],
)
def test_spark_type_names_are_written_as_duckdb_names_them(spark, duckdb):
    assert duckdb_type_name(spark) == duckdb
