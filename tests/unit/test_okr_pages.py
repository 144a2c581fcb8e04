"""The OKR page over the app's HTTP interface (Flask's test client, the fixture snapshot with
tests/fixtures/okrs.yml): the board's numbers and links, the quarter in the address (hostile
values are a message, never a 500), a check-in saved with sign-in off (audited as `local`), and
with sign-in on an editor's check-in saved while a viewer's is refused with a message and
nothing written."""

from __future__ import annotations

import json
from collections.abc import Iterator
from datetime import date
from pathlib import Path
from urllib.parse import urlencode

import pandas as pd
import pytest
from browser.fixture_shop import AS_OF, SPEC, build_shop, shop_tables
from page_client import join_warm_ups, register_page_callbacks, render
from sign_in_client import csrf_header, sign_in

from appdb import AppDb, audit_entries
from auth.accounts import add_user
from dashboard.url_state import explorer_from_href
from okrs.store import check_ins
from settings import Settings

UPDATE = "/_dash-update-component"
ROUTER = "_pages_content"
PASSWORD = "correct horse battery"
SAVE = "okr-checkin-save"
FIELDS = ("okr-checkin-value", "okr-checkin-confidence", "okr-checkin-obstacles",
          "okr-checkin-help", "okr-checkin-comment")  # fmt: skip


def make_app(folder: Path, **settings: str):  # type: ignore[no-untyped-def]
    from dashboard.server import create_dash

    register_page_callbacks()
    serving = build_shop(folder / "shop")
    app_db = f"sqlite:///{folder / 'app.db'}"
    return create_dash(
        Settings(
            metrics=SPEC, serving_dir=serving, as_of=AS_OF.isoformat(), app_db=app_db, **settings
        )
    ), app_db


@pytest.fixture(scope="module")
def open_app(tmp_path_factory: pytest.TempPathFactory) -> Iterator:  # type: ignore[type-arg]
    folder = tmp_path_factory.mktemp("okrs-open")
    app, app_db = make_app(folder)
    yield app, app_db, folder
    join_warm_ups()
    app.server.extensions["northstar"].close()


@pytest.fixture(scope="module")
def signed_app(tmp_path_factory: pytest.TempPathFactory) -> Iterator:  # type: ignore[type-arg]
    folder = tmp_path_factory.mktemp("okrs-signed")
    app, app_db = make_app(folder, auth="password")
    db = AppDb(app_db)
    add_user(db, "vera", PASSWORD, "viewer", by="test")
    add_user(db, "eddie", PASSWORD, "editor", by="test")
    yield app, db
    join_warm_ups()
    app.server.extensions["northstar"].close()
    db.close()


def fetcher(client, headers: dict | None = None):  # type: ignore[no-untyped-def]
    def fetch(path: str, body: dict | None) -> tuple[int, str]:
        answer = (
            client.get(path)
            if body is None
            else client.post(path, json=body, headers=headers or {})
        )
        return answer.status_code, answer.get_data(as_text=True)

    return fetch


def body_of(answers) -> str:  # type: ignore[no-untyped-def]
    [body] = [a for a in answers if a.what == "okrs-body.children"]
    assert body.status == 200, body.text[:500]
    return body.readable


def props_of(text: str, component_id: object) -> dict:
    found: list[dict] = [{}]

    def walk(node: object) -> None:
        if isinstance(node, dict):
            props = node.get("props")
            if isinstance(props, dict) and props.get("id") == component_id:
                found.append(props)
            for value in node.values():
                walk(value)
        elif isinstance(node, list):
            for value in node:
                walk(value)

    walk(json.loads(text))
    return found[-1]


def paid_orders(first: date, last: date, platform: str | None = None) -> int:
    orders = shop_tables()["raw.orders"]
    day = (orders["ordered_at"] + pd.Timedelta(hours=8)).dt.date
    keep = (orders["status"] == "paid") & (day >= first) & (day <= last)
    if platform:
        keep &= orders["platform"] == platform
    return int(keep.sum())


