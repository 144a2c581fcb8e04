"""Each page read as a person would: the numbers shown equal the metric service's for the same
query, built here by hand from the view's meaning (not by the dashboard's own code)."""

from __future__ import annotations

import csv
import io
from datetime import date, timedelta
from pathlib import Path

import pandas as pd
from playwright.sync_api import expect

from dashboard.formatting import format_value
from metric_layer.query import DimensionFilter, MetricQuery


def monday(day: date) -> date:
    return day - timedelta(days=day.weekday())


def last_weeks(service, metric: str, weeks: int = 13, **kw) -> pd.DataFrame:  # type: ignore[no-untyped-def]
    today = service.today()
    start = monday(today) - timedelta(weeks=weeks - 1)
    return service.query(MetricQuery((metric,), grain="week", start=start, end=today, **kw)).frame


def latest_complete(frame: pd.DataFrame) -> pd.Series:
    return frame[~frame["is_partial"]].iloc[-1]


def shown(value: float, service, metric: str) -> str:  # type: ignore[no-untyped-def]
    return format_value(value, service.spec.metric(metric), service.spec.currency)


def test_overview_headline_and_driver_cards_match_service(page, service) -> None:
    page.goto("/")
    orders = latest_complete(last_weeks(service, "orders", compare="previous"))
    expect(page.locator("#nsm-value")).to_have_text(shown(orders["orders"], service, "orders"))
    buyers = latest_complete(last_weeks(service, "buyers"))
    card = page.locator("#driver-buyers .ns-card-value")
    expect(card).to_have_text(shown(buyers["buyers"], service, "buyers"))
    expect(page.locator(".ns-freshness")).to_contain_text("data as of")
    expect(page.locator(".ns-partial")).to_contain_text("partial")


def test_overview_grain_is_in_the_url(page, service) -> None:
    page.goto("/")
    page.locator("#overview-grain").get_by_text("Month", exact=True).click()
    at(page, r"grain=month")
    today = service.today()
    start = date(today.year, today.month, 1) - pd.DateOffset(months=12)
    frame = service.query(
        MetricQuery(("orders",), grain="month", start=start.date(), end=today)
    ).frame
    expected = shown(latest_complete(frame)["orders"], service, "orders")
    expect(page.locator("#nsm-value")).to_have_text(expected)
    page.reload()
    expect(page.locator("#nsm-value")).to_have_text(expected)


def at(page, pattern: str) -> None:  # type: ignore[no-untyped-def]
    """Wait until the address bar matches: pushState navigations fire no load event."""
    page.wait_for_function("p => new RegExp(p).test(location.href)", arg=pattern)


def _pick(page, select_id: str, option: str) -> None:  # type: ignore[no-untyped-def]
    page.locator(f"#{select_id}").click()
    page.get_by_role("option", name=option, exact=True).click()


def _expect_grid_values(page, expected: list[str]) -> None:  # type: ignore[no-untyped-def]
    """Wait until the grid shows exactly these values (it re-renders after each URL change)."""
    cells = '#explorer-grid .ag-center-cols-container [col-id="value"]'
    page.wait_for_function(
        "([sel, want]) => JSON.stringify([...document.querySelectorAll(sel)]"
        ".map(e => e.innerText).sort()) === JSON.stringify(want)",
        arg=[cells, sorted(expected)],
    )
    assert sorted(_grid_column(page, "value")) == sorted(expected)


def _grid_column(page, column: str) -> list[str]:  # type: ignore[no-untyped-def]
    return page.locator(
        f'#explorer-grid .ag-center-cols-container [col-id="{column}"]'
    ).all_inner_texts()


