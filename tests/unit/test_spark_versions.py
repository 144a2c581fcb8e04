"""Spark's published versions without a JVM (warehouse/spark_versions.py, spark_publish.py).

Publishing raw tables writes Parquet from DuckDB's Arrow batches: no Spark session is started
unless a rollup plan has tables, so the folder layout, CURRENT, the version JSON, sweeping, the
publish lock and the messages are checked here in the fast suite (tests/sql/test_spark_publish.py
runs the same publish with Spark reading it, under the `spark` marker).
"""

from __future__ import annotations

import fcntl
import json
from datetime import UTC, date, datetime
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from warehouse import Warehouse
from warehouse.rollup_plan import ManifestRow, RollupPlan, RollupStatement
from warehouse.spark_publish import (
    ROLLUP_MANIFEST,
    SparkPublisher,
    SparkPublishError,
    _new_version,
    _readable,
    as_files,
    recorded_change,
)
from warehouse.spark_versions import (
    KEEP,
    PublishedTable,
    SparkVersion,
    VersionError,
    current_version,
    home,
    kept_versions,
    read_version,
    sweep,
    table_folder,
    write_version,
)


@pytest.fixture
def source(tmp_path):
    with Warehouse(tmp_path / "source.duckdb") as wh:
        wh.execute("CREATE SCHEMA raw")
        wh.execute("CREATE TABLE raw.orders AS SELECT range AS id, range * 2 AS v FROM range(5)")
        wh.execute("CREATE TABLE raw.empty (id INTEGER, name VARCHAR)")
        wh.execute("CREATE SCHEMA meta")
        wh.execute("CREATE TABLE meta.loads AS SELECT 'shop' AS source, 3 AS rows")
        wh.execute("CREATE TABLE meta.cursors AS SELECT 'shop' AS source")  # not published
        yield wh


def version(name: str, tables: dict[str, PublishedTable] | None = None) -> SparkVersion:
    return SparkVersion(name, "2026-03-01T00:00:00+00:00", None, "spec", tables or {})


# -- CURRENT and the version files -------------------------------------------------------------
def test_nothing_published_is_no_current_version(tmp_path):
    assert current_version(tmp_path) is None
    assert kept_versions(tmp_path) == []
    assert home(tmp_path) == tmp_path / "_northstar"
    assert (
        table_folder(tmp_path, "raw.orders", "v1") == tmp_path / "_northstar/tables/raw.orders.v1"
    )


@pytest.mark.parametrize("text", ["", "  \n", "../../etc\n", ".hidden\n", "a/b\n"])
def test_a_current_naming_no_version_says_so(tmp_path, text):
    home(tmp_path).mkdir()
    (home(tmp_path) / "CURRENT").write_text(text)
    with pytest.raises(VersionError, match=r"_northstar/CURRENT names no version \(") as caught:
        current_version(tmp_path)
    assert repr(text.strip()) in str(caught.value)


def test_an_unreadable_current_says_so(tmp_path):
    home(tmp_path).mkdir()
    (home(tmp_path) / "CURRENT").write_bytes(b"\xff\xfe\x00")
    with pytest.raises(VersionError, match=r"_northstar/CURRENT is unreadable \(.*utf-8"):
        current_version(tmp_path)
    (home(tmp_path) / "CURRENT").unlink()
    (home(tmp_path) / "CURRENT").mkdir()  # a folder: an OSError, not "nothing published"
    with pytest.raises(VersionError, match=r"CURRENT is unreadable"):
        current_version(tmp_path)


def test_a_written_version_reads_back_and_becomes_current(tmp_path):
    table = PublishedTable("_northstar/tables/raw.t.v1", [("id", "BIGINT")], 3, "123")
    write_version(tmp_path, version("v1", {"raw.t": table}))
    assert (home(tmp_path) / "CURRENT").read_text() == "v1\n"
    assert current_version(tmp_path) == "v1"
    data = json.loads((home(tmp_path) / "versions" / "v1.json").read_text())
    assert data["format"] == 1 and data["version"] == "v1"
    back = read_version(tmp_path, "v1")
    assert back == version("v1", {"raw.t": table})
    assert back.tables["raw.t"].recorded() == ('[["id", "BIGINT"]]', 3, "123")
    assert not list((home(tmp_path) / "versions").glob("*.tmp"))
    write_version(tmp_path, version("v2"))
    assert current_version(tmp_path) == "v2"
    assert kept_versions(tmp_path) == ["v2", "v1"]


