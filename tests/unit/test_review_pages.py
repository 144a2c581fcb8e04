"""The review record's pages over HTTP (Flask's test client on the real Dash app, the fixture
shop's snapshot): with sign-in on an editor starts a review and writes in it, a viewer's write is
refused with a message and writes nothing, an account limited to some rows does not see the
company's numbers, a meeting-room screen reads the record and cannot write; with sign-in off
writes are recorded as "local"."""

from __future__ import annotations

import json
from collections.abc import Iterator

import pytest
from browser.fixture_shop import AS_OF, SPEC, build_shop
from page_client import _payload, join_warm_ups, register_page_callbacks, render
from sign_in_client import csrf_header, sign_in
from sqlalchemy import select

from appdb import AppDb, AuditEntry
from auth.accounts import add_user
from auth.screens import add_screen
from dashboard import ids
from reviews import IsoWeek, get_review
from settings import Settings

PASSWORD = "correct horse battery"
UPDATE = "/_dash-update-component"
WEEK = "2026-W11"  # the last complete week as of AS_OF


def _app(folder, **settings):  # type: ignore[no-untyped-def]
    from dashboard.server import create_dash

    register_page_callbacks()
    serving = build_shop(folder / "shop")
    return create_dash(
        Settings(
            metrics=SPEC,
            serving_dir=serving,
            as_of=AS_OF.isoformat(),
            app_db=f"sqlite:///{folder / 'app.db'}",
            **settings,
        )
    )


@pytest.fixture(scope="module")
def signed_app(tmp_path_factory: pytest.TempPathFactory) -> Iterator:  # type: ignore[type-arg]
    app = _app(tmp_path_factory.mktemp("signed"), auth="password")
    db = app.server.extensions["northstar.sign_in"].db
    add_user(db, "vera", PASSWORD, "viewer", by="test")
    add_user(db, "eddie", PASSWORD, "editor", by="test")
    add_user(db, "sam", PASSWORD, "editor", by="test", scope={"region": ["south"]})
    yield app
    join_warm_ups()
    app.server.extensions["northstar"].close()


def callback_body(app, first_input: str, values: dict[str, object]) -> dict:  # type: ignore[no-untyped-def]
    """The request the browser sends for the callback whose first input is `first_input`."""
    dep = next(
        {"output": output, "inputs": cb["inputs"], "state": cb["state"]}
        for output, cb in app.callback_map.items()
        if cb["inputs"] and cb["inputs"][0]["id"] == first_input
    )
    body = _payload(dep, {})
    for item in body["inputs"] + body["state"]:
        item["value"] = values.get(item["id"], values.get(f"{item['id']}.{item['property']}"))
    return body


def post(client, app, first_input: str, headers: dict, **values: object) -> str:  # type: ignore[no-untyped-def]
    answer = client.post(UPDATE, json=callback_body(app, first_input, values), headers=headers)
    assert answer.status_code == 200, answer.get_data(as_text=True)[:500]
    return json.dumps(json.loads(answer.get_data(as_text=True))["response"], ensure_ascii=False)


def signed_in(app, name: str):  # type: ignore[no-untyped-def]
    client = app.server.test_client()
    assert sign_in(client, name, PASSWORD).status_code == 302
    return client, csrf_header(client)


def body_of(client, app, headers) -> str:  # type: ignore[no-untyped-def]
    return post(
        client, app, ids.RECORD_VIEW, headers, **{ids.RECORD_VIEW: WEEK, ids.RECORD_VERSION: 0}
    )


NOTE = {ids.RECORD_NOTE_ADD: 1, ids.RECORD_VIEW: WEEK, ids.RECORD_VERSION: 0,
        ids.RECORD_NOTE_SLIDE: "nsm", ids.RECORD_NOTE_TEXT: "Web orders carried the week"}  # fmt: skip


