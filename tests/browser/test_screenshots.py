"""Screenshots of every page at TV and laptop sizes, for people to look at (test-output/)."""

from __future__ import annotations

import pytest
from conftest import SCREENSHOTS

PAGES = {
    "overview": ("/", "#nsm-value"),
    "explorer": ("/metric/revenue?grain=week&range=13w&compare=previous", "#explorer-value"),
    "explorer-breakdown": (
        "/metric/revenue?grain=month&range=52w&by=channel&chart=stacked",
        "#explorer-grid",
    ),
    "explorer-all": (
        "/metric/revenue?grain=all&range=13w&compare=previous&by=platform",
        "#explorer-grid",
    ),
    "explorer-all-filtered": (
        "/metric/revenue?grain=all&range=custom&start=2025-12-01&end=2026-02-28&compare=last_year"
        "&filters=amount%3E100%3Bplatform%3Dios%2Candroid%3Bstatus%3Anotnull",
        "#explorer-value",
    ),
    "explorer-why": (
        "/metric/orders?grain=week&range=custom&start=2020-03-02&end=2020-03-15",
        "#explorer-value",
    ),
    "tree": ("/tree", ".ns-tree-contribution:not(:empty)"),
    "catalog": ("/catalog", "#catalog-count"),
    "review": ("/review?interval=600", "#review-value"),
    "review-why": ("/review?slides=why&interval=600", "#review-why-mover"),
    "review-okrs": ("/review?slides=okrs&interval=600", "#review-okrs"),
    "drivers": ("/drivers", "#drivers-segment-trend"),
    "drivers-filtered": ("/drivers?metric=orders&filters=platform%3Dios", "#drivers-leadlag"),
    "okrs": ("/okrs", "#okr-objective-basket_size"),
}
OPEN = {"explorer-why": ("#explorer-why button[data-accordion-control]", "#explorer-why-summary")}
# Every chart drawn and no callback still loading (a condition, not a pause). A dcc.Graph is a
# `.dash-graph` at once but holds its `.js-plotly-plot` only once plotly's bundle has loaded:
# waiting on `.js-plotly-plot` alone was true of no plots at all, and Overview screenshots showed
# an empty space where the trend goes.
DRAWN = """() =>
    [...document.querySelectorAll('.dash-graph')].every(graph => {
        const plot = graph.querySelector('.js-plotly-plot');
        return plot && plot._fullLayout && plot.querySelector('.main-svg');
    })
    && !document.querySelector('[data-dash-is-loading="true"]')"""


@pytest.mark.parametrize("size", [(1920, 1080), (1366, 768)], ids=["1920x1080", "1366x768"])
def test_screenshot_every_page(page, size: tuple[int, int]) -> None:  # type: ignore[no-untyped-def]
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    width, height = size
    page.set_viewport_size({"width": width, "height": height})
    for name, (path, ready) in PAGES.items():
        page.goto(path)
        page.wait_for_selector(ready, state="visible")
        if name in OPEN:  # a section opened by a click (a later visit finds it open: persisted)
            control, shown = OPEN[name]
            if page.locator(control).get_attribute("aria-expanded") != "true":
                page.locator(control).click()
            page.wait_for_selector(shown, state="visible")
        page.wait_for_function(DRAWN)
        full = name.startswith(("explorer", "drivers"))  # long pages: all of it
        page.screenshot(path=str(SCREENSHOTS / f"{name}-{width}x{height}.png"), full_page=full)
