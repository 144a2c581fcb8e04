"""Row-level scope: a user limited to some values of some dimensions (the South team sees South).

A Scope maps dimension names to the values allowed (`region ∈ {south}`); several dimensions must
all hold. The metric service enforces it (MetricService.scoped), so every number a scoped user
gets — a query, a breakdown, a filter picker's values, an export, a tree node, a root cause — is
computed from the allowed rows only:
- a metric is *in scope* when every model it reads rows of (a ratio's or formula's inputs, both
  events of a conversion, a retention's cohort and activity models) has every scoped dimension;
  its reads then carry the scope as dimension filters (values are sqlglot literals, as any
  filter's). Dimension filters keep the rollups exact: materialized results hold no filter, so
  the planner declines them and reads entity-day rows or raw tables instead (rollups.py);
- a metric the spec marks `company_wide: true` is shown whole, the same number for everyone;
- any other metric is hidden: listed nowhere, and a query for it is refused (ScopeError);
- a filter that picks values outside the scope (`region=north` for the South team) is refused
  rather than answered with nothing, so the user learns why; other filters only narrow (they all
  must hold together with the scope's).
A conversion's second event and a retention's returning activity are matched by entity to the
scoped first event or cohort, as any dimension filter of those metrics is applied.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass

from metric_layer.data_span import fact_models
from metric_layer.errors import QueryError
from metric_layer.query import DimensionFilter
from metric_layer.semantics import Semantics
from metric_layer.spec import Spec, TreeNode
from metric_layer.suggest import did_you_mean
from metric_layer.where import picked_values


class ScopeError(QueryError):
    """A scope that does not fit the spec, or a question outside the asker's scope."""


