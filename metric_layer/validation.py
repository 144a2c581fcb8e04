"""Cross-reference rules over a structurally valid spec; each returns issues, none raises.

Like MetricFlow's validator: many small rules, all run, every issue collected with its location.
"""

from __future__ import annotations

import difflib
import functools
import re
import zoneinfo
from collections.abc import Callable, Iterable
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import sqlglot
from sqlglot import exp

from metric_layer.cumulative_rules import cumulative_problems
from metric_layer.errors import SpecIssue
from metric_layer.expressions import (
    DIALECT,
    ExpressionError,
    column_names,
    formula_refs,
    parse_expression,
    parse_formula,
)
from metric_layer.semantics import Semantics
from metric_layer.spec import (
    ActiveMetric,
    ConversionMetric,
    CumulativeMetric,
    DerivedMetric,
    RatioMetric,
    RetentionMetric,
    SimpleMetric,
    SnapshotMetric,
    Spec,
    TreeNode,
)
from metric_layer.yaml_lines import LocatedDocument, format_path

Columns = dict[str, dict[str, str]]
NUMERIC = (
    "INT",
    "DECIMAL",
    "DOUBLE",
    "FLOAT",
    "REAL",
    "NUMERIC",
    "HUGEINT",
    "BIGINT",
    "SMALLINT",
    "TINYINT",
    "UBIGINT",
    "UINTEGER",
)
TEMPORAL = ("TIMESTAMP", "DATE")


class _Ctx:
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


def check_spec(
    spec: Spec, doc: LocatedDocument, columns: Columns | None = None, skip: set[str] | None = None
) -> list[SpecIssue]:
    ctx = _Ctx(spec, doc, columns, skip or set())
    for rule in RULES:
        rule(ctx)
    return ctx.issues


def _time_zones(ctx: _Ctx) -> None:
    zones = [(("time_zone",), ctx.spec.time_zone)]
    for m in ctx.spec.models:
        if m.time and m.time.time_zone != "local":
            zones.append(
                (("models", ctx.index("models", m.name), "time", "time_zone"), m.time.time_zone)
            )
    for path, zone in zones:
        try:
            ZoneInfo(zone)
        except (ZoneInfoNotFoundError, ValueError):
            close = difflib.get_close_matches(zone, _zone_names(), n=1)
            hint = f"did you mean `{close[0]}`?" if close else None
            ctx.add(
                path,
                f"unknown time zone `{zone}`",
                hint or "use an IANA name such as UTC or Asia/Shanghai",
            )


@functools.cache
def _zone_names() -> list[str]:
    return sorted(zoneinfo.available_timezones())


def _duplicates(ctx: _Ctx) -> None:
    for section, items in (("models", ctx.spec.models), ("metrics", ctx.spec.metrics)):
        raw = ctx.doc.data.get(section, [])
        first: dict[str, int] = {}
        for i, item in enumerate(raw if isinstance(raw, list) else []):
            name = item.get("name") if isinstance(item, dict) else None
            if not isinstance(name, str):
                continue
            if name in first:
                line = ctx.doc.line_of((section, first[name]))
                ctx.add(
                    (section, i, "name"),
                    f"duplicate {section[:-1]} name `{name}`",
                    f"first defined on line {line}",
                )
            else:
                first[name] = i
        del items
    for m in ctx.spec.models:
        seen: dict[str, int] = {}
        mi = ctx.index("models", m.name)
        for di, dim in enumerate(m.dimensions):
            if dim.name in seen:
                line = ctx.doc.line_of(("models", mi, "dimensions", seen[dim.name]))
                ctx.add(
                    ("models", mi, "dimensions", di),
                    f"duplicate dimension `{dim.name}` in model `{m.name}`",
                    f"first defined on line {line}",
                )
            seen.setdefault(dim.name, di)


