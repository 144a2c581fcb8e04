"""Signing in with a real browser: the dashboard served with sign-in on, Chromium fills the
form, Dash's renderer then runs every callback with the CSRF header it takes from the cookie,
the header names the user, Sign out ends the session; a meeting-room screen link shows review
mode until it is revoked. Screenshots of the sign-in page at TV and laptop sizes."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from conftest import SCREENSHOTS, TIMEOUT_MS, northstar_serve
from playwright.sync_api import expect

from appdb import AppDb
from auth.accounts import add_user
from auth.screens import add_screen, revoke_screen

PASSWORD = "correct horse battery"


@pytest.fixture(scope="module")
def signed_server(
    serving_dir: Path, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[tuple[str, AppDb]]:
    """`northstar serve` with sign-in on (password), its own app database and one viewer."""
    folder = tmp_path_factory.mktemp("sign-in")
    app_db = f"sqlite:///{folder / 'app.db'}"
    db = AppDb(app_db)
    db.upgrade()
    add_user(db, "vera", PASSWORD, "viewer", by="test")
    extra = {"NORTHSTAR_AUTH": "password", "NORTHSTAR_APP_DB": app_db}
    with northstar_serve(folder, serving_dir, extra, ready="/login") as url:
        yield url, db
    db.close()


@pytest.fixture
def tab(browser, signed_server):  # type: ignore[no-untyped-def]
    url, _ = signed_server
    context = browser.new_context(viewport={"width": 1920, "height": 1080}, base_url=url)
    page = context.new_page()
    page.set_default_timeout(TIMEOUT_MS)
    page.set_default_navigation_timeout(2 * TIMEOUT_MS)
    expect.set_options(timeout=TIMEOUT_MS)
    yield page
    context.close()


def test_sign_in_page_at_tv_and_laptop_sizes(tab) -> None:  # type: ignore[no-untyped-def]
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    tab.goto("/metric/orders?grain=week")
    tab.wait_for_url("**/login?next=**")
    for width, height in ((1920, 1080), (1366, 768)):
        tab.set_viewport_size({"width": width, "height": height})
        expect(tab.get_by_role("button", name="Sign in")).to_be_visible()
        tab.screenshot(path=SCREENSHOTS / f"sign-in-{width}x{height}.png", full_page=True)
    tab.get_by_label("Name").fill("vera")
    tab.get_by_label("Password").fill("not the password")
    tab.get_by_role("button", name="Sign in").click()
    expect(tab.get_by_role("alert")).to_have_text("Wrong name or password.")
    tab.screenshot(path=SCREENSHOTS / "sign-in-wrong-password-1366x768.png")


def test_sign_in_use_the_pages_and_sign_out(tab) -> None:  # type: ignore[no-untyped-def]
    tab.goto("/tree")
    sign_in(tab)
    # Back on the page asked for, drawn by callbacks that carried the CSRF header.
    tab.wait_for_url("**/tree")
    expect(tab.locator(".ns-tree-contribution").first).not_to_be_empty()
    expect(tab.get_by_text("vera · viewer")).to_be_visible()
    tab.locator("#nav-overview").click()
    expect(tab.locator("#nsm-value")).to_be_visible()
    expect(tab.locator(".ns-error")).to_have_count(0)
    tab.screenshot(path=SCREENSHOTS / "signed-in-overview-1920x1080.png")
    tab.set_viewport_size({"width": 1366, "height": 768})
    expect(tab.get_by_role("button", name="Sign out")).to_be_visible()
    tab.screenshot(path=SCREENSHOTS / "signed-in-overview-1366x768.png")
    tab.get_by_role("button", name="Sign out").click()
    tab.wait_for_url("**/login")
    tab.goto("/")
    assert "/login?next=" in tab.url


def test_a_screen_link_shows_review_mode_until_revoked(browser, signed_server) -> None:  # type: ignore[no-untyped-def]
    url, db = signed_server
    screen, token = add_screen(db, "Boardroom TV", by="test")
    context = browser.new_context(viewport={"width": 1920, "height": 1080}, base_url=url)
    tv = context.new_page()
    tv.set_default_timeout(TIMEOUT_MS)
    tv.goto(f"/screen/{token}?interval=600")
    tv.wait_for_url("**/review?interval=600")
    expect(tv.locator("#review-value")).to_be_visible()
    revoke_screen(db, screen.id, by="test")
    tv.reload()
    expect(tv.get_by_text("This screen link was revoked")).to_be_visible()
    context.close()


def sign_in(tab) -> None:  # type: ignore[no-untyped-def]
    tab.get_by_label("Name").fill("vera")
    tab.get_by_label("Password").fill(PASSWORD)
    tab.get_by_role("button", name="Sign in").click()


def test_a_page_left_open_after_the_session_ended_goes_to_sign_in(tab) -> None:  # type: ignore[no-untyped-def]
    tab.goto("/tree")
    sign_in(tab)
    tab.wait_for_url("**/tree")
    expect(tab.locator(".ns-tree-contribution").first).not_to_be_empty()
    # The session ends while the page stays open (expired, or signed out in another tab).
    tab.context.clear_cookies()
    tab.locator("#nav-overview").click()  # a client-side move: only callbacks are sent
    # Their refusal reloads the page, whose own request meets the sign-in page; back after it.
    tab.wait_for_url("**/login?next=**")
    sign_in(tab)
    tab.wait_for_url(lambda url: not url.endswith(("/tree", "/login")) and "/login" not in url)
    expect(tab.locator("#nsm-value")).to_be_visible()
