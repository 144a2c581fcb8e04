"""The Drivers page read as a person would, on the fixture shop as of 2026-03-18.

Literal numbers were computed by hand with pandas from fixture_shop.shop_tables (paid orders by
Shanghai day): 2026-03-02..08 has 11 orders from 10 buyers, ¥1,078.00 (android 5, ios 3, web 3);
2026-03-09..15 has 13 orders from 13 buyers, ¥1,779.58 (web 8, ios 4, android 1). The fixture tree
says orders = buyers × revenue_per_buyer, which is revenue: LMDI with L(1779.58, 1078) = 1399.6 gives
buyers 1399.6 · ln(13/10) = +367.21 and revenue per buyer 1399.6 · ln(136.89/107.80) = +334.37; the
identity does not hold for orders, so "not explained" carries 2 − 701.58 = −699.58. The page shows
counts whole: +367, +334, −700.
"""

from __future__ import annotations

from datetime import date

from playwright.sync_api import expect

from analysis.explain import explain
from analysis.ranges import DayRange
from dashboard.formatting import format_delta

SUMMARY = "#drivers-summary"
# An explanation runs a few dozen queries; on a busy 2-core machine the first one takes a while.
SLOW = 180_000


def test_default_view_waterfall_and_segments(page, service) -> None:
    page.goto("/drivers")  # default: last complete week vs the week before, the NSM
    expect(page.locator(SUMMARY)).to_have_text("11 → 13 · +2 (+18.2%)", timeout=SLOW)
    bars = page.locator("#drivers-waterfall text.bartext")
    # plotly draws after its bundle loads: wait for the bars, not a fixed time
    # a count's contributions read as counts: whole, by the production formatter
    expect(bars).to_have_text(["11", "+367", "+334", "-700", "13"], timeout=SLOW)
    first = page.locator("#drivers-segments tbody tr").first
    expect(first.locator("td")).to_have_text(
        ["1", "platform=web", "3", "8", "+5", "250%", "difference", "Explorer"]
    )
    # the same numbers as the service's explanation of the same ranges
    result = explain(
        service,
        "orders",
        DayRange(date(2026, 3, 9), date(2026, 3, 15)),
        DayRange(date(2026, 3, 2), date(2026, 3, 8)),
    )
    metric = service.spec.metric("orders")
    parts = [r.contribution for r in result.drivers if r.parent == "orders"]
    expect(bars).to_have_text(
        ["11", *(format_delta(p, metric, service.spec.currency) for p in parts), "13"]
    )
    assert result.segments.findings[0].label == "platform=web"
    href = first.locator("a").get_attribute("href")
    assert href.startswith("/metric/orders?") and "filters=platform%3Dweb" in href


def test_custom_ranges_from_the_url_and_descend_into_a_driver(page) -> None:
    page.goto(
        "/drivers?metric=revenue&from=2026-03-09&to=2026-03-15"
        "&compare=custom&vs_from=2026-03-02&vs_to=2026-03-08"
    )
    expect(page.locator(SUMMARY)).to_have_text(
        "¥1,078.00 → ¥1,779.58 · +¥701.58 (+65.1%)", timeout=SLOW
    )
    page.goto("/drivers?from=2026-03-09&to=2026-03-15&compare=previous")
    page.get_by_text("Explain Buyers: 10 → 13").click(timeout=SLOW)
    page.wait_for_function("() => location.search.includes('metric=buyers')", timeout=SLOW)
    expect(page.locator(SUMMARY)).to_have_text("10 → 13 · +3 (+30.0%)", timeout=SLOW)


def test_bad_url_values_are_named_in_place_with_a_way_to_the_defaults(page) -> None:
    # One URL schema for every page (issue 9.5): a value the page cannot show is not silently
    # replaced by a default; each problem is named, and one click opens the default view.
    page.goto("/drivers?metric=nope&from=2026-13-40&to=x&compare=sideways&compare=previous")
    error = page.locator(".ns-error")
    expect(error).to_contain_text("cannot be shown as written", timeout=SLOW)
    for problem in (
        "there is no metric called 'nope'",
        "`from`: 2026-13-40 is not a day of the calendar",
        "`to`: write days as YYYY-MM-DD",
        "`compare` is given 2 times",
    ):
        expect(error).to_contain_text(problem)
    page.get_by_text("Open the Drivers page with its default settings").click()
    expect(page.locator(SUMMARY)).to_have_text("11 → 13 · +2 (+18.2%)", timeout=SLOW)


def test_leadlag_panel_names_each_driver(page) -> None:
    page.goto("/drivers?from=2026-03-09&to=2026-03-15")
    panel = page.locator("#drivers-leadlag")
    expect(panel).to_contain_text("Which driver leads?", timeout=SLOW)
    expect(panel).to_contain_text("Buyers")
    expect(panel).to_contain_text("Revenue per buyer")
    expect(panel).to_contain_text("Correlation is not causation")
