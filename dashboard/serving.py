"""The web side's door to the numbers: the current serving snapshot, its service and a query cache.

One `Serving` lives on each Flask process (in `app.extensions`), not in a module global: each
gunicorn worker opens the published snapshot read-only and reopens it when CURRENT moves. Results
are cached (dashboard.result_cache: per process, or shared by all workers) under `Snapshot.key`
(snapshot version, spec, today) + the query, so a new snapshot invalidates them.

A request may carry a row-level scope (metric_layer/scope.py: the South team sees South only):
`serving()` reads it through the hook the sign-in side installs (set_scope_provider; no hook, or
no request, means no scope) and returns a ScopedServing whose snapshot's service is the scoped
one and whose keys (`Snapshot.key`) carry the scope, so a scoped user never reads an unscoped
cached result and the other way round. Pages stay as they are: they ask `serving()`.

Faults never take the site down: a published snapshot that cannot be served (damaged file, no
valid spec for it) is logged once and the last good one goes on serving; an invalid metrics.yml
falls back to the spec published with the snapshot. problems() says what is wrong, for the banner.

With engine = postgres the snapshots are the versions published into the database
(warehouse/pg_published.py: the same face as SnapshotStore). A version's tables stay until the
next publish swaps new ones in, so there is no older one to fall back to: a failed publish leaves
the last good version current, and the banner says when the database cannot be reached. A
database nobody published into is served as it is (version `live`), its cached answers kept for
a minute at most since nothing tells when its tables change.
"""

from __future__ import annotations

import gc
import logging
import threading
import weakref
from dataclasses import dataclass

from flask import current_app
from flask_caching import Cache

from dashboard.paths import shown
from dashboard.request_scope import (  # noqa: F401  (imported from here by pages and tests)
    NoRequestScopeError,
    current_scope,
    set_scope_provider,
)
from dashboard.result_cache import cached_frame
from dashboard.serving_store import duckdb_config, serving_store
from dashboard.snapshot import Snapshot
from dashboard.spec_source import PUBLISHED, live_spec, resolve_spec, signature
from dashboard.warm_up import warm_up
from metric_layer.compile_cache import CompileCache
from metric_layer.errors import SpecError
from metric_layer.query import MetricFrame, MetricQuery
from metric_layer.scope import Scope
from metric_layer.semantics import Semantics
from metric_layer.service import MetricService
from settings import Settings
from warehouse import SnapshotStore, WarehouseError
from warehouse.engines import WarehouseReader
from warehouse.pg_published import PostgresPublished as PublishedVersions
from warehouse.snapshots import SnapshotError

EXTENSION = "northstar"


class NoSnapshotError(RuntimeError):
    """Nothing is published yet; the message says how to publish."""


logger = logging.getLogger(__name__)


