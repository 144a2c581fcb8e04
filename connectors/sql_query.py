"""Build the SELECT a sql source runs, as a sqlglot tree: names quoted, values as sqlglot literals.

connectorx cannot bind parameters, so the cursor value becomes a literal built by sqlglot (never by
string formatting); the optional row filter is parsed and must be a single condition.
"""

from __future__ import annotations

from datetime import date, datetime, timedelta
from decimal import Decimal
from typing import Any

import sqlglot
from sqlglot import exp
from sqlglot.dialects.dialect import Dialect

from connectors.config import SqlTable


class FilterError(ValueError):
    pass


# SQLAlchemy dialect names (a URL's scheme before any `+driver`) that sqlglot spells differently.
_SQLGLOT_NAMES = {
    "postgresql": "postgres",
    "cockroachdb": "postgres",
    "mariadb": "mysql",
    "mssql": "tsql",
    "awsathena": "athena",
    "hana": "",
}


def sqlglot_dialect(name: str) -> str:
    """The sqlglot dialect for a SQLAlchemy dialect name; sqlglot's generic SQL when it has none."""
    name = name.lower()
    name = _SQLGLOT_NAMES.get(name, name)
    return name if name in Dialect.classes else ""


def dialect_of(url: str) -> str:
    """The sqlglot dialect of a source URL (`postgresql+psycopg://…` → postgres)."""
    return sqlglot_dialect(url.split(":", 1)[0].split("+", 1)[0])


def parse_filter(text: str, url: str) -> exp.Expression:
    """Parse a row filter in the source's dialect; reject anything but one condition."""
    dialect = dialect_of(url)
    try:
        tree = sqlglot.parse_one(f"SELECT 1 WHERE {text}", read=dialect)
    except sqlglot.errors.ParseError as exc:
        raise FilterError(
            f"filter does not parse as a {dialect or 'SQL'} condition: {exc}"
        ) from None
    where = tree.args.get("where")
    if not isinstance(tree, exp.Select) or where is None or tree.find(exp.Subquery, exp.Union):
        raise FilterError("filter must be one condition such as `status <> 'test'` (no subqueries)")
    if len(tree.expressions) != 1 or tree.args.get("limit") or tree.args.get("order"):
        raise FilterError("filter must be one condition, with nothing after it")
    return where.this


def lower_bound(table: SqlTable, previous: Any) -> tuple[Any, bool] | None:
    """(value, inclusive) for the incremental condition, or None for a full read.

    With a primary key we re-read from the last cursor (inclusive, minus lookback) and merge, so
    rows committed late with an equal timestamp are not lost; without one, strictly greater.
    """
    if table.cursor is None or previous is None:
        return None
    if not table.primary_key:
        return previous, False
    lookback = table.lookback
    if lookback is None:
        return previous, True
    if isinstance(lookback, timedelta) and isinstance(previous, datetime | date):
        return previous - lookback, True
    if isinstance(lookback, int) and isinstance(previous, int | float | Decimal):
        return previous - lookback, True
    return previous, True


def literal(value: Any, dialect: str) -> exp.Expression:
    if isinstance(value, datetime):
        if value.tzinfo is not None and dialect != "postgres":
            value = value.replace(tzinfo=None)  # MySQL/SQLite hold naive (UTC) times
        text = value.isoformat(sep=" ")
        return exp.Literal.string(text)
    if isinstance(value, date):
        return exp.Literal.string(value.isoformat())
    if isinstance(value, bool):
        return exp.Boolean(this=value)
    if isinstance(value, int | float | Decimal):
        return exp.Literal.number(str(value))
    return exp.Literal.string(str(value))


def build_select(
    table: SqlTable, url: str, previous_cursor: Any, *, keys_only: bool = False
) -> str:
    """The source query for one table (or only its key columns, for soft-delete detection)."""
    dialect = dialect_of(url)
    names = table.primary_key if keys_only else (table.columns or ["*"])
    columns = [exp.Star() if n == "*" else exp.column(n, quoted=True) for n in names]
    parts = table.table.split(".")
    source = exp.table_(parts[-1], db=parts[0] if len(parts) > 1 else None, quoted=True)
    query = exp.select(*columns).from_(source)
    if table.filter:
        query = query.where(parse_filter(table.filter, url))
    bound = None if keys_only else lower_bound(table, previous_cursor)
    if bound is not None:
        value, inclusive = bound
        column = exp.column(table.cursor, quoted=True)
        op = exp.GTE if inclusive else exp.GT
        query = query.where(op(this=column, expression=literal(value, dialect)))
    return query.sql(dialect=dialect)
