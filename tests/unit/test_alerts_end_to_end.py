"""From YAML to the page: rules written in an alerts.yml beside the fixture shop's metrics.yml are
read by the page through the real seam (alerts.spec), one check of the real evaluator
(alerts.evaluate.check: conditions, state machine, explanation, outbox) runs on the shop's
snapshot, and the Alerts page, the Overview's marker and review mode show what it wrote — the
value checked against paid orders counted with pandas from the shop's rows."""

from __future__ import annotations

import json
import shutil
from collections.abc import Iterator
from datetime import date
from pathlib import Path

import pandas as pd
import pytest
from alert_seed import NOW
from browser.fixture_shop import AS_OF, SPEC, build_shop, shop_tables
from page_client import flask_fetch, join_warm_ups, register_page_callbacks, render
from test_alerts_page import text_of

from alerts.evaluate import check
from alerts.spec import load_alerts
from appdb import AppDb
from dashboard import app_state
from settings import Settings

ALERTS_YML = """\
alerts:
  rules:
    - name: orders_under_100
      metric: orders
      grain: week
      condition: {below: 100}
      severity: critical
      owners: [CEO]
      summary: Fewer than 100 paid orders in a week
    - name: orders_over_1000
      metric: orders
      grain: week
      condition: {above: 1000}
"""


@pytest.fixture(scope="module")
def project(tmp_path_factory: pytest.TempPathFactory) -> Path:
    folder = tmp_path_factory.mktemp("e2e")
    shutil.copy(SPEC, folder / "metrics.yml")
    (folder / "alerts.yml").write_text(ALERTS_YML)
    build_shop(folder / "shop")
    return folder


@pytest.fixture(scope="module")
def app(project: Path) -> Iterator:  # type: ignore[type-arg]
    from dashboard.server import create_dash

    register_page_callbacks()
    dash_app = create_dash(
        Settings(
            metrics=project / "metrics.yml",
            serving_dir=project / "shop" / "serving",
            as_of=AS_OF.isoformat(),
            app_db=f"sqlite:///{project / 'unused.db'}",
        )
    )
    dash_app.server.extensions[app_state.CLOCK] = lambda: NOW
    yield dash_app
    join_warm_ups()
    dash_app.server.extensions["northstar"].close()


@pytest.fixture
def checked(app, project: Path, app_db_url: str) -> Iterator[AppDb]:  # type: ignore[no-untyped-def]
    """The app database after one real check of the rules at NOW."""
    db = AppDb(app_db_url)
    db.upgrade()
    service = app.server.extensions["northstar"].service_for(None)  # the served snapshot's
    config = load_alerts(project / "metrics.yml", service.spec)
    report = check(service, config, db, NOW)
    assert report.firing == 1, report.summary()
    app.server.extensions[app_state.EXTENSION] = app_state._Lazy(db=db)
    yield db
    app.server.extensions.pop(app_state.EXTENSION, None)
    db.close()


def paid_orders_in_week(monday: date) -> int:
    """Paid orders whose Shanghai-local day (UTC+8, no DST) falls in the week from `monday`."""
    orders = shop_tables()["raw.orders"]
    paid = orders[orders["status"] == "paid"]
    day = (paid["ordered_at"] + pd.Timedelta(hours=8)).dt.date
    return int(day.between(monday, monday + pd.Timedelta(days=6)).sum())


def test_a_real_check_shows_on_the_page_with_its_value_and_explanation(app, checked: AppDb) -> None:  # type: ignore[no-untyped-def]
    answers = render(flask_fetch(app.server.test_client()), "/alerts")
    text = " ".join(" ".join(text_of(a).split()) for a in answers)
    week = paid_orders_in_week(date(2026, 3, 9))  # the last complete week before Wed 18 Mar
    assert (
        f"critical Firing orders_under_100 Orders Firing since 18 Mar 12:00 (for 0 s) {week} · expected at least 100 · W11 · 9 Mar 2026"
        in text
    )
    assert f"{week} in the week of 9 Mar 2026: {100 - week} below 100" in text  # its detail
    assert "Top segments platform=" in text  # alerts.why's segments, carried by the outbox
    assert "alerts.yml:3 Orders · week at least 100" in text  # where the rule is, not where it sits
    assert str(app.server.extensions["northstar"].settings.metrics.parent) not in text
    assert "Owners: CEO" in text and "Fewer than 100 paid orders in a week" in text
    assert "/drivers?metric=orders&from=2026-03-09&to=2026-03-15&compare=custom" in text
    assert "orders_over_1000" in text and "Normal" in text  # checked, within its condition
    assert "orders_under_100 firing" in text  # the history


def test_a_real_firing_is_marked_on_the_overview_at_the_weeks_count(app, checked: AppDb) -> None:  # type: ignore[no-untyped-def]
    answers = {a.what: a.text for a in render(flask_fetch(app.server.test_client()), "/")}
    figure = json.loads(answers["overview-trend.figure"])["response"]["overview-trend"]["figure"]
    (trace,) = [op["params"]["value"] for op in figure["operations"]]
    week = paid_orders_in_week(date(2026, 3, 9))
    assert (trace["x"], trace["y"]) == (["2026-03-09"], [float(week)])
    assert "orders_under_100" in trace["customdata"][0]


def test_review_mode_deck_ends_with_the_alerts_slide(app, checked: AppDb) -> None:  # type: ignore[no-untyped-def]
    answers = render(flask_fetch(app.server.test_client()), "/review", "?slides=alerts")
    (slide,) = [a for a in answers if a.what == "review-slide.children"]
    assert "Firing now (1)" in text_of(slide) and "orders_under_100" in text_of(slide)
    first = render(flask_fetch(app.server.test_client()), "/review", "?interval=600")
    (opening,) = [a for a in first if a.what == "review-slide.children"]
    assert "1 / 5" in text_of(opening)  # orders, why, buyers, revenue_per_buyer, alerts
