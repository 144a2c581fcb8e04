"""Review mode's OKRs slide on the fixture shop (tests/fixtures/okrs.yml beside small_spec.yml):
each objective's score, colour and pace status against pandas written here by hand, a check-in
shown the next time the slide comes round (never from the view cache), its place after the
alerts in the default deck, its absence when no OKRs are defined, and an account limited to
part of the rows told that OKRs are company-wide (as the alerts slide tells it)."""

from __future__ import annotations

import json
import shutil
from collections.abc import Iterator
from datetime import date, datetime
from pathlib import Path
from types import SimpleNamespace

import pandas as pd
import pytest
from alert_seed import NOW, RULES
from browser.fixture_shop import AS_OF, SPEC, build_shop, shop_tables
from page_client import join_warm_ups, register_page_callbacks
from sign_in_client import csrf_header, sign_in
from test_alerts_page import text_of

from appdb import AppDb
from auth.accounts import add_user
from dashboard import alert_rules, app_state
from dashboard.slides import ALERTS, OKRS, WHY, slide_list
from metric_layer.loader import load_spec
from okrs.spec import load_okrs
from okrs.store import add_check_in
from settings import Settings

SLIDE = "review-slide.children"
UPDATE = "/_dash-update-component"
PASSWORD = "correct horse battery"
Q1_START = date(2026, 1, 1)
LAST = date(2026, 3, 17)  # the last complete day before AS_OF (Wed 18 Mar 2026)
W11 = (date(2026, 3, 9), date(2026, 3, 15))  # the latest complete week


# -- the numbers by hand ------------------------------------------------------------------------


def paid() -> pd.DataFrame:
    orders = shop_tables()["raw.orders"]
    orders = orders[orders["status"] == "paid"].copy()
    orders["day"] = (orders["ordered_at"] + pd.Timedelta(hours=8)).dt.date  # Asia/Shanghai
    return orders


def between(frame: pd.DataFrame, first: date, last: date) -> pd.DataFrame:
    return frame[(frame["day"] >= first) & (frame["day"] <= last)]


def clip(x: float) -> float:
    return min(max(x, 0.0), 1.0)


def elapsed(day: date) -> float:
    return ((day - Q1_START).days + 1) / 90  # 2026-Q1 has 90 days


def judged(score: float, expected: float) -> str:
    if score >= expected:
        return "on track"
    return "at risk" if score >= 0.7 * expected else "off track"


def hand_board(
    partners: float | None = None, partners_day: date | None = None, last: date = LAST
) -> dict:
    """objective → (score, colour, status), as PRODUCT.md and okrs.yml say, from raw rows, with
    data through `last` (W11 is the latest complete week for every `last` from 15 to 21 Mar)."""
    rows = paid()
    quarter = between(rows, Q1_START, last)
    week = len(between(rows, *W11))
    grow = [clip((week - 8) / 6), clip(quarter["amount"].sum() / 15000)]
    grow_expected = [elapsed(W11[1]), elapsed(last)]
    ios = rows[rows["platform"] == "ios"]
    weeks = []  # complete weeks ending in Q1 before AS_OF: 29 Dec – 4 Jan … 9–15 Mar
    monday = date(2025, 12, 29)
    while monday <= W11[0]:
        weeks.append(len(between(ios, monday, monday + pd.Timedelta(days=6))))
        monday += pd.Timedelta(days=7)
    win = [clip((sum(weeks) / len(weeks) - 2) / 4)]
    win_expected = [0.6 * elapsed(W11[1])]  # aspirational: success is 0.6
    if partners is not None:
        win.append(clip(partners / 4))
        win_expected.append(0.6 * elapsed(partners_day))  # type: ignore[arg-type]
    aov = quarter["amount"].sum() / len(quarter)  # a ratio of sums, not a mean of days
    basket = [clip((aov - 110) / 30), clip((quarter["customer_id"].nunique() - 30) / 40)]
    basket_expected = [elapsed(last), elapsed(last)]

    def objective(scores: list[float], expected: list[float], green: float) -> tuple:
        score, pace = sum(scores) / len(scores), sum(expected) / len(expected)
        colour = "green" if score >= green else "yellow" if score >= 0.4 else "red"
        return f"{score:.2f}", colour, judged(score, pace)

    return {
        "grow_orders": objective(grow, grow_expected, 0.7),
        "win_ios": objective(win, win_expected, 0.6),
        "basket_size": objective(basket, basket_expected, 0.7),  # learning: as committed
    }


