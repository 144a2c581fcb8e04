"""Publishing to Spark (warehouse/spark_publish.py): versions of Parquet folders behind CURRENT.

The small shop (tests/conftest.py) is published from a DuckDB warehouse into a Spark warehouse
directory with the rollups Spark builds (the conformance spec, planned for dialect spark), then:
- for the metrics Spark's rollups serve × every grain × (total | breakdown + filter), the rollup
  service reads rollups only (its plan says so), equals the raw-table service on the same
  version (decimals digit for digit) and pandas written by hand;
- a second publish with one table changed writes that table and keeps the other folders; a
  reader opened on the first version keeps reading it, row for row, after the switch;
- a publish paused after its tables are written (deterministic: the step hook waits) is not
  seen by readers until CURRENT is replaced; one that fails in its rollups or is killed -9 at
  random points leaves CURRENT on a whole version, and the next publish sweeps the leftovers.
Needs pyspark and Java (`make spark`); shares the process's local Spark session (one group).
"""

from __future__ import annotations

import json
import os
import random
import shutil
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path

import pyarrow.parquet as pq
import pytest

from metric_layer.engine_rollups import plan_rollups
from metric_layer.service import MetricService
from tests.conftest import NOW, build_warehouse
from tests.sql.test_engine_conformance import _case, _query, spec_for
from tests.sql.test_pg_rollups import CASES, check_rollup_case
from tests.unit.test_metric_values import Reference

pytestmark = [pytest.mark.spark, pytest.mark.xdist_group("spark")]
pytest.importorskip("pyspark", reason="pyspark is not installed: pip install -e '.[spark]'")
if not (shutil.which("java") or os.environ.get("JAVA_HOME")):
    pytest.skip("no Java for Spark's local session (make spark)", allow_module_level=True)

from tests.sql.test_spark_engine import FAST  # noqa: E402  (after the skips)
from warehouse import WarehouseError  # noqa: E402
from warehouse.spark import SparkWarehouse  # noqa: E402
from warehouse.spark_publish import SparkPublisher, SparkPublishError  # noqa: E402
from warehouse.spark_versions import current_version, home, kept_versions  # noqa: E402

ROOT = Path(__file__).parents[2]


def publisher(directory: Path, **kwargs) -> SparkPublisher:
    return SparkPublisher(directory, url="local[2]", conf=FAST, **kwargs)


@pytest.fixture(scope="module")
def published(small_data, tmp_path_factory):
    """(rollup service, raw service, directory) over the small shop published with rollups."""
    directory = tmp_path_factory.mktemp("spark_publish") / "lake"
    source = build_warehouse(small_data)
    spec = spec_for(source.table_columns())
    plan = plan_rollups(spec, source.table_columns(), "spark")
    try:
        publisher(directory).publish(source, "conformance", rollups=plan)
    finally:
        source.close()
    spark = SparkWarehouse("local[2]", directory=directory, conf=FAST)
    try:
        rollups = MetricService(spark, spec, clock=lambda: NOW)
        raw = MetricService(spark, spec, clock=lambda: NOW, use_rollups=False)
        yield rollups, raw, directory
    finally:
        spark.close()


@pytest.fixture(scope="module")
def ref(small_data) -> Reference:
    return Reference(small_data.customers, small_data.orders, small_data.sessions)


@pytest.mark.parametrize(("metric", "grain", "variant"), CASES)
def test_rollups_built_by_spark_answer_as_raw_tables_and_pandas(
    published, ref, small_data, metric, grain, variant
):
    rollups, raw, _ = published
    check_rollup_case(rollups, raw, ref, small_data, metric, grain, variant)


def test_kinds_spark_does_not_build_read_raw_and_the_plan_says_so(published, small_data):
    rollups, _, _ = published
    query = _query(_case(small_data, "month", "total"), ("d1_retention",))
    route = rollups.plan("d1_retention", query)
    assert route.source == "raw"
    assert any("on spark only daily and entity-day rollups are built" in r for r in route.reasons)


