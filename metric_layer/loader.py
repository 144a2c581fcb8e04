"""metrics.yml → validated Spec, or SpecError listing every problem with file, line and key."""

from __future__ import annotations

import difflib
from pathlib import Path
from typing import Any

from pydantic import BaseModel, TypeAdapter, ValidationError

from metric_layer.errors import SpecError, SpecIssue
from metric_layer.spec import EXTENSION_SECTIONS, METRIC_TYPES, Metric, Model, NorthStar, Spec
from metric_layer.validation import check_spec
from metric_layer.yaml_lines import LocatedDocument, format_path, load_located

_SECTIONS: dict[str, Any] = {
    "models": Model,
    "metrics": TypeAdapter(Metric),
    "north_star": NorthStar,
}


def load_spec(path: str | Path, columns: dict[str, dict[str, str]] | None = None) -> Spec:
    """Parse and validate; `columns` ({"schema.table": {col: type}}) enables warehouse checks."""
    path = Path(path)
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise SpecError(
            [SpecIssue(str(path), None, "", "file not found", "set NORTHSTAR_METRICS or create it")]
        ) from None
    return parse_spec(text, str(path), columns)


def parse_spec(
    text: str, file: str = "metrics.yml", columns: dict[str, dict[str, str]] | None = None
) -> Spec:
    doc = load_located(text, file)
    issues = list(doc.issues)
    if doc.data is None:
        raise SpecError(issues)
    spec, structural = _build(doc)
    issues += structural
    issues += check_spec(spec, doc, columns, skip=_invalid_names(doc, spec))
    if issues:
        raise SpecError(sorted(issues, key=lambda i: (i.line or 0, i.path)))
    return spec


def _build(doc: LocatedDocument) -> tuple[Spec, list[SpecIssue]]:
    """Validate each model and metric on its own so one bad entry doesn't hide the others."""
    issues: list[SpecIssue] = []
    data = doc.data
    if not isinstance(data, dict):
        return Spec(), [SpecIssue(doc.file, 1, "", "the file must be a mapping of sections")]
    # Sections other packages own (alerts, okrs) are theirs to validate: see EXTENSION_SECTIONS.
    top = {k: v for k, v in data.items() if k not in _SECTIONS and k not in EXTENSION_SECTIONS}
    spec_kwargs: dict[str, Any] = {}
    try:
        spec_kwargs = Spec.model_validate(top).model_dump(
            exclude={"models", "metrics", "north_star"}
        )
    except ValidationError as exc:
        issues += pydantic_issues(exc, (), doc, Spec)
        good = {k: v for k, v in top.items() if not _field_failed(exc, k)}
        spec_kwargs = Spec.model_validate(
            {k: v for k, v in good.items() if k in Spec.model_fields}
        ).model_dump(exclude={"models", "metrics", "north_star"})
    for section in ("models", "metrics"):
        items = data.get(section, [])
        if not isinstance(items, list):
            issues.append(SpecIssue(doc.file, doc.line_of((section,)), section, "must be a list"))
            continue
        validator = _SECTIONS[section]
        valid = []
        for i, item in enumerate(items):
            try:
                valid.append(
                    validator.validate_python(item)
                    if section == "metrics"
                    else Model.model_validate(item)
                )
            except ValidationError as exc:
                hint_model = _metric_class(item) if section == "metrics" else Model
                issues += pydantic_issues(exc, (section, i), doc, hint_model)
        spec_kwargs[section] = valid
    if data.get("north_star") is not None:
        try:
            spec_kwargs["north_star"] = NorthStar.model_validate(data["north_star"])
        except ValidationError as exc:
            issues += pydantic_issues(exc, ("north_star",), doc, NorthStar)
    return Spec.model_construct(**{**Spec().model_dump(), **spec_kwargs}), issues


def _field_failed(exc: ValidationError, key: str) -> bool:
    return any(e["loc"] and e["loc"][0] == key for e in exc.errors())


def _metric_class(item: object) -> type[BaseModel] | None:
    from metric_layer import spec as s

    kind = item.get("type") if isinstance(item, dict) else None
    return {
        "simple": s.SimpleMetric,
        "ratio": s.RatioMetric,
        "derived": s.DerivedMetric,
        "active": s.ActiveMetric,
        "retention": s.RetentionMetric,
        "conversion": s.ConversionMetric,
        "cumulative": s.CumulativeMetric,
        "snapshot": s.SnapshotMetric,
    }.get(kind)  # type: ignore[arg-type]


def _invalid_names(doc: LocatedDocument, spec: Spec) -> set[str]:
    """Names of entries that failed structurally: references to them are not reported twice.

    Only failed entries: a valid model's name must still be reported when used as a metric.
    """
    names = set()
    for section, valid in (("models", spec.model_names), ("metrics", spec.metric_names)):
        items = doc.data.get(section) if isinstance(doc.data, dict) else None
        for item in items if isinstance(items, list) else []:
            name = item.get("name") if isinstance(item, dict) else None
            if isinstance(name, str) and name not in valid:
                names.add(name)
    return names


