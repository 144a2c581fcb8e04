"""What a caller asks the metric layer for, and what it gets back."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from typing import Any, Literal

import pandas as pd

from metric_layer.errors import QueryError
from metric_layer.periods import QUERY_GRAINS, comparison

Compare = str  # "previous", "last_year" or an offset such as "7 days" (periods.comparison)
FilterOp = Literal["=", "!=", "in", "not in", ">", ">=", "<", "<="]

_TYPED_OPS = ("!=", ">=", "<=", "=", ">", "<")  # longest first: `>=` is not `>` then `=value`
FILTER_SYNTAX = (
    "`dimension=value`, `dimension!=value`, a list `dimension=a,b` (any of) or `dimension!=a,b`"
    " (none of), or `dimension>value` (also >=, <, <=)"
)


class FilterSyntaxError(QueryError):
    """A filter as typed (CLI `--where`, the app's URL) that does not read as dimension op value."""


@dataclass(frozen=True)
class DimensionFilter:
    """dimension op value(s); values are always bound or sqlglot literals, never spliced."""

    dimension: str
    op: FilterOp = "="
    values: tuple[Any, ...] = ()

    @classmethod
    def parse(cls, text: str) -> DimensionFilter:
        """`channel=ads`, `channel!=ads`, `channel=ads,email` (in), `amount>=100` as typed on the
        CLI or in a URL. Anything else raises FilterSyntaxError showing the syntax: a typo such as
        `country==BR` or `country=` must not quietly become a filter that matches nothing."""
        at = next((i for i, ch in enumerate(text) if ch in "!=<>"), None)
        op = next((o for o in _TYPED_OPS if at is not None and text.startswith(o, at)), None)
        if at is None or op is None:
            raise _syntax(text, "no operator")
        name, raw = text[:at].strip(), text[at + len(op) :]
        if not name:
            raise _syntax(text, "no dimension name before the operator")
        if raw.lstrip()[:1] in ("!", "=", "<", ">"):
            raise _syntax(text, f"`{op}{raw.lstrip()[0]}` is not an operator")
        values = tuple(v.strip() for v in raw.split(","))
        if "" in values:
            raise _syntax(text, "empty value")
        if op in ("=", "!=") and len(values) > 1:
            return cls(name, "in" if op == "=" else "not in", values)
        if len(values) > 1:
            raise _syntax(text, f"`{op}` compares with one value")
        return cls(name, op, values)  # type: ignore[arg-type]


def _syntax(text: str, problem: str) -> FilterSyntaxError:
    return FilterSyntaxError(f"filter {text!r}: {problem}; write {FILTER_SYNTAX}")


@dataclass(frozen=True)
class MetricQuery:
    metrics: tuple[str, ...]
    grain: str = "week"
    start: date | None = None
    end: date | None = None
    dimensions: tuple[str, ...] = ()
    filters: tuple[DimensionFilter, ...] = ()
    compare: Compare | None = None
    as_of: date | None = None  # treat this day as today (default: the service's as-of or clock)
    # SQL conditions over dimensions and columns (`amount > 100`), checked by metric_layer.where
    where: tuple[str, ...] = ()
    # grain `all`: one row over exactly [start, end]; distinct counts are distinct over the range.

    def __post_init__(self) -> None:
        # Accept lists from callers but keep the query hashable (it is a cache key).
        for name in ("metrics", "dimensions", "filters", "where"):
            value = getattr(self, name)
            if isinstance(value, str):
                value = (value,)
            object.__setattr__(self, name, tuple(value))
        if self.grain not in QUERY_GRAINS:
            raise QueryError(f"grain must be one of {', '.join(QUERY_GRAINS)}, not {self.grain!r}")
        if self.compare is not None:
            comparison(self.compare)  # refuses text that is neither a comparison nor an offset
        # A repeated name would come back as a second column (`channel_1`) or a clash.
        for kind, names in (("metric", self.metrics), ("breakdown", self.dimensions)):
            twice = sorted({n for n in names if names.count(n) > 1})
            if twice:
                raise QueryError(f"{kind} `{twice[0]}` is asked for twice; list each once")


@dataclass
class MetricFrame:
    """Result of a metric query: one row per period (× dimension values).

    Columns: period, <dimensions…>, one column per metric, and with a comparison
    `<metric>__compare`; `is_partial` marks periods that are not over yet.
    """

    frame: pd.DataFrame
    query: MetricQuery
    metrics: dict[str, Any]  # name → spec metric definition
    grain: str
    start: date
    end: date  # exclusive end of the last period
    sql: dict[str, str] = field(default_factory=dict)  # metric → SQL that ran
    as_of: date | None = None
    snapshot: str | None = None
    notice: str | None = None  # e.g. the range holds no data, and where the data is

    @property
    def has_partial(self) -> bool:
        return bool(len(self.frame)) and bool(self.frame["is_partial"].any())
