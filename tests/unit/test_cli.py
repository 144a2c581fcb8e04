"""The `northstar` commands as a user runs them (typer's runner, real files)."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pandas as pd
import pytest
from typer.testing import CliRunner

from app import build_cli
from warehouse import SnapshotStore, Warehouse

ROOT = Path(__file__).resolve().parents[2]
runner = CliRunner()


def run(args: list[str], env: dict[str, str | None]):
    return runner.invoke(build_cli(), args, env=env, catch_exceptions=False)


@pytest.fixture
def env(tmp_path):
    return cli_env(tmp_path)


def cli_env(tmp_path: Path) -> dict[str, str | None]:
    """A warehouse with a few orders published as a snapshot, and the small spec."""
    wh_file = tmp_path / "warehouse.duckdb"
    with Warehouse(wh_file) as wh:
        wh.replace_table(
            "raw.customers",
            pd.DataFrame(
                {
                    "customer_id": [1, 2],
                    "signed_up_at": pd.to_datetime(["2026-01-01", "2026-01-02"]),
                    "channel": ["ads", "organic"],
                    "region": ["N", "S"],
                }
            ),
        )
        wh.replace_table(
            "raw.orders",
            pd.DataFrame(
                {
                    "order_id": [1, 2, 3],
                    "customer_id": [1, 2, 2],
                    # 2026-01-04 17:00 UTC is Monday 2026-01-05 in Shanghai: second ISO week.
                    "ordered_at": pd.to_datetime(
                        ["2026-01-02 10:00", "2026-01-04 15:00", "2026-01-04 17:00"]
                    ),
                    "platform": ["ios", "web", "ios"],
                    "status": ["paid", "paid", "paid"],
                    "amount": [10.0, 20.0, 40.0],
                }
            ),
        )
        wh.replace_table(
            "raw.sessions",
            pd.DataFrame(
                {
                    "session_id": [1],
                    "customer_id": [1],
                    "started_at": pd.to_datetime(["2026-01-02"]),
                    "platform": ["ios"],
                }
            ),
        )
    SnapshotStore(tmp_path / "serving").publish(wh_file)
    return {
        "NORTHSTAR_METRICS": str(ROOT / "tests/fixtures/small_spec.yml"),
        "NORTHSTAR_WAREHOUSE": str(wh_file),
        "NORTHSTAR_SERVING_DIR": str(tmp_path / "serving"),
        "NORTHSTAR_SETTINGS": str(tmp_path / "none.toml"),
        "COLUMNS": "80",  # a narrow terminal must not matter: the output is a pipe
    }


def test_validate_ok(env):
    result = run(["validate"], env)
    assert result.exit_code == 0, result.output
    assert "OK" in result.output and "with warehouse columns" in result.output


def test_validate_lists_every_problem_with_line_and_exits_1(env, tmp_path):
    broken = tmp_path / "metrics.yml"
    text = (ROOT / "tests/fixtures/small_spec.yml").read_text()
    text = text.replace("agg: count, filter", "agg: cnt, filter", 1).replace(
        "denominator: orders, format: currency", "denominator: order, format: currency"
    )
    broken.write_text(text)
    lines = text.splitlines()
    cnt_line = next(i for i, line in enumerate(lines, 1) if "agg: cnt" in line)
    den_line = next(i for i, line in enumerate(lines, 1) if "denominator: order," in line)
    result = run(["validate"], {**env, "NORTHSTAR_METRICS": str(broken)})
    assert result.exit_code == 1
    assert f"{broken}:{cnt_line}:" in result.output and "did you mean `count`?" in result.output
    assert f"{broken}:{den_line}:" in result.output and "unknown metric `order`" in result.output


def test_query_json_numbers(env):
    result = run(
        [
            "query",
            "revenue",
            "orders",
            "--grain",
            "week",
            "--from",
            "2025-12-29",
            "--to",
            "2026-01-11",
            "--format",
            "json",
        ],
        env,
    )
    assert result.exit_code == 0, result.output
    rows = json.loads(result.output)
    by_week = {r["period"][:10]: (r["revenue"], r["orders"]) for r in rows}
    assert by_week == {"2025-12-29": (30.0, 2), "2026-01-05": (40.0, 1)}
    assert all(type(r["orders"]) is int for r in rows)  # a count prints as 2, not 2.0


def test_query_breakdown_filter_csv(env):
    args = [
        "query",
        "revenue",
        "--grain",
        "month",
        "--from",
        "2026-01-01",
        "--to",
        "2026-01-31",
        "--by",
        "channel",
        "--where",
        "platform=ios",
        "--format",
        "csv",
    ]
    result = run(args, env)
    assert result.exit_code == 0, result.output
    frame = pd.read_csv(__import__("io").StringIO(result.output))
    assert dict(zip(frame.channel, frame.revenue, strict=True)) == {"ads": 10.0, "organic": 40.0}


def test_query_refuses_unknown_dimension_and_metric(env):
    result = run(["query", "revenue", "--by", "colour"], env)
    assert result.exit_code == 2 and "cannot be broken down" in result.output
    result = run(["query", "nope"], env)
    assert result.exit_code == 2 and "unknown metric `nope`" in result.output


def test_query_without_warehouse_says_what_to_do(env, tmp_path):
    shutil.rmtree(tmp_path / "serving")
    result = run(
        ["query", "revenue"], {**env, "NORTHSTAR_WAREHOUSE": str(tmp_path / "missing.duckdb")}
    )
    assert result.exit_code == 1 and "northstar demo build" in result.output


def test_metrics_lists_definitions(env):
    result = run(["metrics"], env)
    assert result.exit_code == 0 and "revenue_growth" in result.output


def test_date_is_validated(env):
    result = run(["query", "revenue", "--from", "yesterday"], env)
    assert result.exit_code == 2 and "--from must be a date" in result.output
