"""Many viewers: 20 threads replay the Dash callbacks real page loads make against gunicorn.

    python benchmarks/bench_load.py [--clients 20] [--seconds 30] [--workers 2]
                                    [--configs baseline,production] [--scale 1M]
                                    [--data-dir /work/data-1m]

1. Builds the demo warehouse once into --data-dir (default benchmarks/output/load;
   NORTHSTAR_WAREHOUSE / NORTHSTAR_SERVING_DIR point there; `northstar demo build` skips a current
   build), so a rerun reuses it.
2. For each configuration starts gunicorn on a free port, loads each page once in headless chromium
   (Playwright, Debian's /usr/bin/chromium) and records the POST /_dash-update-component bodies the
   page makes (kept in benchmarks/output/load/callbacks.json; --recapture), then replays them from `--clients` threads, each looping over the pages as a viewer
   clicking through the dashboards would.
3. Prints requests/s, p50/p95/p99 latency and the RSS of each gunicorn worker (psutil) for two
   phases: quiet, and while a new snapshot is published every `--publish-every` seconds (each
   publish makes every worker reopen the snapshot and every cached result stale), then the
   slowest callbacks by p95.

Configurations (CONFIGS): `baseline` = sync workers with a per-process cache (how `gunicorn -w 2`
ran before), `redis` = sync workers sharing the Redis cache (NORTHSTAR_CACHE), `gthread` = the same
with 4 threads per worker, `production` = the project's gunicorn.conf.py with Redis (how the README
says to run it). The other configurations run without gunicorn.conf.py (gunicorn starts in the data
directory, where there is none). The machine's load average (1 min) is printed at the start and end
of each phase: on a shared machine other people's work moves the figures.
"""

from __future__ import annotations

import argparse
import json
import os
import socket
import subprocess
import sys
import threading
import time
import urllib.request
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import urlsplit

import psutil

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from warehouse import SnapshotStore

ROOT = Path(__file__).resolve().parents[1]
OUT = ROOT / "benchmarks" / "output" / "load"
REDIS = "redis://127.0.0.1:6379/0"
CHROMIUM = os.environ.get("NORTHSTAR_CHROMIUM", "/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--no-first-run",
]
CONFIGS = {
    # How `gunicorn -w 2` ran before: sync workers, each with its own cache.
    "baseline": {"gunicorn": ["-k", "sync"], "env": {"NORTHSTAR_CACHE": "simple"}},
    # One cache for all workers: a view is rendered once per snapshot, not once per worker.
    "redis": {
        "gunicorn": ["-k", "sync"],
        "env": {"NORTHSTAR_CACHE": REDIS, "MALLOC_ARENA_MAX": "2"},
    },
    # The same with threads: an export or a slow view no longer blocks a whole worker.
    "gthread": {
        "gunicorn": ["-k", "gthread", "--threads", "4"],
        "env": {"NORTHSTAR_CACHE": REDIS, "MALLOC_ARENA_MAX": "2"},
    },
    # The shipped settings: gunicorn.conf.py (workers, threads, recycling, memory) and Redis.
    "production": {
        "gunicorn": ["-c", str(ROOT / "gunicorn.conf.py")],
        "env": {"NORTHSTAR_CACHE": REDIS},
    },
}


def bench_env() -> dict[str, str]:
    return {
        **os.environ,
        "PYTHONPATH": str(ROOT),
        "NORTHSTAR_SETTINGS": str(OUT / "none.toml"),
        "NORTHSTAR_METRICS": str(ROOT / "metrics.yml"),
        "NORTHSTAR_WAREHOUSE": str(OUT / "warehouse.duckdb"),
        "NORTHSTAR_SERVING_DIR": str(OUT / "serving"),
        "NORTHSTAR_APP_DB": f"sqlite:///{OUT / 'app.db'}",
    }


def build_demo(scale: str) -> None:
    """`northstar demo build` into OUT (minutes the first time; skipped when current)."""
    OUT.mkdir(parents=True, exist_ok=True)
    cmd = [sys.executable, "-c", "import app; app.main()", "demo", "build", "--scale", scale]
    subprocess.run(cmd, cwd=ROOT, env=bench_env(), check=True)


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


