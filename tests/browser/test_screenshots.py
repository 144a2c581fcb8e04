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
    "tree": ("/tree", ".ns-tree"),
    "catalog": ("/catalog", "#catalog-count"),
    "review": ("/review?interval=600", "#review-value"),
}


@pytest.mark.parametrize("size", [(1920, 1080), (1366, 768)], ids=["1920x1080", "1366x768"])
def test_screenshot_every_page(page, size: tuple[int, int]) -> None:  # type: ignore[no-untyped-def]
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    width, height = size
    page.set_viewport_size({"width": width, "height": height})
    for name, (path, ready) in PAGES.items():
        page.goto(path)
        page.wait_for_selector(ready, state="visible")
        # Every chart drawn and no callback still loading (a condition, not a pause).
        page.wait_for_function(
            "[...document.querySelectorAll('.js-plotly-plot')]"
            ".every(e => e._fullLayout && e.querySelector('.main-svg'))"
            " && !document.querySelector('[data-dash-is-loading=\"true\"]')"
        )
        page.screenshot(path=str(SCREENSHOTS / f"{name}-{width}x{height}.png"))
