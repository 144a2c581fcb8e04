"""Where a metric query is answered from — rollups or raw tables — and why, in the user's words.

`northstar rollups status` prints one Route per metric; `northstar query --sql` prints it above
the SQL. The tables come from the compiled tree itself, so the explanation cannot drift from what
runs.
"""

from __future__ import annotations

from dataclasses import dataclass

from sqlglot import exp

from metric_layer.compiler import Compiled
from metric_layer.rollup_units import SCHEMA


@dataclass(frozen=True)
class Route:
    metric: str
    source: str  # "rollups", "raw" or "rollups and raw"
    rollup_tables: tuple[str, ...]  # rollup tables the query reads
    raw_tables: tuple[str, ...]  # warehouse tables it reads directly
    reasons: tuple[str, ...]  # why the raw tables are read
    sources: str = ""  # each read's source, from the query's plan (MetricPlan.describe)

    def describe(self) -> str:
        """`rollups (rollup.x)`, or `raw — <why>`: one line, no markup."""
        if self.source == "rollups":
            return f"rollups ({', '.join(self.rollup_tables)})"
        own = f"{self.metric}: "  # a reason about the metric itself needs no name; an input's does
        reasons = [r.removeprefix(own) for r in self.reasons]
        why = "; ".join(reasons) or "no rollup answers this query"
        return f"{self.source} — {why}"


def route_of(compiled: Compiled, no_rollups: str | None = None) -> Route:
    """The route of one compiled query; `no_rollups` is why the service has no rollups at all."""
    rollup, raw = [], []
    for table in compiled.tree.find_all(exp.Table):
        if not table.db:  # a CTE or a table function, not a stored table
            continue
        name = f"{table.db}.{table.name}"
        (rollup if table.db == SCHEMA else raw).append(name)
    rollup, raw = list(dict.fromkeys(rollup)), list(dict.fromkeys(raw))
    source = "rollups and raw" if rollup and raw else "raw" if raw else "rollups"
    reasons = (no_rollups,) if no_rollups else compiled.raw_reasons
    return Route(compiled.metric, source, tuple(rollup), tuple(raw), reasons if raw else ())
