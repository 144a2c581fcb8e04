"""OKRs from YAML: the `okrs:` section of metrics.yml, or okrs.yml beside it.

    load_okrs(metrics_path, spec) -> OkrsConfig   (SpecError listing every problem)

Validated like metrics.yml (metric_layer.loader): structure by pydantic (okrs.spec_models), then
every reference checked — the metric exists, filters are its dimensions, the direction is the
metric's (a key result may give one only when metrics.yml does not), the target lies beyond the
baseline in that direction, parents exist in the same quarter and sit a level above (an objective
with a parent may leave `quarter` out and take its parent's) — and every
problem reported together as `file:line: key: message (hint)`. Advice that is not an error (the
seeds' 2-4 key results per objective) comes back as warnings on the config.

Alignment levels run company → department → team → person. An objective without `level` is a
company objective when it has no parent, else one level below its parent (a company objective's
children are team objectives; department is used only when written).
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from pydantic import BaseModel, ValidationError

from metric_layer.errors import SpecError, SpecIssue
from metric_layer.loader import pydantic_issues
from metric_layer.query import DimensionFilter
from metric_layer.sections import find_section
from metric_layer.semantics import Semantics
from metric_layer.spec import Spec
from metric_layer.suggest import did_you_mean
from metric_layer.yaml_lines import LocatedDocument, format_path, load_located
from okrs.alignment import align
from okrs.model import KeyResult, OkrsConfig
from okrs.spec_models import KeyResultEntry, ObjectiveEntry

OKRS_FILE = "okrs.yml"
SECTION = "okrs"
FEWEST_KRS, MOST_KRS = 2, 4  # the seeds: 2-4 key results per objective, more dilutes focus
DEFAULT_GRAIN = "week"


def load_okrs(metrics_path: str | Path, spec: Spec) -> OkrsConfig:
    """The OKRs of the project whose metrics.yml is `metrics_path` (already valid as `spec`): its
    `okrs:` section, or okrs.yml beside it; both → an error naming both; neither → no objectives."""
    found = find_section(metrics_path, SECTION, OKRS_FILE, "OKRs")
    if found is None:
        return OkrsConfig()
    return parse_okrs(found.doc, spec, own_file=found.own_file)


def okrs_or_none(metrics_path: str | Path, spec: Spec) -> OkrsConfig | None:
    """The OKRs when they are defined and valid; None otherwise (callers that only show OKRs
    beside other numbers — a review being frozen — go on without them; `northstar validate`
    and the OKR page say what is wrong)."""
    try:
        config = load_okrs(metrics_path, spec)
    except SpecError:
        return None
    return config if config.defined else None


def parse_okrs_text(text: str, spec: Spec, file: str = OKRS_FILE) -> OkrsConfig:
    """okrs.yml's text (or any document holding `okrs:`) → OkrsConfig; SpecError if invalid."""
    doc = load_located(text, file)
    if doc.issues:
        raise SpecError(doc.issues)
    return parse_okrs(doc, spec, own_file=Path(file).name == OKRS_FILE)


def parse_okrs(doc: LocatedDocument, spec: Spec, *, own_file: bool = False) -> OkrsConfig:
    """The `okrs:` section of a located document; SpecError listing every problem."""
    checker = _Checker(doc, spec)
    config = checker.read(own_file)
    if checker.issues:
        raise SpecError(sorted(checker.issues, key=lambda i: (i.line or 0, i.path)))
    return config


