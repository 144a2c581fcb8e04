"""Time "why did it move?" at one scale: segment root cause batched vs per dimension set, and the
whole tree's driver contributions, in one run on one demo warehouse.

The data is the demo shop built by `northstar demo build`'s code (generator, ingest, rollups) into
benchmarks/output/<scale>/ (gitignored), the same warehouse bench_metrics.py uses, reused when
current. The question asked is the Monday one: the last full week against the week before and
against the 4 weeks before (counts and sums at the same daily pace), over 6 dimensions
(5 where the metric has no more) and all their pairs.

- per set: today's path before batching: one metric-service query per dimension set, range and
  ratio input (range_compare.range_values / ratio_parts);
- batched: one GROUPING SETS statement per source (metric_layer/segment_parts.py);
- first ask: a new service each run (nothing remembered; DuckDB's buffers warm, as on a server);
  warm: the same service asked again (a snapshot's service remembers its answers);
- CPU: CPU milliseconds of this process (DuckDB's threads included) per ask, median: on a busy
  machine wall-clock figures grow with other processes' load, CPU time hardly does.

    .venv/bin/python benchmarks/bench_explain.py --scale 1M [--runs 7] [--per-set-runs 5]
        [--metrics active_buyers,aov] [--no-tree]
"""

from __future__ import annotations

import argparse
import os
import statistics
import time
from datetime import date, timedelta
from pathlib import Path

from analysis.explain import driver_contributions, find_segments, segment_dimensions
from cli.demo_commands import SCALES, build_demo
from metric_layer.loader import load_spec
from metric_layer.rollup_build import refresh_rollups, rollups_stale
from metric_layer.service import MetricService
from settings import Settings
from warehouse import Warehouse

ROOT = Path(__file__).resolve().parents[1]
END = date(2026, 11, 22)  # a Sunday: the last full week is END-6..END
AS_OF = END + timedelta(days=1)
ORDERS = {"100k": 100_000, **SCALES}
# metric → dimensions searched (6, or all the metric has when fewer)
QUESTIONS = {
    "paid_orders": ["platform", "promotion", "buyer_type", "channel", "region", "plan"],
    "aov": ["platform", "promotion", "buyer_type", "channel", "region", "plan"],
    "order_conversion_rate": ["platform", "channel", "region", "plan", "signup_platform"],
    "active_buyers": ["platform", "promotion", "buyer_type", "channel", "region", "plan"],
}
WEEK = (END - timedelta(days=6), END)
PREVIOUS = (END - timedelta(days=13), END - timedelta(days=7))
FOUR_WEEKS = (END - timedelta(days=34), END - timedelta(days=7))


def p95(values: list[float]) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(0.95 * (len(ordered) - 1)))]


def ms(fn) -> float:
    """Wall-clock milliseconds of fn(); its CPU milliseconds (every thread of this process,
    DuckDB's included) go to CPU, a figure other processes' load hardly changes."""
    started, cpu = time.perf_counter(), time.process_time()
    fn()
    CPU.append((time.process_time() - cpu) * 1000)
    return (time.perf_counter() - started) * 1000


CPU: list[float] = []


