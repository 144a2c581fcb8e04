"""The web side under faults: an invalid metrics.yml, a damaged or missing snapshot, read-only
directories. Every page must answer 200, keep serving the last good snapshot and spec, say what is
wrong in a banner (file:line, paths relative to the project) and never show a server path.

Pages are loaded over the app's HTTP interface as the browser would (tests/page_client.py).
"""

from __future__ import annotations

import json
import logging
import os
import shutil
import stat
from dataclasses import replace
from pathlib import Path

import pytest
from page_client import (
    PAGES,
    Answer,
    callback,
    flask_fetch,
    join_warm_ups,
    register_page_callbacks,
    render,
)
from shop_project import break_spec, make_project, publish, publish_damaged, settings_for

from dashboard.server import create_dash, server_for
from dashboard.serving import EXTENSION, Serving, check_spec
from metric_layer.errors import SpecError
from settings import Settings
from warehouse import SnapshotStore, Warehouse

SPEC = Path(__file__).parents[1] / "fixtures" / "small_spec.yml"
BANNER = "problems-banner.children"
BADGE = "freshness-badge.children"


@pytest.fixture
def project(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A project folder (the working directory) with metrics.yml and a built warehouse file."""
    monkeypatch.chdir(tmp_path)
    return make_project(tmp_path)


@pytest.fixture(scope="module")
def app(tmp_path_factory: pytest.TempPathFactory):  # type: ignore[no-untyped-def]
    """One Dash app for the module: Dash moves the pages' callbacks into the first app a process
    builds, so each test gives this app the Serving a fresh worker on its settings would have."""
    register_page_callbacks()
    empty = tmp_path_factory.mktemp("unused")
    return create_dash(Settings(metrics=SPEC, serving_dir=empty / "serving"))


@pytest.fixture
def fetcher(app):  # type: ignore[no-untyped-def]
    """fetcher(settings) → a page fetcher on a worker that starts now with `settings`."""
    servings = []

    def start(settings: Settings):  # type: ignore[no-untyped-def]
        cache = app.server.extensions[EXTENSION].cache
        cache.clear()
        servings.append(Serving(settings, cache))
        app.server.extensions[EXTENSION] = servings[-1]
        return flask_fetch(app.server.test_client())

    yield start
    join_warm_ups()
    for serving in servings:
        serving.close()


def all_pages(fetch, pages=PAGES) -> list[Answer]:  # type: ignore[no-untyped-def]
    """Every response of every page (or of `pages`); fails on any status but 200."""
    answers = [answer for page in pages for answer in render(fetch, page)]
    failed = [(a.what, a.status, a.text[:300]) for a in answers if a.status != 200]
    assert not failed, failed
    return answers


def text_of(answer: Answer) -> str:
    """The visible text of a callback answer (JSON strings joined)."""
    found: list[str] = []

    def walk(node: object) -> None:
        if isinstance(node, str):
            found.append(node)
        elif isinstance(node, list):
            for item in node:
                walk(item)
        elif isinstance(node, dict):
            for key, value in node.items():
                if key not in ("id", "className", "type", "namespace", "style"):
                    walk(value)

    walk(json.loads(answer.text))
    return " ".join(found)


def body(answers: list[Answer], output: str) -> str:
    return " ".join(text_of(a) for a in answers if a.what == output).strip()


def overview_shows_numbers(answers: list[Answer]) -> bool:
    overview = body(answers, "overview-body.children")
    ok = "Orders" in overview and "Cannot show" not in overview and "invalid" not in overview
    assert ok, overview[:3000]
    return ok


# -- 9.3: an invalid metrics.yml ----------------------------------------------------------------


def test_restarted_worker_serves_published_spec_and_banner_names_file_and_line(project, fetcher):
    version = publish(project)
    line = break_spec(project)
    settings = settings_for(project)
    check_spec(settings)  # `northstar serve` starts: a valid spec was published
    fetch = fetcher(settings)  # a worker (re)starting now
    answers = all_pages(fetch)
    assert overview_shows_numbers(answers)
    banner = body(answers, BANNER)
    assert f"metrics.yml:{line}" in banner and "cnt" in banner, banner
    assert f"spec published with snapshot {version}" in banner
    assert "⚠" in body(answers, BADGE)


def test_spec_broken_while_running_shows_banner_and_keeps_serving(project, fetcher):
    publish(project)
    fetch = fetcher(settings_for(project))
    assert text_of(callback(fetch, BANNER)) == ""
    line = break_spec(project)
    answers = all_pages(fetch, ["/"])
    assert overview_shows_numbers(answers)
    assert f"metrics.yml:{line}" in body(answers, BANNER)
    assert "last valid spec" in body(answers, BANNER)


def test_nothing_valid_serve_refuses_but_production_server_boots(project, fetcher):
    publish(project, with_spec=False)  # published before snapshots carried their spec
    line = break_spec(project)
    settings = settings_for(project)
    with pytest.raises(SpecError):
        check_spec(settings)
    with pytest.raises(SpecError):
        create_dash(settings)  # `northstar serve`
    server_for(settings)  # gunicorn's app:create_server() boots (its pages: tests/process)
    answers = all_pages(fetcher(settings))
    overview = body(answers, "overview-body.children")
    assert "metrics.yml is invalid" in overview and f"metrics.yml:{line}" in overview
    explorer = body(answers, ".._pages_content.children..._pages_store.data..")
    assert "No data yet" not in explorer and "metrics.yml is invalid" in explorer
    assert "data unavailable" in body(answers, BADGE)


def test_a_bad_serving_setting_is_named_on_the_page(project, fetcher):
    """A DuckDB setting of the web side that cannot be used: every page says which one to fix."""
    publish(project)
    settings = replace(settings_for(project), serving_memory="plenty")
    answers = all_pages(fetcher(settings), ["/", "/tree"])
    for output in ("overview-body.children", "tree-body.children"):
        shown = body(answers, output)
        assert "serving_memory must be a size such as 512MB" in shown, shown
        assert "NORTHSTAR_SERVING_MEMORY" in shown


# -- 9.4: damaged, missing and read-only snapshots ----------------------------------------------


def test_damaged_snapshot_published_while_running_is_skipped_and_reported_once(
    project, fetcher, caplog
):
    good = publish(project)
    fetch = fetcher(settings_for(project))
    assert good in text_of(callback(fetch, BADGE))
    bad = publish_damaged(project)
    caplog.set_level(logging.WARNING, logger="dashboard.serving")
    answers = all_pages(fetch, ["/", "/tree"]) + all_pages(fetch, ["/", "/tree"])
    assert overview_shows_numbers(answers)
    assert good in body(answers, BADGE) and "⚠" in body(answers, BADGE)
    banner = body(answers, BANNER)
    assert f"snapshot {bad} cannot be served" in banner
    assert "not a valid DuckDB database file" in banner
    assert "Another process" not in banner and "another process" not in banner
    logged = [r for r in caplog.records if bad in r.getMessage()]
    assert len(logged) == 1, [r.getMessage() for r in logged]


@pytest.mark.parametrize("content", [b"", b"garbage " * 1000], ids=["empty file", "garbage"])
def test_damaged_snapshot_at_start_serves_the_previous_good_one(project, fetcher, content):
    good = publish(project)
    bad = publish_damaged(project, content)
    settings = settings_for(project)
    check_spec(settings)
    fetch = fetcher(settings)
    answers = all_pages(fetch, ["/"])
    assert overview_shows_numbers(answers)
    assert good in body(answers, BADGE)
    assert f"snapshot {bad} cannot be served" in body(answers, BANNER)


def _publish_segments(project: Path) -> str:
    """Publish with the fixture's orders and sessions as Parquet segments (they are small)."""
    store = SnapshotStore(settings_for(project).serving_dir, segment_min_rows=100)
    return store.publish(project / "warehouse.duckdb", (project / "metrics.yml").read_text())


@pytest.mark.parametrize("damage", ["missing", "garbage"])
def test_a_damaged_segment_of_the_newest_snapshot_serves_the_previous_one(project, fetcher, damage):
    good = _publish_segments(project)
    fetch = fetcher(settings_for(project))
    assert overview_shows_numbers(all_pages(fetch, ["/"]))
    with Warehouse(project / "warehouse.duckdb") as wh:  # one more order, on the last day
        wh.execute(
            "INSERT INTO raw.orders SELECT * REPLACE (order_id + 100000 AS order_id) "
            "FROM raw.orders ORDER BY ordered_at DESC LIMIT 1"
        )
        wh.checkpoint()
    bad = _publish_segments(project)
    store = SnapshotStore(settings_for(project).serving_dir)
    listed = {v: json.loads(store.manifest_file(v).read_text())["tables"] for v in (good, bad)}
    files = {
        v: {s["file"] for t in tables.values() for s in t["segments"]}
        for v, tables in listed.items()
    }
    (new,) = files[bad] - files[good]  # the last month of orders, rewritten
    if damage == "missing":
        (store.dir / new).unlink()
    else:
        (store.dir / new).write_bytes(b"garbage " * 1000)
    answers = all_pages(fetch, ["/", "/tree"])
    assert overview_shows_numbers(answers)
    assert good in body(answers, BADGE) and "⚠" in body(answers, BADGE)
    banner = body(answers, BANNER)
    assert f"snapshot {bad} cannot be served" in banner
    assert f"segment {new} of raw.orders is {damage if damage == 'missing' else 'damaged'}" in (
        banner
    )


def test_snapshot_without_tables_is_not_served(project, fetcher):
    good = publish(project)
    empty = project / "empty.duckdb"
    Warehouse(empty).close()
    store = SnapshotStore(settings_for(project).serving_dir)
    bad = store.publish(empty, spec_text=(project / "metrics.yml").read_text())
    answers = all_pages(fetcher(settings_for(project)), ["/"])
    assert overview_shows_numbers(answers) and good in body(answers, BADGE)
    assert f"snapshot {bad} cannot be served" in body(answers, BANNER)
    assert "holds no tables" in body(answers, BANNER)


def test_only_a_damaged_snapshot_at_start_boots_and_says_so(project, fetcher):
    bad = publish_damaged(project)
    settings = settings_for(project)
    check_spec(settings)  # nothing to serve is not a spec problem: serve starts too
    answers = all_pages(fetcher(settings))
    overview = body(answers, "overview-body.children")
    assert "Data unavailable" in overview and f"snapshot {bad} cannot be served" in overview
    assert "not a valid DuckDB database file" in overview and "nother process" not in overview
    assert "data unavailable" in body(answers, BADGE)


def test_missing_serving_dir(project, fetcher):
    settings = settings_for(project)
    assert not settings.serving_dir.exists()
    answers = all_pages(fetcher(settings), ["/"])
    overview = body(answers, "overview-body.children")
    assert "No data yet" in overview and "no data published in data/serving yet" in overview
    assert "no data published" in body(answers, BADGE)


def test_serving_dir_removed_while_running_keeps_serving(project, fetcher):
    good = publish(project)
    fetch = fetcher(settings_for(project))
    assert overview_shows_numbers(render(fetch, "/"))
    shutil.rmtree(settings_for(project).serving_dir)  # the open file stays readable
    answers = all_pages(fetch, ["/"])
    assert overview_shows_numbers(answers) and good in body(answers, BADGE)
    assert "Nothing is published in data/serving any more" in body(answers, BANNER)


def test_read_only_serving_dir_is_served_and_never_written(project, fetcher):
    publish(project)
    serving_dir = settings_for(project).serving_dir
    before = sorted(p.name for p in serving_dir.iterdir())
    modes = {}
    for path in [serving_dir, *serving_dir.iterdir()]:
        modes[path] = path.stat().st_mode
        path.chmod(stat.S_IMODE(modes[path]) & ~0o222)
    try:
        answers = all_pages(fetcher(settings_for(project)), ["/"])
        assert overview_shows_numbers(answers)
        assert body(answers, BANNER) == ""
        assert sorted(p.name for p in serving_dir.iterdir()) == before
    finally:
        for path, mode in modes.items():
            path.chmod(mode)


# -- 9.6: no server paths in page bodies ----------------------------------------------------------


SCENARIOS = {
    "healthy": lambda p: publish(p),
    "invalid spec, published spec": lambda p: (publish(p), break_spec(p)),
    "invalid spec, nothing valid": lambda p: (publish(p, with_spec=False), break_spec(p)),
    "damaged snapshot only": publish_damaged,
    "damaged newer snapshot": lambda p: (publish(p), publish_damaged(p)),
    "nothing published": lambda p: None,
    "metrics.yml missing": lambda p: (publish(p, with_spec=False), (p / "metrics.yml").unlink()),
}


@pytest.mark.parametrize("scenario", SCENARIOS)
@pytest.mark.parametrize("cwd", ["project", "elsewhere"])
def test_no_server_path_in_any_page_body(
    project, fetcher, scenario, cwd, monkeypatch, tmp_path_factory
):
    SCENARIOS[scenario](project)
    if cwd == "elsewhere":  # files outside the project are named, not located
        monkeypatch.chdir(tmp_path_factory.mktemp("elsewhere"))
    answers = all_pages(fetcher(settings_for(project)))
    for absolute in {str(project), str(project.resolve()), os.path.realpath(project)}:
        leaks = [(a.what, a.readable[:300]) for a in answers if absolute in a.readable]
        assert not leaks, leaks
