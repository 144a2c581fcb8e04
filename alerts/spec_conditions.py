"""A rule's `condition:` mapping → one condition value, or SpecIssues saying what is wrong.

A condition is a mapping with exactly one kind key (above, below, outside, change, target,
anomaly, freshness), and `include_partial: true` where judging the current, unfinished period
makes sense (thresholds, changes, anomalies).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from pydantic import ValidationError

from alerts.condition_types import (
    CONDITION_KINDS,
    Anomaly,
    Change,
    Condition,
    Freshness,
    TargetCondition,
    Threshold,
)
from alerts.spec_models import KEY_HINTS, MODELS, AnomalyEntry, ChangeEntry, FreshnessEntry
from metric_layer.errors import SpecIssue
from metric_layer.loader import pydantic_issues
from metric_layer.suggest import did_you_mean
from metric_layer.yaml_lines import LocatedDocument, format_path

KINDS_TEXT = ", ".join(CONDITION_KINDS)
TARGET_MODES = ("below", "pace")
EXAMPLE = "e.g. {above: 0.08}, {change: {vs: previous, percent: 10}} or {anomaly: {sensitivity: 3}}"


def parse_condition(
    raw: Mapping[str, Any], path: tuple, doc: LocatedDocument
) -> tuple[Condition | None, list[SpecIssue]]:
    """The condition at `path` (the rule's `condition` key) and the problems found in it."""
    issues: list[SpecIssue] = []

    def add(at: tuple, message: str, hint: str | None = None) -> None:
        issues.append(SpecIssue(doc.file, doc.line_of(at), format_path(at), message, hint))

    kinds = [k for k in raw if k in CONDITION_KINDS]
    for key in raw:
        if key not in CONDITION_KINDS and key != "include_partial":
            hint = did_you_mean(str(key), [*CONDITION_KINDS, "include_partial"])
            add((*path, key), f"unknown condition `{key}`", hint or f"one of {KINDS_TEXT}")
    if not kinds:
        if not issues:
            add(path, f"a condition needs one of {KINDS_TEXT}", EXAMPLE)
        return None, issues
    if len(kinds) > 1:
        hint = (
            "for a range use outside: [low, high]"
            if set(kinds) == {"above", "below"}
            else "write one rule per condition"
        )
        add((*path, kinds[1]), f"one condition per rule, found {' and '.join(kinds)}", hint)
        return None, issues
    kind = kinds[0]
    include_partial = raw.get("include_partial", False)
    if not isinstance(include_partial, bool):
        add((*path, "include_partial"), f"invalid value {include_partial!r}", "true or false")
        include_partial = False
    if include_partial and kind in ("target", "freshness"):
        hint = "`target: pace` judges the current period already" if kind == "target" else None
        add((*path, "include_partial"), f"a {kind} condition has no partial period", hint)
    value = raw[kind]
    at = (*path, kind)
    condition: Condition | None = None
    if kind in ("above", "below"):
        if _number(value):
            bound = float(value)
            condition = (
                Threshold("above", high=bound, include_partial=include_partial)
                if kind == "above"
                else Threshold("below", low=bound, include_partial=include_partial)
            )
        else:
            add(at, f"invalid value {value!r}: a number is needed", f"e.g. {kind}: 0.08")
    elif kind == "outside":
        if (
            isinstance(value, list)
            and len(value) == 2
            and all(_number(v) for v in value)
            and value[0] < value[1]
        ):
            condition = Threshold("outside", float(value[0]), float(value[1]), include_partial)
        else:
            add(
                at,
                f"invalid value {value!r}: a range is two numbers, low first",
                "e.g. outside: [0.02, 0.08]",
            )
    elif kind == "target":
        if value in TARGET_MODES:
            condition = TargetCondition(value)
        else:
            hint = did_you_mean(str(value), TARGET_MODES) or "below (worse than the target) or pace"
            add(at, f"invalid value {value!r}", hint)
    else:
        condition = _nested(kind, value, at, doc, issues, include_partial)
    return (condition if not issues else None), issues


def _nested(
    kind: str, value: Any, at: tuple, doc: LocatedDocument, issues: list[SpecIssue], partial: bool
) -> Condition | None:
    if kind == "anomaly" and (value is True or value is None):
        value = {}  # `anomaly: true`: the default band
    if not isinstance(value, Mapping):
        example = {
            "change": "{vs: previous, percent: 10, direction: bad}",
            "anomaly": "{sensitivity: 3}",
            "freshness": "{source: shop, max_age: 6 hours}",
        }[kind]
        issues.append(
            SpecIssue(
                doc.file,
                doc.line_of(at),
                format_path(at),
                f"`{kind}` takes a mapping",
                f"e.g. {kind}: {example}",
            )
        )
        return None
    model = MODELS[kind]
    try:
        entry = model.model_validate(dict(value))
    except ValidationError as exc:
        issues.extend(pydantic_issues(exc, at, doc, model, KEY_HINTS))
        return None
    if isinstance(entry, ChangeEntry):
        if (entry.percent is None) == (entry.absolute is None):
            issues.append(
                SpecIssue(
                    doc.file,
                    doc.line_of(at),
                    format_path(at),
                    "a change needs exactly one of `percent` or `absolute`",
                    "percent: 10 (10 % of the earlier value) or absolute: 500 (in the metric's unit)",
                )
            )
            return None
        return Change(entry.vs, entry.percent, entry.absolute, entry.direction, partial)
    if isinstance(entry, AnomalyEntry):
        return Anomaly(entry.sensitivity, entry.direction, entry.lookback, partial)
    assert isinstance(entry, FreshnessEntry)
    return Freshness(entry.source, entry.max_age)


def _number(value: object) -> bool:
    return isinstance(value, int | float) and not isinstance(value, bool)