class Serving:
    def __init__(self, settings: Settings, cache: Cache, warm: bool = True) -> None:
        self.settings = settings
        self.warm = warm  # run the Overview's queries in the background when a snapshot opens
        self.store = serving_store(settings)
        self.cache = cache
        self._lock = threading.Lock()
        self._open: list[tuple[Snapshot, WarehouseReader]] = []
        # Snapshots no longer served that a request may still be reading (see _retire).
        self._retired: list[weakref.ref[WarehouseReader]] = []
        self._unreachable: WarehouseError | None = None  # the database, on the last look
        # Versions that could not be served, with the live spec's signature when a spec was the
        # reason (fixing metrics.yml retries them); a damaged file is never retried or re-logged.
        self._rejected: dict[str, tuple[tuple | None, Exception]] = {}
        self._live_check: tuple[tuple, SpecError | None] | None = None
        # Compiled SQL outlives snapshots: a daily publish with the same tables reuses it.
        self.compile_cache = CompileCache()

    def snapshot(self) -> Snapshot:
        """The newest servable snapshot, opened read-only (reopened when a newer one appears).

        A published snapshot that cannot be served (damaged file, no valid spec) is reported once
        in the log and in problems(); the one already open goes on serving. Raises
        NoSnapshotError, SnapshotError or SpecError only when nothing can be served at all.
        """
        served = self._served()
        current = self._current(served)
        if served is not None and (current is None or not self._wants(current[0], served)):
            return served
        with self._lock:
            served = self._served()
            if served is not None and (current is None or not self._wants(current[0], served)):
                return served
            if current is None:
                raise NoSnapshotError(
                    f"no data published in {shown(self.settings.serving_dir)} yet: run "
                    "`northstar demo build` or `northstar ingest`, then reload"
                )
            # Nothing open yet (a worker starting): fall back to older snapshots in the store.
            versions = [current[0]]
            if served is None:
                versions += [v for v in self.store.versions() if v < current[0]]
            first_error: Exception | None = None
            for version in versions:
                if self._rejected_now(version):
                    first_error = first_error or self._rejected[version][1]
                    continue
                try:
                    snap = self._open_version(version)
                except (SnapshotError, SpecError) as exc:
                    self._reject(version, exc)
                    first_error = first_error or exc
                    continue
                return snap
            if served is not None:
                return served
            assert first_error is not None
            raise first_error

    def problems(self) -> list[Problem]:
        """What the banner on every page says is wrong (empty when all is well)."""
        try:
            snap = self.snapshot()
        except (NoSnapshotError, SpecError, WarehouseError):  # SnapshotError included
            return []  # the pages themselves say why nothing can be shown
        found = []
        if self._unreachable is not None:
            found.append(
                Problem(
                    "The warehouse cannot be reached",
                    [str(self._unreachable), f"Numbers shown are of version {snap.version}."],
                )
            )
            return found
        current = self.store.current()
        if current is None:
            found.append(
                Problem(
                    f"Nothing is published in {shown(self.settings.serving_dir)} any more",
                    [f"Still serving snapshot {snap.version}; publish with `northstar ingest`."],
                )
            )
        elif current[0] != snap.version and current[0] in self._rejected:
            error = self._rejected[current[0]][1]
            still = (  # a database's older version has no tables of its own any more
                f"Its tables replaced those of version {snap.version}, still served with its "
                "spec: what changed shows as errors until metrics.yml matches it."
                if isinstance(self.store, PublishedVersions)
                else f"Still serving the previous snapshot, {snap.version}."
            )
            found.append(
                Problem(
                    f"The newest snapshot {current[0]} cannot be served", [_short(error), still]
                )
            )
        live_error = self._live_spec_error(snap)
        if live_error is not None:
            which = (
                f"the spec published with snapshot {snap.version}"
                if snap.spec_origin == PUBLISHED
                else "the last valid spec"
            )
            found.append(
                Problem(
                    f"{shown(self.settings.metrics)} is invalid: serving {which} until it is fixed",
                    [str(issue) for issue in live_error.issues],
                )
            )
        return found

    def frame(self, query: MetricQuery) -> MetricFrame:
        """The service's answer to `query` on the current snapshot, cached per snapshot."""
        return cached_frame(self.cache, self.snapshot(), query)

    def for_scope(self, scope: Scope | None) -> Serving | ScopedServing:
        """What a request limited to `scope` reads through (this Serving itself for None)."""
        return self if scope is None else ScopedServing(self, scope)

    def service_for(self, scope: Scope | None) -> MetricService:
        """The current snapshot's service limited to `scope` (alerts, reports: no request)."""
        return self.snapshot().scoped(scope).service

    def close(self) -> None:
        with self._lock:
            for _, warehouse in self._open:
                warehouse.close()
            self._open.clear()
            for retired in self._retired:
                warehouse = retired()
                if warehouse is not None:
                    warehouse.close()
            self._retired.clear()
            if not isinstance(self.store, SnapshotStore):
                self.store.close()

    # -- internals ---------------------------------------------------------------------------
    def _served(self) -> Snapshot | None:
        return self._open[-1][0] if self._open else None

    def _current(self, served: Snapshot | None) -> tuple[str, object] | None:
        """The store's current version. A database that cannot be reached keeps the served
        snapshot (its queries say why they fail; the banner says it too) and raises only
        when nothing is served yet."""
        try:
            current = self.store.current()
        except WarehouseError as exc:
            if served is None:
                raise
            if self._unreachable is None:
                logger.error("the warehouse cannot be reached: %s", exc)  # once per outage
            self._unreachable = exc
            return None
        self._unreachable = None
        return current

    def _wants(self, version: str, served: Snapshot) -> bool:
        """Whether CURRENT's `version` should replace the served snapshot (and is worth a try)."""
        return version != served.version and not self._rejected_now(version)

    def _rejected_now(self, version: str) -> bool:
        if version not in self._rejected:
            return False
        spec_signature = self._rejected[version][0]
        return spec_signature is None or spec_signature == signature(self.settings.metrics)

    def _reject(self, version: str, error: Exception) -> None:
        spec_signature = signature(self.settings.metrics) if isinstance(error, SpecError) else None
        if self._rejected.get(version, (0, None))[0] != spec_signature:
            logger.error("not serving snapshot %s: %s", version, error)  # once per cause
        self._rejected[version] = (spec_signature, error)

    def _open_version(self, version: str) -> Snapshot:
        warehouse = self.store.open_snapshot(version, duckdb_config(self.settings))
        try:
            columns = warehouse.table_columns()
            served = resolve_spec(self.settings.metrics, self.store, version, columns)
        except BaseException:
            warehouse.close()
            raise
        service = MetricService(
            warehouse,
            served.spec,
            snapshot=version,
            compile_cache=self.compile_cache,
            as_of=self.settings.as_of_date(),
        )
        snap = Snapshot(version, service, Semantics(served.spec), served.origin, columns)
        self._open.append((snap, warehouse))
        # Keep the previous snapshot open: a request in flight may still read it.
        while len(self._open) > 2:
            self._retire(self._open.pop(0)[1])
        self._rejected.pop(version, None)
        if self.warm:
            threading.Thread(target=warm_up, args=(snap,), daemon=True, name="warm-up").start()
        return snap

    def _retire(self, warehouse: WarehouseReader) -> None:
        """Stop serving a snapshot without closing it under a reader: a long request (a report,
        an explanation) may have started on it before two publishes. It closes, and frees its
        version for the pruner, when the last reference to it goes (DuckDB's connection and the
        reader lease, leases.Lease, close with their objects; so do a database's connections)."""
        self._retired = [r for r in self._retired if r() is not None]
        self._retired.append(weakref.ref(warehouse))
        # A service refers to itself (its scoped views share its caches), so only the cycle
        # collector frees one: run it now; the warehouse, then held by this call alone, closes
        # when it returns, so a snapshot nobody reads closes at once, as before.
        gc.collect()

    def _live_spec_error(self, snap: Snapshot) -> SpecError | None:
        """The live metrics.yml's problems against the served snapshot, checked again only when
        the file or the snapshot changes (one stat per call otherwise)."""
        key = (signature(self.settings.metrics), snap.version)
        checked = self._live_check
        if checked is not None and checked[0] == key:
            return checked[1]
        try:
            live_spec(self.settings.metrics, snap.columns)
            error = None
        except SpecError as exc:
            error = exc
        self._live_check = (key, error)
        return error


