"""`northstar query` and `explain` with the warehouse engine set to postgres (docs/scale-out.md).

The small shop (tests/conftest.py) lives in a fresh PostgreSQL database and, for comparison, in a
DuckDB file; the commands run through typer's runner with only the environment telling them
which engine to read. Numbers are worked out by hand from the shop's rows (conftest comments give
each timestamp's Shanghai day); the JSON of both engines must be the same text. Secrets in the
engine URL never reach the output, even when the connection fails.
"""

from __future__ import annotations

import json
from pathlib import Path
from urllib.parse import quote

import pytest
from typer.testing import CliRunner

from app import build_cli
from tests.conftest import SPEC_PATH
from tests.engine_shops import postgres_database
from warehouse import Warehouse

pytestmark = [pytest.mark.db, pytest.mark.xdist_group("engine_cli")]
runner = CliRunner()
SECRET = "s3cr3t-Pa55/word"  # a password with a URL delimiter, as real ones have


def run(args: list[str], env: dict[str, str | None]):
    return runner.invoke(build_cli(), args, env=env, catch_exceptions=False)


@pytest.fixture(scope="module")
def pg_url(small_data):
    with postgres_database(small_data) as url:
        yield url


@pytest.fixture
def base_env(tmp_path: Path) -> dict[str, str | None]:
    return {
        "NORTHSTAR_METRICS": str(SPEC_PATH),
        "NORTHSTAR_SETTINGS": str(tmp_path / "none.toml"),
        "NORTHSTAR_SERVING_DIR": str(tmp_path / "serving"),
        "NORTHSTAR_WAREHOUSE": str(tmp_path / "warehouse.duckdb"),
        "NORTHSTAR_AS_OF": "2026-01-08",
        "NORTHSTAR_ENGINE": None,
        "NORTHSTAR_ENGINE_URL": None,
        "COLUMNS": "120",
    }


@pytest.fixture
def pg_env(base_env, pg_url) -> dict[str, str | None]:
    # The password is a ${VAR} reference (trust auth ignores it): it must never be printed.
    user_part, host_part = pg_url.split("@", 1)
    url = f"{user_part}:${{NS_TEST_PG_PASSWORD}}@{host_part}"
    return {
        **base_env,
        "NORTHSTAR_ENGINE": "postgres",
        "NORTHSTAR_ENGINE_URL": url,
        "NS_TEST_PG_PASSWORD": SECRET,
    }


@pytest.fixture
def duck_env(base_env, small_data) -> dict[str, str | None]:
    with Warehouse(base_env["NORTHSTAR_WAREHOUSE"]) as wh:
        wh.replace_table("raw.customers", small_data.customers)
        wh.replace_table("raw.orders", small_data.orders)
        wh.replace_table("raw.sessions", small_data.sessions)
    return base_env


def test_query_reads_postgres(pg_env, duck_env):
    args = ["query", "orders", "revenue", "--grain", "week"]
    args += ["--from", "2025-12-22", "--to", "2026-01-04", "--format", "json"]
    result = run(args, pg_env)
    assert result.exit_code == 0, result.output
    rows = json.loads(result.stdout)
    # paid orders by Shanghai week: o04 (Sun 12-28, 120); o05 80, o06 200, o07 30, o09 100,
    # o10 45, o11 60 (Mon 12-29 .. Sun 01-04; o08 was cancelled)
    assert [(r["period"], r["orders"], r["revenue"]) for r in rows] == [
        ("2025-12-22", 1, 120.0),
        ("2025-12-29", 6, 515.0),
    ]
    assert run(args, duck_env).stdout == result.stdout  # the same text from DuckDB
    assert SECRET not in result.output


def test_query_sql_shows_the_postgres_statement_and_why_raw(pg_env):
    result = run(["query", "orders", "--sql", "--from", "2026-01-01", "--to", "2026-01-07"], pg_env)
    assert result.exit_code == 0, result.output
    assert '"raw"."orders"' in result.stderr  # identifiers quoted as PostgreSQL is written
    assert "no rollups published to postgres — the next `northstar ingest` builds them" in (
        result.stderr
    )
    assert SECRET not in result.output


def test_explain_reads_postgres(pg_env, duck_env):
    args = ["explain", "orders", "--from", "2026-01-01", "--to", "2026-01-07"]
    args += ["--vs-from", "2025-12-25", "--vs-to", "2025-12-31", "--format", "json"]
    result = run(args, pg_env)
    assert result.exit_code == 0, result.output
    answer = json.loads(result.stdout)
    # paid orders on Shanghai days 01-01..01-07: o07, o09, o10, o11, o12, o14 (o16 is 01-08);
    # on 12-25..12-31: o04, o05, o06
    assert (answer["before"], answer["after"], answer["change"]) == (3, 6, 3)
    assert answer["segments"], "no segment found"
    assert run(args, duck_env).stdout == result.stdout