def test_a_version_file_that_cannot_be_read_names_itself_and_why(tmp_path):
    with pytest.raises(VersionError, match=rf"version v9 of {tmp_path} is gone \(a publish keeps "):
        read_version(tmp_path, "v9")
    with pytest.raises(VersionError, match=rf"keeps the last {KEEP}\); open the current one"):
        read_version(tmp_path, "v9")
    versions = home(tmp_path) / "versions"
    versions.mkdir(parents=True)
    (versions / "bad.json").write_text("{not json")
    with pytest.raises(VersionError, match=r"versions/bad\.json is unreadable \(Expecting"):
        read_version(tmp_path, "bad")
    (versions / "cut.json").write_text(json.dumps({"format": 1, "tables": {}}))
    with pytest.raises(VersionError, match=r"cut\.json is malformed \(KeyError\('version'\)\)"):
        read_version(tmp_path, "cut")
    rows = {"folder": "f", "columns": [], "rows": "many", "digest": ""}
    (versions / "rows.json").write_text(json.dumps({"format": 1, "tables": {"raw.t": rows}}))
    with pytest.raises(VersionError, match=r"rows\.json is malformed \(ValueError"):
        read_version(tmp_path, "rows")


def test_sweep_keeps_the_newest_and_the_current_and_their_folders(tmp_path):
    tables = home(tmp_path) / "tables"
    for name in ["v1", "v2", "v3", "v4"]:
        folder = table_folder(tmp_path, "raw.t", name)
        folder.mkdir(parents=True)
        listed = PublishedTable(str(folder.relative_to(tmp_path)), [], 0, "")
        write_version(tmp_path, version(name, {"raw.t": listed}))
    (tables / "raw.t.killed").mkdir()  # a killed publish's folder
    (home(tmp_path) / "versions" / "v5.json.tmp").write_text("{")  # and its half-written JSON
    (home(tmp_path) / "CURRENT").write_text("v1\n")  # an old version is current
    deleted = sweep(tmp_path, keep=2)
    assert kept_versions(tmp_path) == ["v4", "v3", "v1"]
    assert sorted(deleted) == ["raw.t.killed", "raw.t.v2", "v2"]
    assert sorted(p.name for p in tables.iterdir()) == ["raw.t.v1", "raw.t.v3", "raw.t.v4"]
    assert not list((home(tmp_path) / "versions").glob("*.tmp"))


def test_sweep_with_a_damaged_current_keeps_the_newest_and_skips_unreadable_versions(tmp_path):
    for name in ["v1", "v2", "v3"]:
        folder = table_folder(tmp_path, "raw.t", name)
        folder.mkdir(parents=True)
        write_version(
            tmp_path,
            version(name, {"raw.t": PublishedTable(str(folder.relative_to(tmp_path)), [], 0, "")}),
        )
    (home(tmp_path) / "versions" / "v3.json").write_text("{damaged")
    (home(tmp_path) / "CURRENT").write_text("")
    assert sweep(tmp_path, keep=2) == ["v1", "raw.t.v1", "raw.t.v3"]
    assert kept_versions(tmp_path) == ["v3", "v2"]


