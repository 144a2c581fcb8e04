"""What a caller asks the metric layer for, and what it gets back."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from typing import Any, Literal

import pandas as pd

Compare = Literal["previous", "last_year"]
FilterOp = Literal["=", "!=", "in", "not in", ">", ">=", "<", "<="]


@dataclass(frozen=True)
class DimensionFilter:
    """dimension op value(s); values are always bound or sqlglot literals, never spliced."""

    dimension: str
    op: FilterOp = "="
    values: tuple[Any, ...] = ()

    @classmethod
    def parse(cls, text: str) -> DimensionFilter:
        """`channel=ads`, `channel!=ads`, `channel=ads,email` (in) as typed on the CLI or in a URL."""
        for op in ("!=", ">=", "<=", "=", ">", "<"):
            if op in text:
                name, _, raw = text.partition(op)
                values = tuple(v.strip() for v in raw.split(","))
                if op in ("=", "!=") and len(values) > 1:
                    return cls(name.strip(), "in" if op == "=" else "not in", values)
                return cls(name.strip(), op, values)  # type: ignore[arg-type]
        raise ValueError(f"filter {text!r} must look like dimension=value or dimension!=a,b")


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

    def __post_init__(self) -> None:
        # Accept lists from callers but keep the query hashable (it is a cache key).
        for name in ("metrics", "dimensions", "filters"):
            value = getattr(self, name)
            if isinstance(value, str):
                value = (value,)
            object.__setattr__(self, name, tuple(value))


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
