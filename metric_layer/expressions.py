"""SQL fragments written in metrics.yml (dimension exprs, filters, formulas) as sqlglot trees."""

from __future__ import annotations

from dataclasses import dataclass

import sqlglot
from sqlglot import exp

DIALECT = "duckdb"
SHIFT_FUNCTIONS = {"previous": "previous", "last_year": "last_year"}


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


def column_names(tree: exp.Expression) -> list[tuple[str | None, str]]:
    """(qualifier, name) of every column the expression reads."""
    return [(c.table or None, c.name) for c in tree.find_all(exp.Column)]


@dataclass(frozen=True)
class FormulaRef:
    metric: str
    shift: str | None  # None, "previous" or "last_year"


def formula_refs(tree: exp.Expression) -> list[FormulaRef]:
    """Metric references in a derived formula; previous(m) / last_year(m) mark shifted ones."""
    refs: list[FormulaRef] = []
    shifted_columns: set[int] = set()
    for func in tree.find_all(exp.Anonymous):
        name = func.name.lower()
        if name not in SHIFT_FUNCTIONS:
            raise ExpressionError(
                f"unknown function `{func.name}` in formula; use previous(metric) or last_year(metric)"
            )
        args = func.expressions
        if len(args) != 1 or not isinstance(args[0], exp.Column):
            raise ExpressionError(f"{func.name}() takes exactly one metric name")
        refs.append(FormulaRef(args[0].name, name))
        shifted_columns.add(id(args[0]))
    for col in tree.find_all(exp.Column):
        if id(col) not in shifted_columns:
            refs.append(FormulaRef(col.name, None))
    for node in tree.walk():
        if isinstance(node, exp.Func) and not isinstance(
            node, exp.Anonymous | exp.Abs | exp.Coalesce | exp.Least | exp.Greatest | exp.Round
        ):
            raise ExpressionError(
                f"`{node.sql(dialect=DIALECT)}` is not allowed in a formula: use arithmetic, "
                "abs, coalesce, least, greatest, round, previous(metric), last_year(metric)"
            )
    return refs


def _first_line(exc: Exception) -> str:
    return str(exc).splitlines()[0]