def test_the_board_shows_hand_counted_values_and_links_to_the_explorer(open_app) -> None:  # type: ignore[no-untyped-def]
    app, _, folder = open_app
    text = body_of(render(fetcher(app.server.test_client()), "/okrs"))
    week = paid_orders(date(2026, 3, 9), date(2026, 3, 15))
    assert props_of(text, "okr-value-grow_orders--weekly_orders")["children"] == f"{week:,}"
    assert props_of(text, "okr-score-grow_orders--weekly_orders")["children"] == (
        f"{min(max((week - 8) / 6, 0), 1):.2f}"
    )
    assert "Day 76 of 90 (84% of the quarter), data through 17 Mar 2026" in text
    for objective in ("grow_orders", "win_ios", "basket_size"):
        assert props_of(text, f"okr-objective-{objective}")
    assert props_of(text, "okr-value-win_ios--partners")["children"] == "no value yet"
    link = props_of(text, "okr-explorer-win_ios--ios_orders")["href"]
    view = explorer_from_href(link)
    assert (view.metric, view.grain, view.range, view.start, view.end) == (
        "orders", "week", "custom", date(2026, 1, 1), date(2026, 3, 17),
    )  # fmt: skip
    assert [(f.dimension, f.op, f.values) for f in view.filters] == [("platform", "=", ("ios",))]
    assert not (folder / "app.db").exists()  # reading the page made no database


@pytest.mark.parametrize(
    ("search", "shown"),
    [
        ("?quarter=2026-Q3", "No objectives for 2026-Q3."),
        ("?quarter=2025-Q4&as_of=2026-01-10", "No objectives for 2025-Q4."),
    ],
)
def test_a_quarter_without_objectives_says_so_in_words(open_app, search: str, shown: str) -> None:  # type: ignore[no-untyped-def]
    app, _, _ = open_app
    text = body_of(render(fetcher(app.server.test_client()), "/okrs", search))
    assert shown in text and "Quarters with objectives: 2026-Q1" in text


@pytest.mark.parametrize(
    "search",
    ["?quarter=2026Q3", "?quarter=2026-Q5", "?quarter=" + "9" * 5000, "?quarter=a&quarter=b",
     "?quarter=%00", "?quarter=2026-Q1&as_of=2026-02-30", "?quarter=<script>"],
)  # fmt: skip
def test_hostile_quarters_are_a_message_never_a_500(open_app, search: str) -> None:  # type: ignore[no-untyped-def]
    app, _, _ = open_app
    answers = render(fetcher(app.server.test_client()), "/okrs", search)
    assert all(a.status == 200 for a in answers), [(a.what, a.status) for a in answers]
    router = next(a for a in answers if ROUTER in a.what).readable
    assert "This address cannot be shown as written" in router
    assert "Traceback" not in router and len(router) < 20_000


def save_body(app, ref: str, values: dict[str, object], clicks: int = 1) -> dict:  # type: ignore[no-untyped-def]
    """The save callback's request as the browser sends it after a click on `ref`'s button."""
    dep = next(d for d in _deps(app) if SAVE in d["inputs"][0]["id"])
    button = {"kr": ref, "type": SAVE}
    state = [
        [{"id": {"kr": ref, "type": kind}, "property": "value", "value": values.get(kind)}]
        for kind in FIELDS
    ]
    return {
        "output": dep["output"],
        "outputs": [
            {"id": "okrs-message", "property": "children"},
            {"id": "okrs-refresh", "property": "data"},
        ],
        "inputs": [[{"id": button, "property": "n_clicks", "value": clicks}]],
        "state": [*state, {"id": "okrs-refresh", "property": "data", "value": 0}],
        "changedPropIds": [json.dumps(button, sort_keys=True, separators=(",", ":")) + ".n_clicks"],
    }


def _deps(app) -> list[dict]:  # type: ignore[no-untyped-def]
    """The callbacks as Dash lists them (from the app: with sign-in on the route needs a session)."""
    deps = []
    for output, cb in app.callback_map.items():
        deps.append({"output": output, "inputs": cb["inputs"], "state": cb["state"]})
    return deps


def test_a_check_in_with_sign_in_off_is_saved_as_local_and_shown(open_app) -> None:  # type: ignore[no-untyped-def]
    app, app_db, _ = open_app
    client = app.server.test_client()
    values = {
        "okr-checkin-value": "3",
        "okr-checkin-confidence": "6",
        "okr-checkin-comment": "three signed",
    }
    answer = client.post(UPDATE, json=save_body(app, "win_ios--partners", values))
    assert answer.status_code == 200
    text = answer.get_data(as_text=True)
    assert "Check-in saved" in text and "as local" in text
    assert json.loads(text)["response"]["okrs-refresh"]["data"] == 1
    db = AppDb(app_db)
    with db.session() as s:
        [saved] = check_ins(s)
        [entry] = audit_entries(s)
    db.close()
    assert (saved.who, saved.value, saved.confidence, saved.comment) == (
        "local",
        3.0,
        6,
        "three signed",
    )
    assert (entry.who, entry.action) == ("local", "okr check-in")
    board = body_of(render(fetcher(client), "/okrs"))
    assert props_of(board, "okr-value-win_ios--partners")["children"] == "3 partners"
    assert props_of(board, "okr-score-win_ios--partners")["children"] == "0.75"  # 3 of 4
    assert "three signed" in board and "confidence 6/10" in board
    # a value for a key result read from a metric is refused in place
    refused = client.post(
        UPDATE, json=save_body(app, "grow_orders--weekly_orders", {"okr-checkin-value": "20"})
    )
    assert refused.status_code == 200 and "its value is measured, not typed" in refused.get_data(
        as_text=True
    )
    # a button that appeared (the board redrew) without a click writes nothing
    idle = client.post(UPDATE, json=save_body(app, "win_ios--partners", values, clicks=0))
    assert idle.status_code == 204 or "Check-in saved" not in idle.get_data(as_text=True)


