"""engine = spark behind the setting: the fixture shop (tests/browser/fixture_shop.py) written as
Parquet folders into a Spark warehouse directory, then read through the settings as a user would:
`northstar query` and `alerts check` with NORTHSTAR_ENGINE=spark, and the web app's Explorer through
the Flask test client. Numbers are worked out with pandas from the shop's rows (the helpers of
test_engine_serving.py, written by hand for the PostgreSQL twin of this module).
Needs pyspark and Java (`make spark`); shares the process's local Spark session with
test_spark_portability.py (one xdist group).
"""

from __future__ import annotations

import json
import os
import shutil
from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path

import pytest
from page_client import join_warm_ups, register_page_callbacks
from typer.testing import CliRunner

from app import build_cli
from dashboard.serving import EXTENSION
from settings import Settings
from tests.browser.fixture_shop import AS_OF, SPEC, shop_tables
from tests.report_support import W11, week_numbers
from tests.sql.test_engine_serving import (
    ALERTS_YML,
    BY_REGION,
    END,
    START,
    paid_by_month_and_region,
    traces,
)

pytestmark = [pytest.mark.spark, pytest.mark.xdist_group("spark")]
pytest.importorskip("pyspark", reason="pyspark is not installed: pip install -e '.[spark]'")
if not (shutil.which("java") or os.environ.get("JAVA_HOME")):
    pytest.skip("no Java for Spark's local session (make spark)", allow_module_level=True)

from warehouse import spark as spark_module  # noqa: E402  (after the skips)
from warehouse.engines import SparkVersions  # noqa: E402
from warehouse.spark import SparkWarehouse  # noqa: E402
from warehouse.spark_versions import current_version, read_version  # noqa: E402

FAST = {  # tiny tables: interpreting beats compiling (test_spark_portability.py)
    "spark.sql.codegen.wholeStage": "false",
    "spark.sql.codegen.factoryMode": "NO_CODEGEN",
    "spark.sql.adaptive.enabled": "false",
    "spark.sql.shuffle.partitions": "1",
    "spark.driver.extraJavaOptions": "-XX:TieredStopAtLevel=1 -XX:+UseSerialGC",
}


@pytest.fixture(scope="module")
def project(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Path]:
    """A folder with metrics.yml, alerts.yml and lake/ (the shop as Parquet folders)."""
    folder = tmp_path_factory.mktemp("spark_engine")
    shutil.copy(SPEC, folder / "metrics.yml")
    (folder / "alerts.yml").write_text(ALERTS_YML)
    writer = SparkWarehouse("local[2]", directory=folder / "lake", read_only=False, conf=FAST)
    try:
        for table, frame in shop_tables().items():
            writer.replace_table(table, frame)
    finally:
        writer.close()  # its registrations go; the files stay for the readers below
    yield folder


@pytest.fixture(scope="module", autouse=True)
def release_what_commands_left(project: Path) -> Iterator[None]:
    """The CLI commands run in this process (CliRunner) leave their Spark warehouse's tables
    registered until the process ends, as a real command's process does (the object itself is
    gone). Release the names registered from this module's lake, or the next module of this
    process could not register its own tables under them."""
    yield
    session = SparkWarehouse("local[2]")  # the process's session, no directory of its own
    with spark_module._registered_lock:
        for name, (folder, _) in list(spark_module._registered.items()):
            if folder.is_relative_to(project / "lake"):
                del spark_module._registered[name]
                session._run(spark_module._drop(name))
    session.close()


def env_of(folder: Path) -> dict[str, str]:
    return {
        "NORTHSTAR_METRICS": str(folder / "metrics.yml"),
        "NORTHSTAR_WAREHOUSE": str(folder / "no-duckdb-here.duckdb"),
        "NORTHSTAR_SERVING_DIR": str(folder / "no-snapshots-here"),
        "NORTHSTAR_ENGINE": "spark",
        "NORTHSTAR_ENGINE_URL": "local[2]",
        "NORTHSTAR_SPARK_DIR": str(folder / "lake"),
        "NORTHSTAR_AS_OF": AS_OF.isoformat(),
        "NORTHSTAR_APP_DB": f"sqlite:///{folder / 'app.db'}",
        "NORTHSTAR_SETTINGS": "/nonexistent/northstar.toml",
    }


