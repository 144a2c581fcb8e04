"""The web side's result cache: shared by workers through Redis, invalidated by a new snapshot,
and rendered views served from it (dashboard.result_cache, dashboard.view_cache)."""

from __future__ import annotations

import json
import uuid
from datetime import date
from pathlib import Path

import pandas as pd
import pytest
import redis
from flask import Flask

from dashboard.result_cache import CacheSettingError, cache_config, make_cache
from dashboard.serving import Serving
from metric_layer.query import MetricQuery
from metric_layer.service import MetricService
from settings import Settings
from tests.browser.fixture_shop import SPEC, build_shop
from warehouse import SnapshotStore

REDIS = "redis://127.0.0.1:6379/0"


@pytest.fixture(scope="module")
def shop(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return build_shop(tmp_path_factory.mktemp("shop"))


@pytest.fixture
def prefix():  # type: ignore[no-untyped-def]
    """A key prefix of this test's own; its keys are deleted afterwards."""
    name = f"northstar-test-{uuid.uuid4().hex}:"
    yield name
    client = redis.Redis.from_url(REDIS)
    keys = list(client.scan_iter(f"{name}*"))
    if keys:
        client.delete(*keys)


def worker(serving_dir: Path, prefix: str) -> tuple[Serving, Flask]:
    """What one gunicorn worker builds: its own Flask app, Serving and cache client."""
    app = Flask(__name__)
    cache = make_cache(app, REDIS, {**cache_config(REDIS), "CACHE_KEY_PREFIX": prefix})
    settings = Settings(metrics=SPEC, serving_dir=serving_dir, cache=REDIS)
    return Serving(settings, cache), app


def test_two_workers_share_results_and_a_new_snapshot_invalidates_them(
    shop: Path, prefix: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    first, first_app = worker(shop, prefix)
    second, second_app = worker(shop, prefix)
    query = MetricQuery(("orders",), grain="month", start=date(2025, 1, 1), end=date(2025, 6, 30))
    with first_app.app_context():
        computed = first.frame(query)
    calls: list[MetricQuery] = []
    real_query = MetricService.query

    def counted(self, q):  # type: ignore[no-untyped-def]
        if q == query:  # (the snapshot's warm-up thread asks its own queries)
            calls.append(q)
        return real_query(self, q)

    monkeypatch.setattr(MetricService, "query", counted)
    with second_app.app_context():
        shared = second.frame(query)
    assert calls == []  # the second worker read the first one's result
    pd.testing.assert_frame_equal(shared.frame, computed.frame)

    SnapshotStore(shop).publish(shop.parent / "warehouse.duckdb")
    with second_app.app_context():
        second.frame(query)
    assert calls == [query]  # new snapshot: computed again, once
    with first_app.app_context():
        first.frame(query)
    assert calls == [query]  # …and shared again


def test_cache_setting_forms() -> None:
    assert cache_config("simple")["CACHE_TYPE"] == "SimpleCache"
    assert cache_config("filesystem:/tmp/x")["CACHE_DIR"] == "/tmp/x"
    assert cache_config(REDIS)["CACHE_REDIS_URL"] == REDIS
    with pytest.raises(CacheSettingError, match=r"simple.*filesystem.*redis://"):
        cache_config("memcached://x")
    assert Settings.load({"NORTHSTAR_CACHE": REDIS, "NORTHSTAR_SETTINGS": "/none"}).cache == REDIS
    assert Settings.load({"NORTHSTAR_SETTINGS": "/none"}).cache == "simple"


def test_unreachable_redis_falls_back_to_a_process_cache() -> None:
    cache = make_cache(Flask(__name__), "redis://127.0.0.1:1/0")
    assert cache.config["CACHE_TYPE"] == "SimpleCache"


def test_filesystem_cache_is_shared(shop: Path, tmp_path: Path) -> None:
    setting = f"filesystem:{tmp_path / 'cache'}"
    servings = []
    for _ in range(2):
        app = Flask(__name__)
        settings = Settings(metrics=SPEC, serving_dir=shop, cache=setting)
        servings.append((Serving(settings, make_cache(app, setting)), app))
    query = MetricQuery(("revenue",), grain="year", start=date(2025, 1, 1), end=date(2025, 12, 31))
    with servings[0][1].app_context():
        computed = servings[0][0].frame(query)
    assert any((tmp_path / "cache").iterdir())
    with servings[1][1].app_context():
        pd.testing.assert_frame_equal(servings[1][0].frame(query).frame, computed.frame)


# -- rendered views ------------------------------------------------------------------------------


def _badge_request() -> dict:
    """The callback request the browser sends for the freshness badge of /."""
    return {
        "output": "freshness-badge.children",
        "outputs": {"id": "freshness-badge", "property": "children"},
        "inputs": [{"id": "_pages_location", "property": "pathname", "value": "/"}],
        "changedPropIds": ["_pages_location.pathname"],
        "state": [],
    }


def test_rendered_view_is_served_from_the_cache_until_a_new_snapshot(
    shop: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from dashboard.server import create_dash

    settings = Settings(metrics=SPEC, serving_dir=shop, cache="simple")
    client = create_dash(settings).server.test_client()
    renders: list[int] = []
    real = MetricService.last_loads

    def counted(self):  # type: ignore[no-untyped-def]
        renders.append(1)
        return real(self)

    monkeypatch.setattr(MetricService, "last_loads", counted)
    first = client.post("/_dash-update-component", json=_badge_request())
    second = client.post("/_dash-update-component", json=_badge_request())
    assert first.status_code == second.status_code == 200
    assert json.loads(second.data) == json.loads(first.data)
    assert "data as of" in first.get_data(as_text=True)
    assert len(renders) == 1

    SnapshotStore(shop).publish(shop.parent / "warehouse.duckdb")
    version = SnapshotStore(shop).current()[0]  # type: ignore[index]
    third = client.post("/_dash-update-component", json=_badge_request())
    assert len(renders) == 2
    assert version in third.get_data(as_text=True)  # the tooltip names the new snapshot


def test_failed_render_is_not_cached(shop: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from dashboard.server import create_dash

    settings = Settings(metrics=SPEC, serving_dir=shop, cache="simple")
    client = create_dash(settings).server.test_client()

    def broken(self):  # type: ignore[no-untyped-def]
        raise RuntimeError("warehouse hiccup")

    monkeypatch.setattr(MetricService, "last_loads", broken)
    failed = client.post("/_dash-update-component", json=_badge_request())
    assert failed.status_code == 200  # the badge says so rather than failing the page
    assert "data unavailable" in failed.get_data(as_text=True)
    monkeypatch.undo()
    answer = client.post("/_dash-update-component", json=_badge_request())
    assert answer.status_code == 200
    assert "data as of" in answer.get_data(as_text=True)


def test_a_view_held_too_long_by_one_render_does_not_hold_the_next_viewer() -> None:
    from dashboard.view_cache import _KeyLocks

    locks = _KeyLocks()
    assert locks.acquire("view", timeout=1)
    assert locks.acquire("view", timeout=0.05) is False  # gives up: renders uncached instead
    locks.release("view")
    assert locks.acquire("view", timeout=1)  # the lock is usable again, not leaked
    locks.release("view")
    assert locks._locks == {} and locks._users == {}
