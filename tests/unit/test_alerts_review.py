"""Review mode's alerts slide: the firing alerts and those resolved since this week began in the
spec's zone (Asia/Shanghai: the week of Wed 18 Mar 2026 began Sun 15 Mar 16:00 UTC), read anew
each time it comes round (never from the view cache), and its place in the default deck."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import datetime
from types import SimpleNamespace

import pytest
from alert_seed import NOW, RULES, seed_board
from browser.fixture_shop import AS_OF, SPEC, build_shop
from page_client import flask_fetch, join_warm_ups, register_page_callbacks, render
from test_alerts_page import text_of

from alerts.store import acknowledge, record_event
from appdb import AppDb
from dashboard import alert_rules, app_state
from dashboard.slides import ALERTS, WHY, slide_list
from settings import Settings

SLIDE = "review-slide.children"


def test_the_default_deck_ends_with_the_alerts_when_rules_exist() -> None:
    spec = SimpleNamespace(
        north_star=SimpleNamespace(
            metric="orders", tree=SimpleNamespace(metric="orders", children=[
                SimpleNamespace(metric="buyers", children=[])])),
        metric_names=["orders", "buyers"],
    )  # fmt: skip
    assert slide_list(spec, "", alerts=True) == ["orders", WHY, "buyers", ALERTS]
    assert slide_list(spec, "", alerts=False) == ["orders", WHY, "buyers"]
    assert slide_list(spec, "alerts,nsm", alerts=False) == [ALERTS, "orders"]  # as asked


@pytest.fixture(scope="module")
def app(tmp_path_factory: pytest.TempPathFactory) -> Iterator:  # type: ignore[type-arg]
    from dashboard.server import create_dash

    register_page_callbacks()
    folder = tmp_path_factory.mktemp("review-alerts")
    dash_app = create_dash(
        Settings(
            metrics=SPEC,
            serving_dir=build_shop(folder / "shop"),
            as_of=AS_OF.isoformat(),
            app_db=f"sqlite:///{folder / 'unused.db'}",
        )
    )
    dash_app.server.extensions[app_state.CLOCK] = lambda: NOW
    yield dash_app
    join_warm_ups()
    dash_app.server.extensions["northstar"].close()


@pytest.fixture
def db(app, app_db_url: str, monkeypatch: pytest.MonkeyPatch) -> Iterator[AppDb]:  # type: ignore[no-untyped-def]
    monkeypatch.setattr(alert_rules, "load_rules", lambda metrics, spec, sources=None: RULES)
    database = AppDb(app_db_url)
    database.upgrade()
    app.server.extensions[app_state.EXTENSION] = app_state._Lazy(db=database)
    yield database
    app.server.extensions.pop(app_state.EXTENSION, None)
    database.close()


def slide(app, search: str = "?slides=alerts&interval=600") -> str:  # type: ignore[no-untyped-def]
    answers = render(flask_fetch(app.server.test_client()), "/review", search)
    (answer,) = [a for a in answers if a.what == SLIDE]
    assert answer.status == 200
    return " ".join(text_of(answer).split())


def resolved(db: AppDb, rule: str, at: datetime) -> None:
    with db.session() as s:
        record_event(s, rule=rule, series="", event="resolved", at=at, from_state="firing",
                     to_state="normal")  # fmt: skip


def test_firing_now_and_resolved_since_the_week_began_in_the_spec_zone(app, db: AppDb) -> None:  # type: ignore[no-untyped-def]
    seed_board(db)
    resolved(db, "aov_jump", datetime(2026, 3, 15, 16, 30))  # Mon 16 Mar 00:30 in Shanghai
    resolved(db, "refunds_high", datetime(2026, 3, 15, 15, 30))  # Sun 15 Mar 23:30: last week
    text = slide(app)
    assert text.startswith("Alerts Firing now (1) ● orders_below_target 7 · expected above 10")
    assert "7 paid orders against a target of 10 (−30%)" in text
    assert "critical · since 18 Mar 09:00 (3 h) · owners CEO, growth" in text
    assert "revenue_drop" not in text  # pending is not firing
    assert "Resolved this week (1) aov_jump resolved 16 Mar 00:30" in text
    assert "refunds_high" not in text


def test_the_slide_is_read_anew_each_time_it_comes_round(app, db: AppDb) -> None:  # type: ignore[no-untyped-def]
    seed_board(db)
    assert "acknowledged" not in slide(app)
    with db.session() as s:
        acknowledge(s, "orders_below_target", "", who="ana", now=NOW)
    assert "· acknowledged by ana" in slide(app)  # same request body: not a cached answer


def test_nothing_firing_says_so(app, db: AppDb) -> None:  # type: ignore[no-untyped-def]
    text = slide(app)
    assert "Firing now (0) No alerts are firing" in text
    assert "Resolved this week (0) Nothing resolved this week." in text


def test_the_default_deck_has_the_alerts_slide_after_the_drivers(app, db: AppDb) -> None:  # type: ignore[no-untyped-def]
    # orders, its Why slide, buyers, revenue_per_buyer, alerts, then the OKRs (okrs.yml beside
    # the fixture spec; their order is tested in test_okr_slide.py)
    answers = render(flask_fetch(app.server.test_client()), "/review", "?interval=600")
    first = next(a for a in answers if a.what == SLIDE)
    assert "1 / 6" in text_of(first)
