"""Sign-in under a real gunicorn with the shipped gunicorn.conf.py: it refuses to listen on
0.0.0.0 with sign-in off; with sign-in on, a session made by one worker is honoured by the
others, and a revoked screen link is refused by every worker on its very next request."""

from __future__ import annotations

import re
import subprocess
from pathlib import Path

import pytest
import requests
from shop_project import make_project, publish
from test_gunicorn_faults import (
    BOOT_TIMEOUT,
    GUNICORN,
    ROOT,
    free_port,
    project_env,
    stop_gunicorn,
    wait_for,
)

from appdb import AppDb
from auth.accounts import add_user
from auth.screens import add_screen, revoke_screen

PASSWORD = "correct horse battery"
SLIDE = "review-slide.children"


def gunicorn(project: Path, bind: str, extra_env: dict[str, str], workers: int = 2):  # type: ignore[no-untyped-def]
    env = {**project_env(project), "WEB_CONCURRENCY": str(workers), **extra_env}
    cmd = [str(GUNICORN), "-c", str(ROOT / "gunicorn.conf.py"), "-b", bind]
    cmd += ["--no-control-socket", "app:create_server()"]
    log = (project / "gunicorn.log").open("w")
    return subprocess.Popen(cmd, cwd=project, env=env, stdout=log, stderr=subprocess.STDOUT)


def test_gunicorn_refuses_a_public_address_with_sign_in_off(tmp_path: Path) -> None:
    project = make_project(tmp_path)
    proc = gunicorn(project, f"0.0.0.0:{free_port()}", {"NORTHSTAR_AUTH": "off"})
    assert proc.wait(BOOT_TIMEOUT) != 0
    log = (project / "gunicorn.log").read_text()
    assert "refusing to listen on 0.0.0.0:" in log and "NORTHSTAR_AUTH=password" in log
    assert "Listening at" not in log


@pytest.fixture
def signed_gunicorn(tmp_path: Path):  # type: ignore[no-untyped-def]
    project = make_project(tmp_path)
    publish(project)
    app_db = f"sqlite:///{project / 'data' / 'app.db'}"
    db = AppDb(app_db)
    db.upgrade()
    add_user(db, "vera", PASSWORD, "viewer", by="test")
    port = free_port()
    proc = gunicorn(
        project, f"127.0.0.1:{port}", {"NORTHSTAR_AUTH": "password", "NORTHSTAR_APP_DB": app_db}
    )
    url = f"http://127.0.0.1:{port}"

    def up() -> bool:
        if proc.poll() is not None:
            raise AssertionError((project / "gunicorn.log").read_text())
        try:
            return requests.get(url + "/login", timeout=10).status_code == 200
        except requests.ConnectionError:
            return False

    wait_for(up, BOOT_TIMEOUT, f"gunicorn on {url}")
    yield url, db
    stop_gunicorn(proc)
    db.close()


def _slide_request(session: requests.Session, url: str) -> int:
    body = {
        "output": SLIDE,
        "outputs": {"id": "review-slide", "property": "children"},
        "inputs": [
            {"id": "review-tick", "property": "n_intervals", "value": 0},
            {"id": "review-view", "property": "data", "value": "/review?interval=600"},
        ],
        "changedPropIds": ["review-tick.n_intervals"],
    }
    headers = {"X-CSRFToken": session.cookies.get("_csrf_token", "")}
    return session.post(
        url + "/_dash-update-component", json=body, headers=headers, timeout=120
    ).status_code


def test_sessions_and_screen_revocation_hold_in_every_worker(signed_gunicorn) -> None:  # type: ignore[no-untyped-def]
    url, db = signed_gunicorn
    person = requests.Session()
    token = re.search(r'name="csrf_token" value="([^"]+)"', person.get(url + "/login").text)[1]
    signed = person.post(
        url + "/login",
        data={"name": "vera", "password": PASSWORD, "csrf_token": token},
        allow_redirects=False,
    )
    assert signed.status_code == 302
    person.get(url + "/review", timeout=60)  # the page load that hands Dash its CSRF cookie
    # Two workers of four threads: many requests reach both; every one knows the session.
    assert {_slide_request(person, url) for _ in range(12)} == {200}

    screen, link = add_screen(db, "Boardroom TV", by="test")
    tv = requests.Session()
    assert tv.get(f"{url}/screen/{link}", timeout=60).status_code == 200  # → /review
    assert {_slide_request(tv, url) for _ in range(6)} == {200}
    revoke_screen(db, screen.id, by="test")
    assert {_slide_request(tv, url) for _ in range(12)} == {403}
    assert _slide_request(person, url) == 200
