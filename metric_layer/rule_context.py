"""What every metrics.yml rule works with: the spec, its located document, the warehouse's columns.

A rule (model_rules.py, metric_rules.py, north_star_rules.py, sql_rules.py) reads the spec through a
RuleContext and adds issues to it with the key path they are about; the context turns the path
into a line of the file. Lookups several rules share (does a model exist, a column) live here too.
"""

from __future__ import annotations

import difflib
from collections.abc import Iterable

from metric_layer.errors import SpecIssue
from metric_layer.semantics import Semantics
from metric_layer.spec import Spec
from metric_layer.yaml_lines import LocatedDocument, format_path

Columns = dict[str, dict[str, str]]


class RuleContext:
    """The spec being checked, where its keys are in the file, and the issues found so far."""

    def __init__(self, spec: Spec, doc: LocatedDocument, columns: Columns | None, skip: set[str]):
        self.spec, self.doc, self.columns, self.skip = spec, doc, columns, skip
        self.sem = Semantics(spec)
        self.issues: list[SpecIssue] = []

    def add(self, path: tuple, message: str, hint: str | None = None) -> None:
        self.issues.append(
            SpecIssue(self.doc.file, self.doc.line_of(path), format_path(path), message, hint)
        )

    def index(self, section: str, name: str) -> int:
        items = self.doc.data.get(section, []) if isinstance(self.doc.data, dict) else []
        for i, item in enumerate(items):
            if isinstance(item, dict) and item.get("name") == name:
                return i
        return 0

    def unknown(
        self, path: tuple, kind: str, name: str, choices: Iterable[str], where: str = ""
    ) -> None:
        if name in self.skip:
            return  # the referenced entry has its own structural error already
        # A dimension named like its column is one choice, not two ("platform, platform").
        choices = list(dict.fromkeys(choices))
        close = difflib.get_close_matches(name, [*choices, *sorted(self.skip)], n=1)
        hint = f"did you mean `{close[0]}`?" if close else None
        if kind == "metric" and name in self.sem.models:
            hint = f"`{name}` is a model; refer to a metric defined under `metrics`"
        if hint is None and kind.startswith("column") and choices:
            shown = sorted(choices)[:12]
            more = ", …" if len(choices) > len(shown) else ""
            hint = f"it has {', '.join(shown)}{more}"
        self.add(path, f"unknown {kind} `{name}`" + (f" in {where}" if where else ""), hint)

    def table_columns(self, model_name: str) -> dict[str, str] | None:
        if self.columns is None or model_name not in self.sem.models:
            return None
        return self.columns.get(self.sem.models[model_name].table)


def model_ok(ctx: RuleContext, path: tuple, model: str, needs_time: bool) -> bool:
    if model not in ctx.sem.models:
        ctx.unknown(path, "model", model, ctx.sem.models)
        return False
    if needs_time and ctx.sem.models[model].time is None:
        line = ctx.doc.line_of(("models", ctx.index("models", model)))
        ctx.add(
            path,
            f"model `{model}` has no time column",
            f"add `time: {{column: ...}}` to model `{model}` (line {line})",
        )
        return False
    return True


def check_column(ctx: RuleContext, path: tuple, model: str, column: str) -> None:
    cols = ctx.table_columns(model)
    if cols is not None and column not in cols:
        ctx.unknown(path, "column", column, cols, where=ctx.sem.models[model].table)
