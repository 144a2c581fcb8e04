"""Output piped to a file, a CI log or grep: text exactly as written, one problem per line, never
cropped or wrapped at the terminal width, no markup or emoji read into user text, no colour codes."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq
import pytest
from test_cli import ROOT, cli_env, run

from metric_layer.errors import SpecError
from metric_layer.loader import load_spec
from metric_layer.query import DimensionFilter, MetricQuery
from metric_layer.service import MetricService
from warehouse import Warehouse

SMALL_SPEC = (ROOT / "tests/fixtures/small_spec.yml").read_text()
LONG_NAME = "orders_per_active_customer_in_the_region"  # 40 characters
DESCRIPTION = (
    "Paid orders [red]per[/red] buyer :100: in the region, counted on the local day :smile:"
)
COLUMNS = [None, "80"]  # no terminal width at all, or a narrow one: neither may shape the output


@pytest.fixture
def env(tmp_path):
    return cli_env(tmp_path)


def long_folder(tmp_path: Path) -> Path:
    """A folder whose path alone makes every problem line longer than 80 characters."""
    folder = tmp_path / ("a-project-folder-with-a-long-name-" * 2) / "metrics"
    folder.mkdir(parents=True)
    return folder


def spec_with_problem_on_line_100(tmp_path: Path) -> Path:
    """The small spec with aov's numerator misspelt, padded with comments to sit on line 100."""
    lines = SMALL_SPEC.splitlines()
    at = next(i for i, line in enumerate(lines) if line.startswith("metrics:"))
    lines[at:at] = [f"# padding {n}" for n in range(100)]
    aov = next(i for i, line in enumerate(lines) if "name: aov" in line)
    del lines[at : at + (aov + 1 - 100)]  # now aov is on line 100 (1-based)
    lines[99] = lines[99].replace("numerator: revenue", "numerator: revenu")
    path = long_folder(tmp_path) / "metrics.yml"
    path.write_text("\n".join(lines) + "\n")
    assert "numerator: revenu," in path.read_text().splitlines()[99]
    return path


def expected_problem(path: Path) -> str:
    with pytest.raises(SpecError) as raised:
        load_spec(path)
    [issue] = raised.value.issues
    return str(issue)


@pytest.mark.parametrize("columns", COLUMNS)
def test_spec_problem_is_one_verbatim_line(env, tmp_path, columns):
    path = spec_with_problem_on_line_100(tmp_path)
    line = expected_problem(path)
    assert line.startswith(f"{path}:100: metrics[6].numerator: unknown metric `revenu`")
    assert line.endswith("(did you mean `revenue`?)") and len(line) > 120

    result = run(["validate", str(path)], {**env, "COLUMNS": columns})
    assert result.exit_code == 1
    assert line in result.stdout.splitlines()  # no emoji for `:100:`, not wrapped, not indented
    assert "💯" not in result.output

    result = run(["query", "orders"], {**env, "NORTHSTAR_METRICS": str(path), "COLUMNS": columns})
    assert result.exit_code == 1
    assert line in result.stderr.splitlines()


@pytest.mark.parametrize("columns", COLUMNS)
def test_sql_is_printed_verbatim(env, columns):
    long_value = "a-platform-value-long-enough-to-push-the-sql-line-past-eighty-columns"
    args = ["query", "revenue", "--by", "channel", "--where", f"platform!={long_value}"]
    args += ["--from", "2026-01-01", "--to", "2026-01-31", "--grain", "month"]
    result = run([*args, "--as-of", "2026-02-01", "--sql"], {**env, "COLUMNS": columns})
    assert result.exit_code == 0, result.output

    query = MetricQuery(
        ("revenue",),
        grain="month",
        start=date(2026, 1, 1),
        end=date(2026, 1, 31),
        dimensions=("channel",),
        filters=(DimensionFilter("platform", "!=", (long_value,)),),
        as_of=date(2026, 2, 1),
    )
    with Warehouse(env["NORTHSTAR_WAREHOUSE"], read_only=True) as wh:
        spec = load_spec(env["NORTHSTAR_METRICS"], wh.table_columns())
        sql = MetricService(wh, spec).sql("revenue", query)
    assert max(len(line) for line in sql.splitlines()) > 90
    # Above the SQL: where the answer came from (this warehouse has no rollups).
    source = "raw — no rollups built — run `northstar rollups build`"
    assert f"-- revenue: {source}\n{sql}\n" in result.stderr
    assert f"-- plan: revenue ← raw tables\n-- revenue: {source}" in result.stderr  # the plan
    assert "\x1b[" not in result.output  # no colour codes in a pipe


