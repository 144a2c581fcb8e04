""" "Why did it move?" on the Explorer, Tree, Overview, review mode and Drivers, read as a person
would on the fixture shop (as of 2026-03-18), against numbers computed here by hand with pandas.

The hand-made weeks (fixture_shop.HANDMADE_ORDERS, March 2020, nothing else in the data then):
W10 (2–8 Mar) has 4 paid orders from 3 buyers, ¥200.00; W11 (9–15 Mar) 7 orders from 3 buyers,
¥150.00. The fixture's tree says orders = buyers × revenue_per_buyer (which is revenue, not orders),
so LMDI splits the product's change: L(150, 200) = −50 / ln(0.75) = 173.80; buyers 173.80 · ln(3/3)
= 0, revenue per buyer 173.80 · ln(50/66.67) = −50, and "not explained" carries 3 − (−50) = +53.
Every order is web; size=small (amount < 100) has 3 then 7 orders, the segment search's answer.
"""

from __future__ import annotations

import math
from datetime import date
from urllib.parse import parse_qs, urlsplit

import pandas as pd
import pytest
from fixture_shop import shop_tables
from playwright.sync_api import expect

from analysis.explain import explain
from analysis.ranges import DayRange

SLOW = 180_000  # a first explanation runs a few dozen queries on a busy 2-core machine
W10_2020, W11_2020 = ("2020-03-02", "2020-03-08"), ("2020-03-09", "2020-03-15")
W10, W11 = ("2026-03-02", "2026-03-08"), ("2026-03-09", "2026-03-15")
MOVER_2020 = (
    "Biggest mover: revenue per buyer, -50 of +3 orders vs the previous week. "
    "The product of its drivers leaves +53 unexplained."
)


@pytest.fixture(scope="module")
def paid() -> pd.DataFrame:
    """Paid orders with their Shanghai day (the spec's time zone; the rows are naive UTC)."""
    orders = shop_tables()["raw.orders"]
    orders = orders[orders["status"] == "paid"].copy()
    orders["day"] = (orders["ordered_at"] + pd.Timedelta(hours=8)).dt.normalize()
    return orders


def week(paid: pd.DataFrame, days: tuple[str, str]) -> pd.DataFrame:
    return paid[(paid["day"] >= days[0]) & (paid["day"] <= days[1])]


def by_hand(paid: pd.DataFrame, now: tuple[str, str], then: tuple[str, str]) -> dict[str, float]:
    """Orders' change and its LMDI split over buyers × revenue per buyer (whose product is
    revenue), worked out from the rows."""
    w1, w0 = week(paid, now), week(paid, then)
    b0, b1 = w0["customer_id"].nunique(), w1["customer_id"].nunique()
    r0, r1 = w0["amount"].sum(), w1["amount"].sum()
    weight = (r1 - r0) / math.log(r1 / r0)
    buyers = weight * math.log(b1 / b0)
    per_buyer = weight * math.log((r1 / b1) / (r0 / b0))
    change = len(w1) - len(w0)
    return {
        "before": len(w0),
        "after": len(w1),
        "change": change,
        "buyers": buyers,
        "revenue_per_buyer": per_buyer,
        "left": change - buyers - per_buyer,
    }


def signed(value: float) -> str:
    """A count's contribution as people read it: whole, signed."""
    return f"{value:+,.0f}"


def test_explorer_why_panel_matches_the_rows_and_links_to_drivers(page, paid) -> None:
    page.goto(
        f"/metric/orders?grain=week&range=custom&start={W10_2020[0]}&end={W11_2020[1]}"
        "&compare=previous&filters=size%3Dsmall"
    )
    expect(page.locator("#explorer-value")).to_have_text("7")  # every W11 order is small
    expect(page.locator("#explorer-why-summary")).to_have_count(0)  # nothing asked, nothing run
    page.locator("#explorer-why button[data-accordion-control]").click()
    summary = page.locator("#explorer-why-summary")
    expect(summary).to_have_text("3 → 7 · +4 (+133.3%)", timeout=SLOW)
    small = paid[paid["amount"] < 100]
    before, after = len(week(small, W10_2020)), len(week(small, W11_2020))
    expect(summary).to_contain_text(f"{before} → {after} · {after - before:+d}")
    link = page.locator("#explorer-why-link")
    query = parse_qs(urlsplit(link.get_attribute("href")).query)
    assert query == {
        "metric": ["orders"],
        "from": [W11_2020[0]],
        "to": [W11_2020[1]],
        "compare": ["previous"],
        "filters": ["size=small"],
    }
    link.click()  # the same question, in full, on the Drivers page
    expect(page.locator("#drivers-summary")).to_have_text("3 → 7 · +4 (+133.3%)", timeout=SLOW)


