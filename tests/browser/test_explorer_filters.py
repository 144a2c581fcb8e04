"""The Explorer's grain `all` and filter builder, clicked as a person would; every number shown is
checked against pandas over the fixture shop's own rows, computed here by hand."""

from __future__ import annotations

import csv
import io
from datetime import date, timedelta
from pathlib import Path

import pandas as pd
from fixture_shop import shop_tables
from playwright.sync_api import expect
from test_pages import _pick, at, shown

START, END = date(2025, 12, 1), date(2026, 2, 28)  # a complete range: 90 days before the as-of day
RANGE = f"range=custom&start={START}&end={END}"


def paid_orders() -> pd.DataFrame:
    """The fixture's orders that `revenue` counts (status paid), with their day in Shanghai."""
    orders = shop_tables()["raw.orders"]
    local = (
        pd.to_datetime(orders["ordered_at"]).dt.tz_localize("UTC").dt.tz_convert("Asia/Shanghai")
    )
    orders = orders.assign(day=local.dt.date)
    return orders[orders["status"] == "paid"]


def revenue(rows: pd.DataFrame, first: date, last: date) -> float:
    return float(rows[(rows["day"] >= first) & (rows["day"] <= last)]["amount"].sum())


def change_text(now: float, then: float) -> str:
    change = (now - then) / then
    return f"{'▲' if change > 0 else '▼'} {abs(change):.1%}"


def add_filter(page, name: str, op: str, *, number: str | None = None, values=()) -> None:  # type: ignore[no-untyped-def]
    _pick(page, "explorer-filter-dimension", name)
    _pick(page, "explorer-filter-op", op)
    if number is not None:
        page.locator("#explorer-filter-number").fill(number)
        page.locator("#explorer-filter-number").press("Tab")
    for value in values:
        _pick(page, "explorer-filter-values", value)
    page.locator("#explorer-filter-add").click()


def test_grain_all_and_built_filters_show_pandas_numbers_and_round_trip(page, service) -> None:  # type: ignore[no-untyped-def]
    rows = paid_orders()
    days = (END - START).days + 1
    before = (START - timedelta(days=days), START - timedelta(days=1))  # the same days just before
    page.goto(f"/metric/revenue?grain=week&{RANGE}&compare=previous")
    page.locator("#explorer-grain").get_by_text("Whole range", exact=True).click()
    at(page, r"grain=all")
    now, then = revenue(rows, START, END), revenue(rows, *before)
    expect(page.locator("#explorer-value")).to_have_text(shown(now, service, "revenue"))
    expect(page.locator("#explorer-range-label")).to_have_text("1 Dec 2025 – 28 Feb 2026")
    expect(page.locator("#explorer-change")).to_contain_text(change_text(now, then))

    add_filter(page, "amount", ">", number="100")
    at(page, r"filters=amount%3E100")
    big = rows[rows["amount"] > 100]
    expect(page.locator("#explorer-value")).to_have_text(
        shown(revenue(big, START, END), service, "revenue")
    )
    add_filter(page, "platform", "is", values=("ios", "android"))
    at(page, r"filters=amount%3E100%3Bplatform%3Dios%2Candroid")
    mobile = big[big["platform"].isin(["ios", "android"])]
    now, then = revenue(mobile, START, END), revenue(mobile, *before)
    assert now != revenue(big, START, END)  # the second filter changes the number
    expect(page.locator("#explorer-value")).to_have_text(shown(now, service, "revenue"))
    expect(page.locator("#explorer-change")).to_contain_text(change_text(now, then))
    chips = page.locator("#explorer-filters")
    expect(chips).to_contain_text("amount > 100")
    expect(chips).to_contain_text("platform is one of ios, android")

    shared = page.url
    page.goto("/metric/revenue")
    page.goto(shared)  # a shared link gives the same view
    expect(page.locator("#explorer-value")).to_have_text(shown(now, service, "revenue"))
    expect(chips).to_contain_text("platform is one of ios, android")

    with page.expect_download() as info:  # the CSV holds the unrounded number and the range
        page.locator("#export-csv").click()
    (row,) = list(csv.DictReader(io.StringIO(Path(info.value.path()).read_text("utf-8"))))
    assert (row["period"], row["period_end"]) == (START.isoformat(), END.isoformat())
    assert abs(float(row["revenue"]) - now) < 1e-6
    assert abs(float(row["revenue__compare"]) - then) < 1e-6