def test_an_editor_starts_the_review_and_writes_a_viewer_is_refused(signed_app) -> None:  # type: ignore[no-untyped-def]
    db: AppDb = signed_app.server.extensions["northstar.sign_in"].db
    editor, headers = signed_in(signed_app, "eddie")
    empty = body_of(editor, signed_app, headers)
    assert f"No review of {WEEK}" in empty and ids.RECORD_START in empty
    started = post(editor, signed_app, ids.RECORD_START, headers,
                   **{ids.RECORD_START: 1, ids.RECORD_VIEW: WEEK, ids.RECORD_VERSION: 0})  # fmt: skip
    assert f"Started the review of {WEEK}" in started and '"data": 1' in started
    written = post(editor, signed_app, ids.RECORD_NOTE_ADD, headers, **NOTE)
    assert "Note added." in written

    viewer, vheaders = signed_in(signed_app, "vera")
    page = body_of(viewer, signed_app, vheaders)
    assert "Web orders carried the week" in page and "record-numbers-nsm" in page
    assert ids.RECORD_NOTE_ADD not in page  # no forms for a viewer
    assert "a viewer: the record is read-only for you" in page
    refused = post(viewer, signed_app, ids.RECORD_NOTE_ADD, vheaders,
                   **{**NOTE, ids.RECORD_NOTE_TEXT: "a viewer's note"})  # fmt: skip
    assert "Not saved" in refused and "northstar users set-role vera editor" in refused
    assert "record-version" not in refused  # nothing to render again
    for first, values in (
        (ids.RECORD_DECISION_ADD, {ids.RECORD_DECISION_ADD: 1, ids.RECORD_DECISION_TEXT: "x"}),
        (ids.RECORD_ACTION_ADD, {ids.RECORD_ACTION_ADD: 1, ids.RECORD_ACTION_TEXT: "x",
                                 ids.RECORD_ACTION_OWNER: "vera"}),
    ):  # fmt: skip
        answer = post(viewer, signed_app, first, vheaders, **{ids.RECORD_VIEW: WEEK, **values})
        assert "Not saved" in answer
    record = get_review(db, IsoWeek.parse(WEEK))
    assert [(n.text, n.created_by) for n in record.notes] == [
        ("Web orders carried the week", "eddie")
    ]
    assert record.decisions == [] and record.actions == []
    with db.session() as session:
        who = [(e.who, e.action) for e in session.scalars(select(AuditEntry))]
    assert ("eddie", "review started") in who and ("eddie", "review note added") in who
    assert not [w for w in who if w[0] == "vera" and w[1].startswith("review")]


def test_an_account_limited_to_some_rows_does_not_see_the_companys_numbers(signed_app) -> None:  # type: ignore[no-untyped-def]
    _started_by_the_editor(signed_app)  # the tests may run apart (pytest -n): do not rely on order
    client, headers = signed_in(signed_app, "sam")
    page = body_of(client, signed_app, headers)
    assert "Numbers not shown" in page and "sam sees only part of the rows" in page
    assert "record-numbers-nsm" not in page
    other = post(client, signed_app, ids.RECORD_START, headers,
                 **{ids.RECORD_START: 1, ids.RECORD_VIEW: "2026-W10", ids.RECORD_VERSION: 0})  # fmt: skip
    assert "Not saved" in other


def _started_by_the_editor(signed_app) -> AppDb:  # type: ignore[no-untyped-def]
    """The week's review, started by the editor unless an earlier test in this worker did."""
    db: AppDb = signed_app.server.extensions["northstar.sign_in"].db
    if get_review(db, IsoWeek.parse(WEEK)) is None:
        editor, headers = signed_in(signed_app, "eddie")
        post(editor, signed_app, ids.RECORD_START, headers,
             **{ids.RECORD_START: 1, ids.RECORD_VIEW: WEEK, ids.RECORD_VERSION: 0})  # fmt: skip
    return db


def test_a_screen_reads_the_record_and_cannot_write(signed_app) -> None:  # type: ignore[no-untyped-def]
    db = _started_by_the_editor(signed_app)
    _, token = add_screen(db, "Boardroom TV", by="test")
    tv = signed_app.server.test_client()
    assert tv.get(f"/screen/{token}").status_code == 302
    headers = csrf_header(tv)
    fetch = lambda path, body: (  # noqa: E731
        (
            a := tv.get(path) if body is None else tv.post(path, json=body, headers=headers)
        ).status_code,
        a.get_data(as_text=True),
    )
    answers = render(fetch, "/review/record", f"?week={WEEK}")
    assert [(a.what, a.status) for a in answers if a.status != 200] == []
    shown = next(a for a in answers if a.what == f"{ids.TV_RECORD_BODY}.children").readable
    assert f"Review {WEEK}" in shown and "record-numbers-nsm" in shown
    assert ids.RECORD_NOTE_ADD not in shown and ids.RECORD_ACTION_DONE not in shown
    # The screen's way to a write is shut by the gate; the editable page sends it back.
    note = callback_body(signed_app, ids.RECORD_NOTE_ADD, NOTE)
    assert tv.post(UPDATE, json=note, headers=headers).status_code == 403
    assert tv.get(f"/reviews/{WEEK}").headers["Location"] == "/review"


