"""PostgreSQL SQL text without PostgreSQL: what dialects.py rewrites for it.

The numbers are tested on PostgreSQL itself in tests/sql/test_postgres_portability.py (needs a
server); these run everywhere and say which rewrite went missing."""

from __future__ import annotations

import sqlglot

from metric_layer.dialects import render


def postgres(sql: str) -> str:
    return render(sqlglot.parse_one(sql, dialect="duckdb"), "postgres")


def test_round_reads_its_argument_as_numeric_and_keeps_its_type():
    # PostgreSQL has round(numeric, int) only (round(double) takes no digits and rounds halves
    # to even); the never-taken CASE branch types the result as the argument, as DuckDB does.
    assert postgres("SELECT ROUND(x, 2) AS r FROM t") == (
        'SELECT CASE WHEN FALSE THEN "x" ELSE ROUND(CAST("x" AS DECIMAL), 2) END AS "r" FROM "t"'
    )