@dataclass(frozen=True)
class Scope:
    """Dimension → the values allowed, sorted (hashable: it keys caches)."""

    limits: tuple[tuple[str, tuple[str, ...]], ...]

    @classmethod
    def of(cls, limits: Mapping[str, Iterable[object]]) -> Scope:
        """`Scope.of({"region": ["south"]})`; values are compared as text, as URL filters are.
        ScopeError for a dimension without values (a user who may see nothing has no scope to
        serve: refuse them before asking the service)."""
        out = []
        for name, values in limits.items():
            if isinstance(values, str | bytes):
                values = [values]  # `region: south` means the one value, not its letters
            kept = tuple(sorted({str(v) for v in values}))
            if not kept:
                raise ScopeError(f"the scope allows no value of `{name}`: give at least one")
            out.append((str(name), kept))
        if not out:
            raise ScopeError("a scope limits at least one dimension; no scope means see all")
        return cls(tuple(sorted(out)))

    @property
    def dimensions(self) -> tuple[str, ...]:
        return tuple(name for name, _ in self.limits)

    def allowed(self, dimension: str) -> tuple[str, ...]:
        return dict(self.limits)[dimension]

    def filters(self) -> tuple[DimensionFilter, ...]:
        """The scope as dimension filters, one per dimension (all must hold)."""
        return tuple(DimensionFilter(name, "in", values) for name, values in self.limits)

    def key(self) -> str:
        """Stable text for cache keys: two equal scopes give the same key, others never do."""
        return ";".join(f"{name}={','.join(map(repr, values))}" for name, values in self.limits)

    def __str__(self) -> str:
        return "; ".join(f"{name}: {', '.join(values)}" for name, values in self.limits)

    def __and__(self, other: Scope) -> Scope:
        """Both scopes at once (a user's and their team's): values allowed by both. ScopeError
        when they share no value of a dimension: that would be no row at all, not every row."""
        merged = {name: set(values) for name, values in self.limits}
        for name, values in other.limits:
            if name in merged and not merged[name] & set(values):
                raise ScopeError(
                    f"the scopes share no value of `{name}` ({', '.join(sorted(merged[name]))} "
                    f"vs {', '.join(values)}): together they allow no value of it, so no row"
                )
            merged[name] = merged[name] & set(values) if name in merged else set(values)
        return Scope.of(merged)

    # -- against a spec --------------------------------------------------------------------------
    def check(self, spec: Spec, sem: Semantics | None = None) -> None:
        """ScopeError naming a dimension no model of `spec` has, with the closest name."""
        sem = sem or Semantics(spec)
        known = {k for m in spec.models for k in sem.dimensions_of_model(m.name)}
        for name in self.dimensions:
            if name not in known:
                hint = did_you_mean(name, sorted(k for k in known if "." not in k))
                plain = ", ".join(sorted(k for k in known if "." not in k)) or "none"
                raise ScopeError(
                    f"the scope limits `{name}`, which is no dimension in metrics.yml; "
                    + (f"{hint} " if hint else "")
                    + f"dimensions: {plain}"
                )

    def in_scope(self, sem: Semantics, metric: str) -> bool:
        """Whether every model `metric` reads rows of has every scoped dimension."""
        models = fact_models(sem, metric)
        own = sem.dimensions_of_metric(metric)
        return bool(models) and all(
            name in own and all(name in sem.dimensions_of_model(m) for m in models)
            for name in self.dimensions
        )

    def visible(self, sem: Semantics, metric: str) -> bool:
        return sem.metrics[metric].company_wide or self.in_scope(sem, metric)

    def check_visible(self, sem: Semantics, metric: str) -> None:
        """ScopeError when `metric` is hidden from this scope."""
        if not self.visible(sem, metric):
            raise ScopeError(
                f"metric `{metric}` is outside your scope ({self}): its rows cannot be limited "
                "to it; ask an admin, or mark it `company_wide: true` in metrics.yml if everyone "
                "may see it whole"
            )

    def applies(self, sem: Semantics, metric: str) -> bool:
        """Whether `metric`'s reads carry the scope (in scope and not company-wide)."""
        return not sem.metrics[metric].company_wide and self.in_scope(sem, metric)

    def narrow(
        self,
        sem: Semantics,
        metric: str,
        filters: Sequence[DimensionFilter],
        where: Sequence[str] = (),
    ) -> tuple[DimensionFilter, ...]:
        """`filters` with the scope's added, for one metric's reads (unchanged for a company-wide
        metric). ScopeError for a hidden metric or a filter picking values outside the scope."""
        if not self.visible(sem, metric):
            raise ScopeError(
                f"metric `{metric}` is outside your scope ({self}): its rows cannot be limited "
                f"to it; ask an admin, or mark it `company_wide: true` in metrics.yml if everyone "
                f"may see it whole"
            )
        if not self.applies(sem, metric):
            return tuple(filters)
        picks = [(f.dimension, f.values) for f in filters if f.op in ("=", "in")]
        picks += [p for p in map(picked_values, where) if p is not None]
        for name, values in picks:
            scoped = self._scoped_name(sem, metric, name)
            if scoped is None:
                continue
            outside = [str(v) for v in values if str(v) not in self.allowed(scoped)]
            if outside:
                raise ScopeError(
                    f"`{name}` = {', '.join(outside)} is outside your scope ({self}); "
                    f"pick among {', '.join(self.allowed(scoped))}"
                )
        return (*filters, *self.filters())

    def _scoped_name(self, sem: Semantics, metric: str, name: str) -> str | None:
        """The scoped dimension `name` stands for in `metric` (`customers.region` is `region`
        when both resolve to one dimension), or None."""
        dims = sem.dimensions_of_metric(metric)
        target = dims.get(name)
        for scoped in self.dimensions:
            if scoped == name:
                return scoped
            mine = dims.get(scoped)
            same = target is not None and mine is not None
            if same and (target.model, target.dimension.name) == (mine.model, mine.dimension.name):
                return scoped
        return None


def visible_spec(spec: Spec, sem: Semantics, scope: Scope | None) -> Spec:
    """`spec` as a user with `scope` sees it: the metrics they may see, and the North Star tree
    without hidden nodes (a hidden node's subtree goes with it; a hidden North Star Metric
    leaves no north_star). Listing only: the service computes from the whole spec, so a
    company-wide ratio of hidden inputs still has its inputs."""
    if scope is None:
        return spec
    metrics = [m for m in spec.metrics if scope.visible(sem, m.name)]
    shown = {m.name for m in metrics}
    north_star = spec.north_star
    if north_star is not None and north_star.metric not in shown:
        north_star = None
    elif north_star is not None and north_star.tree is not None:
        tree = _pruned(north_star.tree, shown)
        north_star = north_star.model_copy(update={"tree": tree})
    return spec.model_copy(update={"metrics": metrics, "north_star": north_star})


def _pruned(node: TreeNode, shown: set[str]) -> TreeNode | None:
    if node.metric not in shown:
        return None
    children = [c for c in (_pruned(child, shown) for child in node.children) if c is not None]
    return node.model_copy(update={"children": children})