# -- publishing raw tables (no JVM: Parquet from DuckDB's Arrow batches) ------------------------
def test_a_publish_writes_raw_tables_and_meta_loads_as_parquet_behind_current(source, tmp_path):
    steps: list[tuple[str, str]] = []
    publisher = SparkPublisher(tmp_path / "lake", on_step=lambda e, d: steps.append((e, d)))
    assert publisher.current() is None
    first = publisher.publish(source, "spec text", datetime(2026, 3, 1, 10, tzinfo=UTC))
    lake = (tmp_path / "lake").resolve()
    assert current_version(lake) == first.version
    assert set(first.tables) == {"raw.orders", "raw.empty", "meta.loads"}
    orders = first.tables["raw.orders"]
    assert orders.folder == f"_northstar/tables/raw.orders.{first.version}"
    assert (orders.rows, orders.columns) == (5, [("id", "BIGINT"), ("v", "BIGINT")])
    assert pq.read_table(lake / orders.folder).to_pydict() == {
        "id": [0, 1, 2, 3, 4],
        "v": [0, 2, 4, 6, 8],
    }
    empty = pq.read_table(lake / first.tables["raw.empty"].folder)  # no rows: the columns still
    assert (empty.num_rows, empty.schema.names) == (0, ["id", "name"])
    assert first.spec_text == "spec text" and first.last_change == "2026-03-01T10:00:00+00:00"
    assert recorded_change(first) == datetime(2026, 3, 1, 10, tzinfo=UTC)
    assert recorded_change(version("v")) is None and recorded_change(None) is None
    assert steps == [
        ("written", "meta.loads"),
        ("written", "raw.empty"),
        ("written", "raw.orders"),
        ("switched", first.version),
    ]
    assert publisher.current() == read_version(lake, first.version)

    source.execute("INSERT INTO raw.orders VALUES (5, 10)")
    steps.clear()
    second = publisher.publish(source)
    assert second.version > first.version and second.last_change is None
    assert ("kept", "raw.empty") in steps and ("written", "raw.orders") in steps
    assert second.tables["raw.empty"] == first.tables["raw.empty"]
    assert second.tables["raw.orders"].rows == 6


def test_types_spark_reads_otherwise_are_cast_before_writing_and_recorded_as_read(tmp_path):
    with Warehouse(tmp_path / "typed.duckdb") as wh:
        wh.execute("CREATE SCHEMA raw")
        wh.execute("CREATE TYPE mood AS ENUM ('calm', 'busy')")
        wh.execute(
            "CREATE TABLE raw.typed AS SELECT 200::UTINYINT AS small, 'busy'::mood AS feeling, "
            "'00000000-0000-0000-0000-000000000001'::UUID AS u, 7::HUGEINT AS h, 1.5 AS x"
        )
        published = SparkPublisher(tmp_path / "lake").publish(wh)
    table = published.tables["raw.typed"]
    assert dict(table.columns) == {
        "small": "SMALLINT",
        "feeling": "VARCHAR",
        "u": "VARCHAR",
        "h": "DECIMAL(38,0)",
        "x": "DECIMAL(2,1)",
    }
    schema = pq.read_schema(next((tmp_path / "lake" / table.folder).glob("*.parquet")))
    assert [str(schema.field(n).type) for n in schema.names] == [
        "int16",
        "string",
        "string",
        "decimal128(38, 0)",
        "decimal128(2, 1)",
    ]
    assert _readable("x y", "UUID") == 'CAST("x y" AS VARCHAR) AS "x y"'
    assert _readable("n", "enum('a', 'b')") == 'CAST("n" AS VARCHAR) AS "n"'
    assert _readable("n", "INTEGER") == '"n"'


def test_a_failed_publish_says_the_version_is_as_it_was_on_one_line(source, tmp_path):
    lake = tmp_path / "lake"
    publisher = SparkPublisher(lake)
    first = publisher.publish(source)
    source.execute(
        "CREATE TABLE raw.wide AS SELECT 100000000000000000000000000000000000000::HUGEINT AS h"
    )
    with pytest.raises(SparkPublishError) as failed:
        publisher.publish(source)
    message = str(failed.value)
    assert message.startswith(f"publishing to the Spark warehouse {lake.resolve()} failed: ")
    assert "column h" in message and "\n" not in message
    assert message.endswith(
        ". The version readers see is as it was; the data is loaded: run `northstar ingest` "
        "again to publish what is pending."
    )
    assert current_version(lake) == first.version


def test_a_version_of_another_format_says_which_format(tmp_path):
    versions = home(tmp_path) / "versions"
    versions.mkdir(parents=True)
    (versions / "new.json").write_text(json.dumps({"format": 2}))
    with pytest.raises(VersionError) as caught:
        read_version(tmp_path, "new")
    assert str(caught.value) == f"{versions / 'new.json'} has format 2, this Northstar reads 1"


def test_a_file_error_names_the_file(source, tmp_path):
    lake = tmp_path / "lake"
    home(lake).mkdir(parents=True)
    (home(lake) / "tables").write_text("a file where the folders go")
    with pytest.raises(SparkPublishError, match=r"failed: Not a directory \(/.*_northstar/tables"):
        SparkPublisher(lake).publish(source)
    assert current_version(lake) is None