def test_the_quarter_picker_writes_the_address(open_app) -> None:  # type: ignore[no-untyped-def]
    app, _, _ = open_app
    dep = next(d for d in _deps(app) if d["inputs"][0]["id"] == "okrs-quarter")
    body = {
        "output": dep["output"],
        "outputs": [{"id": "_pages_location", "property": "href"}, {"id": "okrs-message", "property": "children"}],
        "inputs": [{"id": "okrs-quarter", "property": "value", "value": "2025-Q4"}],
        "state": [{"id": "okrs-shown", "property": "data", "value": "2026-Q1"},
                  {"id": "okrs-view", "property": "data", "value": "/okrs?as_of=2026-03-18"}],
        "changedPropIds": ["okrs-quarter.value"],
    }  # fmt: skip
    answer = json.loads(app.server.test_client().post(UPDATE, json=body).get_data(as_text=True))
    assert answer["response"]["_pages_location"]["href"] == "/okrs?" + urlencode(
        {"quarter": "2025-Q4", "as_of": "2026-03-18"}
    )


def test_an_editor_checks_in_and_a_viewer_is_refused(signed_app) -> None:  # type: ignore[no-untyped-def]
    app, db = signed_app
    body = save_body(
        app,
        "grow_orders--weekly_orders",
        {"okr-checkin-confidence": "8", "okr-checkin-obstacles": "holidays"},
    )

    viewer = app.server.test_client()
    assert sign_in(viewer, "vera", PASSWORD).status_code == 302
    headers = csrf_header(viewer)
    board = body_of(render(fetcher(viewer, headers), "/okrs"))
    assert "Check-ins need the editor role; you are signed in as vera (viewer)" in board
    assert props_of(board, {"kr": "grow_orders--weekly_orders", "type": SAVE})["disabled"] is True
    refused = viewer.post(UPDATE, json=body, headers=headers)
    assert refused.status_code == 200
    assert "Check-in not saved" in refused.get_data(as_text=True)
    assert "northstar users set-role vera editor" in refused.get_data(as_text=True)
    assert viewer.post(UPDATE, json=body).status_code == 400  # no CSRF token: refused by the gate

    editor = app.server.test_client()
    assert sign_in(editor, "eddie", PASSWORD).status_code == 302
    saved = editor.post(UPDATE, json=body, headers=csrf_header(editor))
    assert saved.status_code == 200 and "as eddie" in saved.get_data(as_text=True)
    with db.session() as s:
        rows = check_ins(s)
        actions = [(e.who, e.action) for e in audit_entries(s) if e.action == "okr check-in"]
    assert [(c.who, c.key_result, c.confidence, c.obstacles) for c in rows] == [
        ("eddie", "weekly_orders", 8, "holidays")
    ]
    assert actions == [("eddie", "okr check-in")]


def test_broken_okrs_are_listed_on_the_page_with_their_lines(tmp_path: Path) -> None:
    import shutil

    from dashboard.server import create_dash

    register_page_callbacks()
    shutil.copyfile(SPEC, tmp_path / "metrics.yml")
    (tmp_path / "okrs.yml").write_text(
        "okrs:\n  - id: grow\n    title: Grow\n    owner: x\n    quarter: 2026-Q1\n"
        "    key_results:\n      - {id: k, title: K, metric: ordrs, baseline: 1, target: 2}\n"
    )
    app = create_dash(
        Settings(
            metrics=tmp_path / "metrics.yml",
            serving_dir=build_shop(tmp_path / "shop"),
            as_of=AS_OF.isoformat(),
            app_db=f"sqlite:///{tmp_path / 'app.db'}",
        )
    )
    try:
        text = body_of(render(fetcher(app.server.test_client()), "/okrs"))
    finally:
        join_warm_ups()
        app.server.extensions["northstar"].close()
    assert "The OKRs cannot be read" in text
    assert (
        f"{tmp_path / 'okrs.yml'}:7: okrs[0].key_results[0].metric: unknown metric `ordrs` "
        "(did you mean `orders`?)" in text
    )