def cpu_of(runs: int) -> float:
    """Median CPU ms of the last `runs` measurements."""
    return statistics.median(CPU[-runs:])


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--scale", default="1M", choices=sorted(ORDERS))
    parser.add_argument("--runs", type=int, default=7, help="runs of each batched measurement")
    parser.add_argument("--per-set-runs", type=int, default=5, help="runs of the per-set path")
    parser.add_argument(
        "--metrics", help="comma-separated metrics of QUESTIONS to ask (default: all of them)"
    )
    parser.add_argument("--no-tree", action="store_true", help="skip the whole-tree timing")
    parser.add_argument(
        "--warehouse",
        type=Path,
        help="time this demo warehouse as it is (read only; its rollups must be current for the "
        "day its data ends) instead of building one at --scale",
    )
    args = parser.parse_args()
    if args.metrics:
        unknown = set(args.metrics.split(",")) - set(QUESTIONS)
        if unknown:
            parser.error(f"unknown metrics {sorted(unknown)}; choose from {sorted(QUESTIONS)}")
        for name in set(QUESTIONS) - set(args.metrics.split(",")):
            del QUESTIONS[name]
    if args.warehouse:
        run_on(args.warehouse, args)
        return
    folder = ROOT / "benchmarks" / "output" / args.scale
    folder.mkdir(parents=True, exist_ok=True)
    settings = Settings(
        metrics=ROOT / "metrics.yml",
        sources=ROOT / "sources.yml",
        warehouse=folder / "warehouse.duckdb",
        serving_dir=folder / "serving",
    )
    started = time.perf_counter()
    if build_demo(settings, orders=ORDERS[args.scale], end=END, seed=7):
        print(
            f"[{args.scale}] built the demo in {time.perf_counter() - started:.0f} s "
            f"({os.path.getsize(settings.warehouse) / 1e6:.0f} MB)"
        )
    bring_rollups_up_to_date(args.scale, settings)
    run(args.scale, settings, max(5, args.runs), max(5, args.per_set_runs), not args.no_tree)


def run_on(path: Path, args) -> None:
    """The same questions over a warehouse built elsewhere (e.g. `northstar demo build --scale
    10M`, whose data ends on its build day): the last full week before that day."""
    global END, AS_OF, WEEK, PREVIOUS, FOUR_WEEKS
    if not path.is_file():
        raise SystemExit(f"no warehouse file {path}: build one with `northstar demo build`")
    with Warehouse(path, read_only=True) as warehouse:
        # The day its rollups were built for ("today" in the spec's zone at the build)
        AS_OF = warehouse.rows("SELECT max(as_of) FROM rollup.manifest")[0][0]
        spec = load_spec(ROOT / "metrics.yml", warehouse.table_columns())
        if AS_OF is None or rollups_stale(warehouse, spec, AS_OF):
            raise SystemExit(f"{path}: rollups are not current; run `northstar rollups build`")
    END = AS_OF - timedelta(days=(AS_OF.weekday() + 1) % 7 or 7)  # the last Sunday before it
    WEEK = (END - timedelta(days=6), END)
    PREVIOUS = (END - timedelta(days=13), END - timedelta(days=7))
    FOUR_WEEKS = (END - timedelta(days=34), END - timedelta(days=7))
    settings = Settings(metrics=ROOT / "metrics.yml", warehouse=path)
    run(path.name, settings, max(5, args.runs), max(5, args.per_set_runs), not args.no_tree)


def bring_rollups_up_to_date(scale: str, settings: Settings) -> None:
    """A demo kept from an older build may hold rollups the current code no longer uses (another
    BUILD_VERSION, an edited metrics.yml): timing it would time the raw tables. Refresh them."""
    with Warehouse(settings.warehouse) as warehouse:
        spec = load_spec(settings.metrics, warehouse.table_columns())
        if not rollups_stale(warehouse, spec, AS_OF):
            return
        started = time.perf_counter()
        result = refresh_rollups(warehouse, spec, AS_OF)
        warehouse.checkpoint()
    print(f"[{scale}] {result.summary()} in {time.perf_counter() - started:.0f} s")


