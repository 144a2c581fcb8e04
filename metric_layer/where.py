"""Query filters written as SQL: `amount > 100 AND platform IN ('ios', 'android')`.

A `where` filter is any boolean expression over a metric's dimensions and the columns of the
models it counts rows of. The text is parsed by sqlglot and checked node by node against an
allow-list (comparisons, AND/OR/NOT, IN, BETWEEN, IS NULL, LIKE, arithmetic, a few functions), so
nothing but a condition can reach the SQL; the compiler then builds the statement from the tree,
which quotes every value as a literal. Names are checked against the validated spec and the
warehouse's columns, with a did-you-mean.
"""

from __future__ import annotations

import re
from collections.abc import Sequence

from sqlglot import exp

from metric_layer.errors import QueryError
from metric_layer.expressions import DIALECT, ExpressionError, and_texts, parse_expression
from metric_layer.query import DimensionFilter, FilterSyntaxError
from metric_layer.relation import col, filter_condition
from metric_layer.semantics import Semantics
from metric_layer.spec import RetentionMetric
from metric_layer.suggest import did_you_mean

FUNCTIONS = ("lower", "upper", "abs", "coalesce", "length", "trim", "round")
_NODES = (
    exp.Column,
    exp.Identifier,
    exp.Literal,
    exp.Boolean,
    exp.Null,
    exp.Paren,
    exp.And,
    exp.Or,
    exp.Not,
    exp.EQ,
    exp.NEQ,
    exp.NullSafeNEQ,  # `dimension!=value` keeps rows without a value (relation.filter_condition)
    exp.GT,
    exp.GTE,
    exp.LT,
    exp.LTE,
    exp.In,
    exp.Between,
    exp.Is,
    exp.Like,
    exp.ILike,
    exp.Neg,
    exp.Add,
    exp.Sub,
    exp.Mul,
    exp.Div,
    exp.Lower,
    exp.Upper,
    exp.Abs,
    exp.Coalesce,
    exp.Length,
    exp.Trim,
    exp.Round,
)
SYNTAX = (
    "a condition over dimensions and columns, e.g. \"amount > 100 AND platform IN ('ios', "
    "'android')\" (text values in single quotes)"
)


# `--where` of `northstar query` and `northstar explain`: one text, so both say the same.
WHERE_HELP = (
    "filter (repeatable, all must hold): dimension=value, dimension=a,b (any of), "
    "dimension!=a,b, dimension>=value (>, <, <=), or SQL over dimensions and columns: "
    "\"amount > 100 AND platform IN ('ios','android')\". Two filters picking values of one "
    "dimension (channel=ads and channel=email) are refused: write channel=ads,email"
)


_LOOKS_LIKE_SQL = re.compile(r"['\"()]|\b(and|or|not|in|like|ilike|between|is)\b", re.IGNORECASE)


def read_filter(text: str) -> DimensionFilter | str:
    """A filter as typed (`--where`, a URL): `dimension op value` (DimensionFilter.parse), or SQL
    (quotes, parentheses or AND/OR/NOT/IN/LIKE/BETWEEN/IS) returned as text for the query's
    `where` after checking that it parses; either way a typo is an error, never a silent filter."""
    if _LOOKS_LIKE_SQL.search(text):
        parse_where(text)
        return text
    try:
        return DimensionFilter.parse(text)
    except FilterSyntaxError as exc:
        raise FilterSyntaxError(f"{exc}, or {SYNTAX}") from None


def read_filters(texts: Sequence[str]) -> tuple[tuple[DimensionFilter, ...], tuple[str, ...]]:
    """Filters as typed (repeated `--where`): (dimension filters, SQL conditions), which must all
    hold. Two that each pick values of one name (`channel=ads` and `channel=email`, or
    `channel = 'ads'`) would match nothing together: refused, naming the one filter that means
    "any of them" (`channel=ads,email`)."""
    read = [read_filter(text) for text in texts]
    picks: dict[str, list[tuple[str, tuple]]] = {}
    for text, f in zip(texts, read, strict=True):
        picked = picked_values(f)
        if picked is not None:
            picks.setdefault(picked[0].lower(), []).append((text, picked[1]))
    for given in picks.values():
        if len(given) > 1:
            name = picked_values(read_filter(given[0][0]))[0]  # as the user spelled it first
            values = list(dict.fromkeys(str(v) for _, vs in given for v in vs))
            raise FilterSyntaxError(
                f"filters {' and '.join(repr(t) for t, _ in given)} each pick values of "
                f"`{name}`; filters must all hold, so together they match nothing. For any of "
                f"the values give one filter: `{name}={','.join(values)}`"
            )
    return (
        tuple(f for f in read if isinstance(f, DimensionFilter)),
        tuple(f for f in read if isinstance(f, str)),
    )