def test_a_version_lists_every_table_and_reads_from_its_own_folders(published, small_data):
    _, raw, directory = published
    name = current_version(directory)
    listing = json.loads((home(directory) / "versions" / f"{name}.json").read_text())
    tables = listing["tables"]
    assert {"raw.orders", "raw.customers", "raw.sessions", "rollup.manifest"} <= set(tables)
    assert "rollup.orders__daily__all" in tables and "rollup.buyers__entity_days" in tables
    # a first publish writes every folder, each named for its version (rollups too)
    assert {t: f["folder"].rsplit(".", 1)[-1] for t, f in tables.items()} == dict.fromkeys(
        tables, name
    )
    orders = pq.read_table(directory / tables["raw.orders"]["folder"]).to_pandas()
    assert len(orders) == len(small_data.orders) == tables["raw.orders"]["rows"]
    assert raw.warehouse.frozen and raw.warehouse.version == name
    # Nothing entered the process's catalog: another version can be open beside this one.
    assert not raw.warehouse.has_table("raw.nothing")


# -- versions, switches and failures --------------------------------------------------------
@pytest.fixture
def shop_source(small_data):
    source = build_warehouse(small_data)
    yield source
    source.close()


def order_count(directory: Path, version: str | None = None) -> int:
    with SparkWarehouse("local[2]", directory=directory, conf=FAST, version=version) as spark:
        return int(spark.rows("SELECT count(*) FROM raw.orders")[0][0])


def test_a_republish_writes_changed_tables_only_and_old_readers_keep_their_version(
    shop_source, small_data, tmp_path
):
    directory = tmp_path / "lake"
    steps: list[tuple[str, str]] = []
    first = publisher(directory, on_step=lambda e, d: steps.append((e, d))).publish(shop_source)
    assert ("written", "raw.orders") in steps
    old_reader = SparkWarehouse("local[2]", directory=directory, conf=FAST)
    try:
        assert old_reader.rows("SELECT count(*) FROM raw.orders")[0][0] == len(small_data.orders)
        shop_source.replace_table("raw.orders", small_data.orders.iloc[:5])
        steps.clear()
        second = publisher(directory, on_step=lambda e, d: steps.append((e, d))).publish(
            shop_source
        )
        assert ("written", "raw.orders") in steps
        assert ("kept", "raw.customers") in steps and ("kept", "raw.sessions") in steps
        assert second.tables["raw.customers"].folder == first.tables["raw.customers"].folder
        assert order_count(directory) == 5
        # The reader that opened the first version still reads it, row for row.
        assert old_reader.version == first.version
        assert old_reader.rows("SELECT count(*) FROM raw.orders")[0][0] == len(small_data.orders)
    finally:
        old_reader.close()


def test_readers_do_not_see_a_publish_until_it_switches(shop_source, small_data, tmp_path):
    directory = tmp_path / "lake"
    publisher(directory).publish(shop_source)
    shop_source.replace_table("raw.orders", small_data.orders.iloc[:3])
    written, go_on = threading.Event(), threading.Event()

    def pause(event: str, detail: str) -> None:
        if event == "written":
            written.set()
            assert go_on.wait(60)

    errors: list[BaseException] = []

    def run() -> None:
        try:
            publisher(directory, on_step=pause).publish(shop_source)
        except BaseException as exc:  # the test thread reports it
            errors.append(exc)

    thread = threading.Thread(target=run)
    thread.start()
    try:
        assert written.wait(60)
        assert order_count(directory) == len(small_data.orders)  # paused: the old version
    finally:
        go_on.set()
        thread.join(60)
    assert not errors, errors
    assert order_count(directory) == 3