def run(scale: str, settings: Settings, runs: int, per_set_runs: int, with_tree: bool) -> None:
    warehouse = Warehouse(settings.warehouse, read_only=True)
    spec = load_spec(settings.metrics, warehouse.table_columns())

    def fresh() -> MetricService:
        return MetricService(warehouse, spec, as_of=AS_OF)

    orders = warehouse.rows("SELECT count(*) FROM raw.shop__orders")[0][0]
    load = ", ".join(f"{x:.1f}" for x in os.getloadavg())
    print(f"\n[{scale}] {orders:,} orders; {runs} runs batched, {per_set_runs} per set; ms")
    print(
        f"[{scale}] load average {load} on {os.cpu_count()} cores (other work slows every figure)"
    )
    head = f"{'metric':<22}{'baseline':<10}{'dims':>5}{'':2}"
    print(
        head + f"{'per set p50':>12}{'p95':>8}{'first p50':>11}{'p95':>8}"
        f"{'warm p50':>10}{'p95':>7}{'first ×':>9}{'warm ×':>12}{'CPU per set':>13}{'first':>7}"
    )
    worst_first = worst_warm = 0.0
    for metric, dims in QUESTIONS.items():
        assert set(dims) <= set(segment_dimensions(fresh(), metric)), metric
        baselines = {"week": PREVIOUS, "4 weeks": FOUR_WEEKS}  # 28 days: not a whole period
        definition = spec.metric(metric)
        additive = definition.type == "simple" and definition.agg in ("count", "sum")
        for label, then in baselines.items():
            scale_by = 7 / 28 if label == "4 weeks" and additive else 1  # as explain() scales

            def ask(service, batched, metric=metric, dims=dims, then=then, scale_by=scale_by):
                return find_segments(
                    service, metric, dims, WEEK, then, batched=batched, scale=scale_by
                )

            slow = [ms(lambda: ask(fresh(), False)) for _ in range(per_set_runs)]
            slow_cpu = cpu_of(per_set_runs)
            first = [ms(lambda: ask(fresh(), True)) for _ in range(runs)]
            first_cpu = cpu_of(runs)
            service = fresh()
            answer = ask(service, True)
            warm = [ms(lambda s=service: ask(s, True)) for _ in range(runs)]
            same = [f.label for f in ask(fresh(), False).findings] == [
                f.label for f in answer.findings
            ]
            worst_first, worst_warm = max(worst_first, p95(first)), max(worst_warm, p95(warm))
            print(
                f"{metric:<22}{label:<10}{len(dims):>5}{'':2}"
                f"{statistics.median(slow):>12.0f}{p95(slow):>8.0f}"
                f"{statistics.median(first):>11.0f}{p95(first):>8.0f}"
                f"{statistics.median(warm):>10.2f}{p95(warm):>7.2f}"
                f"{statistics.median(slow) / statistics.median(first):>8.1f}x"
                f"{statistics.median(slow) / max(statistics.median(warm), 1e-3):>11,.0f}x"
                f"{slow_cpu:>13.0f}{first_cpu:>7.0f}" + ("" if same else "  FINDINGS DIFFER")
            )
    print(f"[{scale}] root cause worst p95: first ask {worst_first:.0f} ms (target ≤ 1000 at 10M),")
    print(f"[{scale}]   warm {worst_warm:.2f} ms (target ≤ 200)")
    if with_tree:
        tree(scale, spec, fresh, runs, per_set_runs)


def tree(scale: str, spec, fresh, runs: int, per_set_runs: int) -> None:
    nsm = spec.north_star.metric

    def ask(service, batched):
        return driver_contributions(service, nsm, WEEK, PREVIOUS, batched=batched)

    slow = [ms(lambda: ask(fresh(), False)) for _ in range(per_set_runs)]
    slow_cpu = cpu_of(per_set_runs)
    first = [ms(lambda: ask(fresh(), True)) for _ in range(runs)]
    first_cpu = cpu_of(runs)
    service = fresh()
    nodes = len(ask(service, True))
    warm = [ms(lambda: ask(service, True)) for _ in range(runs)]
    print(f"\n[{scale}] whole-tree contributions of {nsm} ({nodes} rows), week vs previous; ms")
    print(
        f"  one query per node: p50 {statistics.median(slow):.0f}  p95 {p95(slow):.0f}  "
        f"(CPU p50 {slow_cpu:.0f})"
    )
    print(
        f"  batched, first ask: p50 {statistics.median(first):.0f}  p95 {p95(first):.0f}  "
        f"(CPU p50 {first_cpu:.0f})"
    )
    print(
        f"  batched, warm:      p50 {statistics.median(warm):.1f}  p95 {p95(warm):.1f} "
        "(target ≤ 150)"
    )
    load = ", ".join(f"{x:.1f}" for x in os.getloadavg())
    print(f"[{scale}] load average at the end {load}")


if __name__ == "__main__":
    main()