def _models(ctx: _Ctx) -> None:
    for m in ctx.spec.models:
        mi = ctx.index("models", m.name)
        for ji, join in enumerate(m.joins):
            if join.model not in ctx.sem.models:
                ctx.unknown(
                    ("models", mi, "joins", ji, "model"), "model", join.model, ctx.sem.models
                )
        for di, dim in enumerate(m.dimensions):
            if dim.column and dim.expr:
                ctx.add(
                    ("models", mi, "dimensions", di),
                    f"dimension `{dim.name}` has both column and expr",
                    "keep one",
                )
            if dim.expr:
                _check_sql(
                    ctx,
                    ("models", mi, "dimensions", di, "expr"),
                    dim.expr,
                    m.name,
                    allow_dimensions=False,
                )
        cols = ctx.columns.get(m.table) if ctx.columns is not None else None
        if ctx.columns is not None and cols is None:
            tables = list(ctx.columns)
            ctx.unknown(("models", mi, "table"), "warehouse table", m.table, tables)
            continue
        if cols is None:
            continue
        wanted = [(("models", mi, "primary_key"), m.primary_key)]
        if m.time:
            wanted.append((("models", mi, "time", "column"), m.time.column))
        wanted += [
            (("models", mi, "joins", ji, "foreign_key"), j.foreign_key)
            for ji, j in enumerate(m.joins)
        ]
        wanted += [
            (("models", mi, "dimensions", di, "column" if d.column else "name"), d.column or d.name)
            for di, d in enumerate(m.dimensions)
            if not d.expr
        ]
        for path, column in wanted:
            if column not in cols:
                ctx.unknown(path, "column", column, cols, where=m.table)
        if (
            m.time
            and m.time.column in cols
            and not cols[m.time.column].upper().startswith(TEMPORAL)
        ):
            ctx.add(
                ("models", mi, "time", "column"),
                f"time column `{m.time.column}` is {cols[m.time.column]}, not a timestamp or date",
                "use a TIMESTAMP or DATE column, or cast it in a warehouse view",
            )


def _metrics(ctx: _Ctx) -> None:
    names = ctx.sem.metrics
    for metric in ctx.spec.metrics:
        i = ctx.index("metrics", metric.name)
        base = ("metrics", i)
        if isinstance(metric, SimpleMetric):
            _check_quantile(ctx, metric, base)
        if isinstance(metric, SimpleMetric | ActiveMetric | SnapshotMetric):
            if _model_ok(ctx, (*base, "model"), metric.model, needs_time=True):
                if isinstance(metric, SimpleMetric | SnapshotMetric) and metric.expr:
                    _check_sql(
                        ctx,
                        (*base, "expr"),
                        metric.expr,
                        metric.model,
                        allow_dimensions=True,
                        agg=metric.agg,
                    )
                    _check_numeric(ctx, metric, base)
                if isinstance(metric, ActiveMetric):
                    _check_column(ctx, (*base, "entity"), metric.model, metric.entity)
                if metric.filter:
                    _check_sql(
                        ctx, (*base, "filter"), metric.filter, metric.model, allow_dimensions=True
                    )
        elif isinstance(metric, RetentionMetric):
            if _model_ok(ctx, (*base, "activity_model"), metric.activity_model, needs_time=True):
                _check_column(ctx, (*base, "entity"), metric.activity_model, metric.entity)
                if metric.filter:
                    _check_sql(
                        ctx,
                        (*base, "filter"),
                        metric.filter,
                        metric.activity_model,
                        allow_dimensions=True,
                    )
            if metric.cohort.model and _model_ok(
                ctx, (*base, "cohort", "model"), metric.cohort.model, needs_time=True
            ):
                entity = metric.cohort.entity or ctx.sem.models[metric.cohort.model].primary_key
                _check_column(ctx, (*base, "cohort", "entity"), metric.cohort.model, entity)
        elif isinstance(metric, ConversionMetric):
            _check_conversion(ctx, metric, base)
        elif isinstance(metric, RatioMetric):
            for side in ("numerator", "denominator"):
                ref = getattr(metric, side)
                if ref.metric not in names:
                    ctx.unknown((*base, side), "metric", ref.metric, names)
                elif ref.filter:
                    _check_dimension_filter(ctx, (*base, side, "filter"), ref.filter, ref.metric)
        elif isinstance(metric, CumulativeMetric):
            ref = metric.input_metric
            if ref.metric not in names:
                ctx.unknown((*base, "input_metric"), "metric", ref.metric, names)
            else:
                for key, message, hint in cumulative_problems(metric, names):
                    ctx.add((*base, key), message, hint)
                if ref.filter:
                    path = (*base, "input_metric", "filter")
                    _check_dimension_filter(ctx, path, ref.filter, ref.metric)
        elif isinstance(metric, DerivedMetric):
            try:
                refs = formula_refs(parse_formula(metric.formula))
            except ExpressionError as exc:
                ctx.add((*base, "formula"), *_expression_problem(exc, metric.formula))
                continue
            for ref in refs:
                if ref.metric not in names:
                    ctx.unknown((*base, "formula"), "metric", ref.metric, names)
        if metric.format == "currency" and not (metric.unit or ctx.spec.currency):
            ctx.add((*base, "unit"), "currency metric needs a unit", "e.g. unit: CNY")