def test_grain_all_by_platform_with_last_year_and_a_between(page, service) -> None:  # type: ignore[no-untyped-def]
    rows = paid_orders()
    rows = rows[(rows["amount"] >= 20) & (rows["amount"] <= 150)]
    link = f"/metric/revenue?grain=all&{RANGE}&compare=last_year&by=platform"
    page.goto(link + "&filters=amount%3Abetween%3D20%2C150")
    expect(page.locator("#explorer-filters")).to_contain_text("amount between 20 and 150")
    cells = '#explorer-grid .ag-center-cols-container [col-id="value"]'
    expected = [
        shown(revenue(rows[rows["platform"] == p], START, END), service, "revenue")
        for p in ("ios", "android", "web")
    ]
    page.wait_for_function(
        "([sel, want]) => JSON.stringify([...document.querySelectorAll(sel)]"
        ".map(e => e.innerText).sort()) === JSON.stringify(want)",
        arg=[cells, sorted(expected)],
    )
    year_ago = (date(2024, 12, 1), date(2025, 2, 28))
    compares = page.locator(
        '#explorer-grid .ag-center-cols-container [col-id="compare"]'
    ).all_inner_texts()
    want = [
        shown(revenue(rows[rows["platform"] == p], *year_ago), service, "revenue")
        for p in ("ios", "android", "web")
    ]
    assert sorted(compares) == sorted(want)


def test_a_range_holding_today_is_so_far_and_shows_no_change(page, service) -> None:  # type: ignore[no-untyped-def]
    rows = paid_orders()
    today = service.today()
    page.goto(f"/metric/revenue?grain=all&range=custom&start=2026-03-01&end={today}")
    expect(page.locator("#explorer-range-label")).to_contain_text("so far")
    expect(page.locator("#explorer-value")).to_have_text(
        shown(revenue(rows, date(2026, 3, 1), today), service, "revenue")
    )
    expect(page.locator("#explorer-compare-value")).to_contain_text("no change shown")
    expect(page.locator("#explorer-change")).to_have_count(0)


def test_bad_filters_are_messages_not_tracebacks(page) -> None:  # type: ignore[no-untyped-def]
    page.goto("/metric/revenue?grain=all&filters=amount%3Eabc")
    expect(page.locator(".ns-error")).to_contain_text("'abc' is not a number")
    page.goto("/metric/revenue?grain=all&filters=amuont%3E1")
    expect(page.locator("body")).to_contain_text("'amuont' is neither a dimension")
    page.goto("/metric/visitors?grain=all&filters=amount%3E1")  # sessions have no amount
    expect(page.locator("body")).to_contain_text("'amount' is neither a dimension")


def test_why_at_grain_all_explains_the_range_with_every_filter(page, service) -> None:  # type: ignore[no-untyped-def]
    page.goto(f"/metric/revenue?grain=all&{RANGE}&compare=previous&filters=platform%3Dios")
    page.locator("#explorer-why button[data-accordion-control]").click()
    expect(page.locator("#explorer-why-summary")).to_be_visible()
    expect(page.locator("#explorer-why-body")).to_contain_text("1 Dec 2025 – 28 Feb 2026")
    expect(page.locator("#explorer-why-link")).to_have_attribute(
        "href",
        "/drivers?metric=revenue&from=2025-12-01&to=2026-02-28&compare=previous"
        "&filters=platform%3Dios",
    )
    # A column filter and a condition: explained over the rows they keep, and kept in the link.
    filters = "amount%3E100%3Bamount%3Abetween%3D100%2C200"
    page.goto(f"/metric/revenue?grain=all&{RANGE}&filters={filters}")  # the section stays open
    rows = paid_orders()
    rows = rows[(rows["amount"] > 100) & rows["amount"].between(100, 200)]
    days = (END - START).days + 1
    now = revenue(rows, START, END)
    then = revenue(rows, START - timedelta(days=days), START - timedelta(days=1))
    expect(page.locator("#explorer-why-summary")).to_contain_text(
        f"{shown(then, service, 'revenue')} → {shown(now, service, 'revenue')}"
    )
    expect(page.locator("#explorer-why-link")).to_have_attribute(
        "href",
        f"/drivers?metric=revenue&from=2025-12-01&to=2026-02-28&compare=previous&filters={filters}",
    )
