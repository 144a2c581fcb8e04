"""Sign-in on a small Flask server with the same install as the dashboard's (auth.web): the
sign-in form, cookies, the sign-in limit, sessions that end when an account changes, role
checks on writes, the sign-in proxy, and password hashes that never reach a log or a page."""

from __future__ import annotations

import logging
from datetime import timedelta
from pathlib import Path

import pytest
from flask import Flask
from sign_in_client import csrf_header, sign_in
from sqlalchemy import select, update

from appdb import AppDb, AuditEntry, User, audit
from appdb.models import utc_now
from auth import current_principal, current_scope, require_role
from auth.accounts import add_user, remove_user, set_disabled, set_password, set_role
from auth.web import install_sign_in
from settings import Settings

PASSWORD = "correct horse battery"
NOTES_OUTPUT = frozenset()


def tiny_server(settings: Settings) -> Flask:
    """A page, a write that needs an editor, and sign-in installed as the dashboard does."""
    server = Flask("tiny")

    @server.get("/")
    def home() -> str:
        who = current_principal()
        return f"<p>hello {who.name} ({who.role}) scope={current_scope()}</p>"

    @server.post("/notes")
    @require_role("editor")
    def add_note() -> str:
        state = server.extensions.get("northstar.sign_in")  # None with sign-in off
        if state is not None:
            with state.db.session() as session:
                audit(session, current_principal().name, "note added", "weekly review")
        return "saved"

    install_sign_in(server, settings, NOTES_OUTPUT)
    return server


@pytest.fixture
def settings(app_db_url: str) -> Settings:
    return Settings(auth="password", app_db=app_db_url, login_attempts=3)


@pytest.fixture
def db(settings: Settings):  # type: ignore[no-untyped-def]
    database = AppDb(settings.app_db)
    database.upgrade()
    add_user(database, "vera", PASSWORD, "viewer", by="test", scope={"region": ["South"]})
    add_user(database, "eddie", PASSWORD, "editor", by="test")
    yield database
    database.close()


@pytest.fixture
def server(settings: Settings, db: AppDb) -> Flask:
    return tiny_server(settings)


def actions(db: AppDb) -> list[tuple[str, str]]:
    with db.session() as session:
        return [
            (e.who, e.action) for e in session.scalars(select(AuditEntry).order_by(AuditEntry.id))
        ]


def test_signing_in_opens_the_page_asked_for(server: Flask, db: AppDb) -> None:
    client = server.test_client()
    answer = client.get("/?grain=week")
    assert answer.status_code == 302
    assert answer.headers["Location"] == "/login?next=/%3Fgrain%3Dweek"
    done = sign_in(client, "vera", PASSWORD, next_path="/%3Fgrain%3Dweek")
    assert done.status_code == 302 and done.headers["Location"] == "/?grain=week"
    page = client.get("/").get_data(as_text=True)
    assert "hello vera (viewer) scope={'region': ['South']}" in page
    assert actions(db)[-1] == ("vera", "sign-in")


def test_wrong_password_and_unknown_name_get_the_same_answer(server: Flask, db: AppDb) -> None:
    client = server.test_client()
    wrong = sign_in(client, "vera", "not her password")
    nobody = sign_in(client, "nobody", "whatever it is")
    for answer in (wrong, nobody):
        assert answer.status_code == 401
        assert "Wrong name or password." in answer.get_data(as_text=True)
    assert client.get("/").status_code == 302
    assert actions(db)[-2:] == [("vera", "sign-in failed"), ("nobody", "sign-in failed")]


def test_next_never_leaves_the_site(server: Flask) -> None:
    for target in ("//evil.example/", "https://evil.example/", "/\\evil.example"):
        answer = sign_in(server.test_client(), "vera", PASSWORD, next_path=target)
        assert answer.headers["Location"] == "/"


def test_the_sign_in_form_needs_its_token(server: Flask, db: AppDb) -> None:
    client = server.test_client()
    answer = client.post("/login", data={"name": "vera", "password": PASSWORD})
    assert answer.status_code == 400
    assert client.get("/").status_code == 302
    assert ("vera", "sign-in") not in actions(db)


def test_cookies_are_http_only_and_same_site(server: Flask, settings: Settings, db: AppDb) -> None:
    client = server.test_client()
    cookies = sign_in(client, "vera", PASSWORD).headers.getlist("Set-Cookie")
    session = next(c for c in cookies if c.startswith("northstar_session="))
    assert "HttpOnly" in session and "SameSite=Lax" in session and "Secure" not in session
    assert "Expires=" in session  # a permanent session: ends after session_hours
    secure = tiny_server(Settings(**{**vars(settings), "cookie_secure": True})).test_client()
    cookies = sign_in(secure, "vera", PASSWORD).headers.getlist("Set-Cookie")
    session = next(c for c in cookies if c.startswith("northstar_session="))
    assert "Secure" in session
    page = secure.get("/", base_url="https://localhost")
    csrf = next(c for c in page.headers.getlist("Set-Cookie") if c.startswith("_csrf_token="))
    assert "Secure" in csrf and "SameSite=Lax" in csrf and "HttpOnly" not in csrf