def picked_values(f: DimensionFilter | str) -> tuple[str, tuple] | None:
    """(name, values) of a filter that keeps only some values of one name (`=` or IN), else None."""
    if isinstance(f, DimensionFilter):
        return (f.dimension, f.values) if f.op in ("=", "in") else None
    tree = parse_where(f).unnest()
    if isinstance(tree, exp.EQ):
        sides = (tree.this, tree.expression)
        column = next((c for c in sides if isinstance(c, exp.Column)), None)
        literal = next((v for v in sides if isinstance(v, exp.Literal)), None)
        return (_name(column), (literal.name,)) if column and literal else None
    if (
        isinstance(tree, exp.In)
        and isinstance(tree.this, exp.Column)
        and not tree.args.get("query")
    ):
        values = tree.expressions
        if values and all(isinstance(v, exp.Literal) for v in values):
            return _name(tree.this), tuple(v.name for v in values)
    return None


def _name(column: exp.Column) -> str:
    return f"{column.table}.{column.name}" if column.table else column.name


def query_filters(
    metric: str,
    filters: Sequence[DimensionFilter],
    where: Sequence[str],
    sem: Semantics,
    column_types: dict[str, dict[str, str]] | None,
) -> tuple[list[DimensionFilter], str | None]:
    """What `metric`'s SQL applies: the dimension filters, and the rest as one checked SQL
    condition rebuilt by sqlglot (the `where` texts, and `column op value` filters on a column
    that is no dimension), or None. QueryError names what does not apply to the metric."""
    dimensions = sem.dimensions_of_metric(metric)
    columns = shared_columns(metric, sem, column_types)
    kept, parts = [], []
    for f in filters:
        if f.dimension in dimensions or f.dimension not in columns:
            kept.append(f)  # unknown names are reported by the caller's dimension check
        else:
            typed = typed_values(f, column_types, sem, metric)
            parts.append(filter_condition(col(f.dimension), typed).sql(dialect=DIALECT))
    for text in where:
        tree = parse_where(text)
        check_where(tree, text, metric, sem, column_types)
        parts.append(tree.sql(dialect=DIALECT))
    return kept, and_texts(*parts)


def parse_where(text: str) -> exp.Expression:
    """The filter as a checked sqlglot tree; FilterSyntaxError says what is not allowed."""
    try:
        tree = parse_expression(text)
    except ExpressionError as exc:
        raise FilterSyntaxError(f"filter {text!r}: {_short(exc)}; write {SYNTAX}") from None
    for node in tree.walk():
        if not isinstance(node, _NODES):
            shown = node.sql(dialect=DIALECT)
            raise FilterSyntaxError(
                f"filter {text!r}: `{shown}` is not allowed in a filter; use comparisons, "
                f"AND/OR/NOT, IN, BETWEEN, IS NULL, LIKE, arithmetic and {', '.join(FUNCTIONS)}"
            )
    if not _is_condition(tree):
        raise FilterSyntaxError(
            f"filter {text!r} is not a condition (true or false); write {SYNTAX}"
        )
    return tree


def check_where(
    tree: exp.Expression,
    text: str,
    metric: str,
    sem: Semantics,
    column_types: dict[str, dict[str, str]] | None,
) -> None:
    """Every name must be a dimension of `metric` or a column of each model it counts rows of."""
    dimensions = set(sem.dimensions_of_metric(metric))
    columns = shared_columns(metric, sem, column_types)
    _check_numbers(tree, text, metric, sem, column_types)
    for column in tree.find_all(exp.Column):
        name = f"{column.table}.{column.name}" if column.table else column.name
        if name in dimensions or (not column.table and column.name in columns):
            continue
        known = sorted(d for d in dimensions if "." not in d) + sorted(columns - dimensions)
        hint = did_you_mean(name, known)
        raise QueryError(
            f"filter {text!r}: `{name}` is neither a dimension of `{metric}` nor a column of "
            f"the rows it counts; {hint + ' ' if hint else ''}names you can use: "
            f"{', '.join(known) or 'none'} (a text value goes in single quotes: '{column.name}')"
        )


NUMERIC = (
    "TINYINT",
    "SMALLINT",
    "INTEGER",
    "BIGINT",
    "HUGEINT",
    "UTINYINT",
    "USMALLINT",
    "UINTEGER",
    "UBIGINT",
    "FLOAT",
    "DOUBLE",
    "DECIMAL",
    "REAL",
)


