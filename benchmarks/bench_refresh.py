"""Time refreshes against a full build, end to end through the CLI, at one scale (issue 12).

    .venv/bin/python benchmarks/bench_refresh.py [--scale 1M|10M] [--workdir DIR] [--keep]
                                                 [--json FILE]

In a scratch folder (a new temporary one by default; never data/), driving only the `northstar`
CLI of this checkout, so the same script measures any implementation of refreshes:

1. full build: `northstar demo build` (the generation timed apart from ingest + rollups + publish);
2. new rows: 1% more orders (fresh ids, copies of orders of the last 7 days) with their items and
   1% more sessions, as new part files; `northstar ingest`;
3. late updates: one part re-stating 0.1% of the old orders, picked over the whole history (amount
   and status changed, same order_id, merged by key); `northstar ingest`;
4. a spec change: one additive metric (revenue) gets a stricter filter in a copy of metrics.yml;
   `northstar rollups build`.

Each step is timed from the command's start until CURRENT names a new snapshot and
SnapshotStore.open_snapshot opens it (the web side could serve it). Peak RSS is the command's
VmHWM polled from /proc (ru_maxrss would carry this process's peak over exec). Disk is the blocks
of the warehouse file and of the serving folder (three snapshots kept) after the step. "× load" is
the step's time over the full build's load part (ingest + rollups + publish, no generation).

After each step the numbers are checked against pandas over the source Parquet files: rows,
sum(amount) and paid rows of raw.shop__orders in the warehouse and in the served snapshot, and
revenue and paid orders per day from `northstar query` (read from the rollups). A mismatch ends the
run with exit code 1: timing a broken refresh is worthless. The data is seeded and ends on a fixed
day, so every run and every branch measures the same rows.
"""

from __future__ import annotations

import argparse
import json
import os
import re
import shutil
import subprocess
import sys
import tempfile
import threading
import time
from dataclasses import asdict, dataclass, field
from datetime import date, timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from benchmarks import refresh_checks as checks  # noqa: E402
from benchmarks.refresh_parts import add_recent_rows, restate_old_orders  # noqa: E402
from warehouse import SnapshotStore, Warehouse  # noqa: E402

SCALES = {"100k": "100000", "1M": "1M", "10M": "10M"}  # 100k: a quick try of the script
END = date(2026, 11, 22)  # fixed: the same rows on every run
REVENUE_FILTER = "filter: \"status = 'paid'\""
STRICTER = "filter: \"status = 'paid' AND amount >= 100\""
MIN_AMOUNT = 100.0  # the stricter filter, as the pandas check applies it
PUBLISH_TIMEOUT_S = 600
NORTHSTAR = [sys.executable, str(ROOT / "app.py")]  # this checkout's CLI, not an installed one


@dataclass
class Step:
    name: str
    seconds: float
    peak_rss_mb: float
    warehouse_mb: float
    serving_mb: float
    snapshots: int  # published versions on disk (SnapshotStore keeps three)
    version: str
    detail: dict[str, object] = field(default_factory=dict)  # phases, rows written, the edit


@dataclass
class CliRun:
    seconds: float  # until the process exited
    peak_rss_kb: int
    lines: list[tuple[float, str]]  # (seconds since start, line) of stdout and stderr

    def first(self, prefix: str) -> tuple[float, str] | None:
        return next(((t, line) for t, line in self.lines if line.startswith(prefix)), None)