def test_viewer_write_refused_with_and_without_a_token(server: Flask, db: AppDb) -> None:
    viewer = server.test_client()
    sign_in(viewer, "vera", PASSWORD)
    assert viewer.post("/notes").status_code == 400  # no token: refused before the role check
    refused = viewer.post("/notes", headers=csrf_header(viewer))
    assert refused.status_code == 403
    assert "editor" in refused.get_data(as_text=True)
    editor = server.test_client()
    sign_in(editor, "eddie", PASSWORD)
    assert editor.post("/notes").status_code == 400
    assert editor.post("/notes", headers=csrf_header(editor)).status_code == 200
    notes = [a for a in actions(db) if a[1] == "note added"]
    assert notes == [("eddie", "note added")]


def test_a_token_from_another_session_is_refused(server: Flask) -> None:
    vera, eddie = server.test_client(), server.test_client()
    sign_in(vera, "vera", PASSWORD)
    sign_in(eddie, "eddie", PASSWORD)
    assert eddie.post("/notes", headers=csrf_header(vera)).status_code == 400


def test_sign_in_limit_counts_failures_per_address_and_per_name(server: Flask, db: AppDb) -> None:
    client = server.test_client()
    for _ in range(3):
        assert sign_in(client, "vera", "wrong password", "10.0.0.5").status_code == 401
    # The limit is reached: even the right password is not checked from that address…
    limited = sign_in(client, "eddie", PASSWORD, "10.0.0.5")
    assert limited.status_code == 429
    assert "Too many failed sign-ins" in limited.get_data(as_text=True)
    # …nor for that name from elsewhere; another name from elsewhere is fine.
    assert sign_in(server.test_client(), "vera", PASSWORD, "10.0.0.6").status_code == 429
    assert sign_in(server.test_client(), "eddie", PASSWORD, "10.0.0.6").status_code == 302
    refused = [a for a in actions(db) if a[1] == "sign-in refused"]
    assert refused == [("eddie", "sign-in refused"), ("vera", "sign-in refused")]
    # Once the failures are older than the window, vera may try again.
    with db.session() as session:
        session.execute(update(AuditEntry).values(at=utc_now() - timedelta(minutes=16)))
    assert sign_in(server.test_client(), "vera", PASSWORD, "10.0.0.5").status_code == 302


@pytest.mark.parametrize(
    "change",
    [
        lambda db: remove_user(db, "vera", "test"),
        lambda db: set_password(db, "vera", "a brand new password", "test"),
        lambda db: set_disabled(db, "vera", True, "test"),
    ],
    ids=["removed", "new password", "disabled"],
)
def test_an_account_change_ends_its_open_sessions(server: Flask, db: AppDb, change) -> None:  # type: ignore[no-untyped-def]
    client = server.test_client()
    sign_in(client, "vera", PASSWORD)
    assert client.get("/").status_code == 200
    change(db)
    assert client.get("/").status_code == 302


def test_a_role_change_counts_on_the_next_request(server: Flask, db: AppDb) -> None:
    client = server.test_client()
    sign_in(client, "vera", PASSWORD)
    assert client.post("/notes", headers=csrf_header(client)).status_code == 403
    set_role(db, "vera", "editor", "test")
    assert client.post("/notes", headers=csrf_header(client)).status_code == 200


def test_sign_out_ends_the_session_and_is_audited(server: Flask, db: AppDb) -> None:
    client = server.test_client()
    sign_in(client, "vera", PASSWORD)
    token = csrf_header(client)["X-CSRFToken"]  # the session's token, as the header's form has
    assert client.post("/logout", data={"csrf_token": token}).headers["Location"] == "/login"
    assert client.get("/").status_code == 302
    assert actions(db)[-1] == ("vera", "sign-out")


def test_sign_out_needs_its_token(server: Flask) -> None:
    client = server.test_client()
    sign_in(client, "vera", PASSWORD)
    assert client.post("/logout").status_code == 400  # another site cannot sign you out
    assert client.get("/").status_code == 200


def test_password_hashes_never_reach_logs_pages_or_reprs(
    server: Flask, db: AppDb, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)
    client = server.test_client()
    bodies = [sign_in(client, "vera", "wrong password").get_data(as_text=True)]
    bodies.append(sign_in(client, "vera", PASSWORD).get_data(as_text=True))
    bodies.append(client.get("/").get_data(as_text=True))
    set_password(db, "eddie", "another good password", "test")
    with db.session() as session:
        users = list(session.scalars(select(User)))
        hashes = [u.password_hash for u in users]
        reprs = [repr(u) for u in users]
    assert all(h and h.startswith("$argon2id$") for h in hashes)
    seen = "\n".join([caplog.text, *bodies, *reprs, *(repr(e) for e in actions(db))])
    assert "$argon2" not in seen
    assert not any(h[-20:] in seen for h in hashes)