def test_validate_status_and_leadlag_read_postgres(pg_env):
    result = run(["validate"], pg_env)
    assert result.exit_code == 0, result.output
    assert "19 metrics OK (with warehouse columns)" in result.stdout
    result = run(["rollups", "status"], pg_env)
    assert result.exit_code == 0, result.output
    assert ":***@127.0.0.1:5432/northstar_engine_" in result.stdout  # the database, masked
    assert "orders: raw — no rollups published to postgres" in result.stdout
    args = ["leadlag", "orders", "--candidate", "visitors", "--grain", "day"]
    result = run([*args, "--from", "2025-12-17", "--to", "2026-01-07"], pg_env)
    assert result.exit_code == 0, result.output
    assert SECRET not in result.output


def test_an_empty_decimal_sum_is_zero_on_both_engines(pg_env, duck_env, tmp_path):
    """No order at all in the range: the DECIMAL sum is 0 on both (PostgreSQL cannot say its
    scale without a row: docs/scale-out.md)."""
    spec = SPEC_PATH.read_text(encoding="utf-8").replace(
        "\nnorth_star:",
        "\n  - {name: revenue_exact, type: simple, model: orders, agg: sum, "
        'expr: "CAST(amount AS DECIMAL(12, 2))"}\nnorth_star:',
        1,
    )
    (tmp_path / "spec.yml").write_text(spec, encoding="utf-8")
    args = ["query", "revenue_exact", "--from", "2024-03-01", "--to", "2024-03-02"]
    args += ["--grain", "day", "--format", "json"]
    outputs = []
    for env in (pg_env, duck_env):
        result = run(args, {**env, "NORTHSTAR_METRICS": str(tmp_path / "spec.yml")})
        assert result.exit_code == 0, result.output
        outputs.append([r["revenue_exact"] for r in json.loads(result.stdout)])
    assert outputs == [[0, 0], [0, 0]]


@pytest.mark.parametrize(
    ("engine", "url", "words"),
    [
        ("postgre", None, ["engine must be one of duckdb, postgres", "NORTHSTAR_ENGINE"]),
        ("postgres", None, ["engine = postgres needs engine_url", "NORTHSTAR_ENGINE_URL"]),
        ("postgres", "mysql://db/x", ["engine_url must be a URL like postgresql://"]),
        ("postgres", "postgresql://u:${NS_UNSET_PASSWORD}@h/db", ["NS_UNSET_PASSWORD is not set"]),
    ],
)
def test_a_wrong_engine_setting_says_what_to_write(base_env, engine, url, words):
    env = {**base_env, "NORTHSTAR_ENGINE": engine, "NORTHSTAR_ENGINE_URL": url}
    env["NS_UNSET_PASSWORD"] = None
    result = run(["query", "orders"], env)
    assert result.exit_code == 2, result.output
    for word in words:
        assert word in result.stderr


def test_a_failed_connection_names_the_database_but_not_the_password(pg_env, pg_url):
    missing = pg_url.split("?")[0].rsplit("/", 1)[0] + "/northstar_no_such_db"
    user_part, host_part = missing.split("@", 1)
    for password in (quote(SECRET, safe=""), "${NS_TEST_PG_PASSWORD}"):  # literal, reference
        env = {**pg_env, "NORTHSTAR_ENGINE_URL": f"{user_part}:{password}@{host_part}"}
        result = run(["query", "orders"], env)
        assert result.exit_code == 1, result.output
        assert "cannot connect to the PostgreSQL warehouse" in result.stderr
        assert "northstar_no_such_db" in result.stderr and ":***@" in result.stderr
        assert "s3cr3t" not in result.output and "Pa55" not in result.output  # nor a piece


def test_a_password_that_moves_the_host_is_refused_unprinted(pg_env, pg_url):
    """'/' in a literal password ends the URL's host part: libpq would try host `postgres`."""
    user_part, host_part = pg_url.split("@", 1)
    env = {**pg_env, "NORTHSTAR_ENGINE_URL": f"{user_part}:{SECRET}@{host_part}"}
    result = run(["query", "orders"], env)
    assert result.exit_code == 2, result.output
    assert "percent-encode them" in result.stderr and ":***@" in result.stderr
    assert "s3cr3t" not in result.output and "Pa55" not in result.output


def test_building_rollups_refuses_another_engine(pg_env):
    # ingest, worker, demo build and the web app work on postgres (tests/engine_publish/).
    result = run(["rollups", "build"], pg_env)
    assert result.exit_code == 2, result.output
    assert "works on the DuckDB warehouse only, and engine = postgres" in result.stderr
    assert SECRET not in result.output