# -- the app ------------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def app(tmp_path_factory: pytest.TempPathFactory) -> Iterator:  # type: ignore[type-arg]
    from dashboard.server import create_dash

    register_page_callbacks()
    folder = tmp_path_factory.mktemp("review-okrs")
    dash_app = create_dash(
        Settings(
            metrics=SPEC,
            serving_dir=build_shop(folder / "shop"),
            as_of=AS_OF.isoformat(),
            app_db=f"sqlite:///{folder / 'app.db'}",
        )
    )
    dash_app.server.extensions[app_state.CLOCK] = lambda: NOW
    yield dash_app, folder
    join_warm_ups()
    dash_app.server.extensions["northstar"].close()


def slide_at(client, tick: int, search: str = "?interval=600", headers=None) -> dict:  # type: ignore[no-untyped-def]
    """The slide review mode shows at `tick` (the browser's interval count)."""
    body = {
        "output": SLIDE,
        "outputs": {"id": "review-slide", "property": "children"},
        "inputs": [
            {"id": "review-tick", "property": "n_intervals", "value": tick},
            {"id": "review-view", "property": "data", "value": "/review" + search},
        ],
        "state": [],
        "changedPropIds": ["review-tick.n_intervals"],
    }
    answer = client.post(UPDATE, json=body, headers=headers or {})
    assert answer.status_code == 200, answer.get_data(as_text=True)[:500]
    return json.loads(answer.get_data(as_text=True))


def shown(answer: dict) -> str:
    return " ".join(text_of(SimpleNamespace(text=json.dumps(answer))).split())


def props(answer: dict, component_id: str) -> dict:
    found: list[dict] = []

    def walk(node: object) -> None:
        if isinstance(node, dict):
            p = node.get("props")
            if isinstance(p, dict) and p.get("id") == component_id:
                found.append(p)
            for value in node.values():
                walk(value)
        elif isinstance(node, list):
            for value in node:
                walk(value)

    walk(answer)
    assert len(found) == 1, component_id
    return found[0]


def on_slide(answer: dict) -> dict[str, tuple[str, str, str]]:
    """objective → (score shown, its colour, status shown) as the slide has them."""
    out = {}
    for objective in ("grow_orders", "win_ios", "basket_size"):
        row = props(answer, f"review-okr-{objective}")
        score = row["children"][0]["props"]
        status = row["children"][1]["props"]["children"][1]["props"]["children"][0]["props"]
        out[objective] = (score["children"], score["data-colour"], status["children"])
    return out


# -- the tests ----------------------------------------------------------------------------------


def test_the_default_deck_steps_nsm_why_drivers_alerts_then_okrs() -> None:
    spec = SimpleNamespace(
        north_star=SimpleNamespace(
            metric="orders", tree=SimpleNamespace(metric="orders", children=[
                SimpleNamespace(metric="buyers", children=[])])),
        metric_names=["orders", "buyers"],
    )  # fmt: skip
    deck = slide_list(spec, "", alerts=True, okrs=True)
    assert deck == ["orders", WHY, "buyers", ALERTS, OKRS]
    assert slide_list(spec, "", alerts=True, okrs=False) == ["orders", WHY, "buyers", ALERTS]
    assert slide_list(spec, "", alerts=False, okrs=True) == ["orders", WHY, "buyers", OKRS]
    assert slide_list(spec, "okrs,nsm") == [OKRS, "orders"]  # a list is shown as written


