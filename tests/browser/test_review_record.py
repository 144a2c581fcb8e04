"""The weekly review record in a real browser (Chromium, `northstar serve` on a shop of its own):
an editor (sign-in off: "local") starts the week's review, reads its frozen numbers, adds a note
and an action, ticks it done; a corrected snapshot published afterwards leaves the frozen numbers
and shows today's beside them, highlighted. A meeting-room screen link (sign-in on) shows the
record read-only. Screenshots of /reviews/<week> at TV and laptop sizes."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import datetime
from pathlib import Path

import pytest
from conftest import SCREENSHOTS, TIMEOUT_MS, northstar_serve
from fixture_shop import build_shop, shop_tables
from playwright.sync_api import expect
from review_support import W11, in_week, paid_orders, week_figures

from appdb import AppDb
from auth.accounts import add_user
from auth.screens import add_screen
from reviews import IsoWeek, start_review
from warehouse import SnapshotStore, Warehouse

WEEK = "2026-W11"


@pytest.fixture(scope="module")
def shop(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[str, Path]]:
    """A server on a shop of its own (this test publishes a corrected snapshot into it)."""
    folder = tmp_path_factory.mktemp("reviews")
    serving = build_shop(folder / "shop")
    extra = {"NORTHSTAR_APP_DB": f"sqlite:///{folder / 'app.db'}"}
    with northstar_serve(folder, serving, extra, ready="/reviews") as url:
        yield url, folder


def _tab(browser, url: str, width: int = 1920, height: int = 1080):  # type: ignore[no-untyped-def]
    context = browser.new_context(viewport={"width": width, "height": height}, base_url=url)
    tab = context.new_page()
    tab.set_default_timeout(TIMEOUT_MS)
    tab.set_default_navigation_timeout(2 * TIMEOUT_MS)
    expect.set_options(timeout=TIMEOUT_MS)
    return context, tab


def _publish_corrected(folder: Path) -> None:
    """Three of the week's paid orders refunded after the meeting; a new snapshot published."""
    tables = shop_tables()
    orders = tables["raw.orders"].copy()
    refunded = in_week(paid_orders(tables), W11)["order_id"].head(3)
    orders.loc[orders["order_id"].isin(refunded), "status"] = "refunded"
    file = folder / "corrected.duckdb"
    with Warehouse(file) as wh:
        for table, frame in {**tables, "raw.orders": orders}.items():
            wh.replace_table(table, frame)
        wh.checkpoint()
    SnapshotStore(folder / "shop" / "serving").publish(file)


def _cell(tab, slide: str, key: str, column: int) -> str:  # type: ignore[no-untyped-def]
    row = tab.locator(f"#record-numbers-{slide} tr[data-key='{key}']")
    return row.locator("td").nth(column).inner_text()


