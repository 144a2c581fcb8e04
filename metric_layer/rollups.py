"""Rollups: small tables built at load time that answer interactive queries in milliseconds.

What each kind of table holds (rollup_units.py says which a spec wants and how they are hashed):
- additive daily rollups per model (`rollup.<model>__daily__<set>`): one row per local day and
  dimension values, with one measure column per additive simple or snapshot metric (count, sum, avg
  as sum and count, min, max). Any grain, breakdown and filter over the set's dimensions
  re-aggregates them; cumulative metrics add their inputs' days up, snapshot metrics read one day.
  Sets: `all` dimensions, each single dimension, each pair of them, and `total` (no dimension).
- entity-day tables per distinct-count or active metric (`rollup.<metric>__entity_days`): the
  metric's filter applied, dimensions joined, day in the spec's zone; any query on them is exact.
- cohort-day tables per retention metric (`rollup.<metric>__cohorts`): cohort size and retained
  count per cohort day and dimensions, which add up to any grain.
- materialized results of distinct-count and active metrics per grain (day, week, month, quarter,
  year) for no breakdown and each single dimension, without filters
  (`rollup.m__<metric>__<grain>__<dim>`), valid from their first covered day; a rolling window's
  results for the `today` they were built for, and for any other today where the periods asked
  ended before both days. Grain `all`, two dimensions and dimension filters are answered from the
  entity-day rows (exact; `all` spans whatever range is asked, so no result can be kept for it;
  pairs of dimensions would multiply the tables by every pair).
- segment counts of a distinct count per grain (`rollup.s__<metric>__<grain>`): the count per
  period and combination of the dimensions that belong to the counted entity (rollup_units.
  entity_dimensions); each entity has one value of each, so sums over them answer breakdowns and
  filters by those dimensions exactly. Dropped by the build where they do not add up to the total.
A table is used only while its recorded definition hash matches the spec being served. The methods
here decide which table answers one read of a query, or why none does (Declined); query_plan.py
asks them once per read before any SQL is built, and rollup_sql.py reads the table chosen. A read
the rollups cannot answer compiles to the raw tables, with the same results, and the plan keeps
the reason, so `northstar rollups status` and `query --sql` can tell the user.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import date

from metric_layer.expressions import column_names, parse_expression
from metric_layer.query import DimensionFilter
from metric_layer.rollup_units import (
    MANIFEST,
    MATERIALIZED_GRAINS,
    cohort_table,
    daily_set,
    daily_table,
    entity_days_table,
    entity_dimensions,
    materialized_table,
    model_dimensions,
    retention_dimensions,
    rollup_units,
    segments_table,
)
from metric_layer.semantics import Semantics
from metric_layer.spec import ActiveMetric, RetentionMetric, SimpleMetric, Spec

STALE = "spec changed since the rollups were built — run `northstar rollups build`"
NEVER_BUILT = "no rollups built — run `northstar rollups build`"
AMBIGUOUS = "some entity has two values of a dimension of its own: its segment counts do not add up"
OLD_FORMAT = "the rollups were built by an older Northstar — run `northstar rollups build`"
MANIFEST_COLUMNS = ("table_name", "definition", "as_of", "first_day", "has_rows")
# The kinds of rollup units each engine builds (None: all); on another engine the other kinds'
# reads go to the raw tables (warehouse/pg_rollups.py builds PostgreSQL's, docs/scale-out.md).
ENGINE_ROLLUP_KINDS: dict[str, tuple[str, ...] | None] = {
    "duckdb": None,
    "postgres": ("daily", "entity_days"),
    "spark": ("daily", "entity_days"),
}


@dataclass(frozen=True)
class Declined:
    """Why the rollups cannot answer one part of a query (it then reads the raw tables)."""

    reason: str


def open_planner(
    spec: Spec,
    column_types: dict[str, dict[str, str]],
    read_rows: Callable[[str], list[tuple]],
    semantics: Semantics | None = None,
    engine: str = "duckdb",
) -> tuple[RollupPlanner | None, str | None]:
    """The planner over a warehouse's rollups, or (None, why no rollup can be used)."""
    manifest = column_types.get(MANIFEST)
    if manifest is None:
        return None, NEVER_BUILT
    if "definition" not in manifest:
        return None, OLD_FORMAT
    rows = read_rows(f"SELECT {', '.join(MANIFEST_COLUMNS)} FROM {MANIFEST}")
    return RollupPlanner.load(spec, rows, column_types, semantics, engine), None