def test_query_reads_spark_with_numbers_equal_to_pandas(project) -> None:
    assert orders_by_month_and_region(env_of(project)) == paid_by_month_and_region()


def orders_by_month_and_region(env: dict[str, str]) -> dict[str, dict[str, int]]:
    """`northstar query orders --by region` by month over the shop's range, as the CLI prints it."""
    args = ["query", "orders", "--grain", "month", "--by", "region", "--from", str(START)]
    args += ["--to", str(END), "--format", "json"]
    result = CliRunner().invoke(build_cli(), args, env=env)
    assert result.exit_code == 0, result.output
    got: dict[str, dict[str, int]] = {}
    for row in json.loads(result.stdout):
        if row["orders"]:
            got.setdefault(row["region"], {})[row["period"]] = row["orders"]
    return got


def test_alerts_check_reads_spark(project) -> None:
    result = CliRunner().invoke(build_cli(), ["alerts", "check"], env=env_of(project))
    assert result.exit_code == 1, result.output  # firing: fewer than 100 orders a week
    week = week_numbers(W11)["orders"]  # the last complete week as of 18 Mar, by hand
    assert "orders_under_100" in result.output and str(week) in result.output


def test_the_weekly_report_reads_spark(project, tmp_path) -> None:
    args = ["report", "--week", "2026-W11", "--out", str(tmp_path)]
    result = CliRunner().invoke(build_cli(), args, env=env_of(project))
    assert result.exit_code == 0, result.output
    html = (tmp_path / "report-2026-W11.html").read_text()
    assert f'id="nsm-value">{week_numbers(W11)["orders"]}<' in html  # pandas, by hand


def test_explain_reads_spark(project, tmp_path) -> None:
    w10 = W11 - timedelta(days=7)
    args = ["explain", "orders", "--from", str(W11), "--to", str(W11 + timedelta(days=6))]
    args += ["--vs-from", str(w10), "--vs-to", str(w10 + timedelta(days=6)), "--format", "json"]
    result = CliRunner().invoke(build_cli(), args, env=env_of(project))
    assert result.exit_code == 0, result.output
    answer = json.loads(result.stdout)
    before, after = week_numbers(w10)["orders"], week_numbers(W11)["orders"]
    assert (answer["before"], answer["after"], answer["change"]) == (before, after, after - before)
    assert answer["segments"], "no segment found"
    # The segments (which rows GROUPING's bits put in which) as DuckDB finds them, to the text.
    from warehouse import Warehouse

    duck = tmp_path / "shop.duckdb"
    with Warehouse(duck) as wh:
        for table, frame in shop_tables().items():
            wh.replace_table(table, frame)
    env = {**env_of(project), "NORTHSTAR_ENGINE": "duckdb", "NORTHSTAR_WAREHOUSE": str(duck)}
    assert CliRunner().invoke(build_cli(), args, env=env).stdout == result.stdout


def shop_as_files(folder: Path) -> dict[str, str]:
    """The shop as a files source `shop` (raw.shop__orders…), metrics.yml reading those tables,
    and the environment of `northstar ingest` publishing to Spark at folder/lake."""
    for qualified, frame in shop_tables().items():
        table = qualified.split(".", 1)[1]
        (folder / "shop" / table).mkdir(parents=True)
        frame.to_parquet(folder / "shop" / table / "part.parquet", index=False)
    tables = ", ".join(
        f"{{name: {t}, glob: '{t}/*.parquet'}}" for t in ("customers", "orders", "sessions")
    )
    (folder / "sources.yml").write_text(
        f"sources:\n  - name: shop\n    kind: files\n    path: shop\n    tables: [{tables}]\n"
    )
    spec = SPEC.read_text(encoding="utf-8")
    for t in ("customers", "orders", "sessions"):
        spec = spec.replace(f"table: raw.{t}\n", f"table: raw.shop__{t}\n")
    (folder / "metrics.yml").write_text(spec)
    return {
        **env_of(folder),
        "NORTHSTAR_SOURCES": str(folder / "sources.yml"),
        "NORTHSTAR_WAREHOUSE": str(folder / "warehouse.duckdb"),
    }