class Server:
    """gunicorn serving the bench warehouse in a subprocess."""

    def __init__(self, name: str, workers: int) -> None:
        config = CONFIGS[name]
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        env = {**bench_env(), **config["env"], "NORTHSTAR_CACHE_PREFIX": f"bench{self.port}:"}
        cmd = [
            sys.executable,
            "-m",
            "gunicorn",
            "-w",
            str(workers),
            *config["gunicorn"],
            "-b",
            f"127.0.0.1:{self.port}",
            "--timeout",
            "120",
            "app:create_server()",
        ]
        self.log = (OUT / f"gunicorn-{name}.log").open("w")
        # In the data directory: no gunicorn.conf.py is read unless the configuration names one.
        self.proc = subprocess.Popen(cmd, cwd=OUT, env=env, stdout=self.log, stderr=self.log)
        deadline = time.monotonic() + 120
        while True:
            try:
                urllib.request.urlopen(self.url + "/", timeout=5)
                break
            except OSError:
                if self.proc.poll() is not None or time.monotonic() > deadline:
                    self.stop()
                    raise RuntimeError((OUT / f"gunicorn-{name}.log").read_text()) from None
                time.sleep(0.5)

    def workers(self) -> list[psutil.Process]:
        return psutil.Process(self.proc.pid).children()

    def stop(self) -> None:
        self.proc.terminate()
        self.proc.wait(30)
        self.log.close()


def pages_to_load() -> list[str]:
    """The default views of every page, plus the Explorer's common variations."""
    from metric_layer.loader import load_spec

    spec = load_spec(ROOT / "metrics.yml")
    nsm = spec.north_star.metric if spec.north_star else spec.metric_names[0]
    return [
        "/",
        f"/metric/{nsm}",
        f"/metric/{nsm}?range=52w&compare=last_year",
        f"/metric/{nsm}?by=channel",
        "/tree",
        "/catalog",
        "/review",
    ]


def capture(url: str, paths: list[str]) -> dict[str, list[list[str]]]:
    """For each page, the callback POSTs (address after the host, body) a browser makes loading it."""
    from playwright.sync_api import sync_playwright

    captured: dict[str, list[list[str]]] = {}
    with sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        for path in paths:
            bodies: list[list[str]] = []
            context = browser.new_context(viewport={"width": 1920, "height": 1080})
            page = context.new_page()
            page.on(
                "request",
                lambda r, b=bodies: (
                    b.append([r.url.removeprefix(url), r.post_data])
                    if urlsplit(r.url).path == "/_dash-update-component"
                    else None
                ),
            )
            page.goto(url + path, wait_until="networkidle", timeout=120_000)
            # Chained callbacks fire after their inputs arrive: wait until none came for 3 s.
            seen, quiet_since = -1, time.monotonic()
            while time.monotonic() - quiet_since < 3:
                if len(bodies) != seen:
                    seen, quiet_since = len(bodies), time.monotonic()
                page.wait_for_timeout(250)
            context.close()
            captured[path] = bodies
        browser.close()
    return captured


@dataclass
class Phase:
    latencies: list[float] = field(default_factory=list)
    errors: int = 0
    rss: dict[int, list[float]] = field(default_factory=dict)
    seconds: float = 0.0
    by_output: dict[str, list[float]] = field(default_factory=dict)
    load: tuple[float, float] = (0.0, 0.0)  # the 1-minute load average at start and end


def replay(url: str, captured: dict[str, list[list[str]]], clients: int, seconds: float) -> Phase:
    """`clients` threads loop over the pages, replaying each page's callbacks in order."""
    phase = Phase()
    lock = threading.Lock()
    stop = time.monotonic() + seconds
    pages = list(captured.values())
    outputs = {body: _output(body) for page in pages for _, body in page}

    def viewer(index: int) -> None:
        i = index
        while time.monotonic() < stop:
            for address, body in pages[i % len(pages)]:
                request = urllib.request.Request(
                    url + address,
                    data=body.encode(),
                    headers={"Content-Type": "application/json"},
                )
                t = time.perf_counter()
                try:
                    with urllib.request.urlopen(request, timeout=120) as response:
                        response.read()
                        ok = response.status in (200, 204)
                except Exception:
                    ok = False
                elapsed = time.perf_counter() - t
                with lock:
                    phase.latencies.append(elapsed)
                    phase.by_output.setdefault(outputs[body], []).append(elapsed)
                    phase.errors += not ok
            i += 1

    threads = [threading.Thread(target=viewer, args=(n,)) for n in range(clients)]
    load = os.getloadavg()[0]
    started = time.monotonic()
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    phase.seconds = time.monotonic() - started
    phase.load = (load, os.getloadavg()[0])
    return phase


def _output(body: str) -> str:
    """A short name for the callback a request body asks for (its first output's component)."""
    try:
        output = json.loads(body).get("output", "?")
    except ValueError:
        return "?"
    names = [part.split("@")[0] for part in output.strip(".").split("...")]
    return "+".join(dict.fromkeys(name.rsplit(".", 1)[0] for name in names))


def sample_rss(server: Server, phase: Phase, until: threading.Event) -> None:
    while not until.wait(1.0):
        for worker in server.workers():
            try:
                mb = worker.memory_info().rss / 2**20
            except psutil.NoSuchProcess:
                continue
            phase.rss.setdefault(worker.pid, []).append(mb)


