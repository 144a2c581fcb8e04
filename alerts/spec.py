"""Alert rules from YAML: the `alerts:` section of metrics.yml, or alerts.yml beside it.

    load_alerts(metrics_path, spec) -> AlertsConfig   (SpecError listing every problem)

Validated like metrics.yml (metric_layer.loader): structure by pydantic (alerts.spec_models),
then every reference checked against the validated spec — the metric exists, the breakdown and
filters are its dimensions, a target rule's metric has targets at the rule's grain, channels are
defined, the source of a freshness rule is in sources.yml — and every problem reported together
as `file:line: key: message (hint)`, never just the first. Channel entries are read by
alerts.channels.config.parse_channel; `in-app` is built in.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import timedelta
from pathlib import Path
from typing import Any

import yaml
from pydantic import BaseModel, ValidationError

from alerts.channels.config import Channel, ChannelConfigError, InAppChannel, parse_channel
from alerts.condition_types import Condition, Freshness, TargetCondition
from alerts.model import Rule
from alerts.spec_conditions import parse_condition
from alerts.spec_models import KEY_HINTS, AlertsSection, Defaults, ReportEntry, RuleEntry
from alerts.targets import metric_targets
from located_yaml import load_located as parse_yaml
from metric_layer.errors import SpecError, SpecIssue
from metric_layer.loader import pydantic_issues
from metric_layer.query import DimensionFilter
from metric_layer.semantics import Semantics
from metric_layer.spec import Spec
from metric_layer.suggest import did_you_mean
from metric_layer.yaml_lines import LocatedDocument, format_path, load_located

IN_APP = "in-app"
DEFAULT_REPEAT = timedelta(days=1)
ALERTS_FILE = "alerts.yml"
SECTION = "alerts"
CHANNEL_NAME_CHARS = set("abcdefghijklmnopqrstuvwxyz0123456789_-")


@dataclass(frozen=True)
class ReportSchedule:
    """When the weekly review report is sent (cron in `time_zone`) and to which channels."""

    schedule: str
    channels: tuple[str, ...]
    time_zone: str = "UTC"


@dataclass(frozen=True)
class AlertsConfig:
    rules: tuple[Rule, ...] = ()
    channels: dict[str, Channel] = field(default_factory=lambda: {IN_APP: InAppChannel()})
    report: ReportSchedule | None = None
    file: str = ""  # the file the section came from ("" when there is none)

    def rule(self, name: str) -> Rule:
        for rule in self.rules:
            if rule.name == name:
                return rule
        hint = did_you_mean(name, [r.name for r in self.rules])
        raise KeyError(f"no alert rule `{name}`" + (f"; {hint}" if hint else ""))


def load_alerts(
    metrics_path: str | Path, spec: Spec, *, sources_path: str | Path | None = None
) -> AlertsConfig:
    """The alerts of the project whose metrics.yml is `metrics_path` (already valid as `spec`):
    its `alerts:` section, or alerts.yml beside it; both → an error naming both. None → no
    rules, only the in-app channel. `sources_path` (default: sources.yml beside metrics.yml)
    names the sources freshness rules may watch; when it does not exist they are not checked."""
    metrics_path = Path(metrics_path)
    metrics_doc = _read(metrics_path)
    beside = metrics_path.parent / ALERTS_FILE
    in_metrics = isinstance(metrics_doc.data, dict) and SECTION in metrics_doc.data
    if in_metrics and beside.exists():
        raise SpecError(
            [
                SpecIssue(
                    str(beside),
                    1,
                    "",
                    f"alerts are defined twice: here and in {metrics_path} "
                    f"(line {metrics_doc.line_of((SECTION,))})",
                    f"keep one: the `alerts:` section of {metrics_path.name} or {ALERTS_FILE}",
                )
            ]
        )
    sources = source_names(
        Path(sources_path) if sources_path else metrics_path.parent / "sources.yml"
    )
    if in_metrics:
        return parse_alerts(metrics_doc, spec, sources)
    if beside.exists():
        doc = _read(beside)
        if doc.issues:
            raise SpecError(doc.issues)
        return parse_alerts(doc, spec, sources, own_file=True)
    return AlertsConfig()


def parse_alerts_text(
    text: str, spec: Spec, file: str = ALERTS_FILE, sources: set[str] | None = None
) -> AlertsConfig:
    """alerts.yml's text (or any document holding `alerts:`) → AlertsConfig; SpecError if invalid."""
    doc = load_located(text, file)
    if doc.issues:
        raise SpecError(doc.issues)
    return parse_alerts(doc, spec, sources, own_file=Path(file).name == ALERTS_FILE)


