"""A real gunicorn serving `app:create_server()` survives an invalid metrics.yml across worker
restarts and a damaged snapshot at boot: the port keeps answering 200 and the pages say what is
wrong. Waits are for conditions (a new worker pid, a 200), never fixed sleeps."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from pathlib import Path

import psutil
import pytest
from page_client import Answer, callback, http_fetch, render
from shop_project import break_spec, make_project, publish, publish_damaged, settings_for

ROOT = Path(__file__).resolve().parents[2]
GUNICORN = Path(sys.executable).parent / "gunicorn"
BOOT_TIMEOUT = 120  # seconds; a loaded 2-core machine boots a Dash worker slowly


def wait_for(condition: Callable[[], object], timeout: float, what: str) -> object:
    deadline = time.monotonic() + timeout
    while True:
        value = condition()
        if value:
            return value
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out after {timeout:.0f} s waiting for {what}")
        time.sleep(0.1)  # polling interval, not a wait for an outcome


def project_env(project: Path) -> dict[str, str]:
    """The environment a server process of `project` (shop_project) runs with."""
    settings = settings_for(project)
    return {
        **os.environ,
        "PYTHONPATH": str(ROOT),
        "NORTHSTAR_SETTINGS": str(project / "none.toml"),
        "NORTHSTAR_METRICS": str(settings.metrics),
        "NORTHSTAR_SERVING_DIR": str(settings.serving_dir),
        "NORTHSTAR_AS_OF": settings.as_of,
    }


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@pytest.fixture
def project(tmp_path: Path) -> Path:
    return make_project(tmp_path)


class Gunicorn:
    def __init__(self, project: Path, shipped_config: bool = False) -> None:
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.log = project / "gunicorn.log"
        env = project_env(project)
        cmd = [str(GUNICORN), "-w", "1", "-b", f"127.0.0.1:{self.port}", "--timeout", "120"]
        cmd.append("--no-control-socket")  # one per user by default: parallel tests would share it
        if shipped_config:  # the project's gunicorn.conf.py: gthread, preload (a restart is a fork)
            cmd += ["-c", str(ROOT / "gunicorn.conf.py")]
        self.proc = subprocess.Popen(
            [*cmd, "app:create_server()"],
            cwd=project,
            env=env,
            stdout=self.log.open("w"),
            stderr=subprocess.STDOUT,
        )
        self.fetch = http_fetch(self.url)

    def worker(self) -> int | None:
        children = psutil.Process(self.proc.pid).children()
        return children[0].pid if len(children) == 1 else None

    def answers_200(self) -> bool:
        if self.proc.poll() is not None:
            raise AssertionError(f"gunicorn exited:\n{self.log.read_text()}")
        try:
            return self.fetch("/", None)[0] == 200
        except OSError:
            return False

    def wait_ready(self) -> None:
        wait_for(self.answers_200, BOOT_TIMEOUT, f"gunicorn on {self.url}:\n{self.log}")

    def restart_worker(self, how: str) -> None:
        """Kill the worker (or HUP the master) and wait for a new worker that answers."""
        old = self.worker()
        assert old is not None
        if how == "kill worker":
            os.kill(old, signal.SIGKILL)
        else:
            os.kill(self.proc.pid, signal.SIGHUP)
        wait_for(lambda: self.worker() not in (None, old), BOOT_TIMEOUT, "a new worker")
        self.wait_ready()

    def stop(self) -> None:
        stop_gunicorn(self.proc)


def stop_gunicorn(proc: subprocess.Popen) -> None:
    """Quick shutdown (TERM waits for the workers); on a busy machine a worker may not be done
    within 30 s, and a test's clean-up then kills it rather than failing the test."""
    proc.send_signal(signal.SIGINT)
    try:
        proc.wait(30)
    except subprocess.TimeoutExpired:
        proc.kill()
        proc.wait(10)


@pytest.fixture
def gunicorn(project: Path) -> Iterator[Callable[[], Gunicorn]]:
    started: list[Gunicorn] = []

    def start(shipped_config: bool = False) -> Gunicorn:
        started.append(Gunicorn(project, shipped_config))
        started[-1].wait_ready()
        return started[-1]

    yield start
    for server in started:
        server.stop()


def page_text(answers: list[Answer]) -> str:
    return " ".join(a.readable for a in answers)


@pytest.mark.parametrize("config", ["plain", "shipped"])
@pytest.mark.parametrize("how", ["kill worker", "HUP master"])
def test_invalid_spec_and_worker_restart_keep_the_site_up(project, gunicorn, how, config):
    version = publish(project)
    server = gunicorn(shipped_config=config == "shipped")
    line = break_spec(project)
    server.restart_worker(how)
    answers = render(server.fetch, "/")
    assert all(a.status == 200 for a in answers), [(a.what, a.status) for a in answers]
    banner = callback(server.fetch, "problems-banner.children").readable
    assert f"metrics.yml:{line}" in banner and version in banner, banner
    overview = page_text([a for a in answers if a.what == "overview-body.children"])
    assert "Orders" in overview and "invalid" not in overview
    assert str(project) not in page_text(answers) + banner
    assert "Shutting down" not in server.log.read_text()


def test_damaged_snapshot_at_boot_serves_the_previous_one(project, gunicorn):
    good = publish(project)
    bad = publish_damaged(project)
    server = gunicorn()
    answers = render(server.fetch, "/")
    assert all(a.status == 200 for a in answers)
    assert good in callback(server.fetch, "freshness-badge.children").readable
    banner = callback(server.fetch, "problems-banner.children").readable
    assert f"{bad} cannot be served" in banner
    assert "not a valid DuckDB database file" in banner and "nother process" not in banner