def test_ingest_publishes_to_spark_and_query_reads_the_version(tmp_path) -> None:
    env = shop_as_files(tmp_path)
    first = CliRunner().invoke(build_cli(), ["ingest"], env=env)
    assert first.exit_code == 0, first.output
    assert "published to Spark, version " in first.output
    version = current_version(tmp_path / "lake")
    assert version is not None and version in first.output
    assert not (tmp_path / "no-snapshots-here").exists()  # Spark is where it goes
    listing = read_version(tmp_path / "lake", version)
    assert "rollup.orders__daily__all" in listing.tables  # the rollups Spark built
    assert "meta.loads" in listing.tables  # freshness, published with the rows

    assert orders_by_month_and_region(env) == paid_by_month_and_region()

    idle = CliRunner().invoke(build_cli(), ["ingest"], env=env)
    assert idle.exit_code == 0, idle.output
    assert "0 rows loaded" in idle.output and "published" not in idle.output
    assert current_version(tmp_path / "lake") == version

    # The web side's store serves the version with the metrics.yml it was published with.
    lake = tmp_path / "lake"
    store = SparkVersions(lake, lambda v: SparkWarehouse("local[2]", directory=lake, version=v))
    assert store.current() == (version, (tmp_path / "metrics.yml").read_text())
    assert store.versions() == [version]
    with store.open_snapshot(version) as served:
        assert served.frozen and served.version == version
        assert served.has_table("raw.shop__orders") and not served.has_table("raw.orders")


def test_a_missing_directory_says_what_it_should_hold(project, tmp_path) -> None:
    env = {**env_of(project), "NORTHSTAR_SPARK_DIR": str(tmp_path / "nowhere")}
    result = CliRunner().invoke(build_cli(), ["query", "orders"], env=env)
    assert result.exit_code == 1, result.output
    assert "nowhere does not exist; it holds one folder of Parquet files per table" in (
        result.stderr
    )


@pytest.fixture(scope="module")
def published_lake(project: Path) -> tuple[Path, str]:
    """The shop published by Northstar (a version behind CURRENT), beside the other tools' lake."""
    from warehouse import Warehouse
    from warehouse.spark_publish import SparkPublisher

    with Warehouse(project / "shop.duckdb") as source:
        for table, frame in shop_tables().items():
            source.replace_table(table, frame)
        version = SparkPublisher(project / "published", conf=FAST).publish(source).version
    return project / "published", version


@pytest.fixture(scope="module", params=["other tools' tables", "published by Northstar"])
def app(request, project, published_lake):  # type: ignore[no-untyped-def]
    from dashboard.server import create_dash

    register_page_callbacks()
    env = env_of(project)
    lake, version = (
        (project / "lake", "live") if request.param.startswith("other") else published_lake
    )
    settings = Settings(
        metrics=Path(env["NORTHSTAR_METRICS"]),
        serving_dir=Path(env["NORTHSTAR_SERVING_DIR"]),
        engine="spark",
        engine_url="local[2]",
        spark_dir=lake,
        as_of=AS_OF.isoformat(),
        cache="simple",
        app_db=env["NORTHSTAR_APP_DB"],
    )
    dash_app = create_dash(settings)
    yield dash_app, version
    join_warm_ups()
    dash_app.server.extensions[EXTENSION].close()


def test_the_explorer_serves_spark_numbers_equal_to_pandas(app) -> None:  # type: ignore[no-untyped-def]
    app, version = app
    got = traces(app, "/metric/orders", BY_REGION)
    expected = paid_by_month_and_region()
    assert set(got) == set(expected) == {"north", "south"}
    for region, months in expected.items():
        assert {m: v for m, v in got[region].items() if v} == months, region
    assert app.server.extensions[EXTENSION].snapshot().version == version


def test_a_command_on_spark_keeps_stderr_for_errors(project) -> None:
    """Run as a process (its own JVM): Spark's start-up chatter does not reach stderr."""
    import subprocess
    import sys

    code = "from app import main; main()"
    args = [sys.executable, "-c", code, "query", "orders", "--grain", "month", "--format", "csv"]
    args += ["--from", str(START), "--to", str(END)]
    done = subprocess.run(
        args,
        env={**os.environ, **env_of(project)},
        cwd=Path(__file__).parents[2],
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert done.returncode == 0, done.stderr
    assert done.stdout.startswith("period,orders,is_partial\n")
    chatter = ("log4j", "setLogLevel", "Setting default log level", "FutureWarning", "WARN ")
    assert not [line for line in done.stderr.splitlines() if any(c in line for c in chatter)]