def test_the_slide_shows_hand_computed_scores_and_a_new_check_in_next_time(app) -> None:  # type: ignore[no-untyped-def]
    dash_app, folder = app
    client = dash_app.server.test_client()
    answer = slide_at(client, 0, "?slides=okrs&interval=600")
    text = shown(answer)
    assert text.startswith("OKRs · 2026-Q1 Day 76 of 90 (84% of the quarter)")
    assert on_slide(answer) == hand_board()
    assert "1 of 2 key results have no value yet" not in text  # the status is shown instead
    assert not (folder / "app.db").exists()  # showing the slide made no database

    db = AppDb(f"sqlite:///{folder / 'app.db'}")
    db.upgrade()
    spec = load_spec(SPEC, None)
    objective, kr = load_okrs(SPEC, spec).key_result("win_ios.partners")
    with db.session() as session:  # Tue 10 Mar 10:00 in Shanghai
        add_check_in(session, objective, kr, who="mia", at=datetime(2026, 3, 10, 2), value=3)
    db.close()
    again = slide_at(client, 0, "?slides=okrs&interval=600")  # the same request body
    assert on_slide(again) == hand_board(partners=3, partners_day=date(2026, 3, 10))
    assert on_slide(again)["win_ios"] != on_slide(answer)["win_ios"]


def test_the_okrs_slide_comes_after_the_alerts(app, monkeypatch: pytest.MonkeyPatch) -> None:  # type: ignore[no-untyped-def]
    dash_app, _ = app
    client = dash_app.server.test_client()
    titles = [props(slide_at(client, t), "review-title")["data-metric"] for t in range(5)]
    # no alert rules in the fixture spec: no alerts slide, the OKRs close the deck
    assert titles == ["orders", "why:", "buyers", "revenue_per_buyer", "okrs"]
    monkeypatch.setattr(alert_rules, "load_rules", lambda metrics, spec, sources=None: RULES)
    ticks = [slide_at(client, t) for t in range(6)]
    titles = [props(a, "review-title")["data-metric"] for a in ticks]
    assert titles == ["orders", "why:", "buyers", "revenue_per_buyer", "alerts", "okrs"]
    assert props(ticks[5], "review-position")["children"] == "6 / 6"


def test_without_okrs_the_default_deck_has_no_okrs_slide(tmp_path: Path) -> None:
    from dashboard.server import create_dash

    register_page_callbacks()
    shutil.copyfile(SPEC, tmp_path / "metrics.yml")  # no okrs.yml beside this one
    dash_app = create_dash(
        Settings(
            metrics=tmp_path / "metrics.yml",
            serving_dir=build_shop(tmp_path / "shop"),
            as_of=AS_OF.isoformat(),
            app_db=f"sqlite:///{tmp_path / 'app.db'}",
        )
    )
    try:
        client = dash_app.server.test_client()
        titles = [props(slide_at(client, t), "review-title")["data-metric"] for t in range(4)]
        assert titles == ["orders", "why:", "buyers", "revenue_per_buyer"]
        assert "4 / 4" in shown(slide_at(client, 3))
        asked = shown(slide_at(client, 0, "?slides=okrs&interval=600"))
        assert "No OKRs yet" in asked  # asked for by name: says why it is empty
    finally:
        join_warm_ups()
        dash_app.server.extensions["northstar"].close()


def test_a_scoped_account_is_told_okrs_are_company_wide(tmp_path: Path) -> None:
    from dashboard.server import create_dash

    register_page_callbacks()
    settings = Settings(
        metrics=SPEC,
        serving_dir=build_shop(tmp_path / "shop"),
        as_of=AS_OF.isoformat(),
        auth="password",
        app_db=f"sqlite:///{tmp_path / 'app.db'}",
    )
    dash_app = create_dash(settings)
    db = AppDb(settings.app_db)
    add_user(db, "sam", PASSWORD, "viewer", by="test", scope={"region": ["south"]})
    add_user(db, "vera", PASSWORD, "viewer", by="test")
    db.close()
    try:
        for name, company_wide in (("sam", True), ("vera", False)):
            client = dash_app.server.test_client()
            assert sign_in(client, name, PASSWORD).status_code == 302
            text = shown(slide_at(client, 0, "?slides=okrs&interval=600", csrf_header(client)))
            assert ("OKRs are company-wide" in text) is company_wide, (name, text)
            assert ("Make buying a weekly habit" in text) is not company_wide, (name, text)
    finally:
        join_warm_ups()
        dash_app.server.extensions["northstar"].close()
