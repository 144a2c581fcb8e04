"""A page must not depend on the order its first callbacks answer in.

Controls (the grain switch, the Explorer's pickers, the catalogue's search box) report their value
when they mount, which fires their callback although nothing changed. On a busy machine, or when
the page body comes straight from the view cache, that no-change answer can arrive after the body:
the Overview's and the Tree's once answered `children: null` for their body, so the page stayed
empty (the screenshot test timed out waiting for `#nsm-value` with every callback answered 200).
Here every control callback (one that writes the address) is held until the body is shown, then
let through: the body must still be there once its answers are applied.
"""

from __future__ import annotations

import json
import time
from contextlib import ExitStack
from typing import Any

import pytest
from playwright.sync_api import expect

from dashboard import ids

PAGES = {
    "overview": ("/", "#nsm-value"),
    "tree": ("/tree", ".ns-tree"),
    "explorer": ("/metric/revenue?grain=week&range=13w&compare=previous", "#explorer-value"),
    "explorer-breakdown": ("/metric/revenue?by=channel", "#explorer-grid"),
    "catalog": ("/catalog", "#catalog-count"),
    "drivers": ("/drivers?from=2026-03-09&to=2026-03-15", "#drivers-summary"),
    "okrs": ("/okrs", "#okr-objective-grow_orders"),
}
ADDRESS = f".{ids.PAGES_LOCATION}."  # how Dash names an output of the address in a request
SLOW = 180_000  # the Drivers page explains its change on first load: slow on a busy machine


def _is_control(request: Any) -> bool:
    """A callback that turns a control's value into a new address (controls → URL)."""
    if "/_dash-update-component" not in request.url:
        return False
    try:
        output = json.loads(request.post_data or "{}").get("output", "")
    except ValueError:
        return False
    return ADDRESS in f".{output}"


@pytest.mark.parametrize("name", list(PAGES))
def test_body_survives_control_callbacks_answering_last(page, name: str) -> None:  # type: ignore[no-untyped-def]
    path, ready = PAGES[name]
    held: list[Any] = []
    holding = [True]

    def hold(route: Any) -> None:
        if holding[0] and _is_control(route.request):
            held.append(route)
        else:
            route.continue_()

    page.route("**/_dash-update-component*", hold)
    page.goto(path)
    expect(page.locator(ready)).to_be_visible(timeout=SLOW)
    # On a busy machine a control's mount request may come after the body is drawn: wait for it
    # (Playwright hands routes over only while it is called, hence the short waits in a loop).
    deadline = time.monotonic() + SLOW / 1000
    while not held and time.monotonic() < deadline:
        page.wait_for_timeout(50)
    assert held, "no control reported its value on mount: this test no longer tests anything"
    with ExitStack() as answers:
        for route in held:
            answers.enter_context(page.expect_response(lambda r, q=route.request: r.request == q))
        holding[0] = False
        for route in held:
            route.continue_()
    # The answers are in; wait until Dash has applied them (no output still loading) and a frame
    # has been drawn, then the body must still be there.
    page.wait_for_function("!document.querySelector('[data-dash-is-loading=\"true\"]')")
    page.evaluate("() => new Promise(done => requestAnimationFrame(() => setTimeout(done, 0)))")
    expect(page.locator(ready)).to_be_visible(timeout=1)
    expect(page.locator(".ns-error")).to_have_count(0, timeout=1)
