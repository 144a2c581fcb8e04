"""Answers about a validated spec: which dimensions a metric can use, what it depends on."""

from __future__ import annotations

from dataclasses import dataclass
from functools import cached_property

from metric_layer.expressions import formula_refs, parse_formula
from metric_layer.spec import (
    ActiveMetric,
    ConversionMetric,
    CumulativeMetric,
    DerivedMetric,
    Dimension,
    Model,
    RatioMetric,
    RetentionMetric,
    SimpleMetric,
    SnapshotMetric,
    Spec,
)


@dataclass(frozen=True)
class ResolvedDimension:
    """A dimension reachable from a base model, with the join path that reaches it."""

    name: str  # what users type: `channel`
    model: str  # model that defines it: `customers`
    dimension: Dimension
    path: tuple[str, ...]  # models joined from the base model, in order; () = own dimension


class Semantics:
    def __init__(self, spec: Spec) -> None:
        self.spec = spec
        self.models = {m.name: m for m in spec.models}
        self.metrics = {m.name: m for m in spec.metrics}

    def dimensions_of_model(self, model_name: str) -> dict[str, ResolvedDimension]:
        """Own dimensions first, then those of joined models (breadth first); first name wins."""
        out: dict[str, ResolvedDimension] = {}
        queue: list[tuple[str, tuple[str, ...]]] = [(model_name, ())]
        seen = {model_name}
        while queue:
            name, path = queue.pop(0)
            model = self.models.get(name)
            if model is None:
                continue
            for dim in model.dimensions:
                out.setdefault(dim.name, ResolvedDimension(dim.name, name, dim, path))
                out.setdefault(f"{name}.{dim.name}", ResolvedDimension(dim.name, name, dim, path))
            for join in model.joins:
                if join.model not in seen:
                    seen.add(join.model)
                    queue.append((join.model, (*path, join.model)))
        return out

    def base_model(self, metric_name: str) -> str | None:
        """The model whose rows carry a metric's dimensions (None for ratio/derived)."""
        metric = self.metrics[metric_name]
        if isinstance(metric, SimpleMetric | ActiveMetric | SnapshotMetric):
            return metric.model
        if isinstance(metric, RetentionMetric):
            return metric.cohort.model or metric.activity_model
        if isinstance(metric, ConversionMetric):
            return metric.base_event.model  # dimensions of the base event (the visit)
        return None

    def dimensions_of_metric(self, metric_name: str) -> dict[str, ResolvedDimension]:
        """Dimensions a metric can be grouped and filtered by (shared by all inputs)."""
        return self._dimension_cache.get(metric_name) or {}

    @cached_property
    def _dimension_cache(self) -> dict[str, dict[str, ResolvedDimension]]:
        cache: dict[str, dict[str, ResolvedDimension]] = {}

        def resolve(name: str, stack: tuple[str, ...]) -> dict[str, ResolvedDimension]:
            if name in cache:
                return cache[name]
            if name in stack or name not in self.metrics:
                return {}
            base = self.base_model(name)
            if base is not None:
                result = self.dimensions_of_model(base)
            else:
                parts = [resolve(dep, (*stack, name)) for dep in self.inputs(name)]
                common = set.intersection(*(set(p) for p in parts)) if parts else set()
                result = (
                    {k: parts[0][k] for k in parts[0] if k in common and "." not in k}
                    if parts
                    else {}
                )
            cache[name] = result
            return result

        for metric in self.metrics:
            resolve(metric, ())
        return cache

    def inputs(self, metric_name: str) -> list[str]:
        """Metrics this metric is computed from (direct only)."""
        metric = self.metrics[metric_name]
        if isinstance(metric, RatioMetric):
            return [metric.numerator.metric, metric.denominator.metric]
        if isinstance(metric, CumulativeMetric):
            return [metric.input_metric.metric]
        if isinstance(metric, DerivedMetric):
            seen: list[str] = []
            for ref in formula_refs(parse_formula(metric.formula)):
                if ref.metric not in seen:
                    seen.append(ref.metric)
            return seen
        return []

    def models_of_metric(self, metric_name: str) -> list[str]:
        """Every model a metric reads, through its inputs (for lineage)."""
        out: list[str] = []

        def walk(name: str, seen: set[str]) -> None:
            if name in seen or name not in self.metrics:
                return
            seen.add(name)
            metric = self.metrics[name]
            own: list[str] = []
            if isinstance(metric, SimpleMetric | ActiveMetric | SnapshotMetric):
                own = [metric.model]
            elif isinstance(metric, RetentionMetric):
                own = [m for m in (metric.cohort.model, metric.activity_model) if m]
            elif isinstance(metric, ConversionMetric):
                own = list(dict.fromkeys([metric.base_event.model, metric.conversion_event.model]))
            for model in own:
                for dep in [model, *self.join_targets(model)]:
                    if dep not in out:
                        out.append(dep)
            for dep in self.inputs(name):
                walk(dep, seen)

        walk(metric_name, set())
        return out

    def join_targets(self, model_name: str) -> list[str]:
        return list(
            dict.fromkeys(d.model for d in self.dimensions_of_model(model_name).values() if d.path)
        )

    def model(self, name: str) -> Model:
        return self.models[name]