def test_explorer_grain_breakdown_filter_and_url_round_trip(page, service) -> None:
    page.goto("/metric/revenue")
    weekly = latest_complete(last_weeks(service, "revenue", compare="previous"))
    expect(page.locator("#explorer-value")).to_have_text(
        shown(weekly["revenue"], service, "revenue")
    )

    page.locator("#explorer-grain").get_by_text("Month", exact=True).click()
    at(page, r"grain=month")
    today = service.today()
    start = monday(today) - timedelta(weeks=12)  # "last 13 weeks", widened to months
    monthly = service.query(MetricQuery(("revenue",), grain="month", start=start, end=today)).frame
    expect(page.locator("#explorer-value")).to_have_text(
        shown(latest_complete(monthly)["revenue"], service, "revenue")
    )

    _pick(page, "explorer-by", "channel")
    at(page, r"by=channel")
    by_channel = service.query(
        MetricQuery(("revenue",), grain="month", start=start, end=today, dimensions=("channel",))
    ).frame
    expected = sorted(shown(v, service, "revenue") for v in by_channel["revenue"])
    expect(page.locator("#explorer-grid")).to_be_visible()
    _expect_grid_values(page, expected)

    _pick(page, "explorer-filter-dimension", "platform")
    _pick(page, "explorer-filter-values", "ios")
    page.locator("#explorer-filter-add").click()
    at(page, r"filters=platform%3Dios")
    filtered = service.query(
        MetricQuery(
            ("revenue",),
            grain="month",
            start=start,
            end=today,
            dimensions=("channel",),
            filters=(DimensionFilter("platform", "in", ("ios",)),),
        )
    ).frame
    expected = sorted(shown(v, service, "revenue") for v in filtered["revenue"])
    _expect_grid_values(page, expected)

    shared = page.url
    page.go_back()
    at(page, r"^(?!.*filters=)")
    page.goto(shared)  # a shared link gives the same view
    expect(page.locator("#explorer-filters")).to_contain_text("platform is ios")
    _expect_grid_values(page, expected)


def test_a_shared_link_keeps_every_filter_exactly(page, service) -> None:
    """`!=`, several values, comparisons and values the data lacks were rewritten on load."""
    link = "/metric/revenue?grain=week&range=13w&compare=previous&filters=" + (
        "platform%21%3Dios%3Bchannel%21%3Dads%2Cemail%3Bsize%3Elarge"
    )
    page.goto(link)
    filters = (
        DimensionFilter("platform", "!=", ("ios",)),
        DimensionFilter("channel", "not in", ("ads", "email")),
        DimensionFilter("size", ">", ("large",)),
    )
    frame = last_weeks(service, "revenue", compare="previous", filters=filters)
    expect(page.locator("#explorer-value")).to_have_text(
        shown(latest_complete(frame)["revenue"], service, "revenue")
    )
    expect(page.locator("#explorer-filters")).to_contain_text("platform is not ios")
    expect(page.locator("#explorer-filters")).to_contain_text("channel is none of ads, email")
    assert page.url.endswith(link)  # the mounted controls rewrote nothing


def test_explorer_range_preset(page, service) -> None:
    page.goto("/metric/orders")
    _pick(page, "explorer-range", "Last 52 weeks")
    at(page, r"range=52w")
    frame = last_weeks(service, "orders", weeks=52, compare="previous")
    _expect_grid_values(page, sorted(shown(v, service, "orders") for v in frame["orders"]))


def test_csv_export_matches_service(page, service) -> None:
    page.goto("/metric/revenue?grain=week&range=13w&compare=previous")
    expect(page.locator("#explorer-value")).to_be_visible()
    with page.expect_download() as info:
        page.locator("#export-csv").click()
    text = Path(info.value.path()).read_text(encoding="utf-8")
    rows = list(csv.DictReader(io.StringIO(text)))
    frame = last_weeks(service, "revenue", compare="previous")
    assert [r["period"] for r in rows] == [d.isoformat() for d in frame["period"]]
    assert [round(float(r["revenue"]), 6) for r in rows] == [round(v, 6) for v in frame["revenue"]]


