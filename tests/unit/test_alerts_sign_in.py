"""Alert writes with sign-in on (Flask test client, signed in through the real form): a viewer is
refused in words and nothing changes, an editor's acknowledgement and silence are recorded and
audited under their name, a request without the CSRF token never reaches the write, and an
account limited to part of the data does not see company-wide alert values."""

from __future__ import annotations

import json
from collections.abc import Iterator

import pytest
from alert_seed import NOW, RULES, seed_board
from browser.fixture_shop import AS_OF, SPEC, build_shop
from page_client import join_warm_ups, register_page_callbacks, render
from sign_in_client import csrf_header, sign_in
from sqlalchemy import delete, select
from test_alerts_page import button, clicked, fire, key, text_of

from alerts.store import add_silence
from appdb import AppDb, AuditEntry
from appdb.models import AlertEvent, AlertSilence, AlertState, Delivery
from auth.accounts import add_user
from dashboard import alert_rules, app_state
from settings import Settings

PASSWORD = "correct horse battery"


@pytest.fixture(scope="module")
def app(tmp_path_factory: pytest.TempPathFactory) -> Iterator:  # type: ignore[type-arg]
    from dashboard.server import create_dash

    folder = tmp_path_factory.mktemp("alerts-signed")
    register_page_callbacks()
    settings = Settings(
        metrics=SPEC,
        serving_dir=build_shop(folder / "shop"),
        as_of=AS_OF.isoformat(),
        auth="password",
        app_db=f"sqlite:///{folder / 'app.db'}",
    )
    dash_app = create_dash(settings)
    dash_app.server.extensions[app_state.CLOCK] = lambda: NOW
    db = AppDb(settings.app_db)
    add_user(db, "vera", PASSWORD, "viewer", by="test")
    add_user(db, "eddie", PASSWORD, "editor", by="test")
    add_user(db, "sam", PASSWORD, "editor", by="test", scope={"region": ["south"]})
    db.close()
    yield dash_app
    join_warm_ups()
    dash_app.server.extensions["northstar"].close()


@pytest.fixture
def db(app, monkeypatch: pytest.MonkeyPatch) -> Iterator[AppDb]:  # type: ignore[no-untyped-def]
    """The database sign-in opened, seeded afresh for each test (users and audit kept apart)."""
    monkeypatch.setattr(alert_rules, "load_rules", lambda metrics, spec, sources=None: RULES)
    database = app.server.extensions["northstar.sign_in"].db
    with database.session() as s:
        for table in (AlertState, AlertEvent, AlertSilence, Delivery):
            s.execute(delete(table))
        s.execute(delete(AuditEntry).where(AuditEntry.action.like("alert.%")))
    seed_board(database)
    return database


def signed_in(app, name: str):  # type: ignore[no-untyped-def]
    client = app.server.test_client()
    assert sign_in(client, name, PASSWORD).status_code == 302
    return client, csrf_header(client)


def alert_audit(db: AppDb) -> list[tuple[str, str]]:
    with db.session() as s:
        query = select(AuditEntry).where(AuditEntry.action.like("alert.%")).order_by(AuditEntry.id)
        return [(a.who, a.action) for a in s.scalars(query)]


def test_a_viewer_is_refused_in_words_and_nothing_changes(app, db: AppDb) -> None:  # type: ignore[no-untyped-def]
    client, headers = signed_in(app, "vera")
    target = key("orders_below_target", "")
    status, text = fire(
        client, "alert-ack-open", clicked("alert-ack-open", target), headers=headers
    )
    answer = json.loads(text)["response"]
    assert status == 200 and "alert-ack-modal" not in answer  # the form does not open
    assert "You are signed in as vera (viewer)" in text
    assert "needs the editor role" in text and "northstar users set-role vera editor" in text
    # a request made by hand, past the form, is refused the same way
    state = {"alert-ack-target": ["orders_below_target", ""], "alert-ack-comment": "mine now"}
    status, text = fire(client, "alert-ack-confirm", button("alert-ack-confirm"), state, headers)
    assert status == 200 and "needs the editor role" in text
    with db.session() as s:
        silence = add_silence(s, who="ana", now=NOW, ends_at=NOW.replace(hour=9), rule="x")
    end = clicked("alert-silence-end", silence.id)
    status, text = fire(client, "alert-silence-end", end, headers=headers)
    assert "needs the editor role" in text
    with db.session() as s:
        row = s.scalars(select(AlertState).where(AlertState.rule == "orders_below_target")).one()
        assert row.acked_by is None
        assert s.get(AlertSilence, silence.id).ended_by is None
    assert alert_audit(db) == [("ana", "alert.silence")]
    page = " ".join(text_of(a) for a in render(flask_fetch_with(client, headers), "/alerts"))
    assert "You can read alerts; acknowledging and silencing need the editor role." in page
    assert "orders_below_target" in page  # viewers read everything


def test_an_editor_acknowledges_and_silences_under_their_name(app, db: AppDb) -> None:  # type: ignore[no-untyped-def]
    client, headers = signed_in(app, "eddie")
    target = key("orders_below_target", "")
    status, text = fire(
        client, "alert-ack-open", clicked("alert-ack-open", target), headers=headers
    )
    assert json.loads(text)["response"]["alert-ack-modal"]["opened"] is True
    state = {"alert-ack-target": ["orders_below_target", ""], "alert-ack-comment": "on it"}
    status, text = fire(client, "alert-ack-confirm", button("alert-ack-confirm"), state, headers)
    assert status == 200 and "Acknowledged orders_below_target." in text
    silence = {
        "alert-silence-target": ["revenue_drop", "platform=ios"],
        "alert-silence-scope": "series",
        "alert-silence-duration": "1 hour",
    }
    fire(client, "alert-silence-confirm", button("alert-silence-confirm"), silence, headers)
    with db.session() as s:
        row = s.scalars(select(AlertState).where(AlertState.rule == "orders_below_target")).one()
        assert (row.acked_by, row.ack_comment) == ("eddie", "on it")
        assert s.scalars(select(AlertSilence.created_by)).all() == ["eddie"]
    assert alert_audit(db) == [("eddie", "alert.ack"), ("eddie", "alert.silence")]


def test_a_write_without_the_form_token_never_runs(app, db: AppDb) -> None:  # type: ignore[no-untyped-def]
    client, _ = signed_in(app, "eddie")
    state = {"alert-ack-target": ["orders_below_target", ""], "alert-ack-comment": "x"}
    status, _ = fire(client, "alert-ack-confirm", button("alert-ack-confirm"), state)
    assert status == 400
    assert alert_audit(db) == []


def test_a_scoped_account_does_not_see_company_wide_alert_values(app, db: AppDb) -> None:  # type: ignore[no-untyped-def]
    client, headers = signed_in(app, "sam")
    answers = render(flask_fetch_with(client, headers), "/alerts")
    assert [a.what for a in answers if a.status != 200] == []
    page = " ".join(text_of(a) for a in answers)
    assert "Alerts are company-wide" in page and "region = south" in page
    assert "orders_below_target" not in page and "7 paid orders" not in page


def flask_fetch_with(client, headers: dict):  # type: ignore[no-untyped-def]
    def fetch(path: str, body: dict | None) -> tuple[int, str]:
        answer = client.get(path) if body is None else client.post(path, json=body, headers=headers)
        return answer.status_code, answer.get_data(as_text=True)

    return fetch