def test_a_failed_rollup_build_leaves_the_version_and_the_next_publish_sweeps(
    shop_source, small_data, tmp_path
):
    directory = tmp_path / "lake"
    first = publisher(directory).publish(shop_source)
    shop_source.replace_table("raw.orders", small_data.orders.iloc[:4])
    spec = spec_for(shop_source.table_columns())
    plan = plan_rollups(spec, shop_source.table_columns(), "spark")
    broken = plan.statements[0].__class__(
        "rollup.broken", "TABLE", "", "SELECT no_such_column FROM raw.orders"
    )
    bad_plan = plan.__class__((*plan.statements, broken), plan.manifest, plan.as_of)
    with pytest.raises(SparkPublishError) as failed:
        publisher(directory).publish(shop_source, rollups=bad_plan)
    message = str(failed.value)
    assert "The version readers see is as it was" in message and "northstar ingest" in message
    assert "\n" not in message
    assert current_version(directory) == first.version
    assert order_count(directory) == len(small_data.orders)
    leftovers = [p.name for p in (home(directory) / "tables").iterdir()]
    assert any(name.startswith("raw.orders.") and first.version not in name for name in leftovers)
    second = publisher(directory).publish(shop_source, rollups=plan)
    assert order_count(directory) == 4
    folders = {p.name for p in (home(directory) / "tables").iterdir()}
    listed = {Path(t.folder).name for t in second.tables.values()}
    listed |= {Path(t.folder).name for t in first.tables.values()}
    assert folders == listed  # the failed publish's folders are gone


def test_versions_beyond_keep_are_removed_with_their_folders(shop_source, small_data, tmp_path):
    directory = tmp_path / "lake"
    names = []
    for n in range(5):
        shop_source.replace_table("raw.orders", small_data.orders.iloc[: n + 1])
        names.append(publisher(directory, keep=2).publish(shop_source).version)
    assert kept_versions(directory) == names[:-3:-1]
    assert order_count(directory, names[-2]) == 4
    with pytest.raises(WarehouseError, match=r"is gone .*open the current one"):
        order_count(directory, names[0])


KILLER = """
import sys, time
from pathlib import Path
sys.path.insert(0, {root!r})
from tests.conftest import build_warehouse, Dataset  # noqa
import pandas as pd
from warehouse import Warehouse
from warehouse.spark_publish import SparkPublisher
source = Warehouse({source!r})
n = 0
while True:  # publish different rows over and over until killed
    n += 1
    source.replace_table("raw.numbers", pd.DataFrame({{"x": range(n * 1000), "round": n}}))
    SparkPublisher({directory!r}).publish(source)
"""


def test_a_publish_killed_at_random_points_leaves_a_whole_version(tmp_path):
    """kill -9 while publishing over and over: every time, CURRENT names a version whose
    tables are whole (x = 0..round*1000-1, all of one round), and the next publish works."""
    directory, source = tmp_path / "lake", tmp_path / "source.duckdb"
    script = tmp_path / "killer.py"
    script.write_text(KILLER.format(root=str(ROOT), source=str(source), directory=str(directory)))
    rng = random.Random(16)
    for _ in range(6):
        child = subprocess.Popen([sys.executable, str(script)], cwd=ROOT)
        try:
            # Wait for a first version, then kill at a random moment of a later publish.
            deadline_rounds = rng.randint(1, 4)
            seen: set[str] = set()
            while len(seen) < deadline_rounds:
                assert child.poll() is None, "the publishing process ended by itself"
                name = (
                    current_version(directory) if (home(directory) / "CURRENT").exists() else None
                )
                if name:
                    seen.add(name)
                time.sleep(0.005)  # a polling interval, not a wait for a moment
            child.send_signal(signal.SIGKILL)
        finally:
            child.wait(30)
        name = current_version(directory)
        listing = json.loads((home(directory) / "versions" / f"{name}.json").read_text())
        numbers = pq.read_table(directory / listing["tables"]["raw.numbers"]["folder"]).to_pandas()
        rounds = set(numbers["round"])
        assert len(rounds) == 1, rounds
        (n,) = rounds
        assert sorted(numbers["x"]) == list(range(n * 1000))
    # The next publish (in this process) sweeps what the kills left and reads whole.
    from warehouse import Warehouse

    with Warehouse(source) as wh:
        published = SparkPublisher(directory).publish(wh)
    folders = {p.name for p in (home(directory) / "tables").iterdir()}
    assert Path(published.tables["raw.numbers"].folder).name in folders
    assert not list((home(directory) / "versions").glob("*.tmp"))


