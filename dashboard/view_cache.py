"""Rendered views cached as the bytes of their callback response, per snapshot.

Building a page body (figures, grids, cards) costs 70-400 ms of CPU even when every query is a
cache hit, and twenty viewers of the same dashboards ask for the same bodies. The render callbacks
named in RENDERS are pure functions of their inputs and the snapshot, so their whole
POST /_dash-update-component response is kept in the result cache under
(snapshot key, request body): one worker renders a view once per snapshot, every other request
for it is a cache read. Only successful answers are kept (never an error state, which may be
transient, nor a view marked live: review mode's alerts slide reads the app database), and in
one process concurrent misses of one view wait for the first to render it.
"""

from __future__ import annotations

import hashlib
import json
import threading
from collections import defaultdict

from flask import Flask, Response, g, request

from dashboard import ids
from dashboard.result_cache import cache_get, cache_set
from dashboard.serving import serving

# Outputs (as Dash names them in the request) whose callbacks read nothing but their inputs and
# the snapshot. A callback that writes app state or depends on the user must not be listed.
RENDERS = frozenset(
    {
        f"{ids.FRESHNESS}.children",
        f"{ids.OVERVIEW_BODY}.children",
        f"{ids.EXPLORER_BODY}.children",
        f"{ids.TREE_BODY}.children",
        f"{ids.CATALOG_BODY}.children",
        f"{ids.REVIEW_SLIDE}.children",
        ".._pages_content.children..._pages_store.data..",  # Dash pages: layout of the URL
    }
)
ERROR_MARK = b'"ns-error"'  # className of components.states.error_state
# className of a part read from the app database (the review mode's alerts slide): a view holding
# it changes without a new snapshot, so it is rendered every time, never kept.
LIVE_MARK = b'"ns-live"'
UPDATE_PATH = "/_dash-update-component"
# A request waits this long for another one rendering the same view, then renders it itself: a
# stuck or very slow render must never hold every viewer of that view.
WAIT_FOR_RENDER = 10.0


class _KeyLocks:
    """One lock per key being rendered in this process (dropped when nobody holds it)."""

    def __init__(self) -> None:
        self._guard = threading.Lock()
        self._locks: dict[str, threading.Lock] = {}
        self._users: defaultdict[str, int] = defaultdict(int)

    def acquire(self, key: str, timeout: float = WAIT_FOR_RENDER) -> bool:
        """Wait for the key's lock; False (and not held) when another render takes too long."""
        with self._guard:
            lock = self._locks.setdefault(key, threading.Lock())
            self._users[key] += 1
        if lock.acquire(timeout=timeout):
            return True
        with self._guard:
            self._users[key] -= 1
            if not self._users[key]:
                del self._locks[key], self._users[key]
        return False

    def release(self, key: str) -> None:
        with self._guard:
            self._locks[key].release()
            self._users[key] -= 1
            if not self._users[key]:
                del self._locks[key], self._users[key]


def register(server: Flask) -> None:
    locks = _KeyLocks()

    @server.before_request
    def cached_view() -> Response | None:
        key = _key()
        if key is None:
            return None
        hit = cache_get(serving().cache, key)
        if hit is None:
            if not locks.acquire(key):
                return None  # a slow render holds the view: render this one too, uncached
            hit = cache_get(serving().cache, key)  # rendered while we waited?
            if hit is None:
                g.ns_view_key = key  # render it; store_view or release_view releases the lock
                return None
            locks.release(key)
        return Response(hit, status=200, mimetype="application/json")

    @server.after_request
    def store_view(response: Response) -> Response:
        key = g.pop("ns_view_key", None)
        if key is not None:
            try:
                body = response.get_data()
                if response.status_code == 200 and not (ERROR_MARK in body or LIVE_MARK in body):
                    cache_set(serving().cache, key, body)
            finally:
                locks.release(key)
        return response

    @server.teardown_request
    def release_view(_exc: BaseException | None) -> None:
        key = g.pop("ns_view_key", None)  # only left here when the request failed
        if key is not None:
            locks.release(key)


def _key() -> str | None:
    """The cache key of this request if it renders a cacheable view, else None."""
    if request.method != "POST" or request.path != UPDATE_PATH:
        return None
    body = request.get_data(cache=True)
    try:
        output = json.loads(body).get("output")
    except (ValueError, AttributeError):
        return None  # Dash answers malformed requests itself
    if output not in RENDERS:
        return None
    try:
        snap = serving().snapshot()
        if output == f"{ids.FRESHNESS}.children" and serving().problems():
            return None  # the badge then also tells of a broken metrics.yml or a bad newer snapshot
    except Exception:  # the callback itself shows why (no data yet, a bad snapshot…)
        return None
    return "view:" + hashlib.sha1(snap.key().encode() + b"|" + body).hexdigest()
