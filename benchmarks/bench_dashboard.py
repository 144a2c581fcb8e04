"""Time the server side of each page's main callbacks, cold and warm cache (median and p95).

    python benchmarks/bench_dashboard.py [--runs 10]

Uses the warehouse at the settings paths (NORTHSTAR_SERVING_DIR, NORTHSTAR_METRICS): build it first
with `northstar demo build --scale 1M` (or 10M). The callbacks are called directly inside a Flask
request context, so this measures the metric service, caching, figures and components, not the
browser. First = result cache and compiled-SQL cache cleared (a view never seen by this process);
cold = result cache cleared (a view after a new snapshot is published, same tables); warm = the
same view again.
"""

from __future__ import annotations

import argparse
import statistics
import sys
import time
from collections.abc import Callable
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from dashboard.server import create_dash
from dashboard.serving import serving
from dashboard.views import ExplorerView
from settings import Settings


def interactions(spec) -> dict[str, Callable[[], object]]:  # type: ignore[no-untyped-def]
    # Pages register themselves, so they can only be imported once the app exists.
    from dashboard.pages import catalog, explorer, overview, review, tree

    nsm = spec.north_star.metric if spec.north_star else spec.metric_names[0]
    grain = spec.north_star.grain if spec.north_star else "week"
    dims = [d for d in serving().snapshot().semantics.dimensions_of_metric(nsm) if "." not in d]
    by = dims[0] if dims else None
    views = {
        "explorer 13w": ExplorerView(nsm, grain=grain),
        "explorer 52w vs last year": ExplorerView(
            nsm, grain=grain, range="52w", compare="last_year"
        ),
        "explorer by dimension": ExplorerView(nsm, grain=grain, by=by),
        "explorer month ytd": ExplorerView(nsm, grain="month", range="ytd"),
    }
    out: dict[str, Callable[[], object]] = {
        "overview": lambda: overview.render_overview({"grain": grain}),
        "tree": lambda: tree.render_tree({"grain": grain}),
        "catalogue": lambda: catalog.render_catalog(""),
        "review slide": lambda: review.render_slide(0, {"slides": ""}),
    }
    for label, view in views.items():
        if view.by is None and "dimension" in label:
            continue
        out[label] = lambda v=view: explorer.render_explorer(v.to_store())
    return out


def p95(values: list[float]) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(0.95 * (len(ordered) - 1)))]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=10)
    args = parser.parse_args()
    settings = Settings.load()
    app = create_dash(settings)
    with app.server.test_request_context("/"):
        snap = serving().snapshot()
        cache = serving().cache
        print(f"snapshot {snap.version} ({snap.service.warehouse.path}), today {snap.today()}")
        print(
            f"{'interaction':28} {'first median':>13} {'first p95':>10} {'cold median':>12} "
            f"{'cold p95':>10} {'warm median':>12} {'warm p95':>10}"
        )
        for label, run in interactions(snap.spec).items():
            first = timed(run, args.runs, lambda: (cache.clear(), serving().compile_cache.clear()))
            cold = timed(run, args.runs, cache.clear)
            warm = timed(run, args.runs, lambda: None)
            print(
                f"{label:28} {statistics.median(first):11.1f}ms {p95(first):8.1f}ms "
                f"{statistics.median(cold):10.1f}ms {p95(cold):8.1f}ms "
                f"{statistics.median(warm):10.1f}ms {p95(warm):8.1f}ms"
            )


def timed(run: Callable[[], object], runs: int, before: Callable[[], object]) -> list[float]:
    """Milliseconds per call; `before` empties what this column must not reuse."""
    out = []
    for _ in range(runs):
        before()
        t = time.perf_counter()
        run()
        out.append((time.perf_counter() - t) * 1000)
    return out


if __name__ == "__main__":
    main()
