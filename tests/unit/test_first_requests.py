"""A new worker's first requests arrive together: a gthread worker has 4 threads, and one that
gunicorn starts in place of a recycled one meets a queue of viewers. Every one of them must be
answered; Dash used to finish its setup in the first request while the others found no callbacks
("Callback function not found", HTTP 500), once per new worker."""

from __future__ import annotations

import threading
import time
from pathlib import Path

import pytest
from page_client import join_warm_ups, register_page_callbacks

from dashboard import ids
from dashboard.server import create_dash
from dashboard.serving import EXTENSION
from settings import Settings
from tests.browser.fixture_shop import AS_OF, SPEC, build_shop

REQUESTS = 8


@pytest.fixture(scope="module")
def shop(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return build_shop(tmp_path_factory.mktemp("shop"))


def fresh_app(shop: Path):  # type: ignore[no-untyped-def]
    """A Dash app as a new worker builds it, with the pages' callbacks (which Dash hands to the
    first app a process builds: when another test took them, the pages register them again)."""
    register_page_callbacks()
    settings = Settings(metrics=SPEC, serving_dir=shop, as_of=AS_OF.isoformat())
    return create_dash(settings, cache_config={"CACHE_TYPE": "NullCache"})


def overview_render() -> dict:
    """The request a browser makes for the Overview's body (a page callback, not the app's)."""
    return {
        "output": f"{ids.OVERVIEW_BODY}.children",
        "outputs": {"id": ids.OVERVIEW_BODY, "property": "children"},
        "inputs": [{"id": ids.OVERVIEW_VIEW, "property": "data", "value": "/"}],
        "changedPropIds": [f"{ids.OVERVIEW_VIEW}.data"],
        "state": [],
    }


def test_a_new_workers_concurrent_first_requests_are_all_answered(
    shop: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from dash import _validate

    # Dash's setup checks the layout after marking itself done and before it fills the callback
    # map: slowed down here (as on a busy machine), every other first request falls in between.
    check_layout = _validate.validate_layout

    def slow_check(*args, **kwargs):  # type: ignore[no-untyped-def]
        time.sleep(0.5)
        return check_layout(*args, **kwargs)

    monkeypatch.setattr(_validate, "validate_layout", slow_check)
    app = fresh_app(shop)
    start = threading.Barrier(REQUESTS)
    answers: list[tuple[int, str]] = []

    def viewer() -> None:
        client = app.server.test_client()
        start.wait()
        response = client.post("/_dash-update-component", json=overview_render())
        answers.append((response.status_code, response.get_data(as_text=True)))

    threads = [threading.Thread(target=viewer) for _ in range(REQUESTS)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(120)
    join_warm_ups()
    app.server.extensions[EXTENSION].close()
    shown = [(status, text[:200]) for status, text in answers]
    assert [status for status, _ in answers] == [200] * REQUESTS, shown
    assert all(ids.NSM_VALUE in text for _, text in answers), shown
