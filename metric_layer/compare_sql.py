"""A metric beside its value one comparison step earlier (`compare_value`), as SQL.

The step is the previous period, the same period last year, or an offset (`7 days`); each row's
key is a period with a value or one whose comparison period has one, so a week without rows still
compares with the week before. Split from compiler.py, which calls it with itself.
"""

from __future__ import annotations

from datetime import timedelta

from sqlglot import exp

from metric_layer.periods import Window
from metric_layer.read_windows import compare_windows
from metric_layer.relation import col, date_lit, ident
from metric_layer.select_builder import SelectBuilder
from metric_layer.sql_time import shift_expr


def compared(
    c: SelectBuilder, name: str, w: Window, dims, filters, compare_text: str, where: str | None
) -> exp.Select:
    compare, windows = compare_windows(w, compare_text)  # the plan read the same windows
    if w.grain == "all":
        # One period: the comparison range is a second query, not an extension of this one.
        sides = [c.metric_select(name, side, dims, filters, where) for side in windows]
        # Each side as a subquery: a side with its own WITH cannot be a UNION operand.
        base = exp.union(
            *[exp.select("*").from_(s.subquery(c.name("side")), copy=False) for s in sides],
            distinct=False,
        )
    else:
        base = c.metric_select(name, windows[0], dims, filters, where)
    cte, keys = c.name("base"), c.name("keys")
    cur, prev, k = "cur", "prev", "k"
    # Keys: periods with a value, and periods whose comparison period has one (a week
    # without rows still compares with the week before).
    keyset = exp.union(
        exp.select(col("period"), *[col(d) for d in dims]).from_(ident(cte), copy=False),
        exp.select(
            shift_expr(col("period"), w, compare, forward=True).as_("period"),
            *[col(d) for d in dims],
        ).from_(ident(cte), copy=False),
        distinct=True,
    )

    def on(alias: str, period: exp.Expression) -> exp.Expression:
        return exp.and_(
            exp.EQ(this=col("period", alias), expression=period),
            *[exp.NullSafeEQ(this=col(d, alias), expression=col(d, k)) for d in dims],
        )

    back = shift_expr(col("period", k), w, compare, forward=False)
    # Grain `all` has one key, its first day; others: every period of the range.
    last_key = w.lo + timedelta(days=1) if w.grain == "all" else w.hi
    return (
        exp.select(
            col("period", k).as_("period"),
            *[col(d, k).as_(ident(d)) for d in dims],
            col("value", cur).as_("value"),
            col("value", prev).as_("compare_value"),
        )
        .from_(exp.Table(this=ident(keys), alias=exp.TableAlias(this=ident(k))), copy=False)
        .join(
            exp.Table(this=ident(cte), alias=exp.TableAlias(this=ident(cur))),
            on=on(cur, col("period", k)),
            join_type="left",
            copy=False,
        )
        .join(
            exp.Table(this=ident(cte), alias=exp.TableAlias(this=ident(prev))),
            on=on(prev, back),
            join_type="left",
            copy=False,
        )
        .where(
            exp.GTE(this=col("period", k), expression=date_lit(w.lo)),
            exp.LT(this=col("period", k), expression=date_lit(last_key)),
            copy=False,
        )
        .with_(cte, as_=base, copy=False)
        .with_(keys, as_=keyset, copy=False)
    )
