"""Time one evaluation of every shipped alert rule on a built demo warehouse, as the worker runs it
after an ingest: each rule's observe() on a fresh metric service (nothing remembered, DuckDB's
buffers warm), then the explanation of each series that breached, against one plain metric query
in the same process as the baseline.

The warehouse is any one `northstar demo build` made (data/warehouse.duckdb, benchmarks/output/…);
it is opened read-only, and evaluated as of the day after its last order at 09:00 in the spec's
zone (so the latest complete day and week are the demo's last ones).

    .venv/bin/python benchmarks/bench_alerts.py --warehouse data/warehouse.duckdb [--runs 5]
        [--metrics metrics.yml]

Prints per rule: its series and outcomes, median and p95 milliseconds; then the total, the
explanations, and the ratio of the total to the baseline query (paid orders by week over 13
weeks, the Overview's headline query). The issue's bar: all rules ≤ 2 s after an ingest at 10M.
"""

from __future__ import annotations

import argparse
import time
from collections import Counter
from datetime import datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

from timing import p50_p95  # benchmarks/ is the script's folder, first on sys.path

from alerts.conditions import observe
from alerts.spec import load_alerts
from alerts.why import explain_observation
from metric_layer.loader import load_spec
from metric_layer.query import MetricQuery
from metric_layer.service import MetricService
from warehouse import Warehouse

ROOT = Path(__file__).resolve().parents[1]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--warehouse", type=Path, required=True)
    parser.add_argument("--metrics", type=Path, default=ROOT / "metrics.yml")
    parser.add_argument("--runs", type=int, default=5)
    args = parser.parse_args()

    wh = Warehouse(args.warehouse, read_only=True)
    spec = load_spec(args.metrics, wh.table_columns())
    rules = load_alerts(args.metrics, spec).rules
    probe = MetricService(wh, spec)
    last_day = probe.data_span(spec.north_star.metric if spec.north_star else rules[0].metric)[1]
    local = datetime.combine(last_day + timedelta(days=1), datetime.min.time()).replace(
        hour=9, tzinfo=ZoneInfo(spec.time_zone)
    )
    now = local.astimezone(ZoneInfo("UTC")).replace(tzinfo=None)
    today = last_day + timedelta(days=1)
    orders = wh.rows("SELECT count(*) FROM raw.shop__orders")[0][0]
    print(f"warehouse {args.warehouse}: {orders:,} orders; evaluated at {local:%Y-%m-%d %H:%M %Z}")
    print(
        f"{len(rules)} rules from the shipped alerts; {args.runs} runs each, fresh service per run"
    )

    baseline_query = MetricQuery(
        ("paid_orders",), "week", today - timedelta(weeks=13), today, as_of=today
    )
    baseline = _runs(args.runs, lambda s: s.query(baseline_query), wh, spec)
    opened = _runs(args.runs, lambda s: None, wh, spec, include_open=True)
    print(f"\nopen a metric service: p50 {p50_p95(opened)[0]:,.0f} ms (not in the totals below)")
    print(f"baseline, paid_orders by week over 13 weeks: p50 {p50_p95(baseline)[0]:,.0f} ms")

    print(f"\n{'rule':28} {'grain':6} {'series':>6}  {'outcomes':28} {'p50 ms':>8} {'p95 ms':>8}")
    per_rule: dict[str, list[float]] = {}
    seen: dict[str, list] = {}
    for rule in rules:
        per_rule[rule.name] = _runs(
            args.runs, lambda s, r=rule: seen.__setitem__(r.name, observe(s, r, now)), wh, spec
        )
        outcomes = Counter(o.outcome for o in seen[rule.name])
        text = ", ".join(f"{n} {k}" for k, n in sorted(outcomes.items()))
        p50, p95 = p50_p95(per_rule[rule.name])
        grain = rule.grain if rule.metric else "-"
        print(
            f"{rule.name:28} {grain:6} {len(seen[rule.name]):>6}  {text:28} {p50:>8,.0f} {p95:>8,.0f}"
        )
    totals = [sum(runs[i] for runs in per_rule.values()) for i in range(args.runs)]
    total50, total95 = p50_p95(totals)
    base50 = p50_p95(baseline)[0]
    print(f"{'total':28} {'':6} {'':>6}  {'':28} {total50:>8,.0f} {total95:>8,.0f}")
    print(f"= {total50 / base50:.1f}× the baseline query ({total50 / 1000:.2f} s for all rules)")

    breaches = [
        (rule, o) for rule in rules for o in seen[rule.name] if o.outcome == "breach" and o.period
    ]
    if breaches:
        why = _runs(
            args.runs,
            lambda s: [explain_observation(s, rule, o) for rule, o in breaches],
            wh,
            spec,
        )
        print(
            f"\nexplanations of the {len(breaches)} breaching series: "
            f"p50 {p50_p95(why)[0]:,.0f} ms, p95 {p50_p95(why)[1]:,.0f} ms"
        )
        for rule, o in breaches:
            notes, _ = explain_observation(probe, rule, o)
            top = notes[0].label if notes else "nothing stands out"
            print(f"  {rule.name} {o.series or '(whole)'}: {o.detail} — top segment: {top}")
    wh.close()


def _runs(runs: int, ask, wh, spec, include_open: bool = False) -> list[float]:
    """Milliseconds of `runs` asks, each on a new service (after one warm-up ask)."""
    out = []
    for i in range(runs + 1):
        started = time.perf_counter()
        service = MetricService(wh, spec)
        if not include_open:
            started = time.perf_counter()
        ask(service)
        if i:  # the first run warms file pages
            out.append((time.perf_counter() - started) * 1000)
    return out


if __name__ == "__main__":
    main()