@dataclass(frozen=True)
class RollupPlanner:
    """The rollup tables a warehouse holds for a spec, and which one answers a read exactly."""

    spec: Spec
    tables: frozenset[str]  # rollup tables that exist and match the spec
    built_for: date | None = None  # the `today` rolling-window results were computed for
    coverage: tuple[tuple[str, date], ...] = ()  # (metric, first day) of materialized results
    stale: frozenset[str] = frozenset()  # built from another definition (or not built yet)
    empty: frozenset[str] = frozenset()  # current, but there were no rows to build them from
    elsewhere: frozenset[str] = frozenset()  # of a kind this engine does not build
    engine: str = "duckdb"

    @classmethod
    def load(
        cls,
        spec: Spec,
        rows: list[tuple],
        column_types: dict[str, dict[str, str]],
        semantics: Semantics | None = None,
        engine: str = "duckdb",
    ) -> RollupPlanner:
        """rows: rollup.manifest as MANIFEST_COLUMNS; only tables whose hash matches are used."""
        recorded = {r[0]: r for r in rows}
        tables, stale, empty, today_bound, elsewhere = set(), set(), set(), [], set()
        coverage: list[tuple[str, date]] = []
        kinds = ENGINE_ROLLUP_KINDS.get(engine)
        for unit in rollup_units(spec, semantics or Semantics(spec), column_types):
            if kinds is not None and unit.kind not in kinds:
                elsewhere.update(unit.tables)
                continue
            current = [recorded.get(t) for t in unit.tables]
            if any(r is None or r[1] != unit.definition for r in current):
                stale.update(unit.tables)
                continue
            for table, row in zip(unit.tables, current, strict=True):
                if not row[4]:
                    empty.add(table)
                elif table in column_types:
                    tables.add(table)
            if unit.today_bound:
                today_bound.append(current[0][2])
            if unit.kind == "materialized" and current[0][3] is not None:
                coverage.append((unit.subject, current[0][3]))
        as_of = today_bound or [r[2] for r in rows if r[2] is not None]
        return cls(
            spec,
            frozenset(tables),
            built_for=max(as_of, default=None),
            coverage=tuple(coverage),
            stale=frozenset(stale),
            empty=frozenset(empty),
            elsewhere=frozenset(elsewhere),
            engine=engine,
        )

    def _unusable(self, table: str) -> Declined:
        if table in self.elsewhere:
            kinds = ENGINE_ROLLUP_KINDS.get(self.engine) or ()
            built = " and ".join(k.replace("_days", "-day") for k in kinds)
            return Declined(
                f"on {self.engine} only {built} rollups are built: {table} is DuckDB-only, "
                "so this reads the raw tables"
            )
        if table in self.empty:
            return Declined(f"{table} had no rows when the rollups were built")
        return Declined(STALE)

    def _needed(self, dims: list[str], filters: list, extra: str | None) -> set[str]:
        """Dimension names a query reads: its breakdown, its filters and a ratio input's filter."""
        needed = set(dims) | {f.dimension for f in filters}
        if extra:
            needed |= {f"{q}.{n}" if q else n for q, n in column_names(parse_expression(extra))}
        return needed

    # -- decisions: which table answers a read (rollup_sql.py reads it) ---------------------
    def daily_for(
        self, m: SimpleMetric, dims: list[str], filters: list[DimensionFilter], extra: str | None
    ) -> str | Declined:
        """The daily rollup table answering an additive metric (or a snapshot metric's days)."""
        sem = Semantics(self.spec)
        needed = self._needed(dims, filters, extra)
        if any("." in n for n in needed):
            return _qualified(needed)
        if sem.model(m.model).time is None:
            return Declined(f"model `{m.model}` has no time column: not materializable")
        return self._daily_table(m.model, needed, sem)

    def _daily_table(self, model: str, needed: set[str], sem: Semantics) -> str | Declined:
        if not needed <= set(model_dimensions(sem, model)):
            return _qualified(needed - set(model_dimensions(sem, model)))
        smallest = daily_set(needed, model_dimensions(sem, model))
        candidates = [] if smallest == "all" else [daily_table(model, smallest)]
        candidates.append(daily_table(model, "all"))
        usable = [c for c in candidates if c in self.tables]
        if usable:
            return usable[0]
        return self._unusable(candidates[-1])

    def snapshot_days_for(self, model: str) -> str | Declined:
        """The table listing the local days on which `model`'s table has rows, whatever the
        metrics' filters: its daily `total` table has one row per such day."""
        table = daily_table(model, None)
        return table if table in self.tables else self._unusable(table)

    def materialized_for(
        self, name: str, w, dims: list[str], filters: list, extra: str | None
    ) -> str | Declined:
        """The materialized result of a distinct-count or active metric answering `w`."""
        # Rolling windows depend on `today` (the current period is cut there); distinct counts
        # per period do not, so they stay usable when the clock passes the build day. A rolling
        # window's periods that ended before both days are the same whichever day is today.
        if self.today_bound(name) and self.built_for != w.today and not self._settled(w):
            return Declined(f"results were built for {self.built_for}, not {w.today}")
        if filters or extra or len(dims) > 1:
            return Declined("results are kept for no filter and at most one breakdown")
        if w.grain not in MATERIALIZED_GRAINS or (w.week_start != "monday" and w.grain == "week"):
            return Declined(f"results are kept per {', '.join(MATERIALIZED_GRAINS)}")
        table = materialized_table(name, w.grain, dims[0] if dims else None)
        if table not in self.tables:
            return self._unusable(table)
        first_day = dict(self.coverage).get(name)
        # Before the first materialized day a direct query still has rows (zero actives).
        if first_day is None or w.lo < first_day:
            return Declined(f"results start on {first_day}")
        return table

    def segments_for(
        self, name: str, w, dims: list[str], filters: list, extra: str | None
    ) -> str | Declined:
        """The segment counts of a distinct count answering `w` when every dimension it is
        broken down and filtered by belongs to the counted entity (rollup_units.
        entity_dimensions): summed over the others, they are the distinct count."""
        sem = Semantics(self.spec)
        own = entity_dimensions(sem, sem.metrics[name])
        needed = {*dims, *(f.dimension for f in filters)}
        if not own or extra or not needed <= set(own):
            return Declined(f"segment counts are kept by {', '.join(own) or 'no dimension'} only")
        if w.grain not in MATERIALIZED_GRAINS or (w.week_start != "monday" and w.grain == "week"):
            return Declined(f"results are kept per {', '.join(MATERIALIZED_GRAINS)}")
        table = segments_table(name, w.grain)
        if table not in self.tables:
            total = materialized_table(name, w.grain, None)
            if table in self.empty and total in self.tables:
                return Declined(f"{AMBIGUOUS} ({', '.join(own)})")
            return self._unusable(table)
        first_day = dict(self.coverage).get(name)
        if first_day is None or w.lo < first_day:
            return Declined(f"results start on {first_day}")
        return table

    def _settled(self, w) -> bool:
        """Whether every period of `w` ended before both the build's today and the query's."""
        return self.built_for is not None and w.hi <= min(self.built_for, w.today)

    def today_bound(self, name: str) -> bool:
        """Whether `name`'s materialized results hold only for the day they were built for."""
        return isinstance(self.spec.metric(name), ActiveMetric)

    def cohorts_for(
        self, m: RetentionMetric, dims: list[str], filters: list, extra: str | None
    ) -> str | Declined:
        """The cohort-day table answering a retention metric."""
        table = cohort_table(m.name)
        if table not in self.tables:
            return self._unusable(table)
        needed = self._needed(dims, filters, extra)
        if not needed <= set(retention_dimensions(Semantics(self.spec), m)):
            return _qualified(needed)
        return table

    def entity_days_for(
        self, metric: str, model: str, dims: list[str], filters: list, extra: str | None
    ) -> str | Declined:
        """The entity-day table of a distinct-count or active metric, when it has every
        dimension the read needs."""
        table = entity_days_table(metric)
        if table not in self.tables:
            return self._unusable(table)
        needed = self._needed(dims, filters, extra)
        if not needed <= set(model_dimensions(Semantics(self.spec), model)):
            return _qualified(needed)
        return table


def _qualified(needed: set[str]) -> Declined:
    """Names the rollup tables do not carry: qualified dimensions, or plain columns."""
    names = ", ".join(sorted(n for n in needed if "." in n)) or ", ".join(sorted(needed))
    return Declined(f"breakdowns and filters by {names} read the raw tables")