# -- the sign-in proxy ------------------------------------------------------------------------


@pytest.fixture
def proxied(app_db_url: str) -> tuple[Flask, AppDb]:
    settings = Settings(auth="proxy", app_db=app_db_url, proxy_addresses="10.1.0.0/16, ::1")
    server = tiny_server(settings)
    return server, server.extensions["northstar.sign_in"].db


def test_proxy_header_is_believed_only_from_the_proxy(proxied) -> None:  # type: ignore[no-untyped-def]
    server, db = proxied
    client = server.test_client()
    via_proxy = {"REMOTE_ADDR": "10.1.2.3"}
    headers = {"X-Forwarded-User": "pat", "X-Forwarded-Email": "pat@example.com"}
    page = client.get("/", headers=headers, environ_base=via_proxy)
    assert page.status_code == 200 and "hello pat (viewer)" in page.get_data(as_text=True)
    client.get("/", headers=headers, environ_base=via_proxy)  # same session: one sign-in entry
    assert actions(db) == [("proxy", "user added"), ("pat", "sign-in")]
    with db.session() as session:
        assert session.scalars(select(User.email).where(User.name == "pat")).one() == (
            "pat@example.com"
        )
    direct = server.test_client().get(
        "/", headers=headers, environ_base={"REMOTE_ADDR": "10.9.9.9"}
    )
    assert direct.status_code == 403
    assert "sign-in proxy" in direct.get_data(as_text=True)
    nameless = server.test_client().get("/", environ_base=via_proxy)
    assert nameless.status_code == 401 and "X-Forwarded-User" in nameless.get_data(as_text=True)
    assert server.test_client().get("/login", environ_base=via_proxy).status_code != 200


def test_proxy_users_write_with_their_role_and_a_token(proxied) -> None:  # type: ignore[no-untyped-def]
    server, db = proxied
    client = server.test_client()
    env, headers = {"REMOTE_ADDR": "::1"}, {"X-Forwarded-User": "pat"}
    client.get("/", headers=headers, environ_base=env)
    token = csrf_header(client, headers=headers, environ_base=env)
    assert client.post("/notes", headers=headers, environ_base=env).status_code == 400
    assert client.post("/notes", headers={**headers, **token}, environ_base=env).status_code == 403
    set_role(db, "pat", "editor", "test")
    assert client.post("/notes", headers={**headers, **token}, environ_base=env).status_code == 200
    set_disabled(db, "pat", True, "test")
    assert client.get("/", headers=headers, environ_base=env).status_code == 403


def test_proxy_without_a_default_role_admits_only_added_users(app_db_url: str) -> None:
    settings = Settings(auth="proxy", app_db=app_db_url, proxy_role="")
    server = tiny_server(settings)
    env = {"REMOTE_ADDR": "127.0.0.1"}
    stranger = server.test_client().get("/", headers={"X-Forwarded-User": "sam"}, environ_base=env)
    assert stranger.status_code == 403
    assert "northstar users add sam --proxy" in stranger.get_data(as_text=True)
    db = server.extensions["northstar.sign_in"].db
    add_user(db, "sam", None, "viewer", by="test")
    known = server.test_client().get("/", headers={"X-Forwarded-User": "sam"}, environ_base=env)
    assert known.status_code == 200


@pytest.mark.parametrize(
    ("values", "says"),
    [
        ({"auth": "ldap"}, "NORTHSTAR_AUTH must be one of off, password, proxy"),
        ({"auth": "proxy", "proxy_addresses": "10.0.0.0/33"}, "NORTHSTAR_PROXY_ADDRESSES"),
        ({"auth": "proxy", "proxy_role": "owner"}, "unknown role 'owner'"),
        ({"auth": "password", "secret_key": "short"}, "NORTHSTAR_SECRET_KEY is too short"),
    ],
)
def test_bad_sign_in_settings_stop_the_start(tmp_path: Path, values: dict, says: str) -> None:
    settings = Settings(app_db=f"sqlite:///{tmp_path / 'app.db'}", **values)
    with pytest.raises(ValueError, match=says):
        tiny_server(settings)


def test_sign_in_off_touches_no_database(tmp_path: Path) -> None:
    server = tiny_server(Settings(app_db=f"sqlite:///{tmp_path / 'app.db'}"))
    page = server.test_client().get("/")
    assert page.status_code == 200 and "hello anonymous (admin)" in page.get_data(as_text=True)
    assert server.test_client().post("/notes").status_code == 200  # as before sign-in existed
    assert not (tmp_path / "app.db").exists()


def test_every_worker_signs_with_the_same_kept_key(app_db_url: str) -> None:
    settings = Settings(auth="password", app_db=app_db_url)
    one, two = tiny_server(settings), tiny_server(settings)
    assert one.config["SECRET_KEY"] == two.config["SECRET_KEY"]
    assert len(one.config["SECRET_KEY"]) == 64
