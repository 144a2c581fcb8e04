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

from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

from alerts.channels.config import Channel, ChannelConfigError, InAppChannel, parse_channel
from alerts.model import Rule
from alerts.spec_models import AlertsSection, Defaults, ReportEntry
from alerts.spec_reader import SECTION
from alerts.spec_rules import IN_APP, RuleChecks
from located_yaml import load_located as parse_yaml
from metric_layer.errors import SpecError, SpecIssue
from metric_layer.sections import find_section
from metric_layer.spec import Spec
from metric_layer.suggest import did_you_mean
from metric_layer.yaml_lines import LocatedDocument, load_located

ALERTS_FILE = "alerts.yml"
CHANNEL_NAME_CHARS = set("abcdefghijklmnopqrstuvwxyz0123456789_-")


class AlertRulesError(SpecError):
    """The alert rules are invalid: every issue, as SpecError (callers catching SpecError get it
    too), with a message that names the rules rather than the metrics spec."""

    def __init__(self, issues: list[SpecIssue]) -> None:
        super().__init__(issues)
        lines = [f"alert rules have {len(issues)} problem(s):"] + [f"  {i}" for i in issues]
        lines.append("Fix them and run `northstar validate` again.")
        self.args = ("\n".join(lines),)


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
    found = find_section(metrics_path, SECTION, ALERTS_FILE, "alerts", AlertRulesError)
    if found is None:
        return AlertsConfig()
    sources = source_names(
        Path(sources_path) if sources_path else metrics_path.parent / "sources.yml"
    )
    return parse_alerts(found.doc, spec, sources, own_file=found.own_file)


def parse_alerts_text(
    text: str, spec: Spec, file: str = ALERTS_FILE, sources: set[str] | None = None
) -> AlertsConfig:
    """alerts.yml's text (or any document holding `alerts:`) → AlertsConfig; SpecError if invalid."""
    doc = load_located(text, file)
    if doc.issues:
        raise AlertRulesError(doc.issues)
    return parse_alerts(doc, spec, sources, own_file=Path(file).name == ALERTS_FILE)


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
        raise AlertRulesError(sorted(checker.issues, key=lambda i: (i.line or 0, i.path)))
    return config


class _Checker(RuleChecks):
    """The whole section: its keys, defaults, channels, rules and report."""

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
                problem,
                f"in the spec's time zone ({self.spec.time_zone}); weekday 0 and 7 are Sunday",
            )
            return None
        return ReportSchedule(entry.schedule, tuple(entry.channels), self.spec.time_zone)


def cron_problem(schedule: str, time_zone: str) -> str | None:
    """What is wrong with a cron schedule (read as crontab reads it: cron_schedule.py, as the
    worker schedules it), or None."""
    from zoneinfo import ZoneInfo

    from cron_schedule import CronError, crontab_trigger

    try:
        crontab_trigger(schedule, ZoneInfo(time_zone))
    except CronError as exc:
        return str(exc)
    return None