class ScopedServing:
    """A Serving as one request limited to a row-level scope sees it: the same snapshots,
    cache and problems, with `snapshot()` scoped. Made per request by `serving()` and handed
    down explicitly (summaries run in worker threads, which have no request to ask)."""

    def __init__(self, base: Serving, scope: Scope) -> None:
        self.base, self.scope = base, scope

    @property
    def settings(self) -> Settings:
        return self.base.settings

    @property
    def cache(self) -> Cache:
        return self.base.cache

    def snapshot(self) -> Snapshot:
        return self.base.snapshot().scoped(self.scope)

    def problems(self) -> list[Problem]:
        return self.base.problems()

    def frame(self, query: MetricQuery) -> MetricFrame:
        return cached_frame(self.cache, self.snapshot(), query)

    def for_scope(self, scope: Scope | None) -> Serving | ScopedServing:
        return self.base.for_scope(scope)

    def service_for(self, scope: Scope | None) -> MetricService:
        return self.base.service_for(scope)


@dataclass(frozen=True)
class Problem:
    """One thing the banner reports: a title and the lines that explain it."""

    title: str
    lines: list[str]


def _short(error: Exception) -> str:
    if isinstance(error, SnapshotError):
        return f"It {error.reason}." if error.reason.startswith("it ") else f"{error.reason}."
    return str(error)


def serving() -> Serving | ScopedServing:
    """The Serving of the Flask app handling this request, limited to the request's scope."""
    return current_app.extensions[EXTENSION].for_scope(current_scope())


def check_spec(settings: Settings) -> None:
    """Raise SpecError (listing every problem) when no valid spec can be served: neither the live
    metrics.yml nor one published with a snapshot. `northstar serve` refuses to start then."""
    serving = Serving(settings, Cache(config={"CACHE_TYPE": "NullCache"}), warm=False)
    try:
        serving.snapshot()
    except NoSnapshotError:
        live_spec(settings.metrics, None)  # nothing published: the file alone must be valid
    except (SnapshotError, WarehouseError):
        pass  # nothing servable (or the database is down); the pages say why
    finally:
        serving.close()
