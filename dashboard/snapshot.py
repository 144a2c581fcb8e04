"""One opened serving snapshot and what pages derive from it: its service, the spec as the
viewer's scope shows it, when it was published, and the key every cached result depends on.
Opened, replaced and retired by dashboard.serving.Serving."""

from __future__ import annotations

import hashlib
import time
from dataclasses import dataclass, replace
from datetime import date, datetime
from functools import cached_property

from dashboard.spec_source import Columns
from metric_layer.scope import Scope
from metric_layer.semantics import Semantics
from metric_layer.service import MetricService
from metric_layer.spec import Spec
from warehouse.pg_published import LIVE

LIVE_CACHE_SECONDS = 60  # how long an answer from an unpublished database is kept


@dataclass(frozen=True)
class Snapshot:
    """One opened serving snapshot and everything derived from it."""

    version: str
    service: MetricService
    semantics: Semantics
    spec_origin: str  # spec_source.LIVE or PUBLISHED
    columns: Columns
    scope: Scope | None = None  # the row-level scope `service` applies (None: every row)

    @property
    def spec(self) -> Spec:
        """The spec as this snapshot's user sees it: under a scope, without the metrics (and
        tree nodes) it hides (metric_layer.scope.visible_spec), so pages list only those."""
        return self.service.shown_spec

    def check_north_star_shown(self) -> None:
        """ScopeError when metrics.yml names a North Star Metric this snapshot's scope hides
        (pages then say so, not "no north_star defined")."""
        defined = self.service.spec.north_star
        if defined is not None and self.spec.north_star is None:
            self.service.check_visible(defined.metric)

    def scoped(self, scope: Scope | None) -> Snapshot:
        """This snapshot as a user limited to `scope` sees it (itself for None)."""
        if scope is None or scope == self.scope:
            return self
        service = self.service.scoped(scope)  # on a scoped snapshot: both scopes
        return replace(self, service=service, scope=service.scope)

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
        """What every cached result of this snapshot depends on besides its own request: the
        version, the spec, today and the scope (a scoped user must never read another's)."""
        key = f"{self.version}|{self.spec_hash}|{self.today()}"
        if self.version == LIVE:  # tables changed by other tools: no version says when
            key += f"|{int(time.time() // LIVE_CACHE_SECONDS)}"
        return f"{key}|scope:{self.scope.key()}" if self.scope is not None else key
