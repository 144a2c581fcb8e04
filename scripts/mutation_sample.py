"""Kill rate of one package by a seeded random sample of its mutants (issue 8).

`make mutation` runs every mutant of connectors/, warehouse/ and metric_layer/ against the fast
tests: hours on a 2-core machine, mostly mutmut's first pass over the whole test selection. This
measures one package in a fraction of that: a copy of the repository (`git clone` of HEAD) whose
[tool.mutmut] mutates only PACKAGE and runs only the tests that exercise it, then N mutants drawn
with SEED, and prints killed / survived / no tests with a 95 % (Wilson) interval for the rate.

    .venv/bin/python scripts/mutation_sample.py connectors --n 150 --seed 8 [--keep DIR]
    make mutation-sample PKG=connectors N=150

A survivor is listed with `mutmut show NAME` run in the copy (kept with --keep).
"""

from __future__ import annotations

import argparse
import math
import random
import re
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
PACKAGES = ("connectors", "warehouse", "metric_layer")
# The tests that exercise each package (the whole suite would take the machine for hours).
TESTS = {
    # the worker's scheduler and job logging are pinned by the alert worker's tests too
    "connectors": ["tests/connectors", "tests/unit/test_alert_worker.py"],
    "warehouse": [
        "tests/connectors",
        "tests/unit/test_snapshot_store.py",
        "tests/unit/test_snapshot_segments.py",
        "tests/unit/test_serving_faults.py",
        "tests/unit/test_engine_setting.py",
        # the Spark modules without a JVM (tests/sql/test_spark_*.py need one: marker spark)
        "tests/unit/test_spark_versions.py",
        "tests/unit/test_spark_python_side.py",
        "tests/unit/test_warehouse_reads.py",  # the row cap and bound statements
        "tests/sql/test_postgres_warehouse.py",
        "tests/sql/test_engine_serving.py",
    ],
    "metric_layer": [
        "tests/unit/" + name
        for name in [
            "test_metric_values.py",
            "test_conversion_metrics.py",
            "test_cumulative_metrics.py",
            "test_distinct_grains.py",
            "test_distinct_segments.py",
            "test_fused_queries.py",
            "test_query_plan.py",
            "test_rollup_fused.py",
            "test_rollup_paths.py",
            "test_rollup_refresh.py",
            "test_scope.py",
            "test_segment_parts.py",
            "test_snapshot_metrics.py",
            "test_spec_validation.py",
            "test_where_filters.py",
            "test_cli_query_input.py",
            "test_daily_pairs.py",
            "test_grain_all.py",  # grain `all`, offsets (periods.Offset)
            "test_percentiles.py",  # median / percentile values and their spec rules
            "test_rollup_shifted.py",
            "test_frame_shifted.py",  # growth computed from its inputs' columns (frame_*.py)
            "test_semantics.py",
            "test_spark_sql.py",  # the Spark and PostgreSQL rewrites, as text
            "test_postgres_text.py",
            "test_value_types.py",  # frame_json and value types
            "test_hour_days.py",
            "test_composed_ratios.py",  # frame_join: ratios divided from their inputs' columns
            "test_empty_periods.py",  # the grid of periods × known segments
            "test_incremental_rollups.py",  # rollup_changes: which days a refresh recounts
            "test_engine_rollups.py",  # rollups planned for PostgreSQL (the ingest hook)
        ]
    ]
    + ["tests/sql/test_sql_snapshots.py"],
}
MUTMUT = [sys.executable, "-m", "mutmut"]


def narrowed(pyproject: str, package: str) -> str:
    """[tool.mutmut] mutating `package` only (the others copied as they are), its tests only."""
    others = [f'"{p}/"' for p in PACKAGES if p != package]
    text = re.sub(r"(?m)^source_paths = .*$", f'source_paths = ["{package}/"]', pyproject)
    text = text.replace("also_copy = [\n", f"also_copy = [\n  {', '.join(others)},\n", 1)
    tests = ", ".join(f'"{t}"' for t in TESTS[package])
    return re.sub(
        r"(?m)^pytest_add_cli_args_test_selection = .*$",
        f"pytest_add_cli_args_test_selection = [{tests}]",
        text,
    )


def statuses(copy: Path) -> dict[str, str]:
    out = subprocess.run(
        [*MUTMUT, "results", "--all", "true"], cwd=copy, capture_output=True, text=True, check=True
    ).stdout
    found = {}
    for line in out.splitlines():
        name, _, status = line.strip().partition(": ")
        if "__mutmut_" in name:
            found[name] = status
    return found


def wilson(killed: int, n: int, z: float = 1.96) -> tuple[float, float]:
    if n == 0:
        return 0.0, 0.0
    p = killed / n
    centre = (p + z * z / (2 * n)) / (1 + z * z / n)
    half = z * math.sqrt(p * (1 - p) / n + z * z / (4 * n * n)) / (1 + z * z / n)
    return centre - half, centre + half


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("package", choices=PACKAGES)
    parser.add_argument("--n", type=int, default=150, help="mutants to run")
    parser.add_argument("--seed", type=int, default=8)
    parser.add_argument("--children", type=int, default=1, help="mutmut --max-children")
    parser.add_argument("--keep", type=Path, help="make the copy here and keep it")
    args = parser.parse_args()
    copy = args.keep or Path(tempfile.mkdtemp(prefix=f"mutation-{args.package}-"))
    try:
        subprocess.run(["git", "clone", "-q", str(ROOT), str(copy)], check=True)
        pyproject = copy / "pyproject.toml"
        pyproject.write_text(narrowed(pyproject.read_text(), args.package))
        (copy / "mutants" / "data").mkdir(parents=True)  # mutmut copies data/README.md only
        # Generate every mutant and map tests to functions; a name matching nothing runs none.
        subprocess.run([*MUTMUT, "run", f"{args.package}.nothing"], cwd=copy, capture_output=True)
        everything = sorted(statuses(copy))
        if not everything:
            raise SystemExit(f"mutmut generated no mutants of {args.package} (see {copy})")
        sample = random.Random(args.seed).sample(everything, min(args.n, len(everything)))
        run = [*MUTMUT, "run", "--max-children", str(args.children), *sample]
        subprocess.run(run, cwd=copy, capture_output=True)
        got = statuses(copy)
        counts: dict[str, int] = {}
        for name in sample:
            counts[got.get(name, "not checked")] = counts.get(got.get(name, "not checked"), 0) + 1
        killed = counts.get("killed", 0) + counts.get("timeout", 0)
        lo, hi = wilson(killed, len(sample))
        print(
            f"{args.package}: {len(everything)} mutants; sample of {len(sample)} (seed {args.seed})"
        )
        print("  " + ", ".join(f"{k} {v}" for k, v in sorted(counts.items())))
        print(f"  kill rate {killed / len(sample):.1%} (95% interval {lo:.1%}..{hi:.1%})")
        for name in sample:
            if got.get(name) in ("survived", "no tests"):
                print(f"  {got[name]}: {name}")
    finally:
        if args.keep is None:
            shutil.rmtree(copy, ignore_errors=True)


if __name__ == "__main__":
    main()
