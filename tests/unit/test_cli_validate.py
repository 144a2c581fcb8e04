"""`northstar validate [PATH]` takes a path like every linter; its options read as typed."""

from __future__ import annotations

import shutil

import pytest
from test_cli import ROOT, cli_env, run

SMALL_SPEC = ROOT / "tests/fixtures/small_spec.yml"


@pytest.fixture
def env(tmp_path):
    # The settings point nowhere: only the path argument can find the spec.
    return {**cli_env(tmp_path), "NORTHSTAR_METRICS": str(tmp_path / "not-here.yml")}


def test_validate_takes_a_file_path(env, tmp_path):
    path = tmp_path / "elsewhere.yml"
    shutil.copy(SMALL_SPEC, path)
    result = run(["validate", str(path)], env)
    assert result.exit_code == 0, result.output
    assert result.stdout.startswith(f"{path}: 3 models, 19 metrics OK (with warehouse columns)")


def test_validate_takes_a_folder_holding_metrics_yml(env, tmp_path):
    folder = tmp_path / "project"
    folder.mkdir()
    shutil.copy(SMALL_SPEC, folder / "metrics.yml")
    result = run(["validate", str(folder), "--no-warehouse"], env)
    assert result.exit_code == 0, result.output
    assert f"{folder / 'metrics.yml'}: 3 models, 19 metrics OK" in result.stdout
    assert "columns not checked" in result.stdout


def test_validate_path_with_problems_lists_them_and_exits_1(env, tmp_path):
    path = tmp_path / "broken.yml"
    text = SMALL_SPEC.read_text().replace("agg: count, filter", "agg: cnt, filter", 1)
    path.write_text(text)
    line = next(i for i, row in enumerate(text.splitlines(), 1) if "agg: cnt" in row)
    result = run(["validate", str(path)], env)
    assert result.exit_code == 1
    [problem] = [row for row in result.stdout.splitlines() if row.startswith(f"{path}:{line}:")]
    assert problem.endswith("(did you mean `count`?)")
    assert result.stderr.strip() == (
        "1 problem(s) in the metrics spec; fix them and run `northstar validate` again"
    )


def test_validate_missing_path_is_a_usage_error(env, tmp_path):
    result = run(["validate", str(tmp_path / "nope.yml")], env)
    assert result.exit_code == 2
    assert result.stderr.strip() == (
        f"{tmp_path / 'nope.yml'}: no such file; pass a metrics.yml or a folder holding one"
    )


def test_validate_without_path_still_reads_the_settings(env):
    result = run(["validate"], {**env, "NORTHSTAR_METRICS": str(SMALL_SPEC)})
    assert result.exit_code == 0, result.output
    assert result.stdout.startswith(f"{SMALL_SPEC}: 3 models, 19 metrics OK")


@pytest.mark.parametrize("columns", [None, "80"])
def test_validate_help_names_the_path_and_no_warehouse_option(env, columns):
    result = run(["validate", "--help"], {**env, "COLUMNS": columns})
    assert result.exit_code == 0
    assert "--no-warehouse" in result.output and "--no-no-warehouse" not in result.output
    assert "Usage: root validate [OPTIONS] [PATH]" in result.output
    no_warehouse = run(["validate", "--no-warehouse", str(SMALL_SPEC)], env)
    assert no_warehouse.exit_code == 0 and "columns not checked" in no_warehouse.stdout