def test_with_sign_in_off_writes_are_recorded_as_local(tmp_path) -> None:  # type: ignore[no-untyped-def]
    app = _app(tmp_path)
    client = app.server.test_client()
    client.get("/")
    try:
        post(client, app, ids.RECORD_START, {},
             **{ids.RECORD_START: 1, ids.RECORD_VIEW: WEEK, ids.RECORD_VERSION: 0})  # fmt: skip
        answer = post(client, app, ids.RECORD_ACTION_ADD, {}, **{
            ids.RECORD_ACTION_ADD: 1, ids.RECORD_VIEW: WEEK, ids.RECORD_VERSION: 1,
            ids.RECORD_ACTION_TEXT: "Check the web funnel", ids.RECORD_ACTION_OWNER: "bob",
            ids.RECORD_ACTION_DUE: "2026-3-25",
        })  # fmt: skip
        assert "write the due date as YYYY-MM-DD, not '2026-3-25'" in answer
        answer = post(client, app, ids.RECORD_ACTION_ADD, {}, **{
            ids.RECORD_ACTION_ADD: 1, ids.RECORD_VIEW: WEEK, ids.RECORD_VERSION: 1,
            ids.RECORD_ACTION_TEXT: "Check the web funnel", ids.RECORD_ACTION_OWNER: "bob",
            ids.RECORD_ACTION_DUE: "2026-03-25",
        })  # fmt: skip
        assert "added for bob" in answer
        db = AppDb(f"sqlite:///{tmp_path / 'app.db'}")
        record = get_review(db, IsoWeek.parse(WEEK))
        assert record.created_by == "local" and record.actions[0].created_by == "local"
        with db.session() as session:
            who = {e.who for e in session.scalars(select(AuditEntry))}
        assert who == {"local"}
        db.close()
    finally:
        join_warm_ups()
        app.server.extensions["northstar"].close()


def _tick(client, app, action: int, was: bool, value: bool) -> str:  # type: ignore[no-untyped-def]
    """The request the browser sends when the done box of `action`, drawn `was`, reads `value`:
    after a user's click, or when a render mounts the box (then value is what it was drawn)."""
    dep = next(
        {"output": output, "inputs": cb["inputs"], "state": cb["state"]}
        for output, cb in app.callback_map.items()
        if cb["inputs"] and ids.RECORD_ACTION_DONE in cb["inputs"][0]["id"]
    )
    body = _payload(dep, {})
    box = {"index": action, "type": ids.RECORD_ACTION_DONE, "was": was}
    body["inputs"] = [[{"id": box, "property": "checked", "value": value}]]
    for item in body["state"]:
        item["value"] = {ids.RECORD_VIEW: WEEK, ids.RECORD_VERSION: 2}[item["id"]]
    body["changedPropIds"] = [json.dumps(box, sort_keys=True, separators=(",", ":")) + ".checked"]
    answer = client.post(UPDATE, json=body)
    assert answer.status_code in (200, 204), answer.get_data(as_text=True)[:500]
    return answer.get_data(as_text=True)


def test_a_late_report_of_a_mounted_box_does_not_undo_a_tick(tmp_path) -> None:  # type: ignore[no-untyped-def]
    # Adding an action draws its box unticked; Dash reports the mounted box, and that request
    # may reach the server after the user's tick of the same box (both in flight at once).
    app = _app(tmp_path)
    client = app.server.test_client()
    client.get("/")
    db = AppDb(f"sqlite:///{tmp_path / 'app.db'}")
    try:
        post(client, app, ids.RECORD_START, {},
             **{ids.RECORD_START: 1, ids.RECORD_VIEW: WEEK, ids.RECORD_VERSION: 0})  # fmt: skip
        post(client, app, ids.RECORD_ACTION_ADD, {}, **{
            ids.RECORD_ACTION_ADD: 1, ids.RECORD_VIEW: WEEK, ids.RECORD_VERSION: 1,
            ids.RECORD_ACTION_TEXT: "Check the web funnel", ids.RECORD_ACTION_OWNER: "bob",
        })  # fmt: skip
        action = get_review(db, IsoWeek.parse(WEEK)).actions[0].id

        def done() -> bool:
            return get_review(db, IsoWeek.parse(WEEK)).actions[0].done

        assert "is done" in _tick(client, app, action, was=False, value=True)  # the user's tick
        assert done()
        _tick(client, app, action, was=False, value=False)  # the mount's report, late
        assert done()
        _tick(client, app, action, was=True, value=True)  # the box drawn ticked, mounted
        assert done()
        assert "is open" in _tick(client, app, action, was=True, value=False)  # untick
        assert not done()
    finally:
        db.close()
        join_warm_ups()
        app.server.extensions["northstar"].close()