class Bench:
    def __init__(self, work: Path, scale: str) -> None:
        self.work, self.scale = work, scale
        self.source = work / "source"
        self.metrics = work / "metrics.yml"
        self.warehouse = work / "warehouse.duckdb"
        self.store = SnapshotStore(work / "serving")
        shutil.copyfile(ROOT / "metrics.yml", self.metrics)
        self.env = {k: v for k, v in os.environ.items() if not k.startswith("NORTHSTAR_")}
        self.env |= {
            "NORTHSTAR_SETTINGS": str(work / "no-northstar.toml"),
            "NORTHSTAR_METRICS": str(self.metrics),
            "NORTHSTAR_SOURCES": str(ROOT / "sources.yml"),
            "NORTHSTAR_DATA": str(self.source),  # sources.yml's shop path
            "NORTHSTAR_WAREHOUSE": str(self.warehouse),
            "NORTHSTAR_SERVING_DIR": str(self.store.dir),
            "NORTHSTAR_APP_DB": f"sqlite:///{work / 'app.db'}",
            "NORTHSTAR_AS_OF": (END + timedelta(days=1)).isoformat(),  # as the build's rollups
            "PYTHONUNBUFFERED": "1",  # line times split the build into its phases
        }
        self.steps: list[Step] = []
        self.min_amount: float | None = None  # revenue's extra filter once step 4 set it

    def cli(self, *args: str) -> CliRun:
        """Run `northstar ARGS` (this checkout's app.py), polling its peak RSS; exit on failure."""
        started = time.perf_counter()
        proc = subprocess.Popen(
            [*NORTHSTAR, *args],
            env=self.env,
            cwd=self.work,
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            text=True,
        )
        lines: list[tuple[float, str]] = []

        def read() -> None:
            for line in proc.stdout:
                lines.append((time.perf_counter() - started, line.rstrip("\n")))

        reader = threading.Thread(target=read, daemon=True)
        reader.start()
        peak = 0
        while proc.poll() is None:
            peak = max(peak, tree_hwm_kb(proc.pid))
            time.sleep(0.02)
        seconds = time.perf_counter() - started
        reader.join()
        if proc.returncode != 0:
            tail = "\n".join(line for _, line in lines[-30:])
            sys.exit(f"`northstar {' '.join(args)}` failed ({proc.returncode}):\n{tail}")
        return CliRun(seconds, peak, lines)

    def timed_step(self, name: str, *args: str) -> tuple[Step, CliRun]:
        """One command, timed until the serving side can open the snapshot it published."""
        before = self.store.current()
        started = time.perf_counter()
        run = self.cli(*args)
        version = self.wait_served(before[0] if before else None)
        seconds = time.perf_counter() - started
        step = Step(
            name,
            seconds,
            run.peak_rss_kb / 1024,
            disk_bytes(self.warehouse) / 1e6,
            disk_bytes(self.store.dir) / 1e6,
            len(self.store.versions()),
            version,
        )
        for _, line in run.lines:
            if line.startswith(("rollups", "ingested")) or " rows loaded" in line:
                print(f"    | {line}")
        self.steps.append(step)
        return step, run

    def wait_served(self, before: str | None) -> str:
        """The new CURRENT version once the serving side can open it (publishing may lag the
        command, as an asynchronous publisher's would)."""
        deadline = time.monotonic() + PUBLISH_TIMEOUT_S
        while time.monotonic() < deadline:
            current = self.store.current()
            if current is not None and current[0] != before:
                self.store.open_snapshot(current[0]).close()  # SnapshotError: not servable
                return current[0]
            time.sleep(0.05)
        sys.exit(f"no new snapshot in {self.store.dir} within {PUBLISH_TIMEOUT_S} s")

    def check(self, step: Step) -> None:
        """Exit 1 unless warehouse, served snapshot and per-day query agree with pandas."""
        orders = checks.expected_orders(self.source)
        want = checks.totals_of(orders)
        problems = []
        with Warehouse(self.warehouse, read_only=True) as wh:
            got = checks.loaded_totals(wh)
        if got.differs(want):
            problems.append(f"warehouse raw.shop__orders {got} != pandas {want}")
        with self.store.open_snapshot(step.version) as snap:
            served = checks.loaded_totals(snap)
        if served.differs(want):
            problems.append(f"snapshot {step.version} raw.shop__orders {served} != pandas {want}")
        first, last = checks.local_days(orders)
        args = ["revenue", "paid_orders", "--grain", "day", "--from", first, "--to", last]
        query = subprocess.run(  # not timed: stdout alone, the CSV
            [*NORTHSTAR, "query", *args, "--format", "csv"],
            env=self.env,
            cwd=self.work,
            capture_output=True,
            text=True,
        )
        if query.returncode != 0:
            sys.exit(f"`northstar query` failed ({query.returncode}): {query.stderr}")
        expected = checks.daily(orders, self.min_amount)
        problems += checks.daily_mismatches(query.stdout, expected)[:10]
        if problems:
            print(f"  CHECK FAILED after {step.name}:", *problems, sep="\n    ")
            sys.exit(1)
        step.detail["orders"] = want.rows
        print(
            f"  check ok: {want.rows:,} orders, sum(amount) {want.amount:,.2f}, per day {first}..{last}"
        )

    def build(self) -> None:
        print(f"1. full build: northstar demo build --scale {self.scale} --end {END}")
        step, run = self.timed_step(
            "full build",
            "demo",
            "build",
            "--scale",
            SCALES[self.scale],
            "--end",
            str(END),
            "--force",
        )
        generated = run.first("generated ")
        if generated is None:
            sys.exit("`demo build` printed no `generated …` line: cannot split generation off")
        step.detail["generate_s"] = generated[0]
        step.detail["load_s"] = step.seconds - generated[0]  # ingest + rollups + publish
        rollups = re.search(
            r"rollups built in ([\d.]+) s", "\n".join(line for _, line in run.lines)
        )
        if rollups is not None:  # printed by today's `demo build`; optional
            step.detail["rollups_s"] = float(rollups.group(1))
        self.check(step)

    def refresh(self, name: str, write) -> None:
        started = time.perf_counter()
        written = write()
        print(f"   wrote {written} in {time.perf_counter() - started:.1f} s (not timed)")
        step, _ = self.timed_step(name, "ingest")
        step.detail["written"] = written
        self.check(step)

    def spec_change(self) -> None:
        text = self.metrics.read_text(encoding="utf-8")
        start = text.index("\n  - name: revenue\n")
        end = text.index("\n  - name:", start + 1)
        block = text[start:end]
        if block.count(REVENUE_FILTER) != 1:
            sys.exit(
                f"metrics.yml's revenue metric no longer has {REVENUE_FILTER}; update STRICTER"
            )
        self.metrics.write_text(
            text[:start] + block.replace(REVENUE_FILTER, STRICTER) + text[end:], encoding="utf-8"
        )
        self.min_amount = MIN_AMOUNT
        step, _ = self.timed_step("spec change", "rollups", "build")
        step.detail["edit"] = STRICTER
        self.check(step)


