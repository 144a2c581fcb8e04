"""Sign-in on the real dashboard (Flask test client, a tiny fixture snapshot): every URL the
Flask app routes and every callback Dash registered, crawled from the app itself rather than
listed by hand, is refused without a session; callbacks need the CSRF token; a viewer's write is
refused; cached views are not a way round the gate; meeting-room screens see review mode only
and stop working the moment they are revoked."""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from pathlib import Path

import pytest
from browser.fixture_shop import AS_OF, SPEC, build_shop
from dash import Input, Output
from page_client import _payload, join_warm_ups, register_page_callbacks, render
from sign_in_client import csrf_header, sign_in
from sqlalchemy import select

from appdb import AppDb, AuditEntry, audit
from auth import current_principal, require_role
from auth.accounts import add_user
from auth.gate import RELOAD_HEADER
from auth.screens import add_screen, revoke_screen
from settings import Settings

PASSWORD = "correct horse battery"
WRITE = "test-note.children"  # a write as alerts and OKRs will add them: editors only
UPDATE = "/_dash-update-component"
# Example values for the URL rules' variables; the gate answers before any view reads them.
RULE_VALUES = {
    "path": "metric/revenue",
    "filename": "northstar.css",
    "package_name": "dash",
    "week": "2026-W11",
}


@pytest.fixture(scope="module")
def dash_app(tmp_path_factory: pytest.TempPathFactory) -> Iterator:  # type: ignore[type-arg]
    from dashboard.server import create_dash

    folder = tmp_path_factory.mktemp("signed")
    register_page_callbacks()
    serving = build_shop(folder / "shop")
    settings = Settings(
        metrics=SPEC,
        serving_dir=serving,
        as_of=AS_OF.isoformat(),
        auth="password",
        app_db=f"sqlite:///{folder / 'app.db'}",
    )
    app = create_dash(settings)

    @app.callback(
        Output("test-note", "children"),
        Input("test-note-save", "n_clicks"),
        prevent_initial_call=True,
    )
    @require_role("editor")
    def save_note(clicks: int | None) -> str:
        with app.server.extensions["northstar.sign_in"].db.session() as session:
            audit(session, current_principal().name, "note added", "weekly review")
        return "saved"

    db = AppDb(settings.app_db)
    add_user(db, "vera", PASSWORD, "viewer", by="test")
    add_user(db, "eddie", PASSWORD, "editor", by="test")
    yield app
    join_warm_ups()
    app.server.extensions["northstar"].close()
    db.close()


@pytest.fixture(scope="module")
def db(dash_app) -> AppDb:  # type: ignore[no-untyped-def]
    return dash_app.server.extensions["northstar.sign_in"].db


def signed_in(dash_app, name: str):  # type: ignore[no-untyped-def]
    client = dash_app.server.test_client()
    assert sign_in(client, name, PASSWORD).status_code == 302
    return client


def callback_payloads(dash_app) -> dict[str, dict]:  # type: ignore[no-untyped-def]
    """A request body for every callback the app registered (inputs unset, as on first load)."""
    return {
        output: _payload({"output": output, "inputs": cb["inputs"], "state": cb["state"]}, {})
        for output, cb in dash_app.callback_map.items()
    }


def rule_urls(dash_app) -> list[tuple[str, str]]:  # type: ignore[no-untyped-def]
    """(method, URL) for every rule of the Flask app, variables filled with example values."""
    urls = []
    for rule in dash_app.server.url_map.iter_rules():
        if rule.endpoint.startswith("sign_in."):
            continue  # the sign-in page and screen links are the only open doors
        url = re.sub(r"<(?:[^:<>]+:)?([^<>]+)>", lambda m: RULE_VALUES.get(m[1], "x"), rule.rule)
        urls.append(("GET" if "GET" in rule.methods else "POST", url))
    return sorted(urls)


def fetcher(client, headers: dict | None = None):  # type: ignore[no-untyped-def]
    def fetch(path: str, body: dict | None) -> tuple[int, str]:
        if body is None:
            answer = client.get(path)
        else:
            answer = client.post(path, json=body, headers=headers or {})
        return answer.status_code, answer.get_data(as_text=True)

    return fetch


def test_the_crawl_finds_the_dashboards_routes_and_callbacks(dash_app) -> None:  # type: ignore[no-untyped-def]
    urls = {url for _, url in rule_urls(dash_app)}
    assert {"/", "/metric/revenue", "/_dash-layout", "/_dash-dependencies", UPDATE} <= urls
    assert "/report/2026-W11.pdf" in urls  # the weekly report's download
    assert len(urls) >= 9
    payloads = callback_payloads(dash_app)
    assert len(payloads) >= 25 and WRITE in payloads
    assert "review-slide.children" in payloads


