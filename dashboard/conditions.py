"""Explorer filters the metric layer has no `dimension op value` form for, and how links write them.

The Explorer's filters are one ordered list: `DimensionFilter`s (`platform=ios`, `amount>100`, on
a dimension or a column of the rows counted) and `Condition`s (`amount:between=10,20`,
`coupon:null`, `coupon:notnull`). A condition's name part holds a colon, which no name may hold
(names are identifiers), so no link written before conditions existed changes meaning.

Before a query, `query_parts` turns the list into what MetricQuery takes: between becomes `>=` and
`<=` filters (the metric layer types their numbers), IS [NOT] NULL a `where` text that
metric_layer.where builds with sqlglot. The dashboard never writes SQL itself.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Literal
from urllib.parse import quote, unquote

from metric_layer.query import DimensionFilter
from metric_layer.where import null_condition

ConditionOp = Literal["between", "is null", "is not null"]
# Inside a filter's text these separate parts, operators and values: a value holding one is
# percent-escaped so that every value the data holds round-trips through a link exactly.
RESERVED = "%;,=!<>"
_WORDS = {"between": "between", "is null": "null", "is not null": "notnull"}
_OPS = {word: op for op, word in _WORDS.items()}
_TEXT = re.compile(r"(?P<name>[^:=!<>]*):(?P<word>[a-z]+)(?:=(?P<values>.*))?", re.DOTALL)
# Names a link can hold: a name with an operator character, `:` or `;` could not be read back.
NAME = re.compile(r"[A-Za-z_][A-Za-z0-9_.]*")


@dataclass(frozen=True)
class Condition:
    """`dimension between lo and hi` (both inclusive), `dimension is null`, `… is not null`.
    Named like DimensionFilter's fields so chips and lists treat both alike."""

    dimension: str
    op: ConditionOp
    values: tuple[str, ...] = ()


Filter = DimensionFilter | Condition


def escape(value: object) -> str:
    text = str(value)
    # DimensionFilter.parse strips values: escape edge spaces too, so they survive
    lo, hi = len(text) - len(text.lstrip()), len(text.rstrip())
    return "".join(
        quote(c, safe="") if c in RESERVED or not lo <= i < hi else c for i, c in enumerate(text)
    )


def condition_text(c: Condition) -> str:
    """`amount:between=10,20`, `coupon:null`, `coupon:notnull`."""
    word = _WORDS[c.op]
    if c.op == "between":
        return f"{c.dimension}:{word}={','.join(escape(v) for v in c.values)}"
    return f"{c.dimension}:{word}"


def parse_condition(text: str) -> Condition | str | None:
    """A condition as condition_text writes it; None when `text` is no condition (read it as a
    DimensionFilter), a message when it is one written wrong."""
    found = _TEXT.fullmatch(text)
    if found is None:
        return None
    name, word, raw = found["name"].strip(), found["word"], found["values"]
    if word not in _OPS:
        return f"`:{word}` is not a condition; write name:between=lo,hi, name:null or name:notnull"
    if not name:
        return f"name a column before `:{word}`, like amount:{word}"
    op = _OPS[word]
    if op != "between":
        if raw is not None:
            return f"`{name}:{word}` takes no value; remove `={raw[:40]}`"
        return Condition(name, op)  # type: ignore[arg-type]
    values = [] if raw is None else raw.split(",")
    if len(values) != 2 or not all(v.strip() for v in values):
        return f"`{name}:between` takes two values, like {name}:between=10,20"
    if any(c in v for v in values for c in "=!<>"):
        return f"`{name}:between` values must not hold =, !, < or > (escape them)"
    return Condition(name, "between", tuple(unquote(v) for v in values))


def query_parts(filters: tuple[Filter, ...]) -> tuple[tuple[DimensionFilter, ...], tuple[str, ...]]:
    """(filters, where texts) for MetricQuery: between as `>=` and `<=`, nulls as sqlglot-built
    SQL. Every value stays a value: the metric layer binds it or makes a literal of it."""
    kept: list[DimensionFilter] = []
    where: list[str] = []
    for f in filters:
        if isinstance(f, DimensionFilter):
            kept.append(f)
        elif f.op == "between":
            lo, hi = f.values
            kept += [
                DimensionFilter(f.dimension, ">=", (lo,)),
                DimensionFilter(f.dimension, "<=", (hi,)),
            ]
        else:
            where.append(null_condition(f.dimension, negate=f.op == "is not null"))
    return tuple(kept), tuple(where)


def dimension_filters(filters: tuple[Filter, ...]) -> tuple[DimensionFilter, ...]:
    """Only the DimensionFilters (what analyses that take no `where` can be given)."""
    return tuple(f for f in filters if isinstance(f, DimensionFilter))
