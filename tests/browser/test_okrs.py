"""The OKR page in a real browser: the board drawn from the fixture shop, a check-in typed into a
manual key result's form and saved (the score, value and history update), the same with sign-in
on for an editor while a viewer sees the form shut and why; screenshots at TV and laptop sizes."""

from __future__ import annotations

import re
from collections.abc import Iterator
from datetime import date
from pathlib import Path

import pandas as pd
import pytest
from conftest import SCREENSHOTS, TIMEOUT_MS, northstar_serve
from fixture_shop import shop_tables
from playwright.sync_api import Page, expect

from appdb import AppDb
from auth.accounts import add_user
from okrs.store import check_ins

PASSWORD = "correct horse battery"


def weekly_paid_orders(first: date, last: date) -> int:
    orders = shop_tables()["raw.orders"]
    day = (orders["ordered_at"] + pd.Timedelta(hours=8)).dt.date
    return int(((orders["status"] == "paid") & (day >= first) & (day <= last)).sum())


@pytest.fixture(scope="module")
def open_server(
    serving_dir: Path, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[tuple[str, str]]:
    folder = tmp_path_factory.mktemp("okrs-open")
    with northstar_serve(folder, serving_dir) as url:
        yield url, f"sqlite:///{folder / 'app.db'}"


@pytest.fixture(scope="module")
def signed_server(
    serving_dir: Path, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[tuple[str, AppDb]]:
    folder = tmp_path_factory.mktemp("okrs-signed")
    db = AppDb(f"sqlite:///{folder / 'app.db'}")
    db.upgrade()
    add_user(db, "vera", PASSWORD, "viewer", by="test")
    add_user(db, "eddie", PASSWORD, "editor", by="test")
    with northstar_serve(
        folder, serving_dir, {"NORTHSTAR_AUTH": "password"}, ready="/login"
    ) as url:
        yield url, db
    db.close()


def new_tab(browser, url: str, width: int = 1920, height: int = 1080) -> Page:  # type: ignore[no-untyped-def]
    context = browser.new_context(viewport={"width": width, "height": height}, base_url=url)
    tab = context.new_page()
    tab.set_default_timeout(TIMEOUT_MS)
    tab.set_default_navigation_timeout(2 * TIMEOUT_MS)
    expect.set_options(timeout=TIMEOUT_MS)
    return tab


def open_check_in(tab: Page, ref: str) -> None:
    tab.locator(f"#okr-kr-{ref}").get_by_role("button", name=re.compile("^Check in")).click()


def check_in(tab: Page, ref: str, value: str | None, confidence: str, comment: str) -> None:
    open_check_in(tab, ref)
    form = tab.locator(f"#okr-kr-{ref}")
    if value is not None:
        form.get_by_label(re.compile("Value now")).fill(value)
    form.get_by_label("Confidence (0–10)").click()
    tab.get_by_role("option", name=confidence, exact=True).click()
    form.get_by_label("Progress").fill(comment)
    form.get_by_role("button", name="Save check-in").click()


def test_the_board_and_a_check_in_with_sign_in_off(browser, open_server) -> None:  # type: ignore[no-untyped-def]
    url, app_db = open_server
    tab = new_tab(browser, url)
    tab.goto("/okrs")
    week = weekly_paid_orders(date(2026, 3, 9), date(2026, 3, 15))
    expect(tab.locator("#okr-value-grow_orders--weekly_orders")).to_have_text(f"{week:,}")
    expect(tab.locator("#okr-objective-basket_size")).to_be_visible()
    expect(tab.locator("#okr-value-win_ios--partners")).to_have_text("no value yet")
    expect(tab.locator("#okr-spark-grow_orders--weekly_orders .main-svg").first).to_be_visible()
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    tab.screenshot(path=SCREENSHOTS / "okrs-board-1920x1080.png", full_page=True)
    tab.set_viewport_size({"width": 1366, "height": 768})
    tab.screenshot(path=SCREENSHOTS / "okrs-board-1366x768.png", full_page=True)
    tab.screenshot(path=SCREENSHOTS / "okrs-board-1366x768-first-screen.png")

    check_in(tab, "win_ios--partners", "3", "7", "three app stores signed")
    expect(tab.get_by_text("Check-in saved")).to_be_visible()
    expect(tab.locator("#okr-value-win_ios--partners")).to_have_text("3 partners")
    expect(tab.locator("#okr-score-win_ios--partners")).to_have_text("0.75")
    open_check_in(tab, "win_ios--partners")
    history = tab.locator("#okr-history-win_ios--partners")
    expect(history).to_contain_text("local")
    expect(history).to_contain_text("three app stores signed")
    expect(history).to_contain_text("confidence 7/10")
    tab.screenshot(path=SCREENSHOTS / "okrs-check-in-1366x768.png")
    db = AppDb(app_db)
    with db.session() as s:
        [saved] = check_ins(s)
    db.close()
    assert (saved.who, saved.value, saved.confidence) == ("local", 3.0, 7)

    tab.goto("/okrs?quarter=2026-Q4")
    expect(tab.get_by_text("No objectives for 2026-Q4.")).to_be_visible()
    tab.get_by_role("textbox", name="Quarter").click()  # the picker writes the address
    tab.get_by_role("option", name="2026-Q1").click()
    tab.wait_for_url("**/okrs?quarter=2026-Q1")
    expect(tab.locator("#okr-value-win_ios--partners")).to_have_text("3 partners")
    tab.goto("/okrs?quarter=2026-Q9")
    expect(tab.get_by_text("This address cannot be shown as written")).to_be_visible()
    tab.context.close()


def sign_in(tab: Page, name: str) -> None:
    tab.goto("/okrs")
    tab.get_by_label("Name").fill(name)
    tab.get_by_label("Password").fill(PASSWORD)
    tab.get_by_role("button", name="Sign in").click()
    tab.wait_for_url("**/okrs")


def test_an_editor_checks_in_and_a_viewer_cannot(browser, signed_server) -> None:  # type: ignore[no-untyped-def]
    url, db = signed_server
    editor = new_tab(browser, url, 1366, 768)
    sign_in(editor, "eddie")
    check_in(editor, "grow_orders--weekly_orders", None, "8", "holiday peak ahead")
    expect(editor.get_by_text("Check-in saved")).to_be_visible()
    open_check_in(editor, "grow_orders--weekly_orders")
    expect(editor.locator("#okr-history-grow_orders--weekly_orders")).to_contain_text("eddie")
    editor.context.close()

    viewer = new_tab(browser, url, 1366, 768)
    sign_in(viewer, "vera")
    open_check_in(viewer, "grow_orders--weekly_orders")
    form = viewer.locator("#okr-kr-grow_orders--weekly_orders")
    expect(form.get_by_text("Check-ins need the editor role")).to_be_visible()
    expect(form.get_by_role("button", name="Save check-in")).to_be_disabled()
    expect(form.locator("#okr-history-grow_orders--weekly_orders")).to_contain_text(
        "holiday peak ahead"
    )
    viewer.screenshot(path=SCREENSHOTS / "okrs-viewer-1366x768.png")
    viewer.context.close()
    with db.session() as s:
        assert [(c.who, c.confidence) for c in check_ins(s)] == [("eddie", 8)]


def test_the_review_okrs_slide_on_a_tv(browser, open_server) -> None:  # type: ignore[no-untyped-def]
    """Review mode's OKRs slide at 1920×1080: every objective on screen in large type, the
    footer (position, freshness) still visible below them."""
    url, _ = open_server
    tab = new_tab(browser, url)
    tab.goto("/review?slides=nsm,okrs&interval=600")
    expect(tab.locator("#review-title")).to_have_attribute("data-metric", "orders")
    tab.goto("/review?slides=okrs&interval=600")
    expect(tab.locator("#review-title")).to_have_text("OKRs · 2026-Q1")
    for objective in ("grow_orders", "win_ios", "basket_size"):
        expect(tab.locator(f"#review-okr-{objective}")).to_be_in_viewport()
    expect(tab.locator("#review-position")).to_be_in_viewport()
    size = tab.locator("#review-okr-grow_orders .ns-slide-okr-score").evaluate(
        "e => parseFloat(getComputedStyle(e).fontSize)"
    )
    assert size >= 48  # readable from the back of the room
    tab.screenshot(path=SCREENSHOTS / "review-okrs-1920x1080.png")
    tab.context.close()