def _cycles(ctx: _Ctx) -> None:
    graph = {}
    for name in ctx.sem.metrics:
        try:
            graph[name] = [d for d in ctx.sem.inputs(name) if d in ctx.sem.metrics]
        except ExpressionError:
            graph[name] = []
    reported: set[frozenset[str]] = set()
    for start in graph:
        cycle = _find_cycle(graph, start)
        if cycle and frozenset(cycle) not in reported:
            reported.add(frozenset(cycle))
            path = ("metrics", ctx.index("metrics", start))
            ctx.add(
                path,
                f"metric `{start}` depends on itself: {' → '.join([*cycle, cycle[0]])}",
                "break the cycle",
            )


def _find_cycle(graph: dict[str, list[str]], start: str) -> list[str] | None:
    stack: list[tuple[str, list[str]]] = [(start, [start])]
    while stack:
        node, path = stack.pop()
        for nxt in graph.get(node, []):
            if nxt == start:
                return path
            if nxt not in path:
                stack.append((nxt, [*path, nxt]))
    return None


def _north_star(ctx: _Ctx) -> None:
    ns = ctx.spec.north_star
    if ns is None:
        return
    if ns.metric not in ctx.sem.metrics:
        ctx.unknown(("north_star", "metric"), "metric", ns.metric, ctx.sem.metrics)
    if ns.tree is None:
        return
    if ns.tree.metric != ns.metric:
        ctx.add(
            ("north_star", "tree", "metric"),
            f"the tree's root must be the NSM `{ns.metric}`, not `{ns.tree.metric}`",
            f"set `tree.metric: {ns.metric}` or change `north_star.metric`",
        )

    def walk(node: TreeNode, path: tuple, ancestors: tuple[str, ...]) -> None:
        if node.metric not in ctx.sem.metrics:
            ctx.unknown((*path, "metric"), "metric", node.metric, ctx.sem.metrics)
        if node.metric in ancestors:
            ctx.add(
                (*path, "metric"),
                f"driver tree cycle: `{node.metric}` is its own ancestor ({' → '.join([*ancestors, node.metric])})",
                "a metric can appear only once on any path from the root",
            )
            return
        if node.children and node.relation is None:
            ctx.add(
                path,
                f"node `{node.metric}` has children but no relation",
                "relation: product, sum, ratio, derived or related",
            )
        if node.relation == "ratio" and len(node.children) != 2:
            ctx.add(
                (*path, "relation"),
                "a ratio relation needs exactly two children (numerator, denominator)",
                f"`{node.metric}` has {len(node.children)}; use product or sum for more",
            )
        if node.relation == "derived":
            _derived_relation(ctx, node, path)
        for ci, child in enumerate(node.children):
            walk(child, (*path, "children", ci), (*ancestors, node.metric))

    walk(ns.tree, ("north_star", "tree"), ())


def _derived_relation(ctx: _Ctx, node: TreeNode, path: tuple) -> None:
    """`relation: derived` splits by the node's own formula: it must read exactly its children."""
    metric = ctx.sem.metrics.get(node.metric)
    children = sorted(c.metric for c in node.children)
    if not isinstance(metric, DerivedMetric):
        ctx.add(
            (*path, "relation"),
            f"relation `derived` needs `{node.metric}` to be a derived metric (a formula)",
            "use product, sum, ratio or related for other metrics",
        )
        return
    try:
        refs = formula_refs(parse_formula(metric.formula))
    except ExpressionError:
        return  # the formula's own rule reports it
    inputs = sorted({r.metric for r in refs if r.shift is None})
    if inputs != children or any(r.shift for r in refs):
        ctx.add(
            (*path, "relation"),
            f"`{node.metric}` = {metric.formula} reads {', '.join(inputs) or 'no metric'} "
            f"(without previous/last_year), but its children are {', '.join(children) or 'none'}",
            "list exactly the formula's metrics as children, or use relation: related",
        )