def spec_with_long_metric(tmp_path: Path) -> Path:
    path = tmp_path / "long.yml"
    metric = (
        f"  - {{name: {LONG_NAME}, type: ratio, numerator: orders, denominator: buyers, "
        f'description: "{DESCRIPTION}"}}\n'
    )
    path.write_text(SMALL_SPEC.replace("north_star:", f"{metric}north_star:", 1))
    return path


@pytest.mark.parametrize("columns", COLUMNS)
def test_metrics_table_keeps_long_names_and_text_as_written(env, tmp_path, columns):
    path = spec_with_long_metric(tmp_path)
    result = run(["metrics"], {**env, "NORTHSTAR_METRICS": str(path), "COLUMNS": columns})
    assert result.exit_code == 0, result.output
    [row] = [line for line in result.stdout.splitlines() if LONG_NAME in line]
    assert DESCRIPTION in row  # not cropped, no markup or emoji applied
    cells = [cell.strip() for cell in row.strip("│ ").split("│")]
    assert cells[:2] == [LONG_NAME, "ratio"]


@pytest.mark.parametrize("columns", COLUMNS)
def test_query_table_keeps_long_column_names(env, tmp_path, columns):
    path = spec_with_long_metric(tmp_path)
    args = ["query", LONG_NAME, "orders", "revenue", "--grain", "month", "--from", "2026-01-01"]
    args += ["--to", "2026-01-31", "--as-of", "2026-02-01"]
    result = run(args, {**env, "NORTHSTAR_METRICS": str(path), "COLUMNS": columns})
    assert result.exit_code == 0, result.output
    lines = result.stdout.splitlines()
    header = next(line for line in lines if line.startswith("┃"))
    [row] = [line for line in lines if "2026-01-01" in line]
    names = [cell.strip() for cell in header.strip("┃ ").split("┃")]
    values = dict(zip(names, [cell.strip() for cell in row.strip("│ ").split("│")], strict=True))
    # By hand: January 2026 (Shanghai days) has 3 paid orders from 2 customers, 10 + 20 + 40.
    assert float(values[LONG_NAME]) == pytest.approx(3 / 2)
    assert float(values["orders"]) == 3 and float(values["revenue"]) == 70


def test_ingest_in_a_pipe_prints_one_line_per_table(tmp_path):
    files = tmp_path / "files"
    files.mkdir()
    pq.write_table(pa.table({"id": [1, 2, 3]}), files / "a1.parquet")
    sources = tmp_path / "sources.yml"
    sources.write_text(
        "sources:\n  - name: src\n    kind: files\n    path: files\n"
        '    tables: [{name: "a", glob: "a*.parquet", primary_key: [id]}]\n'
    )
    env = {
        "NORTHSTAR_SOURCES": str(sources),
        "NORTHSTAR_WAREHOUSE": str(tmp_path / "wh.duckdb"),
        "NORTHSTAR_SERVING_DIR": str(tmp_path / "serving"),
        "NORTHSTAR_METRICS": str(tmp_path / "no-metrics.yml"),  # no rollups to build
        "NORTHSTAR_SETTINGS": str(tmp_path / "none.toml"),
        "COLUMNS": "80",
    }
    result = run(["ingest"], env)
    assert result.exit_code == 0, result.output
    [line, note] = result.stderr.splitlines()
    assert line.startswith("src.a: 3 rows in ") and line.endswith(" ok")
    assert note.startswith("rollups skipped: no metrics.yml at ")
    assert result.stdout.startswith("3 rows loaded, published snapshot ")
    assert "━" not in result.output and "\x1b[" not in result.output


@pytest.mark.parametrize("args", [["users", "set-role"], ["query"], ["review", "action", "done"]])
def test_a_usage_error_is_plain_text_when_piped(env, args):
    """A missing argument is click's one plain line, not a box drawn with rich at 80 columns."""
    result = run(args, env)
    assert result.exit_code == 2
    assert "Error: Missing argument" in result.output
    assert not set("╭╰│─") & set(result.output)
