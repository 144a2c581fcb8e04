"""Rules for SQL written in metrics.yml: expressions and filters parse, name known columns and
dimensions, and are per row (no aggregate, no window); parse errors without sqlglot internals."""

from __future__ import annotations

import difflib
import re

import sqlglot
from sqlglot import exp

from metric_layer.expressions import DIALECT, ExpressionError, column_names, parse_expression
from metric_layer.rule_context import RuleContext


def check_sql(
    ctx: RuleContext,
    path: tuple,
    text: str,
    model: str,
    allow_dimensions: bool,
    agg: str | None = None,
) -> None:
    try:
        tree = parse_expression(text)
    except ExpressionError as exc:
        ctx.add(path, *expression_problem(exc, text))
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


def check_dimension_filter(ctx: RuleContext, path: tuple, text: str, metric: str) -> None:
    try:
        tree = parse_expression(text)
    except ExpressionError as exc:
        ctx.add(path, *expression_problem(exc, text))
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
    ctx: RuleContext, path: tuple, tree: exp.Expression, agg: str | None = None
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


def expression_problem(exc: ExpressionError, text: str) -> tuple[str, str | None]:
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