def test_every_url_is_refused_without_a_session(dash_app) -> None:  # type: ignore[no-untyped-def]
    client = dash_app.server.test_client()
    answers = {}
    for method, url in rule_urls(dash_app):
        answer = client.open(url, method=method, json={} if method == "POST" else None)
        answers[url] = (answer.status_code, answer.headers.get("Location", ""))
    opened = {url: a for url, a in answers.items() if a[0] not in (302, 401)}
    assert opened == {}
    assert all(loc.startswith("/login?next=") for status, loc in answers.values() if status == 302)


def test_every_callback_is_refused_without_a_session(dash_app) -> None:  # type: ignore[no-untyped-def]
    client = dash_app.server.test_client()
    client.get("/login")  # a session with a CSRF token but nobody signed in
    token = {"X-CSRFToken": client.get_cookie("_csrf_token").value}
    for headers in ({}, token):
        answers = {
            output: client.post(UPDATE, json=body, headers=headers)
            for output, body in callback_payloads(dash_app).items()
        }
        assert {o: a.status_code for o, a in answers.items() if a.status_code != 401} == {}
        # The open page reloads (assets/reload_when_refused.js) and meets the sign-in page.
        assert {o for o, a in answers.items() if a.headers.get(RELOAD_HEADER) != "1"} == set()


def test_every_callback_needs_the_csrf_token(dash_app) -> None:  # type: ignore[no-untyped-def]
    client = signed_in(dash_app, "vera")
    answers = {
        output: client.post(UPDATE, json=body)
        for output, body in callback_payloads(dash_app).items()
    }
    assert {o: a.status_code for o, a in answers.items() if a.status_code != 400} == {}
    # Still signed in: the page stays and shows the refusal instead of reloading.
    assert {o for o, a in answers.items() if RELOAD_HEADER in a.headers} == set()


def test_a_signed_in_viewer_reads_every_page(dash_app) -> None:  # type: ignore[no-untyped-def]
    client = signed_in(dash_app, "vera")
    fetch = fetcher(client, csrf_header(client))
    for path in ("/", "/metric/orders", "/tree", "/catalog", "/review", "/drivers"):
        failed = [(a.what, a.status) for a in render(fetch, path) if a.status != 200]
        assert failed == [], path
    layout = json.dumps(
        json.loads(client.get("/_dash-layout").get_data(as_text=True)), ensure_ascii=False
    )
    assert "vera · viewer" in layout and '"action": "/logout"' in layout


def test_a_signed_in_viewer_downloads_the_weekly_report(dash_app) -> None:  # type: ignore[no-untyped-def]
    assert dash_app.server.test_client().get("/report/2026-W11.pdf").status_code == 302
    answer = signed_in(dash_app, "vera").get("/report/2026-W11.pdf")
    assert answer.status_code == 200 and answer.data.startswith(b"%PDF")


def test_a_viewers_write_is_refused_with_and_without_the_token(dash_app, db: AppDb) -> None:  # type: ignore[no-untyped-def]
    body = callback_payloads(dash_app)[WRITE]
    body["inputs"][0]["value"] = 1
    viewer = signed_in(dash_app, "vera")
    assert viewer.post(UPDATE, json=body).status_code == 400
    refused = viewer.post(UPDATE, json=body, headers=csrf_header(viewer))
    assert refused.status_code == 403 and RELOAD_HEADER not in refused.headers
    assert "editor" in json.loads(refused.get_data(as_text=True))["message"]
    editor = signed_in(dash_app, "eddie")
    assert editor.post(UPDATE, json=body).status_code == 400
    done = editor.post(UPDATE, json=body, headers=csrf_header(editor))
    assert done.status_code == 200 and "saved" in done.get_data(as_text=True)
    with db.session() as session:
        notes = session.scalars(select(AuditEntry.who).where(AuditEntry.action == "note added"))
        assert list(notes) == ["eddie"]


def test_a_cached_view_is_not_answered_without_a_session(dash_app) -> None:  # type: ignore[no-untyped-def]
    viewer = signed_in(dash_app, "vera")
    headers = csrf_header(viewer)
    answers = render(fetcher(viewer, headers), "/review")
    slide = next(a for a in answers if a.what == "review-slide.children")
    assert slide.status == 200 and "review-value" in slide.text
    body = callback_payloads(dash_app)["review-slide.children"]
    warm = viewer.post(UPDATE, json=_review_body(body), headers=headers)
    assert warm.status_code == 200  # now in the view cache
    stranger = dash_app.server.test_client()
    assert stranger.post(UPDATE, json=_review_body(body)).status_code == 401