def typed_values(
    f: DimensionFilter,
    column_types: dict[str, dict[str, str]] | None,
    sem: Semantics,
    metric: str,
) -> DimensionFilter:
    """A `column op value` filter with numbers as numbers when the column is numeric in every
    model counted; a value that is no number there is refused (the database would fail)."""
    types = {
        (column_types or {}).get(sem.models[m].table, {}).get(f.dimension, "")
        for m in _counted_models(metric, sem, set())
        if m is not None
    }
    if not types or not all(t.upper().startswith(NUMERIC) for t in types):
        return f
    values = []
    for value in f.values:
        try:
            number = float(value)
        except ValueError:
            raise QueryError(
                f"filter on `{f.dimension}`: {value!r} is not a number, and `{f.dimension}` is a "
                f"{sorted(types)[0]} column; compare it with a number"
            ) from None
        values.append(int(number) if number.is_integer() and "." not in str(value) else number)
    return DimensionFilter(f.dimension, f.op, tuple(values))


def _check_numbers(tree, text, metric, sem, column_types) -> None:
    """`amount > 'abc'` would fail in the database: refuse text compared with a number column."""
    for node in tree.walk():
        if not isinstance(node, exp.Binary | exp.In | exp.Between):
            continue
        column = node.this if isinstance(node.this, exp.Column) else None
        if column is None or column.table:
            continue
        others = [v for k, v in node.args.items() if k != "this" and isinstance(v, exp.Literal)]
        others += [e for e in node.args.get("expressions") or [] if isinstance(e, exp.Literal)]
        for literal in others:
            if not literal.is_string:
                continue
            try:
                float(literal.name)
                continue
            except ValueError:
                pass
            f = DimensionFilter(column.name, "=", (literal.name,))
            typed_values(f, column_types, sem, metric)  # raises for a number column


def shared_columns(
    metric: str, sem: Semantics, column_types: dict[str, dict[str, str]] | None
) -> set[str]:
    """Columns present in every model whose rows the metric counts (none for first-activity
    retention: its cohort rows are entities, filtered by their dimensions only)."""
    if column_types is None:
        return set()
    shared: set[str] | None = None
    for model in _counted_models(metric, sem, set()):
        if model is None:
            return set()
        table = sem.models[model].table
        cols = set(column_types.get(table, {}))
        shared = cols if shared is None else shared & cols
    return shared or set()


def counted_models(metric: str, sem: Semantics) -> list[str]:
    """The models whose rows `metric` counts (first-activity retention's cohorts are none)."""
    return [m for m in _counted_models(metric, sem, set()) if m is not None]


def _counted_models(metric: str, sem: Semantics, seen: set[str]) -> list[str | None]:
    if metric in seen:
        return []
    seen.add(metric)
    definition = sem.metrics[metric]
    if isinstance(definition, RetentionMetric):
        return [definition.cohort.model]  # None: cohorts of first activity
    base = sem.base_model(metric)
    if base is not None:
        return [base]
    return [m for dep in sem.inputs(metric) for m in _counted_models(dep, sem, seen)]


def _is_condition(tree: exp.Expression) -> bool:
    node = tree.unnest() if isinstance(tree, exp.Paren) else tree
    return isinstance(
        node,
        exp.And | exp.Or | exp.Not | exp.Predicate | exp.In | exp.Between | exp.Is | exp.Boolean,
    )


def _short(exc: Exception) -> str:
    return str(exc).splitlines()[0]


def null_condition(name: str, negate: bool = False) -> str:
    """`name IS NULL` (`NOT name IS NULL` when negate) written by sqlglot: `name` becomes a quoted
    identifier, never SQL; check_where still checks it against the metric's names."""
    test = exp.Is(this=exp.column(name, quoted=True), expression=exp.Null())
    return (exp.Not(this=test) if negate else test).sql(dialect=DIALECT)


def filter_columns(
    metric: str, sem: Semantics, column_types: dict[str, dict[str, str]] | None
) -> dict[str, str]:
    """Columns a filter on `metric` may name (besides its dimensions) → `number`, `text` or the
    column's type: numbers when numeric in every model counted, text when text in every one."""
    out = {}
    models = [m for m in _counted_models(metric, sem, set()) if m is not None]
    for name in sorted(shared_columns(metric, sem, column_types)):
        types = {(column_types or {}).get(sem.models[m].table, {}).get(name, "") for m in models}
        upper = {t.upper() for t in types}
        if all(t.startswith(NUMERIC) for t in upper):
            out[name] = "number"
        elif all(t.startswith(("VARCHAR", "TEXT", "STRING")) for t in upper):
            out[name] = "text"
        else:
            out[name] = ", ".join(sorted(types))
    return out