def _model_ok(ctx: _Ctx, path: tuple, model: str, needs_time: bool) -> bool:
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


def _check_column(ctx: _Ctx, path: tuple, model: str, column: str) -> None:
    cols = ctx.table_columns(model)
    if cols is not None and column not in cols:
        ctx.unknown(path, "column", column, cols, where=ctx.sem.models[model].table)


def _check_sql(
    ctx: _Ctx,
    path: tuple,
    text: str,
    model: str,
    allow_dimensions: bool,
    agg: str | None = None,
) -> None:
    try:
        tree = parse_expression(text)
    except ExpressionError as exc:
        ctx.add(path, *_expression_problem(exc, text))
        return
    if _aggregate_problem(ctx, path, tree, agg):
        return
    cols = ctx.table_columns(model)
    dims = ctx.sem.dimensions_of_model(model) if allow_dimensions else {}
    for qualifier, name in column_names(tree):
        key = f"{qualifier}.{name}" if qualifier else name
        if key in dims:
            continue
        if qualifier:
            ctx.unknown(path, "dimension", key, dims)
        elif cols is not None and name not in cols:
            ctx.unknown(
                path,
                "column or dimension",
                name,
                [*cols, *dims],
                where=ctx.sem.models[model].table,
            )


def _check_dimension_filter(ctx: _Ctx, path: tuple, text: str, metric: str) -> None:
    try:
        tree = parse_expression(text)
    except ExpressionError as exc:
        ctx.add(path, *_expression_problem(exc, text))
        return
    if _aggregate_problem(ctx, path, tree):
        return
    dims = ctx.sem.dimensions_of_metric(metric)
    for qualifier, name in column_names(tree):
        key = f"{qualifier}.{name}" if qualifier else name
        if key not in dims:
            ctx.unknown(path, "dimension", key, dims, where=f"metric `{metric}`")


# What each key of spec SQL is evaluated over: one row at a time, never a group of rows.
_PER_ROW = {
    "expr": "expr is computed per row, then aggregated by `agg`",
    "filter": "a filter keeps or drops one row at a time, before aggregating",
}


def _aggregate_problem(
    ctx: _Ctx, path: tuple, tree: exp.Expression, agg: str | None = None
) -> bool:
    """Report an aggregate or window function in per-row SQL (DuckDB would fail at query time)."""
    found = next((n for n in tree.walk() if isinstance(n, exp.AggFunc | exp.Window)), None)
    if found is None:
        return False
    shown = found.sql(dialect=DIALECT, normalize_functions="lower")
    kind = "a window function" if isinstance(found, exp.Window) else "an aggregate"
    key = path[-1]
    why = _PER_ROW.get(key, "a dimension is a value of each row")
    if key == "expr" and agg is not None:
        bare = _without_aggregates(tree)
        hint = f"expr is per row; the aggregation is `agg: {agg}`"
        hint += f" — write `expr: {bare}`" if bare else " — leave out expr to count rows"
    elif key == "filter":
        hint = "compare values of one row, e.g. `status = 'paid'`; totals come from `agg`"
    else:
        hint = "use columns of the row; aggregation belongs to a metric's `agg`"
    ctx.add(path, f"`{shown}` is {kind}: {why}", hint)
    return True


def _without_aggregates(tree: exp.Expression) -> str | None:
    """The expression with each aggregate replaced by its argument, or None (count(*), windows)."""
    if any(isinstance(n, exp.Window | exp.Star) for n in tree.walk()):
        return None

    def strip(node: exp.Expression) -> exp.Expression:
        if not isinstance(node, exp.AggFunc):
            return node
        arg = node.this
        if isinstance(arg, exp.Distinct) and len(arg.expressions) == 1:
            arg = arg.expressions[0]
        return arg.copy() if isinstance(arg, exp.Expression) else node

    bare = tree.copy().transform(strip)
    if any(isinstance(n, exp.AggFunc) for n in bare.walk()):
        return None
    return bare.sql(dialect=DIALECT, normalize_functions="lower")