def test_png_export(page) -> None:
    page.goto("/metric/orders")
    expect(page.locator("#explorer-value")).to_be_visible()
    with page.expect_download() as info:  # the page's generous default; warm, it takes ~1 s
        page.locator("#export-png").click()
    assert info.value.suggested_filename.endswith(".png")
    assert Path(info.value.path()).read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"


def test_tree_node_opens_explorer(page, service) -> None:
    page.goto("/tree")
    buyers = latest_complete(last_weeks(service, "buyers"))
    expect(page.locator("#tree-value-buyers")).to_have_text(
        shown(buyers["buyers"], service, "buyers")
    )
    expect(page.locator(".ns-tree-relation")).to_contain_text("product")
    page.locator("#tree-node-buyers").click()
    at(page, r"/metric/buyers")
    expect(page.locator("#explorer-value")).to_have_text(shown(buyers["buyers"], service, "buyers"))


def test_catalogue_search(page) -> None:
    page.goto("/catalog")
    expect(page.locator("#catalog-count")).to_contain_text("19 of 19")
    page.locator("#catalog-search").fill("retention")
    at(page, r"q=retention")
    expect(page.locator("#catalog-count")).to_contain_text("2 of 19")
    expect(page.locator("#catalog-row-d1_retention")).to_be_visible()


def test_review_rotates_slides(page, service) -> None:
    page.goto("/review?slides=nsm,buyers&interval=3")
    title = page.locator("#review-title")
    expect(title).to_have_attribute("data-metric", "orders")
    orders = latest_complete(last_weeks(service, "orders"))
    expect(page.locator("#review-value")).to_have_text(shown(orders["orders"], service, "orders"))
    expect(title).to_have_attribute("data-metric", "buyers")
    expect(page.locator("#review-position")).to_have_text("2 / 2")
    expect(title).to_have_attribute("data-metric", "orders")


def test_empty_and_error_states(page) -> None:
    page.goto("/metric/avg_amount?range=custom&start=2001-01-01&end=2001-02-01")
    expect(page.locator(".ns-empty")).to_contain_text("No data in this range")
    page.goto("/metric/no_such_metric")
    expect(page.locator(".ns-error")).to_contain_text("no metric called")


HANDMADE_WEEKS = "grain=week&range=custom&start=2020-03-02&end=2020-03-15"


def test_handmade_weeks_show_literal_numbers(page) -> None:
    """The two March 2020 weeks of fixture_shop.HANDMADE_ORDERS, worked out by hand: week 10 has
    4 paid orders worth 100 + 50 + 25.50 + 24.50 = ¥200.00 (the refund of 80 is not revenue);
    week 11 has 7 worth 10 + 20 + 30 + 40 + 25.25 + 14.75 + 10 = ¥150.00. Literal strings, so a
    formatting bug ("7.00" for a count, a lost minus sign) fails here."""
    page.goto(f"/metric/orders?{HANDMADE_WEEKS}&compare=previous")
    expect(page.locator("#explorer-value")).to_have_text("7")  # week 11, the latest complete
    expect(page.get_by_text("▲ 75.0% vs previous")).to_be_visible()  # 7 / 4 - 1
    _expect_grid_values(page, ["4", "7"])

    page.goto(f"/metric/revenue?{HANDMADE_WEEKS}&compare=previous")
    expect(page.locator("#explorer-value")).to_have_text("¥150.00")
    expect(page.get_by_text("▼ 25.0% vs previous")).to_be_visible()  # 150 / 200 - 1
    _expect_grid_values(page, ["¥200.00", "¥150.00"])

    page.goto(f"/metric/revenue_growth?{HANDMADE_WEEKS}&compare=none")
    expect(page.locator("#explorer-value")).to_have_text("-25.0%")  # (150 - 200) / 200

    page.goto(f"/metric/aov?{HANDMADE_WEEKS}&compare=none")
    expect(page.locator("#explorer-value")).to_have_text("¥21.43")  # 150 / 7 = 21.428…
    _expect_grid_values(page, ["¥50.00", "¥21.43"])  # 200 / 4
