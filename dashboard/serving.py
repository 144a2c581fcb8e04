"""The web side's door to the numbers: the current serving snapshot, its service and a query cache.

One `Serving` lives on each Flask process (in `app.extensions`), not in a module global: each
gunicorn worker opens the published snapshot read-only and reopens it when CURRENT moves. Results
are cached (dashboard.result_cache: per process, or shared by all workers) under `Snapshot.key`
(snapshot version, spec, today) + the query, so a new snapshot invalidates them.
"""

from __future__ import annotations

import hashlib
import logging
import threading
from dataclasses import dataclass
from datetime import date, datetime
from functools import cached_property
from pathlib import Path

from flask import current_app
from flask_caching import Cache

from dashboard.result_cache import cache_get, cache_set
from metric_layer.compile_cache import CompileCache
from metric_layer.loader import load_spec
from metric_layer.query import MetricFrame, MetricQuery
from metric_layer.semantics import Semantics
from metric_layer.service import MetricService
from metric_layer.spec import Spec
from settings import Settings
from warehouse import SnapshotStore, Warehouse

EXTENSION = "northstar"


class NoSnapshotError(RuntimeError):
    """Nothing is published yet; the message says how to publish."""


logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class Snapshot:
    """One opened serving snapshot and everything derived from it."""

    version: str
    service: MetricService
    semantics: Semantics

    @property
    def spec(self) -> Spec:
        return self.service.spec

    @property
    def published_at(self) -> datetime | None:
        # Versions are named by SnapshotStore.publish as %Y%m%dT%H%M%S-<ns>.
        try:
            return datetime.strptime(self.version.split("-")[0], "%Y%m%dT%H%M%S")
        except ValueError:
            return None

    def today(self) -> date:
        return self.service.today()

    @cached_property
    def spec_hash(self) -> str:
        # A shared cache outlives a worker: an edited metrics.yml must not read the old numbers.
        return hashlib.sha1(self.spec.model_dump_json().encode()).hexdigest()[:16]

    def key(self) -> str:
        """What every cached result of this snapshot depends on besides its own request."""
        return f"{self.version}|{self.spec_hash}|{self.today()}"


class Serving:
    def __init__(self, settings: Settings, cache: Cache) -> None:
        self.settings = settings
        self.store = SnapshotStore(settings.serving_dir)
        self.cache = cache
        self._lock = threading.Lock()
        self._open: list[tuple[Snapshot, Warehouse]] = []
        # Compiled SQL outlives snapshots: a daily publish with the same tables reuses it.
        self.compile_cache = CompileCache()

    def snapshot(self) -> Snapshot:
        """The newest published snapshot, opened read-only (reopened when a newer one appears)."""
        current = self.store.current()
        if current is None:
            raise NoSnapshotError(
                f"no data published in {self.settings.serving_dir} yet: run `northstar demo build` "
                "or `northstar ingest`, then reload"
            )
        version, path = current
        if self._open and self._open[-1][0].version == version:
            return self._open[-1][0]
        with self._lock:
            if self._open and self._open[-1][0].version == version:
                return self._open[-1][0]
            warehouse = Warehouse(path, read_only=True)
            spec = load_spec(self.settings.metrics, warehouse.table_columns())
            service = MetricService(
                warehouse,
                spec,
                snapshot=version,
                compile_cache=self.compile_cache,
                as_of=self.settings.as_of_date(),
            )
            snap = Snapshot(version, service, Semantics(spec))
            self._open.append((snap, warehouse))
            # Keep the previous snapshot open: a request in flight may still read it.
            while len(self._open) > 2:
                self._open.pop(0)[1].close()
            threading.Thread(target=_warm, args=(snap,), daemon=True, name="warm-up").start()
            return snap

    def frame(self, query: MetricQuery) -> MetricFrame:
        """The service's answer to `query` on the current snapshot, cached per snapshot."""
        snap = self.snapshot()
        key = "mf:" + hashlib.sha1(f"{snap.key()}|{query!r}".encode()).hexdigest()
        hit = cache_get(self.cache, key)
        if hit is not None:
            return hit
        result = snap.service.query(query)
        cache_set(self.cache, key, result)
        return result

    def close(self) -> None:
        with self._lock:
            for _, warehouse in self._open:
                warehouse.close()
            self._open.clear()


def _warm(snap: Snapshot) -> None:
    """Compile and run once what the Overview and Tree ask first, in the background, so the first
    visitor after a publish does not pay for compiling a dozen queries (best effort)."""
    from dashboard.summaries import lookback_queries  # summaries imports this module

    ns = snap.spec.north_star
    if ns is None:
        return
    nodes = [ns.tree] if ns.tree else []
    metrics = [ns.metric]
    while nodes:
        node = nodes.pop(0)
        metrics.append(node.metric)
        nodes.extend(node.children)
    try:
        for metric in dict.fromkeys(metrics):
            for query in lookback_queries(metric, ns.grain, snap.today(), snap.spec.week_start):
                snap.service.query(query)
    except Exception:  # a real request will show the error properly
        logger.warning("warming snapshot %s failed", snap.version, exc_info=True)


def serving() -> Serving:
    """The Serving of the Flask app handling this request."""
    return current_app.extensions[EXTENSION]


def check_spec(settings: Settings) -> None:
    """Raise SpecError (listing every problem) if metrics.yml is invalid: the app must not start."""
    current = SnapshotStore(settings.serving_dir).current()
    if current is None:
        load_spec(settings.metrics)
        return
    with Warehouse(Path(current[1]), read_only=True) as warehouse:
        load_spec(settings.metrics, warehouse.table_columns())