def test_an_editor_records_the_week_and_a_correction_shows_beside_it(browser, shop) -> None:  # type: ignore[no-untyped-def]
    url, folder = shop
    numbers = week_figures(shop_tables(), W11)
    context, tab = _tab(browser, url)
    tab.goto("/reviews")
    expect(tab.get_by_text("No reviews yet.")).to_be_visible()
    tab.get_by_role("link", name=f"review of {WEEK}").click()
    tab.get_by_role("button", name=f"Start the review of {WEEK}").click()
    expect(tab.locator("#record-title")).to_have_text(f"Review {WEEK} · 9–15 Mar 2026")
    assert _cell(tab, "nsm", "value", 1) == f"{numbers['orders']:.0f}"
    assert _cell(tab, "driver-buyers", "value", 1) == f"{numbers['buyers']:.0f}"

    tab.get_by_label("Note", exact=True).fill("Web orders carried the week")
    tab.get_by_role("button", name="Add note").click()
    expect(tab.locator("#record-slide-nsm")).to_contain_text("Web orders carried the week — local")
    tab.get_by_label("Action", exact=True).fill("Check the web funnel")
    tab.get_by_label("Owner").fill("bob")
    tab.get_by_label("Due").fill("2026-03-25")
    tab.get_by_role("button", name="Add action").click()
    row = tab.locator("#record-actions tr", has_text="Check the web funnel")
    expect(row).to_contain_text("bob")
    expect(row).to_contain_text("25 Mar 2026")
    row.get_by_role("checkbox").check()
    expect(row).to_contain_text("by local")
    tab.reload()  # it is in the database, not only on the page
    expect(tab.locator("#record-actions tr", has_text="Check the web funnel")).to_contain_text(
        "by local"
    )
    expect(tab.locator("#record-slide-nsm")).to_contain_text("Web orders carried the week")

    _publish_corrected(folder)
    tab.reload()
    expect(tab.locator("#record-differences")).to_be_visible()
    changed = tab.locator("#record-numbers-nsm tr.ns-record-changed[data-key='value']")
    expect(changed).to_be_visible()
    assert _cell(tab, "nsm", "value", 1) == f"{numbers['orders']:.0f}"  # as frozen
    assert _cell(tab, "nsm", "value", 2) == f"{numbers['orders'] - 3:.0f}"  # now
    tab.get_by_label("Decision").fill("Ask finance why three orders were refunded")
    tab.get_by_role("button", name="Add decision").click()
    expect(tab.locator("#record-decisions")).to_contain_text("Ask finance")

    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    for width, height in ((1920, 1080), (1366, 768)):
        tab.set_viewport_size({"width": width, "height": height})
        expect(tab.locator("#record-numbers-nsm")).to_be_visible()
        tab.screenshot(path=SCREENSHOTS / f"reviews-week-{width}x{height}.png")
        tab.screenshot(path=SCREENSHOTS / f"reviews-week-{width}x{height}-full.png", full_page=True)
    tab.goto("/reviews")
    week_row = tab.locator(f"#reviews-table tr[data-week='{WEEK}']")
    expect(week_row).to_contain_text("0 of 1")  # the action was ticked done
    tab.screenshot(path=SCREENSHOTS / "reviews-list-1366x768.png")
    context.close()


@pytest.fixture(scope="module")
def signed_shop(serving_dir: Path, tmp_path_factory: pytest.TempPathFactory, service):  # type: ignore[no-untyped-def]
    """Sign-in on, the shared fixture shop, a review of the week started by an editor."""
    folder = tmp_path_factory.mktemp("reviews-signed")
    app_db = f"sqlite:///{folder / 'app.db'}"
    db = AppDb(app_db)
    db.upgrade()
    add_user(db, "eddie", "correct horse battery", "editor", by="test")
    start_review(db, IsoWeek.parse(WEEK), service, "eddie", datetime(2026, 3, 16, 9))
    extra = {"NORTHSTAR_AUTH": "password", "NORTHSTAR_APP_DB": app_db}
    with northstar_serve(folder, serving_dir, extra, ready="/login") as url:
        yield url, db
    db.close()


def test_a_screen_link_shows_the_weeks_record_read_only(browser, signed_shop, service) -> None:  # type: ignore[no-untyped-def]
    url, db = signed_shop
    _, token = add_screen(db, "Boardroom TV", by="test")
    context, tv = _tab(browser, url)
    tv.goto(f"/screen/{token}?interval=600")
    tv.wait_for_url("**/review?interval=600")
    tv.locator("#review-record-link").click()  # review mode's "Record for this week"
    tv.wait_for_url("**/review/record")
    expect(tv.locator("#record-title")).to_have_text(f"Review {WEEK} · 9–15 Mar 2026")
    numbers = week_figures(shop_tables(), W11)
    expect(tv.locator("#record-numbers-nsm tr[data-key='value'] td").nth(1)).to_have_text(
        f"{numbers['orders']:.0f}"
    )
    # Read-only: no form, no done box, no button.
    for field in ("textarea", "input[type=checkbox]", "button"):
        expect(tv.locator(f"#tv-record-body {field}")).to_have_count(0)
    tv.screenshot(path=SCREENSHOTS / "review-record-tv-1920x1080.png")
    tv.goto(f"/reviews/{WEEK}")  # the editable page is not for screens
    tv.wait_for_url("**/review")
    context.close()
