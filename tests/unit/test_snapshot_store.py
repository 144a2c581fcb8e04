"""Serving snapshots carry the spec they were built with, and a file that cannot be served is
refused with a reason that names no server directory. The "another process holds it" hint is
given only for a lock conflict."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pandas as pd
import pytest

from cli.rollup_commands import rollup_hook
from connectors import run_ingest
from settings import Settings
from warehouse import SnapshotStore, Warehouse, WarehouseError
from warehouse.snapshots import SnapshotError, _reason

SPEC = Path(__file__).parents[1] / "fixtures" / "small_spec.yml"
PER_VERSION = [".duckdb", ".metrics.yml", ".segments.json", ".lock"]
DAMAGED = "it is not a valid DuckDB database file (damaged, or not a snapshot)"


def warehouse_file(folder: Path) -> Path:
    file = folder / "warehouse.duckdb"
    with Warehouse(file) as wh:
        wh.replace_table("raw.things", pd.DataFrame({"id": [1, 2]}))
    return file


def test_publish_writes_the_spec_beside_the_snapshot_and_prunes_it_with_it(tmp_path):
    store = SnapshotStore(tmp_path / "serving", keep=2)
    file = warehouse_file(tmp_path)
    versions = [store.publish(file, spec_text=f"# spec {i}\n") for i in range(3)]
    assert [store.spec_text(v) for v in versions[1:]] == ["# spec 1\n", "# spec 2\n"]
    assert store.spec_text(versions[0]) is None  # pruned together with its snapshot
    assert sorted(p.name for p in store.dir.iterdir()) == sorted(
        [f"{v}{suffix}" for v in versions[1:] for suffix in PER_VERSION]
        + ["CURRENT", "PUBLISH.lock", "segments"]
    )
    assert store.versions() == versions[:0:-1]
    plain = store.publish(file)
    assert store.spec_text(plain) is None


@pytest.mark.parametrize(
    ("content", "reason"),
    [
        (b"", DAMAGED),
        (b"garbage" * 500, DAMAGED),
        (None, "it holds no tables"),
    ],
    ids=["empty file", "garbage", "no tables"],
)
def test_open_snapshot_refuses_what_cannot_be_served(tmp_path, content, reason):
    store = SnapshotStore(tmp_path / "serving")
    store.dir.mkdir()
    version = "20260101T000000-000000000"
    path = store.dir / f"{version}.duckdb"
    if content is None:
        Warehouse(path).close()
    else:
        path.write_bytes(content)
    with pytest.raises(SnapshotError) as caught:
        store.validate(version)
    assert caught.value.reason == reason  # the engine's own words replaced by what to know
    assert str(tmp_path) not in caught.value.reason and version in str(caught.value)
    assert "nother process" not in str(caught.value)


def test_open_snapshot_serves_a_good_file(tmp_path):
    store = SnapshotStore(tmp_path / "serving")
    version = store.publish(warehouse_file(tmp_path))
    with store.open_snapshot(version) as wh:
        assert wh.rows("SELECT count(*) FROM raw.things") == [(2,)]


def test_damaged_file_gets_no_lock_hint(tmp_path):
    bad = tmp_path / "bad.duckdb"
    bad.write_bytes(b"garbage" * 500)
    with pytest.raises(WarehouseError) as caught:
        Warehouse(bad, read_only=True)
    assert "nother process" not in str(caught.value)
    assert "not a valid DuckDB database file" in str(caught.value)


HOLDER = """
import sys
from warehouse import Warehouse
wh = Warehouse(sys.argv[1])
print("holding", flush=True)
sys.stdin.read()
"""


def test_locked_file_gets_the_lock_hint(tmp_path):
    file = warehouse_file(tmp_path)
    holder = subprocess.Popen(
        [sys.executable, "-c", HOLDER, str(file)],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        text=True,
        cwd=Path(__file__).parents[2],
    )
    try:
        assert holder.stdout.readline().strip() == "holding"  # waits for the lock to be held
        with pytest.raises(WarehouseError) as caught:
            Warehouse(file, read_only=True)
        assert "Another process holds it read-write" in str(caught.value)
    finally:
        holder.communicate("")


def test_ingest_publishes_the_spec_it_built_rollups_with(tmp_path):
    (tmp_path / "files").mkdir()
    (tmp_path / "files" / "things.csv").write_text("id\n1\n2\n")
    (tmp_path / "sources.yml").write_text(
        "sources:\n  - name: shop\n    kind: files\n    path: files\n"
        '    tables:\n      - {name: things, glob: "things.csv"}\n'
    )
    spec = "models: []\nmetrics: []\n"
    (tmp_path / "metrics.yml").write_text(spec)
    settings = Settings(
        metrics=tmp_path / "metrics.yml",
        sources=tmp_path / "sources.yml",
        warehouse=tmp_path / "warehouse.duckdb",
        serving_dir=tmp_path / "serving",
    )
    report = run_ingest(settings, after_load=rollup_hook(settings, print))
    assert report.ok and report.published, report
    assert SnapshotStore(settings.serving_dir).spec_text(report.published) == spec


def test_versions_published_across_a_second_boundary_sort_in_publish_order(tmp_path, monkeypatch):
    """A version's name is its publish time; pruning keeps the newest by name. Two clock reads
    (the second, then the nanoseconds) straddling a second named a later version `…34-002…`
    before an earlier `…34-158…`, and pruning removed the wrong one (seen in CI)."""
    import warehouse.snapshots as snapshots

    second = 1_796_200_000  # a whole second
    ticks = iter([second * 10**9 + 999_999_999, (second + 1) * 10**9 + 1])
    real = snapshots.time.time_ns
    monkeypatch.setattr(snapshots.time, "time_ns", lambda: next(ticks, None) or real())
    store = SnapshotStore(tmp_path / "serving", keep=5)
    file = warehouse_file(tmp_path)
    before, after = store.publish(file), store.publish(file)
    assert before.endswith("-999999999") and after.endswith("-000000001")
    assert store.versions()[:2] == [after, before]


def test_a_held_snapshot_is_reported_as_held_not_as_the_engine_words_it():
    held = WarehouseError('IO Error: Could not set lock on file "/srv/s/v1.duckdb": Conflicting')
    assert _reason(held, Path("/srv/s/v1.duckdb")) == "another process holds it read-write"


def test_other_reasons_name_the_file_but_not_its_directory(tmp_path, monkeypatch):
    folder = tmp_path / "serving"
    folder.mkdir()
    path = folder / "v1.duckdb"
    failed = WarehouseError(f"cannot open warehouse v1.duckdb: IO Error: short read in {path}.")
    assert _reason(failed, path) == "IO Error: short read in v1.duckdb"
    # reached by a relative path through a link, the directory is left out in each spelling
    # the engine may use: resolved, absolute through the link, or as given
    (tmp_path / "current").symlink_to(folder)
    monkeypatch.chdir(tmp_path)
    relative = Path("current") / "v1.duckdb"
    resolved = folder.resolve() / "v1.duckdb"
    for spelled in (str(resolved), str(tmp_path / "current" / "v1.duckdb"), "current/v1.duckdb"):
        failed = WarehouseError(f"IO Error: cannot read {spelled}!")
        assert _reason(failed, relative) == "IO Error: cannot read v1.duckdb"