def test_a_damaged_current_is_an_error_to_readers_and_mended_by_the_next_publish(source, tmp_path):
    lake = tmp_path / "lake"
    publisher = SparkPublisher(lake)
    publisher.publish(source)
    (home(lake) / "CURRENT").write_text("../x\n")
    with pytest.raises(SparkPublishError, match=r"CURRENT names no version"):
        publisher.current()
    steps: list[tuple[str, str]] = []
    mended = SparkPublisher(lake, on_step=lambda e, d: steps.append((e, d))).publish(source)
    assert current_version(lake) == mended.version
    assert not any(event == "kept" for event, _ in steps)  # every table written anew


def test_a_publish_waits_for_the_lock_then_gives_up_naming_the_other_publish(source, tmp_path):
    lake = tmp_path / "lake"
    home(lake).mkdir(parents=True)
    steps: list[tuple[str, str]] = []
    with open(home(lake) / "publish.lock", "a+") as held:
        fcntl.flock(held.fileno(), fcntl.LOCK_EX)
        publisher = SparkPublisher(lake, lock_wait=0.3, on_step=lambda e, d: steps.append((e, d)))
        with pytest.raises(SparkPublishError) as failed:
            publisher.publish(source)
    assert str(failed.value).startswith(
        f"another publish into {lake.resolve()} has run for over 0 s (a `northstar worker`"
    )
    assert ("waiting", "another publish is running") in steps
    assert current_version(lake) is None
    SparkPublisher(lake, lock_wait=0.3).publish(source)  # released: the next one runs
    assert current_version(lake) is not None


def test_only_the_last_keep_versions_stay(source, tmp_path):
    lake = tmp_path / "lake"
    names = []
    for n in range(4):
        source.execute(f"INSERT INTO raw.orders VALUES ({10 + n}, 0)")
        names.append(SparkPublisher(lake, keep=2).publish(source).version)
    assert kept_versions(lake) == [names[3], names[2]]
    folders = {p.name for p in (home(lake) / "tables").iterdir()}
    assert f"raw.orders.{names[1]}" not in folders and f"raw.orders.{names[3]}" in folders


def test_version_names_sort_by_time_even_when_the_clock_goes_back(monkeypatch):
    monkeypatch.setattr("time.time_ns", lambda: 1_772_000_000_123_456_789)
    assert _new_version(None) == "20260225T061320-123456789"
    assert _new_version("20260101T000000-000000000") == "20260225T061320-123456789"
    assert _new_version("20260225T061320-123456789") == "20260225T061320-123456789-1"
    assert _new_version("20270101T000000-000000000") == "20270101T000000-000000000-1"


# -- rollups: the manifest and the SQL reading a version's folders ------------------------------
def test_the_rollup_manifest_is_written_as_the_planner_reads_it(tmp_path):
    plan = RollupPlan(
        (RollupStatement("rollup.a", "TABLE", "", "SELECT 1"),),
        (ManifestRow("rollup.a", "orders", "{}"), ManifestRow("rollup.b", "day", "{x}")),
        date(2026, 3, 1),
    )
    publisher = SparkPublisher(tmp_path / "lake")
    table = publisher._write_manifest(plan, "v1")
    assert table.folder == f"_northstar/tables/{ROLLUP_MANIFEST}.v1"
    assert table.rows == 2 and table.digest == ""
    rows = pq.read_table(tmp_path / "lake" / table.folder).to_pylist()
    assert [(r["table_name"], r["unit"], r["definition"]) for r in rows] == [
        ("rollup.a", "orders", "{}"),
        ("rollup.b", "day", "{x}"),
    ]
    assert {(r["data_version"], r["as_of"], r["first_day"], r["has_rows"]) for r in rows} == {
        ("", date(2026, 3, 1), None, True)
    }
    schema = pq.read_schema(next((tmp_path / "lake" / table.folder).glob("*.parquet")))
    assert schema.field("built_at").type == pa.timestamp("us", "UTC")
    assert [(f.name, str(f.type)) for f in schema] == [
        ("table_name", "string"),
        ("unit", "string"),
        ("definition", "string"),
        ("data_version", "string"),
        ("as_of", "date32[day]"),
        ("first_day", "date32[day]"),
        ("has_rows", "bool"),
        ("built_at", "timestamp[us, tz=UTC]"),
    ]
    assert table.columns == [
        ("table_name", "VARCHAR"),
        ("unit", "VARCHAR"),
        ("definition", "VARCHAR"),
        ("data_version", "VARCHAR"),
        ("as_of", "DATE"),
        ("first_day", "DATE"),
        ("has_rows", "BOOLEAN"),
        ("built_at", "TIMESTAMP WITH TIME ZONE"),
    ]


