"""The rules of the alerts YAML checked against the spec: the metric exists, the breakdown and
filters are its dimensions, a target rule's metric has targets at its grain, a freshness rule's
source is in sources.yml, the channels exist, the names are unique; each valid entry → a Rule."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from datetime import timedelta
from typing import Any

from pydantic import BaseModel

from alerts.condition_types import Condition, Freshness, TargetCondition
from alerts.model import Rule
from alerts.spec_conditions import parse_condition
from alerts.spec_models import Defaults, RuleEntry
from alerts.spec_reader import SECTION, Reader
from alerts.targets import metric_targets
from metric_layer.query import DimensionFilter
from metric_layer.suggest import did_you_mean

IN_APP = "in-app"
DEFAULT_REPEAT = timedelta(days=1)


class RuleChecks(Reader):
    """Reads `alerts.rules`: each entry's structure, condition and references."""

    def rules(
        self, entries: list[Any], defaults: Defaults, channels: Mapping[str, object]
    ) -> list[Rule]:
        out: list[Rule] = []
        first_line: dict[str, int | None] = {}
        for i, raw in enumerate(entries):
            path = (SECTION, "rules", i)
            if not isinstance(raw, dict):
                self.add(path, "a rule must be a mapping", "with name, metric, grain and condition")
                continue
            entry, wrong = self.lenient(RuleEntry, raw, path)
            name = raw.get("name")
            if isinstance(name, str):
                if name in first_line:
                    self.add(
                        (*path, "name"),
                        f"duplicate rule name `{name}`",
                        f"first defined on line {first_line[name]}",
                    )
                else:
                    first_line[name] = self.doc.line_of((*path, "name"))
            condition, condition_issues = (
                parse_condition(raw["condition"], (*path, "condition"), self.doc)
                if isinstance(raw.get("condition"), dict)
                else (None, [])
            )
            self.issues.extend(condition_issues)
            if condition is None:
                self.check_source(raw.get("condition"), path)  # even when max_age is wrong
            if entry is None:
                continue
            self.check_channel_names(entry.channels or [], (*path, "channels"), channels)
            rule = self.rule(entry, condition, defaults, path, wrong) if condition else None
            if rule is not None and not wrong:
                out.append(rule)
        return out

    def rule(
        self, entry: RuleEntry, condition: Condition, defaults: Defaults, path: tuple, wrong: set
    ) -> Rule | None:
        before = len(self.issues)
        if isinstance(condition, Freshness):
            self.check_freshness(entry, condition, path)
        else:
            self.check_metric_rule(entry, condition, path, wrong)
        if len(self.issues) > before:
            return None
        grain = entry.grain or self.default_grain(condition)
        return Rule(
            name=entry.name,
            metric=entry.metric,
            condition=condition,
            grain=grain,
            filters=tuple(_filter(d, v) for d, v in entry.filters.items()),
            split_by=entry.split_by,
            for_periods=entry.for_ or defaults.for_ or 1,
            severity=entry.severity or defaults.severity or "warning",
            owners=tuple(entry.owners),
            channels=tuple(entry.channels or defaults.channels or (IN_APP,)),
            repeat=entry.repeat or defaults.repeat or DEFAULT_REPEAT,
            no_data=entry.no_data or defaults.no_data or "nodata",
            on_error=entry.on_error or defaults.on_error or "error",
            labels=tuple(sorted(entry.labels.items())),
            summary=entry.summary,
            file=self.doc.file,
            line=self.doc.line_of(path),
        )

    def default_grain(self, condition: Condition) -> str:
        # A target rule is judged at its targets' grain (the North Star's, usually week).
        if isinstance(condition, TargetCondition) and self.spec.north_star:
            return self.spec.north_star.grain
        return "day"

    def check_freshness(self, entry: RuleEntry, condition: Freshness, path: tuple) -> None:
        for key in ("metric", "grain", "split_by"):
            if getattr(entry, key) is not None:
                self.add(
                    (*path, key), f"a freshness rule watches a source, not a metric: remove `{key}`"
                )
        if entry.filters:
            self.add(
                (*path, "filters"),
                "a freshness rule watches a source, not a metric: remove `filters`",
            )
        self.check_source_name(condition.source, (*path, "condition", "freshness", "source"))

    def check_source(self, raw_condition: Any, path: tuple) -> None:
        fresh = raw_condition.get("freshness") if isinstance(raw_condition, dict) else None
        source = fresh.get("source") if isinstance(fresh, dict) else None
        if isinstance(source, str):
            self.check_source_name(source, (*path, "condition", "freshness", "source"))

    def check_source_name(self, source: str, at: tuple) -> None:
        if self.sources is not None and source not in self.sources:
            known = ", ".join(sorted(self.sources)) or "none"
            hint = did_you_mean(source, self.sources) or f"sources in sources.yml: {known}"
            self.add(at, f"unknown source `{source}`", hint)

    def check_metric_rule(
        self, entry: RuleEntry, condition: Condition, path: tuple, wrong: set[str]
    ) -> None:
        metric = entry.metric
        if metric is None and ("metric" in wrong or wrong - _yaml_keys(RuleEntry)):
            return  # a wrong or misspelt `metric` is reported already ("did you mean `metric`?")
        if metric is None:
            self.add(
                (*path, "metric"),
                "missing required key `metric`",
                "the metric this rule watches (a freshness rule watches a source instead)",
            )
            return
        if metric not in self.sem.metrics:
            hint = did_you_mean(metric, self.sem.metrics) or "run `northstar metrics` to list them"
            if metric in self.sem.models:
                hint = f"`{metric}` is a model; name a metric defined under `metrics`"
            self.add((*path, "metric"), f"unknown metric `{metric}`", hint)
            return
        dims = self.sem.dimensions_of_metric(metric)
        own = sorted(k for k in dims if "." not in k)
        if entry.split_by is not None and entry.split_by not in dims:
            self.unknown_dimension((*path, "split_by"), metric, entry.split_by, own, dims)
        for name in entry.filters:
            if name not in dims:
                self.unknown_dimension((*path, "filters", name), metric, name, own, dims)
        if isinstance(condition, TargetCondition):
            self.check_target(entry, path, metric)

    def unknown_dimension(
        self, at: tuple, metric: str, name: str, own: list[str], dims: Iterable[str]
    ) -> None:
        hint = did_you_mean(name, [d for d in dims if ("." in d) == ("." in name)])
        self.add(
            at,
            f"`{name}` is not a dimension of metric `{metric}`",
            hint or f"its dimensions: {', '.join(own) or 'none'}",
        )

    def check_target(self, entry: RuleEntry, path: tuple, metric: str) -> None:
        ns = self.spec.north_star
        targets = metric_targets(self.spec, metric)
        at = (*path, "condition", "target")
        if not targets:
            nsm = f"the North Star `{ns.metric}`" if ns else "no North Star"
            self.add(
                at,
                f"metric `{metric}` has no targets",
                f"targets are set in `north_star` ({nsm}) and its tree's nodes",
            )
            return
        grain = entry.grain or (ns.grain if ns else "week")
        grains = sorted({t.grain or (ns.grain if ns else "week") for t in targets})
        if grain not in grains:
            self.add(
                (*path, "grain") if entry.grain else at,
                f"`{metric}` has no target per {grain}",
                f"its targets are per {', '.join(grains)}: set grain: {grains[0]}",
            )
        for key in ("split_by", "filters"):
            if getattr(entry, key):
                self.add((*path, key), f"a target is set for the whole metric: remove `{key}`")


def _yaml_keys(model: type[BaseModel]) -> set[str]:
    return {field.alias or name for name, field in model.model_fields.items()}


def _filter(dimension: str, value: Any) -> DimensionFilter:
    if isinstance(value, list):
        values = tuple(str(v) for v in value)
        return DimensionFilter(dimension, "in" if len(values) > 1 else "=", values)
    return DimensionFilter(dimension, "=", (str(value),))
