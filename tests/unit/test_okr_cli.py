"""`northstar okrs` and `northstar okrs check-in` on the fixture shop: the board as table, CSV and
JSON (numbers against pandas), a manual key result scored from a check-in made here, typed
errors with exit codes, and output through a real pipe on one line per row."""

from __future__ import annotations

import csv
import getpass
import io
import json
import os
import shutil
import subprocess
import sys
from datetime import date
from pathlib import Path

import pandas as pd
import pytest
from typer.testing import CliRunner

from app import build_cli
from appdb import AppDb, audit_entries
from tests.browser.fixture_shop import SPEC, shop_tables
from tests.shop_project import make_project, settings_for

ROOT = Path(__file__).resolve().parents[2]
runner = CliRunner()


@pytest.fixture(scope="module")
def project(tmp_path_factory: pytest.TempPathFactory) -> Path:
    folder = make_project(tmp_path_factory.mktemp("okr-project"))
    shutil.copyfile(Path(SPEC).parent / "okrs.yml", folder / "okrs.yml")
    return folder


@pytest.fixture
def env(project: Path, app_db_url: str, tmp_path: Path) -> dict[str, str]:
    settings = settings_for(project)
    return {
        "NORTHSTAR_SETTINGS": str(tmp_path / "none.toml"),
        "NORTHSTAR_METRICS": str(settings.metrics),
        "NORTHSTAR_WAREHOUSE": str(settings.warehouse),
        "NORTHSTAR_SERVING_DIR": str(settings.serving_dir),
        "NORTHSTAR_AS_OF": settings.as_of,
        "NORTHSTAR_APP_DB": app_db_url,
    }


def run(args: list[str], env: dict[str, str]):  # type: ignore[no-untyped-def]
    return runner.invoke(build_cli(), args, env=env, catch_exceptions=False)


def weekly_paid_orders(first: date, last: date) -> int:
    orders = shop_tables()["raw.orders"]
    day = (orders["ordered_at"] + pd.Timedelta(hours=8)).dt.date
    return int(((orders["status"] == "paid") & (day >= first) & (day <= last)).sum())


def test_the_board_as_json_csv_and_table(env: dict[str, str]) -> None:
    result = run(["okrs", "--format", "json"], env)
    assert result.exit_code == 0, result.output
    board = json.loads(result.stdout)
    assert (board["quarter"], board["as_of"], board["last_complete_day"]) == (
        "2026-Q1",
        "2026-03-18",
        "2026-03-17",
    )
    [grow] = board["objectives"]
    weekly = grow["key_results"][0]
    count = weekly_paid_orders(date(2026, 3, 9), date(2026, 3, 15))
    assert (weekly["id"], weekly["value"], weekly["value_day"]) == (
        "grow_orders.weekly_orders",
        count,
        "2026-03-15",
    )
    assert weekly["score"] == pytest.approx(min(max((count - 8) / 6, 0), 1), abs=1e-4)
    assert [c["id"] for c in grow["children"]] == ["win_ios"]
    assert [c["id"] for c in grow["children"][0]["children"]] == ["basket_size"]
    assert grow["children"][0]["children"][0]["level"] == "person"

    rows = list(csv.DictReader(io.StringIO(run(["okrs", "--format", "csv"], env).stdout)))
    assert [(r["kind"], r["id"]) for r in rows][:3] == [
        ("objective", "grow_orders"),
        ("key_result", "grow_orders.weekly_orders"),
        ("key_result", "grow_orders.quarter_revenue"),
    ]
    assert len(rows) == 3 + 6
    assert rows[1]["value"] == str(float(count)) and rows[1]["status"] in (
        "on track",
        "at risk",
        "off track",
    )

    table = run(["okrs"], env)
    assert table.exit_code == 0
    assert "OKRs 2026-Q1 (day 76 of 90, as of 2026-03-18)" in table.stdout
    assert "win_ios.partners" in table.stdout and "no value yet: check in a value" in table.stdout


def test_a_check_in_scores_a_manual_key_result(env: dict[str, str], app_db_url: str) -> None:
    said = run(
        ["okrs", "check-in", "win_ios.partners", "--value", "2", "--confidence", "7",
         "--comment", "two signed", "--help-needed", "legal"],
        env,
    )  # fmt: skip
    me = f"cli:{getpass.getuser()}"
    assert said.exit_code == 0, said.output
    assert said.stdout.strip() == (
        f"checked in on win_ios.partners (2026-Q1): value 2, confidence 7/10, as {me}"
    )
    board = json.loads(run(["okrs", "--format", "json"], env).stdout)
    partners = board["objectives"][0]["children"][0]["key_results"][1]
    assert (partners["value"], partners["score"], partners["confidence"]) == (2.0, 0.5, 7)
    assert partners["colour"] == "yellow"  # 0.5 in an aspirational objective: not yet 0.6
    db = AppDb(app_db_url)
    with db.session() as s:
        [entry] = audit_entries(s)
    db.close()
    assert (entry.who, entry.action, entry.detail) == (
        me,
        "okr check-in",
        "win_ios.partners: value 2, confidence 7/10",
    )


@pytest.mark.parametrize(
    ("args", "code", "message"),
    [
        (
            ["okrs", "--quarter", "2026Q1"],
            2,
            "'2026Q1' is not a quarter; write a quarter as YYYY-Qn",
        ),
        (["okrs", "--format", "xml"], 2, "--format must be one of table, csv, json, not 'xml'"),
        (["okrs", "check-in", "win_ios.partner", "--value", "1"], 2, "did you mean `partners`?"),
        (
            ["okrs", "check-in", "win_io.partners", "--value", "1"],
            2,
            "no objective `win_io`; did you mean `win_ios`?",
        ),
        (
            ["okrs", "check-in", "partners", "--value", "1"],
            2,
            "does not name a key result; write OBJECTIVE.KEY_RESULT",
        ),
        (
            ["okrs", "check-in", "grow_orders.weekly_orders", "--value", "12"],
            2,
            "its value is measured, not typed",
        ),
        (
            ["okrs", "check-in", "win_ios.partners", "--confidence", "high"],
            2,
            "confidence must be a whole number from 0",
        ),
        (["okrs", "check-in", "win_ios.partners"], 2, "an empty check-in"),
    ],
)
def test_mistakes_are_one_line_and_an_exit_code(
    env: dict[str, str], args: list[str], code: int, message: str
) -> None:
    result = run(args, env)
    assert result.exit_code == code, result.output
    assert message in result.stderr and "Traceback" not in result.output
    assert len(result.stderr.strip().splitlines()) == 1


def test_a_quarter_without_objectives_says_which_have_some(env: dict[str, str]) -> None:
    result = run(["okrs", "--quarter", "2026-Q3", "--format", "json"], env)
    assert result.exit_code == 0
    assert json.loads(result.stdout)["objectives"] == []
    assert "no objectives for 2026-Q3; quarters with objectives: 2026-Q1" in result.stderr


def test_a_real_pipe_gets_every_row_on_one_line(env: dict[str, str]) -> None:
    proc = subprocess.run(
        [sys.executable, "-c", "import app; app.main()", "okrs"],
        cwd=ROOT,
        env={**os.environ, **env, "COLUMNS": "60"},
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert proc.returncode == 0, proc.stderr
    lines = proc.stdout.splitlines()
    row = next(line for line in lines if "basket_size.aov_to_date" in line)
    assert "Average order value this quarter from ¥110 to ¥140" in row  # not wrapped at 60
    assert "\x1b[" not in proc.stdout  # no colour codes in a pipe