def publisher(every: float, until: threading.Event) -> None:
    """Publish the bench warehouse as a new snapshot every `every` seconds."""
    store = SnapshotStore(OUT / "serving")
    while not until.wait(every):
        store.publish(OUT / "warehouse.duckdb")


def run_phase(server: Server, captured, clients: int, seconds: float, publish: float | None):  # type: ignore[no-untyped-def]
    phase = Phase()
    done = threading.Event()
    helpers = [threading.Thread(target=sample_rss, args=(server, phase, done))]
    if publish:
        helpers.append(threading.Thread(target=publisher, args=(publish, done)))
    for t in helpers:
        t.start()
    result = replay(server.url, captured, clients, seconds)
    done.set()
    for t in helpers:
        t.join()
    result.rss = phase.rss
    return result


def steady(samples: list[float]) -> float:
    """A worker's RSS at steady state: the median over the second half of the phase."""
    later = sorted(samples[len(samples) // 2 :])
    return later[len(later) // 2]


def pct(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(q * (len(ordered) - 1)))] * 1000


def report(label: str, phase: Phase, boot: dict[int, float]) -> str:
    lat = phase.latencies
    # Workers recycled by max_requests appear mid-phase: only those sampled a while are shown.
    rss = " ".join(
        f"{boot.get(pid, 0):.0f}/{steady(samples):.0f}/{max(samples):.0f}"
        for pid, samples in sorted(phase.rss.items())
        if len(samples) >= 5
    )
    load = f"{phase.load[0]:.1f}-{phase.load[1]:.1f}"
    return (
        f"{label:26} {len(lat) / phase.seconds:8.1f} {pct(lat, 0.5):8.0f} {pct(lat, 0.95):8.0f} "
        f"{pct(lat, 0.99):8.0f} {phase.errors:6d} {load:>9}   {rss}"
    )


def slowest(label: str, phase: Phase, count: int = 6) -> str:
    """The callbacks with the highest p95: where the time goes."""
    ranked = sorted(phase.by_output.items(), key=lambda kv: -pct(kv[1], 0.95))[:count]
    return "\n".join(
        f"  {label:24} {name[:44]:44} n={len(v):5d} p50={pct(v, 0.5):6.0f} p95={pct(v, 0.95):6.0f}"
        for name, v in ranked
    )


def main() -> None:
    global OUT
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--clients", type=int, default=20)
    parser.add_argument("--seconds", type=float, default=30)
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--publish-every", type=float, default=10)
    parser.add_argument("--configs", default="baseline,redis,gthread")
    parser.add_argument("--scale", default="1M")
    parser.add_argument(
        "--data-dir",
        type=Path,
        default=OUT,
        help="where the demo warehouse is built and served from (kept between runs)",
    )
    parser.add_argument(
        "--recapture",
        action="store_true",
        help="record the pages' callbacks again (after UI changes)",
    )
    args = parser.parse_args()
    OUT = args.data_dir.resolve()  # every helper above reads it
    build_demo(args.scale)
    paths = pages_to_load()
    lines, slow = [], []
    captured = None
    for name in args.configs.split(","):
        # A snapshot of its own: no configuration reads what an earlier one cached.
        SnapshotStore(OUT / "serving").publish(OUT / "warehouse.duckdb")
        server = Server(name, args.workers)
        try:
            boot = {w.pid: w.memory_info().rss / 2**20 for w in server.workers()}
            if captured is None:  # once, so that every configuration replays the same requests
                saved = OUT / "callbacks.json"
                if saved.exists() and not args.recapture:
                    captured = json.loads(saved.read_text())
                else:
                    captured = capture(server.url, paths)
                    saved.write_text(json.dumps(captured, indent=1))
                count = sum(len(b) for b in captured.values())
                print(f"{count} callbacks over {len(paths)} pages", flush=True)
            replay(server.url, captured, args.clients, 5)  # every view once: the warm state
            quiet = run_phase(server, captured, args.clients, args.seconds, None)
            lines.append(report(f"{name} quiet", quiet, boot))
            busy = run_phase(server, captured, args.clients, args.seconds, args.publish_every)
            lines.append(report(f"{name} publishing", busy, boot))
            slow += [slowest(f"{name} quiet", quiet), slowest(f"{name} publishing", busy)]
            print("\n".join(lines[-2:]), flush=True)
        finally:
            server.stop()
    print(
        f"\n{args.clients} clients, {args.workers} workers, {args.seconds:.0f} s per phase; "
        "latency in ms; load = 1-min load average at start-end; "
        "RSS MB per worker as boot/steady (median of the phase's second half)/peak"
    )
    print(
        f"{'configuration':26} {'req/s':>8} {'p50':>8} {'p95':>8} {'p99':>8} {'errors':>6} "
        f"{'load':>9}   RSS"
    )
    print("\n".join(lines))
    print("\nslowest callbacks (ms):")
    print("\n".join(slow))


if __name__ == "__main__":
    main()
