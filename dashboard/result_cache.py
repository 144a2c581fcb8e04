"""The web side's result cache, picked by the `cache` setting, and safe to lose.

- `simple`: in memory, one per worker process (the default; nothing to run).
- `filesystem:<dir>`: files in <dir>, shared by the workers of one machine.
- `redis://host:port/db`: shared by every worker (and survives their restarts): each query and
  each rendered view is computed once per snapshot, not once per worker.

Every key a caller builds starts with the snapshot version, so a new snapshot never reads an
older one's entries; shared entries expire after a day so old snapshots' keys do not pile up.
A cache that fails (Redis down) costs speed, never a page: `get` answers None and `set` is skipped.
"""

from __future__ import annotations

import hashlib
import logging
from typing import Any, Protocol

from flask import Flask
from flask_caching import Cache

from metric_layer.query import MetricFrame, MetricQuery

logger = logging.getLogger(__name__)

PREFIX = "northstar:"
SHARED_TIMEOUT = 24 * 3600  # seconds; one snapshot's entries outlive its working day


class CacheSettingError(ValueError):
    """The `cache` setting names no cache we know; the message lists the accepted forms."""


def cache_config(setting: str) -> dict[str, Any]:
    """flask-caching configuration for a `cache` setting value."""
    if setting == "simple":
        return {"CACHE_TYPE": "SimpleCache", "CACHE_THRESHOLD": 2000, "CACHE_DEFAULT_TIMEOUT": 0}
    if setting.startswith("filesystem:") and setting.removeprefix("filesystem:"):
        return {
            "CACHE_TYPE": "FileSystemCache",
            "CACHE_DIR": setting.removeprefix("filesystem:"),
            "CACHE_THRESHOLD": 5000,
            "CACHE_DEFAULT_TIMEOUT": SHARED_TIMEOUT,
        }
    if setting.startswith(("redis://", "rediss://", "unix://")):
        return {
            "CACHE_TYPE": "RedisCache",
            "CACHE_REDIS_URL": setting,
            "CACHE_KEY_PREFIX": PREFIX,
            "CACHE_DEFAULT_TIMEOUT": SHARED_TIMEOUT,
            # A slow or absent Redis must not hold a request: fail fast and compute instead.
            "CACHE_OPTIONS": {"socket_timeout": 1.0, "socket_connect_timeout": 1.0},
        }
    raise CacheSettingError(
        f"unknown cache setting {setting!r}: use `simple`, `filesystem:<dir>` or a "
        "redis://host:port/db URL (NORTHSTAR_CACHE or `cache` in northstar.toml)"
    )


def make_cache(server: Flask, setting: str, config: dict[str, Any] | None = None) -> Cache:
    """The cache for `setting` bound to `server`; Redis unreachable at start → a simple cache."""
    config = config or cache_config(setting)
    cache = Cache(config=config)
    cache.init_app(server)
    if config["CACHE_TYPE"] == "RedisCache":
        try:
            cache.cache._write_client.ping()
        except Exception as exc:  # the app still serves, each worker computing for itself
            logger.warning(
                "Redis cache at %s unreachable (%s): using a per-process cache", setting, exc
            )
            return make_cache(server, "simple")
    return cache


def cache_get(cache: Cache, key: str) -> Any:
    """The cached value, or None when absent or the cache fails."""
    try:
        return cache.get(key)
    except Exception as exc:
        logger.warning("result cache read failed: %s", exc)
        return None


def cache_set(cache: Cache, key: str, value: Any) -> None:
    try:
        cache.set(key, value)
    except Exception as exc:
        logger.warning("result cache write failed: %s", exc)


class Answering(Protocol):
    """What cached_frame needs of a served snapshot (dashboard.serving.Snapshot)."""

    service: Any

    def key(self) -> str: ...


def cached_frame(cache: Cache, snap: Answering, query: MetricQuery) -> MetricFrame:
    """`snap`'s service's answer to `query`, cached under the snapshot's key (scope included)."""
    key = "mf:" + hashlib.sha1(f"{snap.key()}|{query!r}".encode()).hexdigest()
    hit = cache_get(cache, key)
    if hit is not None:
        return hit
    result = snap.service.query(query)
    cache_set(cache, key, result)
    return result
