"""The Alerts page in a real browser: acknowledge a firing alert through its form, silence a
series and end the silence, and (sign-in on) a viewer refused; screenshots of the page with
firing alerts at TV and laptop sizes, and of the Overview's fired-alert marker.

The server is `northstar serve` with its own app database, seeded here as the evaluator would
leave it; the rules metrics.yml would declare are handed to it (dashboard.alert_rules), and it
runs on the real clock, so states are seeded relative to now."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import date
from pathlib import Path

import pytest
from alert_seed import seed_board
from conftest import SCREENSHOTS, TIMEOUT_MS, northstar_serve
from playwright.sync_api import expect
from sqlalchemy import delete, select

from alerts.store import record_event
from appdb import AppDb
from appdb.models import AlertEvent, AlertSilence, AlertState, Delivery, utc_now
from auth.accounts import add_user

# Run in the server process: the rules of tests/alert_seed.py instead of metrics.yml's.
WITH_RULES = (
    "import sys; sys.path.insert(0, 'tests')\n"
    "import alert_seed, dashboard.alert_rules as rules\n"
    "rules.load_rules = lambda metrics, spec, sources=None: alert_seed.RULES"
)
PASSWORD = "correct horse battery"
CARD = '.ns-alert-card[data-rule="{}"]'


def reseed(db: AppDb) -> None:
    with db.session() as s:
        for table in (AlertState, AlertEvent, AlertSilence, Delivery):
            s.execute(delete(table))
    seed_board(db, utc_now())


@pytest.fixture(scope="module")
def alerts_server(
    serving_dir: Path, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[tuple[str, AppDb]]:
    folder = tmp_path_factory.mktemp("alerts")
    app_db = f"sqlite:///{folder / 'app.db'}"
    db = AppDb(app_db)
    db.upgrade()
    extra = {"NORTHSTAR_APP_DB": app_db}
    with northstar_serve(folder, serving_dir, extra, before=WITH_RULES) as url:
        yield url, db
    db.close()


@pytest.fixture
def tab(browser, alerts_server):  # type: ignore[no-untyped-def]
    url, db = alerts_server
    reseed(db)
    context = browser.new_context(viewport={"width": 1920, "height": 1080}, base_url=url)
    page = context.new_page()
    page.set_default_timeout(TIMEOUT_MS)
    page.set_default_navigation_timeout(2 * TIMEOUT_MS)
    expect.set_options(timeout=TIMEOUT_MS)
    yield page
    context.close()


def test_acknowledge_a_firing_alert(tab, alerts_server) -> None:  # type: ignore[no-untyped-def]
    _, db = alerts_server
    tab.goto("/alerts")
    card = tab.locator(CARD.format("orders_below_target"))
    expect(card).to_contain_text("7 · expected above 10")
    card.get_by_role("button", name="Acknowledge").click()
    form = tab.get_by_role("dialog")
    expect(form).to_contain_text("orders_below_target")
    form.get_by_label("Comment").fill("on it: checking last week's app release")
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    tab.screenshot(path=str(SCREENSHOTS / "alerts-acknowledge-form-1920x1080.png"))
    form.get_by_role("button", name="Acknowledge").click()
    expect(tab.get_by_text("Acknowledged orders_below_target.")).to_be_visible()
    expect(card).to_contain_text("Acknowledged by local")
    expect(card).to_contain_text("on it: checking last week's app release")
    expect(card.get_by_role("button", name="Acknowledge")).to_have_count(0)
    expect(form).to_be_hidden()
    with db.session() as s:
        row = s.scalars(select(AlertState).where(AlertState.rule == "orders_below_target")).one()
        assert (row.acked_by, row.ack_comment) == (
            "local",
            "on it: checking last week's app release",
        )


def test_silence_a_series_then_end_it(tab, alerts_server) -> None:  # type: ignore[no-untyped-def]
    _, db = alerts_server
    tab.goto("/alerts")
    card = tab.locator(CARD.format("revenue_drop"))
    card.get_by_role("button", name="Silence").click()
    form = tab.get_by_role("dialog")
    expect(form).to_contain_text("revenue_drop (platform=ios)")
    form.get_by_text("4 hours").click()
    form.get_by_label("Comment").fill("app store outage")
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    tab.screenshot(path=str(SCREENSHOTS / "alerts-silence-form-1920x1080.png"))
    form.get_by_role("button", name="Silence").click()
    expect(tab.get_by_text("Silenced revenue_drop (platform=ios) until")).to_be_visible()
    silences = tab.locator("#alerts-silences")
    expect(silences).to_contain_text("rule revenue_drop · series platform=ios")
    expect(silences).to_contain_text("app store outage")
    expect(card).to_contain_text("Silenced until")
    with db.session() as s:
        (silence,) = s.scalars(select(AlertSilence)).all()
        assert (silence.series, silence.created_by) == ("platform=ios", "local")
    tab.locator(f'[data-silence="{silence.id}"]').get_by_role("button", name="End").click()
    expect(tab.get_by_text(f"Ended silence #{silence.id}.")).to_be_visible()
    expect(tab.locator("#alerts-silences")).to_have_text("No silences in force.")
    expect(card).not_to_contain_text("Silenced until")
    with db.session() as s:
        assert s.get(AlertSilence, silence.id).ended_by == "local"


def test_screenshots_of_the_alerts_page_and_a_marker(tab, alerts_server) -> None:  # type: ignore[no-untyped-def]
    _, db = alerts_server
    with db.session() as s:  # the NSM rule fired for the week of 9 Mar (the Overview shows it)
        record_event(s, rule="orders_below_target", series="", event="firing", at=utc_now(),
                     period=date(2026, 3, 9), detail="7 paid orders against a target of 10")  # fmt: skip
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    for width, height in ((1920, 1080), (1366, 768)):
        tab.set_viewport_size({"width": width, "height": height})
        tab.goto("/alerts")
        expect(tab.locator(CARD.format("orders_below_target"))).to_be_visible()
        expect(tab.locator("#alerts-history")).to_contain_text("orders_below_target")
        tab.screenshot(path=str(SCREENSHOTS / f"alerts-{width}x{height}.png"), full_page=True)
        tab.screenshot(path=str(SCREENSHOTS / f"alerts-{width}x{height}-fold.png"))
    tab.set_viewport_size({"width": 1920, "height": 1080})
    tab.goto("/")
    expect(tab.locator("#overview-trend .legendtext", has_text="Alerts fired")).to_be_visible()
    tab.screenshot(path=str(SCREENSHOTS / "overview-alert-marker-1920x1080.png"))
    tab.goto("/review?slides=alerts&interval=600")
    expect(tab.locator("#review-firing")).to_contain_text("orders_below_target")
    tab.screenshot(path=str(SCREENSHOTS / "review-alerts-1920x1080.png"))


# -- sign-in on ------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def signed_server(
    serving_dir: Path, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[tuple[str, AppDb]]:
    folder = tmp_path_factory.mktemp("alerts-signed")
    app_db = f"sqlite:///{folder / 'app.db'}"
    db = AppDb(app_db)
    db.upgrade()
    add_user(db, "vera", PASSWORD, "viewer", by="test")
    seed_board(db, utc_now())
    extra = {"NORTHSTAR_AUTH": "password", "NORTHSTAR_APP_DB": app_db}
    with northstar_serve(folder, serving_dir, extra, ready="/login", before=WITH_RULES) as url:
        yield url, db
    db.close()


def test_a_viewer_is_refused(browser, signed_server) -> None:  # type: ignore[no-untyped-def]
    url, db = signed_server
    context = browser.new_context(viewport={"width": 1366, "height": 768}, base_url=url)
    tab = context.new_page()
    tab.set_default_timeout(TIMEOUT_MS)
    tab.goto("/alerts")
    tab.get_by_label("Name").fill("vera")
    tab.get_by_label("Password").fill(PASSWORD)
    tab.get_by_role("button", name="Sign in").click()
    tab.wait_for_url("**/alerts")
    card = tab.locator(CARD.format("orders_below_target"))
    expect(tab.get_by_text("acknowledging and silencing need the editor role")).to_be_visible()
    card.get_by_role("button", name="Acknowledge").click()
    refusal = tab.locator(".ns-alert-refused")
    expect(refusal).to_contain_text("You are signed in as vera (viewer)")
    expect(refusal).to_contain_text("northstar users set-role vera editor")
    expect(tab.get_by_role("dialog")).to_have_count(0)
    tab.screenshot(path=str(SCREENSHOTS / "alerts-viewer-refused-1366x768.png"))
    with db.session() as s:
        row = s.scalars(select(AlertState).where(AlertState.rule == "orders_below_target")).one()
        assert row.acked_by is None
    context.close()