def tree_hwm_kb(pid: int) -> int:
    """Peak RSS (VmHWM) of a process plus its descendants' so far; 0 once it has exited."""
    total = 0
    try:
        with open(f"/proc/{pid}/status") as fh:
            total += next((int(x.split()[1]) for x in fh if x.startswith("VmHWM")), 0)
        for task in Path(f"/proc/{pid}/task").iterdir():
            for child in (task / "children").read_text().split():
                total += tree_hwm_kb(int(child))
    except (FileNotFoundError, ProcessLookupError):
        pass
    return total


def disk_bytes(path: Path) -> int:
    """Blocks allocated to a file, or to every file under a folder (each inode counted once)."""
    files = [path] if path.is_file() else [p for p in path.rglob("*") if p.is_file()]
    seen, total = set(), 0
    for file in files:
        stat = file.stat()
        if (stat.st_dev, stat.st_ino) not in seen:
            seen.add((stat.st_dev, stat.st_ino))
            total += stat.st_blocks * 512
    return total


def report(bench: Bench) -> dict:
    build = bench.steps[0]
    load = float(build.detail["load_s"])
    print(
        f"\n[{bench.scale}] load average {', '.join(f'{x:.1f}' for x in os.getloadavg())} "
        f"on {os.cpu_count()} cores (other work slows every figure)"
    )
    print(
        f"{'step':<22}{'seconds':>9}{'× load':>8}{'peak RSS MB':>13}"
        f"{'warehouse MB':>14}{'serving MB':>12}{'snapshots':>11}"
    )
    for step in bench.steps:
        ratio = "" if step is build else f"{step.seconds / load:.3f}"
        print(
            f"{step.name:<22}{step.seconds:>9.1f}{ratio:>8}{step.peak_rss_mb:>13,.0f}"
            f"{step.warehouse_mb:>14,.0f}{step.serving_mb:>12,.0f}{step.snapshots:>11}"
        )
    parts = ", ".join(
        f"{k.removesuffix('_s')} {build.detail[k]:.1f} s"
        for k in ("generate_s", "load_s", "rollups_s")
        if k in build.detail
    )
    print(f"full build = {parts} (rollups inside load); × load = step / {load:.1f} s")
    return {
        "scale": bench.scale,
        "end": END.isoformat(),
        "loadavg": os.getloadavg(),
        "cores": os.cpu_count(),
        "build_load_s": load,
        "steps": [
            asdict(s) | {"ratio_to_load": None if s is build else s.seconds / load}
            for s in bench.steps
        ],
    }


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--scale", default="1M", choices=sorted(SCALES))
    parser.add_argument("--workdir", type=Path, help="an empty or new folder (default: a temp one)")
    parser.add_argument("--keep", action="store_true", help="keep the scratch folder")
    parser.add_argument("--json", type=Path, help="also write the figures to this file")
    args = parser.parse_args()
    work = args.workdir or Path(tempfile.mkdtemp(prefix="northstar-bench-refresh-"))
    work = work.resolve()
    if work.is_relative_to(ROOT / "data") or (work.exists() and any(work.iterdir())):
        parser.error(f"--workdir must be a new or empty folder outside data/: {work}")
    work.mkdir(parents=True, exist_ok=True)
    print(f"[{args.scale}] scratch folder {work}")
    finished = False
    try:
        bench = Bench(work, args.scale)
        bench.build()
        print("2. 1% new orders (+ items, + 1% sessions) in the last 7 days: northstar ingest")
        bench.refresh("1% new rows", lambda: add_recent_rows(bench.source))
        print("3. 0.1% of old orders re-stated across the history: northstar ingest")
        bench.refresh("0.1% old rows changed", lambda: restate_old_orders(bench.source))
        print(f"4. revenue's filter edited ({STRICTER}): northstar rollups build")
        bench.spec_change()
        figures = report(bench)
        if args.json:
            args.json.write_text(json.dumps(figures, indent=2) + "\n")
            print(f"figures written to {args.json}")
        finished = True
    finally:
        if args.keep or not finished:  # a failed run's folder shows what went wrong
            print(f"kept {work}")
        else:
            shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