def test_explorer_why_panel_drivers_and_segments(page, paid) -> None:
    page.goto(
        f"/metric/orders?grain=week&range=custom&start={W10_2020[0]}&end={W11_2020[1]}"
        "&compare=previous"
    )
    page.locator("#explorer-why button[data-accordion-control]").click()
    expect(page.locator("#explorer-why-summary")).to_have_text("4 → 7 · +3 (+75.0%)", timeout=SLOW)
    hand = by_hand(paid, W11_2020, W10_2020)
    rows = page.locator("#explorer-why-drivers tbody tr")
    expect(rows.nth(0).locator("td")).to_have_text(["Buyers", "3 → 3", "+0", "0%"])
    expect(rows.nth(1).locator("td")).to_have_text(
        ["Revenue per buyer", "66.67 → 50", "-50", "-1667%"]
    )
    expect(rows.nth(2).locator("td")).to_have_text(["not explained", "", "+53", "1767%"])
    for i, key in enumerate(("buyers", "revenue_per_buyer", "left")):
        expect(rows.nth(i).locator("td").nth(2)).to_have_text(signed(hand[key]))
    web_small = paid[(paid["platform"] == "web") & (paid["amount"] < 100)]
    then, now = len(week(web_small, W10_2020)), len(week(web_small, W11_2020))
    expect(page.locator("#explorer-why-segments li").first).to_have_text(
        f"platform=web × size=small: {now - then:+d} of {hand['change']:+d}, difference; "
        f"it rose from {then} to {now}"
    )


def test_tree_edges_show_each_childs_contribution(page, paid, service) -> None:
    page.goto("/tree?as_of=2020-03-18")
    expect(page.locator('[data-edge="orders>buyers"]')).to_have_text("+0 of +3", timeout=SLOW)
    expect(page.locator('[data-edge="orders>revenue_per_buyer"]')).to_have_text("-50 of +3")
    expect(page.locator('[data-edge="orders>"]')).to_have_text("Not explained by the product: +53")
    page.goto("/tree")  # the latest complete week, 9–15 Mar 2026, against the week before
    hand = by_hand(paid, W11, W10)
    of = f"of {hand['change']:+d}"
    buyers = page.locator('[data-edge="orders>buyers"]')
    expect(buyers).to_have_text(f"{signed(hand['buyers'])} {of}", timeout=SLOW)
    expect(page.locator('[data-edge="orders>revenue_per_buyer"]')).to_have_text(
        f"{signed(hand['revenue_per_buyer'])} {of}"
    )
    # and the service's own split of the same weeks says the same
    result = explain(
        service,
        "orders",
        DayRange(*map(date.fromisoformat, W11)),
        DayRange(*map(date.fromisoformat, W10)),
        dimensions=[],
    )
    share = {r.metric: r.contribution for r in result.drivers if r.parent == "orders"}
    assert share["buyers"] == pytest.approx(hand["buyers"])
    assert share["residual"] == pytest.approx(hand["left"])


def test_overview_names_the_biggest_mover(page, paid) -> None:
    page.goto("/?as_of=2020-03-18")
    expect(page.locator("#overview-mover")).to_have_text(MOVER_2020, timeout=SLOW)
    page.goto("/")
    hand = by_hand(paid, W11, W10)
    assert abs(hand["buyers"]) > abs(hand["revenue_per_buyer"])
    expect(page.locator("#overview-mover")).to_have_text(
        f"Biggest mover: buyers, {signed(hand['buyers'])} of {hand['change']:+d} orders vs the "
        f"previous week. The product of its drivers leaves {signed(hand['left'])} unexplained.",
        timeout=SLOW,
    )
    href = page.locator("#overview-why-link").get_attribute("href")
    assert href == f"/drivers?metric=orders&from={W11[0]}&to={W11[1]}&compare=previous"


def test_review_why_slide_and_drivers_trend(page, paid) -> None:
    page.goto("/review?slides=why&interval=600&as_of=2020-03-18")
    expect(page.locator("#review-why-mover")).to_have_text(MOVER_2020, timeout=SLOW)
    bars = page.locator("#review-why-waterfall text.bartext")
    expect(bars).to_have_text(["4", "+0", "-50", "+53", "7"])
    expect(page.locator("#review-why-segments li").first).to_have_text(
        "platform=web × size=small: +4 of +3, difference; it rose from 3 to 7"
    )
    page.goto(f"/drivers?from={W11_2020[0]}&to={W11_2020[1]}&as_of=2020-03-18")
    expect(page.locator("#drivers-waterfall text.bartext")).to_have_text(
        ["4", "+0", "-50", "+53", "7"], timeout=SLOW
    )
    expect(page.locator("#drivers-segment-trend-title")).to_have_text(
        "Top segment platform=web × size=small: 3 → 7, day by day"
    )
    page.wait_for_function(
        "() => document.querySelector('#drivers-segment-trend .js-plotly-plot')?.data?.length === 2"
    )
    shown = page.locator("#drivers-segment-trend .js-plotly-plot").evaluate(
        "e => e.data.map(t => [t.name, t.y])"
    )
    web_small = paid[(paid["platform"] == "web") & (paid["amount"] < 100)]

    def per_day(days: tuple[str, str]) -> list[int]:
        counts = week(web_small, days).groupby("day").size()
        return counts.reindex(pd.date_range(*days), fill_value=0).tolist()

    assert shown == [["2–8 Mar 2020", per_day(W10_2020)], ["9–15 Mar 2020", per_day(W11_2020)]]
