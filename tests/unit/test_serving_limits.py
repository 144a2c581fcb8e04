"""The web side's DuckDB connections run with the serving settings (one thread, a memory ceiling,
memory handed back after each query), and a bad value says which setting to fix."""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

import pytest
from flask_caching import Cache
from page_client import join_warm_ups
from shop_project import make_project, publish, settings_for

from dashboard.serving import Serving
from settings import Settings


@pytest.fixture
def project(tmp_path: Path) -> Path:
    return make_project(tmp_path)


def test_snapshot_connections_take_the_serving_settings(project: Path) -> None:
    publish(project)
    settings = replace(settings_for(project), serving_threads=1, serving_memory="256MB")
    serving = Serving(settings, Cache(config={"CACHE_TYPE": "NullCache"}), warm=False)
    try:
        warehouse = serving.snapshot().service.warehouse
        assert warehouse.rows(
            "SELECT current_setting('threads'), current_setting('memory_limit'), "
            "current_setting('allocator_flush_threshold')"
        ) == [(1, "244.1 MiB", "4MB")]  # 256 MB = 256,000,000 bytes = 244.1 MiB
    finally:
        join_warm_ups()
        serving.close()


def test_defaults_and_what_an_operator_may_write() -> None:
    assert Settings().serving_duckdb() == {"threads": 1, "memory_limit": "1GB"}
    loaded = Settings.load({"NORTHSTAR_SERVING_THREADS": "2", "NORTHSTAR_SERVING_MEMORY": "1.5GiB"})
    assert loaded.serving_duckdb() == {"threads": 2, "memory_limit": "1.5GiB"}
    assert Settings(serving_memory="512 mb").serving_duckdb()["memory_limit"] == "512 mb"


@pytest.mark.parametrize(
    ("values", "named"),
    [
        ({"NORTHSTAR_SERVING_MEMORY": "lots"}, "NORTHSTAR_SERVING_MEMORY"),
        ({"NORTHSTAR_SERVING_MEMORY": "512"}, "NORTHSTAR_SERVING_MEMORY"),  # no unit
        ({"NORTHSTAR_SERVING_MEMORY": "1GB; SET threads=64"}, "NORTHSTAR_SERVING_MEMORY"),
        ({"NORTHSTAR_SERVING_THREADS": "0"}, "NORTHSTAR_SERVING_THREADS"),
    ],
)
def test_a_bad_value_names_the_setting(values: dict[str, str], named: str) -> None:
    with pytest.raises(ValueError, match=named):
        Settings.load(values).serving_duckdb()