FORMULA_FUNCTIONS = (
    "previous",
    "last_year",
    "offset",
    "abs",
    "coalesce",
    "least",
    "greatest",
    "round",
)


def _expression_problem(exc: ExpressionError, text: str) -> tuple[str, str | None]:
    """Message and hint for SQL that does not parse or is not allowed, without sqlglot internals."""
    parse_error = exc.__context__
    details = getattr(parse_error, "errors", None)
    if isinstance(parse_error, sqlglot.errors.ParseError) and details:
        first = details[0]
        near, col = first.get("highlight"), first.get("col")
        description = str(first.get("description") or "")
        if description.startswith("Required keyword"):
            description = f"`{near}` is missing an operand"
        else:
            description = f"{description[:1].lower()}{description[1:]}"
        where = f" at column {col}" if col else ""
        return (
            f"cannot parse {text!r}: {description}{where}",
            "check operators, parentheses and quotes",
        )
    message = str(exc)
    unknown = re.match(r"unknown function `(\w+)`", message)
    if unknown:
        close = difflib.get_close_matches(unknown.group(1).lower(), FORMULA_FUNCTIONS, n=1)
        if close:
            return message, f"did you mean `{close[0]}`?"
    return message, None


def _check_conversion(ctx: _Ctx, metric: ConversionMetric, base: tuple) -> None:
    """Both events' models, the entity and constant properties on both, their filters."""
    ok = []
    for step in ("base_event", "conversion_event"):
        part = getattr(metric, step)
        if not _model_ok(ctx, (*base, step, "model"), part.model, needs_time=True):
            continue
        ok.append(part.model)
        _check_column(ctx, (*base, "entity"), part.model, metric.entity)
        if part.filter:
            _check_sql(ctx, (*base, step, "filter"), part.filter, part.model, allow_dimensions=True)
    for i, name in enumerate(metric.constant_properties):
        for model in ok:
            dims = ctx.sem.dimensions_of_model(model)
            cols = ctx.table_columns(model)
            if name not in dims and cols is not None and name not in cols:
                ctx.unknown(
                    (*base, "constant_properties", i),
                    "dimension or column",
                    name,
                    [*dims, *cols],
                    where=f"model `{model}`",
                )


def _check_quantile(ctx: _Ctx, metric: SimpleMetric, base: tuple) -> None:
    """median / percentile need a value column and (percentile) which one; others take neither."""
    if metric.agg in ("median", "percentile"):
        if metric.expr is None:
            ctx.add(
                (*base, "expr"),
                f"agg `{metric.agg}` needs `expr`: the value to rank",
                "e.g. expr: amount",
            )
        if metric.agg == "percentile" and metric.percentile is None:
            ctx.add(
                (*base, "percentile"),
                "agg `percentile` needs `percentile`: which one",
                "e.g. percentile: 0.9 for p90",
            )
        if metric.agg == "median" and metric.percentile is not None:
            ctx.add((*base, "percentile"), "a median is the 0.5 percentile", "remove `percentile`")
        return
    for key in ("percentile", "approximate"):
        if getattr(metric, key) not in (None, False):
            ctx.add(
                (*base, key),
                f"`{key}` applies to agg median or percentile, not `{metric.agg}`",
                f"remove `{key}`, or use agg: percentile",
            )


def _check_numeric(ctx: _Ctx, metric: SimpleMetric, base: tuple) -> None:
    if metric.agg not in ("sum", "avg", "median", "percentile") or metric.expr is None:
        return
    cols = ctx.table_columns(metric.model)
    if cols and metric.expr in cols and not cols[metric.expr].upper().startswith(NUMERIC):
        ctx.add(
            (*base, "expr"),
            f"cannot {metric.agg} `{metric.expr}`: it is {cols[metric.expr]}, not a number",
            "use count or count_distinct",
        )


RULES: list[Callable[[_Ctx], None]] = [
    _time_zones,
    _duplicates,
    _models,
    _metrics,
    _cycles,
    _north_star,
]