def test_published_tables_are_read_from_their_folders_under_their_own_names():
    tables = {
        "raw.orders": PublishedTable("_northstar/tables/raw.orders.v1", [], 1, ""),
        "rollup.daily": PublishedTable("_northstar/tables/rollup.daily.v1", [], 1, ""),
    }
    sql = (
        "SELECT o.id, d.n FROM raw.orders AS o JOIN rollup.daily d ON o.id = d.id "
        "JOIN other.thing ON TRUE"
    )
    assert as_files(sql, tables, Path("/lake")) == (
        "SELECT o.id, d.n FROM parquet.`/lake/_northstar/tables/raw.orders.v1` AS o "
        "JOIN parquet.`/lake/_northstar/tables/rollup.daily.v1` AS d ON o.id = d.id "
        "JOIN other.thing ON TRUE"
    )
    assert as_files("SELECT count(*) FROM raw.orders", tables, Path("/lake")) == (
        "SELECT COUNT(*) FROM parquet.`/lake/_northstar/tables/raw.orders.v1` AS orders"
    )


def test_rollups_are_built_by_the_session_from_the_new_version_s_folders(
    source, tmp_path, monkeypatch
):
    """A stand-in session (tests/sql/test_spark_publish.py builds them on a real one): each
    TABLE's SELECT reads the version's folders and its rows are written as the rollup's folder,
    never over an existing one; a VIEW is the table it selects; the manifest comes last."""
    import types

    import warehouse.spark_session as session_module

    sent, modes, started = [], [], []

    class Writer:
        def mode(self, mode):
            modes.append(mode)
            return self

        def parquet(self, path):
            Path(path).mkdir(parents=True)

    def field(name, spark_type):
        return types.SimpleNamespace(
            name=name, dataType=types.SimpleNamespace(simpleString=lambda: spark_type)
        )

    def sql(text):
        sent.append(text)
        schema = [field("day", "date"), field("amount", "decimal(12,2)")]
        return types.SimpleNamespace(write=Writer(), schema=schema)

    def session(url, conf):
        started.append((url, conf))
        return types.SimpleNamespace(sql=sql)

    monkeypatch.setattr(session_module, "spark_session", session)
    plan = RollupPlan(
        (
            RollupStatement("rollup.daily", "TABLE", "", "SELECT day FROM raw.orders"),
            RollupStatement("rollup.dau", "VIEW", "", "SELECT * FROM rollup.daily"),
        ),
        (ManifestRow("rollup.daily", "orders", "{}"),),
        date(2026, 3, 1),
    )
    steps: list[tuple[str, str]] = []
    lake = (tmp_path / "lake").resolve()
    publisher = SparkPublisher(
        lake, url="local[3]", conf={"a": "b"}, on_step=lambda e, d: steps.append((e, d))
    )
    published = publisher.publish(source, rollups=plan)
    v = published.version
    assert started == [("local[3]", {"a": "b"})]
    assert sent == [f"SELECT day FROM parquet.`{lake}/_northstar/tables/raw.orders.{v}` AS orders"]
    assert [m.lower() in ("error", "errorifexists") for m in modes] == [True]
    daily = published.tables["rollup.daily"]
    assert daily == PublishedTable(
        f"_northstar/tables/rollup.daily.{v}",
        [("day", "DATE"), ("amount", "DECIMAL(12,2)")],
        -1,
        "",
    )
    assert (lake / daily.folder).is_dir()
    assert published.tables["rollup.dau"] is daily
    assert published.tables[ROLLUP_MANIFEST].rows == 1
    assert ("rollups", "1 tables") in steps and steps[-1] == ("switched", v)
    assert read_version(lake, v).tables["rollup.dau"] == daily