def pydantic_issues(
    exc: ValidationError,
    prefix: tuple,
    doc: LocatedDocument,
    model: type[BaseModel] | None,
    key_hints: dict[str, str] | None = None,
) -> list[SpecIssue]:
    """Each of pydantic's errors for the entry at `prefix` (validated as `model`) as a SpecIssue with
    its line and a hint: did-you-mean for unknown keys and values, the allowed keys otherwise, or
    what a key takes (`key_hints`, by key name). Shared with the sections other packages validate
    (alerts.spec)."""
    hints = {**_KEY_HINTS, **(key_hints or {})}
    issues = []
    errors = exc.errors()
    # A misspelt required key is one problem, not two: `foreign_keys` is reported as unknown
    # (did you mean `foreign_key`?) and the "missing `foreign_key`" that follows from it is dropped.
    misspelt = set()
    for err in errors:
        if err["type"] == "extra_forbidden":
            loc = _data_path(prefix, err["loc"], doc)
            close = difflib.get_close_matches(
                str(loc[-1]), _allowed_keys(loc, model, len(prefix)), n=1
            )
            misspelt.update((*loc[:-1], c) for c in close)
    for err in errors:
        loc = _data_path(prefix, err["loc"], doc)
        key = loc[-1] if loc else ""
        kind = err["type"]
        hint = None
        if kind == "missing" and loc in misspelt:
            continue
        if kind == "extra_forbidden":
            message = f"unknown key `{key}`"
            allowed = _allowed_keys(loc, model, len(prefix))
            close = difflib.get_close_matches(str(key), allowed, n=1)
            hint = f"did you mean `{close[0]}`?" if close else f"allowed keys: {', '.join(allowed)}"
        elif kind == "missing":
            message = f"missing required key `{key}`"
            hint = hints.get(str(key))
        elif kind == "union_tag_not_found":
            loc = (*loc, "type")
            message = "missing required key `type`"
            hint = f"one of {', '.join(METRIC_TYPES)}"
        elif kind == "union_tag_invalid":
            loc = (*loc, "type")
            tag = err.get("ctx", {}).get("tag")
            message = f"invalid metric type {tag!r}"
            close = difflib.get_close_matches(str(tag), METRIC_TYPES, n=1)
            hint = f"did you mean `{close[0]}`?" if close else f"one of {', '.join(METRIC_TYPES)}"
        elif kind == "literal_error":
            message = f"invalid value {err.get('input')!r}: {err['msg'].lower()}"
            expected = err.get("ctx", {}).get("expected")
            close = difflib.get_close_matches(
                str(err.get("input")), _literal_options(expected), n=1
            )
            hint = f"did you mean `{close[0]}`?" if close else None
        elif kind == "string_pattern_mismatch":
            message = f"invalid name {err.get('input')!r}"
            hint = "use lower_snake_case (a-z, 0-9, _), starting with a letter"
            if str(key) == "table":
                message = f"invalid table {err.get('input')!r}"
                hint = "write the warehouse table as schema.table, e.g. raw.shop__orders"
        else:
            msg = err["msg"].removeprefix("Value error, ")  # our own validators' words
            message = f"invalid value {err.get('input')!r}: {msg[:1].lower()}{msg[1:]}"
            hint = hints.get(str(key))
        issues.append(SpecIssue(doc.file, doc.line_of(loc), format_path(loc), message, hint))
    return issues


def _data_path(prefix: tuple, loc: tuple, doc: LocatedDocument) -> tuple:
    # pydantic puts union tags (e.g. 'simple') in loc; keep only steps that exist in the data.
    path = prefix
    node: Any = _get(doc.data, prefix)
    for step in loc:
        if isinstance(node, dict) and step in node:
            path, node = (*path, step), node[step]
        elif isinstance(node, list) and isinstance(step, int) and step < len(node):
            path, node = (*path, step), node[step]
        elif isinstance(node, dict) and isinstance(step, str) and step not in _TAGS:
            path, node = (*path, step), None  # a missing key: keep it for the message
    return path


_KEY_HINTS = {
    "table": "the warehouse table as schema.table, e.g. raw.shop__orders",
    "primary_key": "the column that is unique per row, e.g. order_id",
    "agg": "one of count, count_distinct, sum, avg, min, max, median, percentile",
    "percentile": "a share between 0 and 1, e.g. percentile: 0.9 for p90",
    "numerator": "a metric name or {metric, filter}",
    "denominator": "a metric name or {metric, filter}",
    "window": "a whole number of days from 1 to 366, e.g. window: 30",
    "input_metric": "a metric name or {metric, filter}",
    "company_wide": "true or false: true shows the metric whole to users limited to part of "
    "the business (row-level scope)",
    "n": "a whole number of days (period: day) or weeks (period: week), e.g. n: 7",
}

_TAGS = {
    "simple",
    "ratio",
    "derived",
    "active",
    "retention",
    "conversion",
    "cumulative",
    "snapshot",
    "str",
    "function-after",
    "function-before",
}


def _get(data: Any, path: tuple) -> Any:
    for step in path:
        data = data[step]
    return data


def _allowed_keys(loc: tuple, model: type[BaseModel] | None, depth: int) -> list[str]:
    from metric_layer import spec as s

    # Walk the model classes along the path below the entry (`depth` steps in: its prefix) to
    # find the class that owns the key.
    owner: Any = model
    parent = loc[:-1]
    for step in parent[depth:]:
        if owner is None or isinstance(step, int):
            continue
        field = owner.model_fields.get(step)
        owner = _model_in(field.annotation) if field else None
    if owner is None:
        return []
    # Keys as written in YAML: the alias where there is one (Target's `from`, a rule's `for`).
    keys = [field.alias or name for name, field in owner.model_fields.items()]
    return [*keys, *EXTENSION_SECTIONS] if owner is s.Spec else keys


def _model_in(annotation: Any) -> Any:
    import typing

    # The pydantic model inside an annotation such as `list[Dimension]` or `TreeNode | None`.
    if isinstance(annotation, type) and issubclass(annotation, BaseModel):
        return annotation
    for arg in typing.get_args(annotation):
        inner = _model_in(arg)
        if inner is not None:
            return inner
    return None


def _literal_options(expected: str | None) -> list[str]:
    if not expected:
        return []
    return [p.strip(" '\"") for p in expected.replace(" or ", ",").split(",") if p.strip(" '\"")]
