"""Browser tests: the dashboard in a subprocess on a fixture snapshot, driven by Playwright with
Debian's chromium. Every test here is marked `browser`."""

from __future__ import annotations

import contextlib
import os
import socket
import subprocess
import sys
import time
import urllib.request
from collections.abc import Iterator
from pathlib import Path

import pytest
from diagnostics import PageRecorder
from fixture_shop import AS_OF, SPEC, build_shop
from playwright.sync_api import expect

from metric_layer.loader import load_spec
from metric_layer.service import MetricService
from warehouse import SnapshotStore

ROOT = Path(__file__).resolve().parents[2]
SCREENSHOTS = ROOT / "test-output" / "screenshots"
FAILURES = ROOT / "test-output" / "failures"
CHROMIUM = os.environ.get("NORTHSTAR_CHROMIUM", "/usr/bin/chromium")
# A busy CI machine (load ~4 on 2 cores) can take many seconds for what takes one here: waits are
# for conditions, with room to spare (a passing test never waits this long).
TIMEOUT_MS = 60_000
SERVER_START_S = 180
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--no-first-run",
]


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    here = Path(__file__).parent
    for item in items:
        if here in Path(str(item.fspath)).parents:
            item.add_marker(pytest.mark.browser)


@pytest.hookimpl(wrapper=True)
def pytest_runtest_makereport(item: pytest.Item, call: pytest.CallInfo):  # type: ignore[no-untyped-def]
    """A failed browser test reports what its page showed (diagnostics.PageRecorder)."""
    report = yield
    recorder = getattr(item, "ns_recorder", None)
    if report.failed and recorder is not None:
        page = item.funcargs["page"]  # type: ignore[attr-defined]
        log = item._request.getfixturevalue("serving_dir") / "server.log"  # type: ignore[attr-defined]
        report.sections.append(
            ("what the page showed", recorder.report(page, item.nodeid, FAILURES, log))
        )
    return report


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@pytest.fixture(scope="session")
def serving_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return build_shop(tmp_path_factory.mktemp("shop"))


@contextlib.contextmanager
def northstar_serve(
    folder: Path,
    serving_dir: Path,
    extra_env: dict[str, str] | None = None,
    ready: str = "/",
    before: str = "",
) -> Iterator[str]:
    """`northstar serve` on a free port against `serving_dir` (settings and log in `folder`),
    yielding its URL once `ready` answers; stopped on exit. `before`: Python run in the server
    process first (from the repo root), to hand the app what a test needs (alert rules)."""
    port = _free_port()
    env = {
        **os.environ,
        "NORTHSTAR_SETTINGS": str(folder / "none.toml"),
        "NORTHSTAR_METRICS": str(SPEC),
        "NORTHSTAR_SERVING_DIR": str(serving_dir),
        "NORTHSTAR_PORT": str(port),
        "NORTHSTAR_AS_OF": AS_OF.isoformat(),
        # Check-ins and sign-in state of this server only, never the project's data/app.db.
        "NORTHSTAR_APP_DB": f"sqlite:///{folder / 'app.db'}",
        **(extra_env or {}),
    }
    log_path = folder / "server.log"
    log = log_path.open("w")
    cmd = [sys.executable, "-c", f"{before}\nimport app; app.main()", "serve"]
    proc = subprocess.Popen(cmd, cwd=ROOT, env=env, stdout=log, stderr=subprocess.STDOUT)
    url = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + SERVER_START_S
    while True:
        try:
            urllib.request.urlopen(url + ready, timeout=10)
            break
        except OSError:
            if proc.poll() is not None or time.monotonic() > deadline:
                proc.kill()
                raise RuntimeError(log_path.read_text()) from None
            time.sleep(0.3)  # polling for the port, not waiting for an outcome
    try:
        yield url
    finally:
        proc.terminate()
        proc.wait(10)
        log.close()


@pytest.fixture(scope="session")
def base_url(serving_dir: Path) -> Iterator[str]:
    """The dashboard served by `northstar serve` on a free port against the fixture snapshot."""
    with northstar_serve(serving_dir, serving_dir) as url:
        yield url


@pytest.fixture(scope="session")
def service(serving_dir: Path) -> Iterator[MetricService]:
    """The metric service on the same snapshot, to compute the numbers pages must show."""
    store = SnapshotStore(serving_dir)
    current = store.current()
    assert current is not None
    version = current[0]
    wh = store.open_snapshot(version)
    spec = load_spec(SPEC, wh.table_columns())
    yield MetricService(wh, spec, snapshot=version, as_of=AS_OF)
    wh.close()


@pytest.fixture(scope="session")
def browser():  # type: ignore[no-untyped-def]
    from playwright.sync_api import sync_playwright

    with sync_playwright() as pw:
        chromium = pw.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        yield chromium
        chromium.close()


@pytest.fixture
def page(browser, base_url: str, request: pytest.FixtureRequest):  # type: ignore[no-untyped-def]
    context = browser.new_context(
        viewport={"width": 1920, "height": 1080}, base_url=base_url, accept_downloads=True
    )
    tab = context.new_page()
    request.node.ns_recorder = PageRecorder()
    request.node.ns_recorder.attach(tab)
    tab.set_default_timeout(TIMEOUT_MS)
    tab.set_default_navigation_timeout(2 * TIMEOUT_MS)
    expect.set_options(timeout=TIMEOUT_MS)  # expect() waits 5 s unless told
    yield tab
    context.close()