def _review_body(body: dict) -> dict:
    body = json.loads(json.dumps(body))
    for item in body["inputs"]:
        item["value"] = 0 if item["property"] == "n_intervals" else "/review?interval=600"
    return body


# -- meeting-room screens ---------------------------------------------------------------------


def test_a_screen_link_shows_review_mode_until_revoked(dash_app, db: AppDb) -> None:  # type: ignore[no-untyped-def]
    screen, token = add_screen(db, "Boardroom TV", by="test")
    tv = dash_app.server.test_client()
    opened = tv.get(f"/screen/{token}?slides=nsm,why&interval=30")
    assert opened.status_code == 302
    assert opened.headers["Location"] == "/review?slides=nsm,why&interval=30"
    headers = csrf_header(tv)
    answers = render(fetcher(tv, headers), "/review", "?slides=nsm,why&interval=30")
    assert [(a.what, a.status) for a in answers if a.status != 200] == []
    assert "review-value" in next(a for a in answers if a.what == "review-slide.children").text

    # Review mode only: other pages send the TV back, their callbacks are refused.
    assert tv.get("/tree").headers["Location"] == "/review"
    payloads = callback_payloads(dash_app)
    for output in ("overview-body.children", "catalog-body.children", WRITE):
        assert tv.post(UPDATE, json=payloads[output], headers=headers).status_code == 403
    router = ".._pages_content.children..._pages_store.data.."
    elsewhere = json.loads(json.dumps(payloads[router]))
    for item in elsewhere["inputs"]:
        if item["property"] == "pathname":
            item["value"] = "/metric/revenue"
    assert tv.post(UPDATE, json=elsewhere, headers=headers).status_code == 403

    # A TV off overnight: its session cookie expired, the screen's remember cookie brings it back.
    tv.delete_cookie("northstar_session")
    assert tv.get("/review").status_code == 200
    headers = csrf_header(tv)
    assert (
        tv.post(
            UPDATE, json=_review_body(payloads["review-slide.children"]), headers=headers
        ).status_code
        == 200
    )

    revoke_screen(db, screen.id, by="test")
    slide = tv.post(UPDATE, json=_review_body(payloads["review-slide.children"]), headers=headers)
    assert slide.status_code == 403 and slide.headers.get(RELOAD_HEADER) == "1"
    page = tv.get("/review")
    assert page.status_code == 403 and "revoked" in page.get_data(as_text=True)
    tv.delete_cookie("northstar_session")
    after_restart = tv.get("/review")
    assert after_restart.status_code == 403 and "revoked" in after_restart.get_data(as_text=True)
    again = dash_app.server.test_client().get(f"/screen/{token}")
    assert again.status_code == 404
    with db.session() as session:
        entries = [(e.who, e.action) for e in session.scalars(select(AuditEntry))]
    assert ("test", "screen added") in entries and ("test", "screen revoked") in entries
    assert (f"screen #{screen.id}", "screen opened") in entries


def test_a_made_up_screen_link_is_refused(dash_app) -> None:  # type: ignore[no-untyped-def]
    client = dash_app.server.test_client()
    assert client.get("/screen/not-a-real-token-at-all-123456").status_code == 404
    assert client.get("/review").status_code == 302


def test_screen_links_are_kept_out_of_request_logs(
    dash_app, caplog: pytest.LogCaptureFixture
) -> None:  # type: ignore[no-untyped-def]
    import logging

    caplog.set_level(logging.INFO)
    token = "Zm9vYmFyYmF6cXV4cXV1eHF1dXhxdXV4cXV1eA"
    logging.getLogger("werkzeug").info(
        '%s - - [date] "%s" %s -', "127.0.0.1", f"GET /screen/{token}?slides=nsm HTTP/1.1", 302
    )
    assert "/screen/…?slides=nsm" in caplog.text and token not in caplog.text


def test_no_database_file_is_made_with_sign_in_off(tmp_path: Path) -> None:
    from dashboard.server import create_dash

    app_db = tmp_path / "app.db"
    register_page_callbacks()
    app = create_dash(
        Settings(serving_dir=tmp_path / "serving", app_db=f"sqlite:///{app_db}"),
        refuse_invalid_spec=False,
    )
    assert app.server.test_client().get("/").status_code == 200
    assert not app_db.exists()
    app.server.extensions["northstar"].close()
