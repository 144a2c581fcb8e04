"""SQL fragments written in metrics.yml (dimension exprs, filters, formulas) as sqlglot trees."""

from __future__ import annotations

import re
from dataclasses import dataclass

import sqlglot
from sqlglot import exp

from metric_layer.errors import QueryError
from metric_layer.periods import Offset

DIALECT = "duckdb"
SHIFT_FUNCTIONS = {"previous": "previous", "last_year": "last_year", "offset": "offset"}
# `offset(m, 7 days)` as written in metrics.yml is not SQL: quote the step before parsing.
_BARE_OFFSET = re.compile(
    r"\boffset\s*\(\s*([A-Za-z_][A-Za-z0-9_]*)\s*,\s*(\d+\s*[A-Za-z]+)\s*\)", re.IGNORECASE
)


class ExpressionError(ValueError):
    pass


def parse_expression(text: str) -> exp.Expression:
    """Parse one scalar SQL expression; statements and multiple expressions are refused."""
    try:
        tree = sqlglot.parse_one(str(text), dialect=DIALECT, into=exp.Condition)
    except sqlglot.errors.ParseError as exc:
        raise ExpressionError(f"cannot parse SQL expression {text!r}: {_first_line(exc)}") from None
    if tree is None or isinstance(tree, exp.Query | exp.Command | exp.DDL | exp.DML):
        raise ExpressionError(f"{text!r} is not a single SQL expression")
    if any(isinstance(n, exp.Query) for n in tree.walk()):
        raise ExpressionError(f"{text!r} must not contain a subquery")
    return tree


def parse_formula(text: str) -> exp.Expression:
    """A derived metric's formula: parse_expression, accepting `offset(m, 7 days)` unquoted."""
    return parse_expression(_BARE_OFFSET.sub(r"offset(\1, '\2')", str(text)))


def column_names(tree: exp.Expression) -> list[tuple[str | None, str]]:
    """(qualifier, name) of every column the expression reads."""
    return [(c.table or None, c.name) for c in tree.find_all(exp.Column)]


@dataclass(frozen=True)
class FormulaRef:
    metric: str
    shift: str | Offset | None  # None, "previous", "last_year" or an Offset (offset(m, 7 days))


def shift_of(node: exp.Expression) -> tuple[str, str | Offset] | None:
    """(metric, shift) when `node` is previous(m), last_year(m) or offset(m, step); else None."""
    if not isinstance(node, exp.Anonymous) or node.name.lower() not in SHIFT_FUNCTIONS:
        return None
    name, args = node.name.lower(), node.expressions
    if name == "offset":
        if len(args) != 2 or not isinstance(args[0], exp.Column):
            raise ExpressionError("offset() takes a metric name and a step, e.g. offset(m, 7 days)")
        step = args[1]
        if isinstance(step, exp.Interval):  # INTERVAL 7 DAY
            text = f"{step.this.name} {step.unit.name if step.unit else ''}"
        elif isinstance(step, exp.Literal) and step.is_string:
            text = step.name
        else:
            raise ExpressionError("offset() takes a step such as `7 days`, `1 week` or `1 month`")
        try:
            return args[0].name, Offset.parse(text)
        except QueryError as exc:
            raise ExpressionError(str(exc)) from None
    if len(args) != 1 or not isinstance(args[0], exp.Column):
        raise ExpressionError(f"{node.name}() takes exactly one metric name")
    return args[0].name, name


def formula_refs(tree: exp.Expression) -> list[FormulaRef]:
    """Metric references in a derived formula; previous(m), last_year(m) and offset(m, step)
    mark shifted ones."""
    refs: list[FormulaRef] = []
    shifted_columns: set[int] = set()
    for func in tree.find_all(exp.Anonymous):
        if func.name.lower() not in SHIFT_FUNCTIONS:
            raise ExpressionError(
                f"unknown function `{func.name}` in formula; use previous(metric), "
                "last_year(metric) or offset(metric, 7 days)"
            )
        shifted = shift_of(func)
        assert shifted is not None
        refs.append(FormulaRef(*shifted))
        shifted_columns.add(id(func.expressions[0]))
    for col in tree.find_all(exp.Column):
        if id(col) not in shifted_columns:
            refs.append(FormulaRef(col.name, None))
    for node in tree.walk():
        if isinstance(node, exp.Func) and not isinstance(
            node, exp.Anonymous | exp.Abs | exp.Coalesce | exp.Least | exp.Greatest | exp.Round
        ):
            raise ExpressionError(
                f"`{node.sql(dialect=DIALECT)}` is not allowed in a formula: use arithmetic, "
                "abs, coalesce, least, greatest, round, previous(metric), last_year(metric), "
                "offset(metric, 7 days)"
            )
    return refs


def _first_line(exc: Exception) -> str:
    return str(exc).splitlines()[0]


def and_texts(*texts: str | None) -> str | None:
    """SQL conditions as text joined by AND (each parenthesised); None when there are none."""
    parts = [p for p in texts if p]
    return " AND ".join(f"({p})" for p in parts) if parts else None