def test_column_types_spark_reads_otherwise_are_cast_and_recorded_as_read(tmp_path):
    """Each DuckDB type reaches Spark with its values, and the version records the type Spark
    reads (what table_columns() tells the metric layer), checked against Spark's own schema."""
    from warehouse import Warehouse
    from warehouse.spark_session import duckdb_type_name

    with Warehouse(tmp_path / "typed.duckdb") as source:
        with source.transaction() as tx:
            tx.execute("CREATE SCHEMA raw")
            tx.execute("CREATE TYPE mood AS ENUM ('calm', 'busy')")
            tx.execute(
                "CREATE TABLE raw.typed AS SELECT * FROM (VALUES "
                "('00000000-0000-0000-0000-000000000001'::UUID, 99999999999999999999999999999999999999::HUGEINT, "
                "200::UTINYINT, TIMESTAMP_NS '2026-03-01 10:00:00.123456789', 'busy'::mood, "
                "TIMESTAMPTZ '2026-03-01 10:00:00+00', 12.34::DECIMAL(12,2), 'ünï'), "
                "(NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL)"
                ") t(u, h, small, ns, feeling, instant, amount, text)"
            )
        published = SparkPublisher(tmp_path / "lake").publish(source)
    recorded = dict(published.tables["raw.typed"].columns)
    assert recorded == {
        "u": "VARCHAR",
        "h": "DECIMAL(38,0)",
        "small": "SMALLINT",
        "ns": "TIMESTAMP",
        "feeling": "VARCHAR",
        "instant": "TIMESTAMP WITH TIME ZONE",
        "amount": "DECIMAL(12,2)",
        "text": "VARCHAR",
    }
    with SparkWarehouse("local[2]", directory=tmp_path / "lake", conf=FAST) as spark:
        assert spark.table_columns()["raw.typed"] == recorded
        frame = spark._spark.sql(as_files_sql(spark, "SELECT * FROM raw.typed"))
        assert {f.name: duckdb_type_name(f.dataType.simpleString()) for f in frame.schema} == (
            recorded
        )
        rows = spark.rows("SELECT * FROM raw.typed ORDER BY u NULLS LAST")
    first = rows[0]
    assert first[0] == "00000000-0000-0000-0000-000000000001"
    assert first[1] == 10**38 - 1  # 38 digits: Spark's widest DECIMAL
    assert first[2] == 200 and first[4] == "busy" and first[7] == "ünï"
    assert str(first[3]) == "2026-03-01 10:00:00.123457"  # to microseconds: Spark's precision
    assert str(first[6]) == "12.34"
    assert rows[1] == (None,) * 8


def test_a_value_spark_cannot_hold_fails_the_publish_naming_the_column(tmp_path):
    from warehouse import Warehouse

    with Warehouse(tmp_path / "wide.duckdb") as source:
        source.execute("CREATE SCHEMA raw")
        source.execute(
            "CREATE TABLE raw.wide AS SELECT 100000000000000000000000000000000000000::HUGEINT AS h"
        )
        with pytest.raises(SparkPublishError) as failed:
            SparkPublisher(tmp_path / "lake").publish(source)
    assert "column h" in str(failed.value) and "DECIMAL(38,0)" in str(failed.value)
    assert current_version(tmp_path / "lake") is None  # nothing published, nothing half-done


def as_files_sql(spark: SparkWarehouse, sql: str) -> str:
    return spark._reading_version(sql)


def test_a_damaged_current_is_a_clear_error_and_the_next_publish_mends_it(
    shop_source, small_data, tmp_path
):
    directory = tmp_path / "lake"
    publisher(directory).publish(shop_source)
    (home(directory) / "CURRENT").write_text("../../etc\n")
    with pytest.raises(WarehouseError, match=r"CURRENT names no version"):
        order_count(directory)
    publisher(directory).publish(shop_source)
    assert order_count(directory) == len(small_data.orders)