class _Checker:
    """Reads the section entry by entry, collecting every issue (and warning) with its line."""

    def __init__(self, doc: LocatedDocument, spec: Spec) -> None:
        self.doc, self.spec = doc, spec
        self.sem = Semantics(spec)
        self.issues: list[SpecIssue] = list(doc.issues)
        self.warnings: list[SpecIssue] = []
        self.ids: set[str] = set()  # every objective id written, valid or not

    def issue(self, path: tuple, message: str, hint: str | None = None) -> SpecIssue:
        return SpecIssue(self.doc.file, self.doc.line_of(path), format_path(path), message, hint)

    def add(self, path: tuple, message: str, hint: str | None = None) -> None:
        self.issues.append(self.issue(path, message, hint))

    def warn(self, path: tuple, message: str, hint: str | None = None) -> None:
        self.warnings.append(self.issue(path, f"warning: {message}", hint))

    def validate(self, model: type[BaseModel], raw: Any, path: tuple) -> Any:
        try:
            return model.model_validate(raw)
        except ValidationError as exc:
            self.issues.extend(pydantic_issues(exc, path, self.doc, model))
            return None

    # -- the section ---------------------------------------------------------------------------
    def read(self, own_file: bool) -> OkrsConfig:
        data = self.doc.data
        empty = OkrsConfig(file=self.doc.file, defined=True)
        if not isinstance(data, dict):
            self.add((), "the file must be a mapping holding `okrs:`")
            return empty
        if own_file:
            for key in data:
                if key != SECTION:
                    hint = did_you_mean(str(key), [SECTION]) or f"{OKRS_FILE} holds only `okrs:`"
                    self.add((key,), f"unknown key `{key}`", hint)
        raw = data.get(SECTION)
        if raw is None:
            return empty
        if not isinstance(raw, list):
            self.add(
                (SECTION,),
                "`okrs` must be a list of objectives",
                "each with id, title, owner, quarter and key_results",
            )
            return empty
        entries = self.entries(raw)
        objectives = align(entries, self.ids, self.add, self.doc.line_of)
        return OkrsConfig(tuple(objectives), tuple(self.warnings), self.doc.file, defined=True)

    def entries(self, raw: list[Any]) -> list[tuple[ObjectiveEntry, tuple, list[KeyResult]]]:
        out = []
        first_line: dict[str, int | None] = {}
        for i, item in enumerate(raw):
            path = (SECTION, i)
            if not isinstance(item, dict):
                self.add(path, "an objective must be a mapping", "with id, title, owner, quarter")
                continue
            entry = self.validate(ObjectiveEntry, item, path)
            oid = item.get("id")
            if isinstance(oid, str):
                self.ids.add(oid)
                if oid in first_line:
                    self.add(
                        (*path, "id"),
                        f"duplicate objective id `{oid}`",
                        f"first defined on line {first_line[oid]}",
                    )
                    continue
                first_line[oid] = self.doc.line_of((*path, "id"))
            krs = self.key_results(item.get("key_results"), path)
            if entry is not None:
                out.append((entry, path, krs))
        return out

    def key_results(self, raw: Any, path: tuple) -> list[KeyResult]:
        at = (*path, "key_results")
        if raw is None:
            raw = []
        if not isinstance(raw, list):
            self.add(at, "`key_results` must be a list", "2-4 entries, each with id and title")
            return []
        if not FEWEST_KRS <= len(raw) <= MOST_KRS:
            self.warn(
                at,
                f"{len(raw)} key result(s); the seeds advise {FEWEST_KRS}-{MOST_KRS} per objective",
                "fewer than 2 rarely show the objective is met; more than 4 split the focus"
                if raw
                else "add the 2-4 measurable outcomes that show the objective is met",
            )
        out: list[KeyResult] = []
        seen: dict[str, int | None] = {}
        for j, item in enumerate(raw):
            kr_path = (*at, j)
            if not isinstance(item, dict):
                self.add(
                    kr_path, "a key result must be a mapping", "with id, title, metric or manual"
                )
                continue
            entry = self.validate(KeyResultEntry, item, kr_path)
            if entry is None:
                continue
            if entry.id in seen:
                self.add(
                    (*kr_path, "id"),
                    f"duplicate key result id `{entry.id}`",
                    f"first defined on line {seen[entry.id]}",
                )
                continue
            seen[entry.id] = self.doc.line_of((*kr_path, "id"))
            kr = self.key_result(entry, kr_path)
            if kr is not None:
                out.append(kr)
        return out

    def key_result(self, entry: KeyResultEntry, path: tuple) -> KeyResult | None:
        before = len(self.issues)
        if entry.manual:
            return self.manual(entry, path)
        if entry.metric is None:
            self.add(
                (*path, "metric"),
                "missing required key `metric`",
                "the metric this key result reads, or `manual: true` with a `unit` for one "
                "checked in by hand",
            )
            return None
        metric = entry.metric
        if metric not in self.sem.metrics:
            hint = did_you_mean(metric, self.sem.metrics) or "run `northstar metrics` to list them"
            if metric in self.sem.models:
                hint = f"`{metric}` is a model; name a metric defined under `metrics`"
            self.add((*path, "metric"), f"unknown metric `{metric}`", hint)
            return None
        if entry.unit is not None:
            self.add(
                (*path, "unit"),
                "a key result read from a metric takes its unit from the metric's format",
                "remove `unit` (only `manual: true` key results name one)",
            )
        dims = self.sem.dimensions_of_metric(metric)
        own = sorted(k for k in dims if "." not in k)
        for name in entry.filters:
            if name not in dims:
                hint = did_you_mean(name, [d for d in dims if ("." in d) == ("." in name)])
                self.add(
                    (*path, "filters", name),
                    f"`{name}` is not a dimension of metric `{metric}`",
                    hint or f"its dimensions: {', '.join(own) or 'none'}",
                )
        read = entry.read or "latest"
        if read == "to_date" and entry.grain is not None:
            self.add(
                (*path, "grain"),
                "`read: to_date` reads the quarter so far as one number; it takes no grain",
                "remove `grain`, or read `latest` or `average` per grain",
            )
        direction = self.direction(entry, path, metric)
        if direction is None or len(self.issues) > before:
            return None
        return KeyResult(
            id=entry.id,
            title=entry.title,
            baseline=entry.baseline,
            target=entry.target,
            direction=direction,  # type: ignore[arg-type]
            metric=metric,
            read=read,
            grain=entry.grain or self.default_grain(),
            filters=tuple(_filter(d, v) for d, v in entry.filters.items()),
            line=self.doc.line_of(path),
        )

    def manual(self, entry: KeyResultEntry, path: tuple) -> KeyResult | None:
        before = len(self.issues)
        for key in ("metric", "read", "grain"):
            if getattr(entry, key) is not None:
                self.add(
                    (*path, key),
                    f"a manual key result has no metric to read: remove `{key}`",
                    "or remove `manual: true` to read it from a metric",
                )
        if entry.filters:
            self.add(
                (*path, "filters"), "a manual key result has no metric to read: remove `filters`"
            )
        if not entry.unit:
            self.add(
                (*path, "unit"),
                "a manual key result needs `unit`",
                "what its number counts, e.g. unit: partners, or unit: '%'",
            )
        direction = self.direction(entry, path, None)
        if direction is None or len(self.issues) > before:
            return None
        return KeyResult(
            id=entry.id,
            title=entry.title,
            baseline=entry.baseline,
            target=entry.target,
            direction=direction,  # type: ignore[arg-type]
            unit=entry.unit,
            line=self.doc.line_of(path),
        )

    def direction(self, entry: KeyResultEntry, path: tuple, metric: str | None) -> str | None:
        """The key result's direction: the metric's when metrics.yml states one (a different one
        here is refused), else the entry's, else the way baseline → target points."""
        stated = None
        if metric is not None:
            definition = self.spec.metric(metric)
            if "direction" in definition.model_fields_set:
                stated = definition.direction
        if stated is not None and entry.direction is not None and entry.direction != stated:
            self.add(
                (*path, "direction"),
                f"metric `{metric}` says direction: {stated}; a key result cannot override it",
                "remove `direction` here (it comes from metrics.yml)",
            )
            return None
        if entry.baseline == entry.target:
            self.add(
                (*path, "target"),
                f"target equals baseline ({entry.target:g}): there is no progress to measure",
                "set the value the key result should reach by the end of the quarter",
            )
            return None
        rising = entry.target > entry.baseline
        direction = stated or entry.direction or ("higher" if rising else "lower")
        if rising != (direction == "higher"):
            why = (
                f"metric `{metric}` should {'rise' if direction == 'higher' else 'fall'}"
                if stated
                else f"direction is {direction}"
            )
            side = "above" if rising else "below"
            self.add(
                (*path, "target"),
                f"target {entry.target:g} is {side} baseline {entry.baseline:g}, but {why}",
                "a target lies beyond the baseline in the direction the number should move: "
                "check both values",
            )
            return None
        return direction

    def default_grain(self) -> str:
        ns = self.spec.north_star
        return (
            ns.grain if ns is not None and ns.grain in ("day", "week", "month") else DEFAULT_GRAIN
        )


def _filter(dimension: str, value: Any) -> DimensionFilter:
    if isinstance(value, list):
        values = tuple(str(v) for v in value)
        return DimensionFilter(dimension, "in" if len(values) > 1 else "=", values)
    return DimensionFilter(dimension, "=", (str(value),))