def _read(path: Path) -> LocatedDocument:
    try:
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise SpecError([SpecIssue(str(path), None, "", f"cannot read the file: {exc}")]) from None
    return load_located(text, str(path))


def source_names(path: Path) -> set[str] | None:
    """Names of the sources in sources.yml; None when it does not exist or cannot be read (then
    freshness rules are not checked: `northstar validate` reports sources.yml's own problems)."""
    try:
        data = parse_yaml(path.read_text(encoding="utf-8")).data
    except (OSError, UnicodeDecodeError, yaml.YAMLError):  # sources.yml reports its own problems
        return None
    items = data.get("sources") if isinstance(data, dict) else None
    if not isinstance(items, list):
        return None
    return {str(s["name"]) for s in items if isinstance(s, dict) and "name" in s}


def parse_alerts(
    doc: LocatedDocument, spec: Spec, sources: set[str] | None = None, *, own_file: bool = False
) -> AlertsConfig:
    """The `alerts:` section of a located document; SpecError listing every problem."""
    checker = _Checker(doc, spec, sources)
    config = checker.read(own_file)
    if checker.issues:
        raise SpecError(sorted(checker.issues, key=lambda i: (i.line or 0, i.path)))
    return config


class _Checker:
    """Reads the section entry by entry, collecting every issue with its line."""

    def __init__(self, doc: LocatedDocument, spec: Spec, sources: set[str] | None) -> None:
        self.doc, self.spec, self.sources = doc, spec, sources
        self.sem = Semantics(spec)
        self.issues: list[SpecIssue] = list(doc.issues)

    def add(self, path: tuple, message: str, hint: str | None = None) -> None:
        self.issues.append(
            SpecIssue(self.doc.file, self.doc.line_of(path), format_path(path), message, hint)
        )

    def validate(self, model: type[BaseModel], raw: Any, path: tuple) -> Any:
        """`raw` as `model` (its wrong keys left out, see lenient), or None."""
        return self.lenient(model, raw, path)[0]

    def lenient(self, model: type[BaseModel], raw: Any, path: tuple) -> tuple[Any, set[str]]:
        """`raw` as `model` and the keys that were wrong. With wrong keys their problems are
        recorded and the entry is read again without them, so the keys that are right are still
        checked against the spec (a bad `repeat` must not hide an unknown channel); None when
        even that fails."""
        try:
            return model.model_validate(raw), set()
        except ValidationError as exc:
            self.issues.extend(pydantic_issues(exc, path, self.doc, model, KEY_HINTS))
            bad = {str(e["loc"][0]) for e in exc.errors() if e["loc"]}
        if not isinstance(raw, dict):
            return None, bad
        try:
            return model.model_validate({k: v for k, v in raw.items() if k not in bad}), bad
        except ValidationError:
            return None, bad

    # -- the section ---------------------------------------------------------------------------
    def read(self, own_file: bool) -> AlertsConfig:
        data = self.doc.data
        if not isinstance(data, dict):
            self.add((), "the file must be a mapping holding `alerts:`")
            return AlertsConfig(file=self.doc.file)
        if own_file:
            for key in data:
                if key != SECTION:
                    hint = (
                        did_you_mean(str(key), [SECTION]) or f"{ALERTS_FILE} holds only `alerts:`"
                    )
                    self.add((key,), f"unknown key `{key}`", hint)
        raw = data.get(SECTION)
        if raw is None:
            return AlertsConfig(file=self.doc.file)
        if not isinstance(raw, dict):
            self.add(
                (SECTION,),
                "`alerts` must be a mapping",
                "with `rules:`, and optionally `channels:`, `defaults:`, `report:`",
            )
            return AlertsConfig(file=self.doc.file)
        for key in raw:
            if key not in AlertsSection.model_fields:
                hint = did_you_mean(str(key), AlertsSection.model_fields)
                self.add(
                    (SECTION, key),
                    f"unknown key `{key}`",
                    hint or f"allowed keys: {', '.join(AlertsSection.model_fields)}",
                )
        defaults = (
            self.validate(Defaults, raw.get("defaults") or {}, (SECTION, "defaults")) or Defaults()
        )
        entries = {
            "channels": (dict, "a mapping of channel name to entry"),
            "rules": (list, "a list of rules"),
        }
        for key, (kind, what) in entries.items():
            if not isinstance(raw.get(key, kind()), kind):
                self.add((SECTION, key), f"`{key}` must be {what}")
        channels = self.channels(raw["channels"] if isinstance(raw.get("channels"), dict) else {})
        self.check_channel_names(
            defaults.channels or [], (SECTION, "defaults", "channels"), channels
        )
        rules = self.rules(
            raw["rules"] if isinstance(raw.get("rules"), list) else [], defaults, channels
        )
        report = self.report(raw.get("report"), channels)
        return AlertsConfig(tuple(rules), channels, report, self.doc.file)

    def channels(self, entries: Mapping[str, Any]) -> dict[str, Channel]:
        out: dict[str, Channel] = {IN_APP: InAppChannel()}
        for name, raw in entries.items():
            path = (SECTION, "channels", name)
            if name == IN_APP:
                self.add(path, "`in-app` is built in and takes no entry", "remove this entry")
                continue
            if not name or not set(name) <= CHANNEL_NAME_CHARS:
                self.add(
                    path,
                    f"invalid channel name {name!r}",
                    "use a-z, 0-9, `-` and `_`, e.g. growth-slack",
                )
                continue
            try:
                out[name] = parse_channel(name, raw)
            except ChannelConfigError as exc:
                for problem in getattr(exc, "problems", (exc,)):
                    where = tuple(
                        getattr(problem, "path", ()) or ((problem.key,) if problem.key else ())
                    )
                    self.add((*path, *where), problem.message, problem.hint or None)
        return out

    def check_channel_names(
        self, names: Iterable[str], path: tuple, known: Mapping[str, Channel]
    ) -> None:
        for i, name in enumerate(names):
            if name not in known:
                hint = (
                    did_you_mean(name, known)
                    or f"define it under alerts.channels (known: {', '.join(known)})"
                )
                self.add((*path, i), f"unknown channel `{name}`", hint)

    def report(self, raw: Any, channels: Mapping[str, Channel]) -> ReportSchedule | None:
        if raw is None:
            return None
        path = (SECTION, "report")
        entry = self.validate(ReportEntry, raw, path)
        if entry is None:
            return None
        self.check_channel_names(entry.channels, (*path, "channels"), channels)
        problem = cron_problem(entry.schedule, self.spec.time_zone)
        if problem:
            self.add(
                (*path, "schedule"),
                f"invalid schedule {entry.schedule!r}: {problem}",
                'five cron fields in the spec\'s time zone, e.g. "0 8 * * MON" (Mondays 08:00)',
            )
            return None
        return ReportSchedule(entry.schedule, tuple(entry.channels), self.spec.time_zone)

    # -- rules ---------------------------------------------------------------------------------
    def rules(
        self, entries: list[Any], defaults: Defaults, channels: Mapping[str, Channel]
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


def cron_problem(schedule: str, time_zone: str) -> str | None:
    """What is wrong with a cron schedule, or None when APScheduler reads it."""
    from apscheduler.triggers.cron import CronTrigger

    try:
        CronTrigger.from_crontab(schedule, timezone=time_zone)
    except (ValueError, TypeError) as exc:
        return str(exc)
    return None
