"""Rollups: small tables built at load time that answer interactive queries in milliseconds.

What each kind of table holds (rollup_units.py says which a spec wants and how they are hashed):
- additive daily rollups per model (`rollup.<model>__daily__<set>`): one row per local day and
  dimension values, with one measure column per additive simple or snapshot metric (count, sum, avg
  as sum and count, min, max). Any grain, breakdown and filter over the set's dimensions
  re-aggregates them; cumulative metrics add their inputs' days up, snapshot metrics read one day.
  Sets: `all` dimensions, each single dimension, and `total` (no dimension).
- entity-day tables per distinct-count or active metric (`rollup.<metric>__entity_days`): the
  metric's filter applied, dimensions joined, day in the spec's zone; any query on them is exact.
- cohort-day tables per retention metric (`rollup.<metric>__cohorts`): cohort size and retained
  count per cohort day and dimensions, which add up to any grain.
- materialized results of distinct-count and active metrics per grain (day, week, month) for no
  breakdown and each single dimension, without filters (`rollup.m__<metric>__<grain>__<dim>`),
  valid for the `today` they were built for and from their first covered day.
A table is used only while its recorded definition hash matches the spec being served. A query the
rollups cannot answer compiles to the raw tables, with the same results; the planner then says why
(Declined), so `northstar rollups status` and `query --sql` can tell the user.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import date

from sqlglot import exp

from metric_layer.expressions import column_names, parse_expression
from metric_layer.query import DimensionFilter
from metric_layer.relation import BASE, col, date_lit, filter_condition, ident, table_ref
from metric_layer.rollup_units import (
    MANIFEST,
    MATERIALIZED_GRAINS,
    SCHEMA,
    additive,
    cohort_table,
    daily_table,
    entity_days_table,
    materialized_table,
    model_dimensions,
    retention_dimensions,
    rollup_units,
)
from metric_layer.semantics import Semantics
from metric_layer.spec import ActiveMetric, RetentionMetric, SimpleMetric, Spec
from metric_layer.sql_time import window_period

STALE = "spec changed since the rollups were built — run `northstar rollups build`"
NEVER_BUILT = "no rollups built — run `northstar rollups build`"
OLD_FORMAT = "the rollups were built by an older Northstar — run `northstar rollups build`"
MANIFEST_COLUMNS = ("table_name", "definition", "as_of", "first_day", "has_rows")


@dataclass(frozen=True)
class Declined:
    """Why the rollups cannot answer one part of a query (it then reads the raw tables)."""

    reason: str


def open_planner(
    spec: Spec,
    column_types: dict[str, dict[str, str]],
    read_rows: Callable[[str], list[tuple]],
    semantics: Semantics | None = None,
) -> tuple[RollupPlanner | None, str | None]:
    """The planner over a warehouse's rollups, or (None, why no rollup can be used)."""
    manifest = column_types.get(MANIFEST)
    if manifest is None:
        return None, NEVER_BUILT
    if "definition" not in manifest:
        return None, OLD_FORMAT
    rows = read_rows(f"SELECT {', '.join(MANIFEST_COLUMNS)} FROM {MANIFEST}")
    return RollupPlanner.load(spec, rows, column_types, semantics), None


@dataclass(frozen=True)
class RollupPlanner:
    """Routes a metric's SELECT to a rollup table when one answers it exactly."""

    spec: Spec
    tables: frozenset[str]  # rollup tables that exist and match the spec
    built_for: date | None = None  # the `today` rolling-window results were computed for
    coverage: tuple[tuple[str, date], ...] = ()  # (metric, first day) of materialized results
    stale: frozenset[str] = frozenset()  # built from another definition (or not built yet)
    empty: frozenset[str] = frozenset()  # current, but there were no rows to build them from

    @classmethod
    def load(
        cls,
        spec: Spec,
        rows: list[tuple],
        column_types: dict[str, dict[str, str]],
        semantics: Semantics | None = None,
    ) -> RollupPlanner:
        """rows: rollup.manifest as MANIFEST_COLUMNS; only tables whose hash matches are used."""
        recorded = {r[0]: r for r in rows}
        tables, stale, empty, today_bound = set(), set(), set(), []
        coverage: list[tuple[str, date]] = []
        for unit in rollup_units(spec, semantics or Semantics(spec), column_types):
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
        )

    def _unusable(self, table: str) -> Declined:
        if table in self.empty:
            return Declined(f"{table} had no rows when the rollups were built")
        return Declined(STALE)

    def _needed(self, dims: list[str], filters: list, extra: str | None) -> set[str]:
        """Dimension names a query reads: its breakdown, its filters and a ratio input's filter."""
        needed = set(dims) | {f.dimension for f in filters}
        if extra:
            needed |= {f"{q}.{n}" if q else n for q, n in column_names(parse_expression(extra))}
        return needed

    # -- additive ------------------------------------------------------------------------------
    def simple(
        self, m: SimpleMetric, w, dims: list[str], filters: list[DimensionFilter], extra: str | None
    ) -> exp.Select | Declined:
        if m.quantile is not None:
            return Declined("percentiles do not add up over days: they read the raw tables")
        if not additive(m):
            planned = self.materialized(m.name, w, dims, filters, extra)
            if isinstance(planned, exp.Select):
                return planned
            return self.distinct(m, w, dims, filters, extra)
        sem = Semantics(self.spec)
        needed = self._needed(dims, filters, extra)
        if any("." in n for n in needed):
            return _qualified(needed)
        if sem.model(m.model).time is None:
            return Declined(f"model `{m.model}` has no time column: not materializable")
        table = self._daily_table(m.model, needed, sem)
        if isinstance(table, Declined):
            return table
        value = self._reaggregate(m)
        select = exp.select(
            _period(w),
            *[col(d, BASE).as_(ident(d)) for d in dims],
            exp.alias_(value, "value"),
        )
        conds = _day_range("day", w.lo, w.hi) + _filters(filters, extra)
        # Raw queries return no row where no row matched the metric's filter; so must the rollup.
        if m.agg == "count":
            matched = exp.GT(this=value.copy(), expression=exp.Literal.number(0))
        else:
            matched = exp.Not(this=exp.Is(this=value.copy(), expression=exp.Null()))
        grouped = select.from_(table_ref(table, BASE), copy=False).where(*conds, copy=False)
        return _group(grouped, len(dims)).having(matched, copy=False)

    def _reaggregate(self, m: SimpleMetric) -> exp.Expression:
        cols = _measures(m)
        if m.agg == "avg":
            return exp.Div(
                this=exp.Sum(this=col(cols[0][0], BASE)),
                expression=exp.Nullif(
                    this=exp.Sum(this=col(cols[1][0], BASE)), expression=exp.Literal.number(0)
                ),
            )
        column, agg = cols[0]
        value = {"sum": exp.Sum, "min": exp.Min, "max": exp.Max}[agg](this=col(column, BASE))
        if m.agg == "count":  # a sum of counts is HUGEINT in DuckDB; COUNT on raw rows is BIGINT
            return exp.cast(value, exp.DataType.build("BIGINT"))
        return value

    def _daily_table(self, model: str, needed: set[str], sem: Semantics) -> str | Declined:
        if not needed <= set(model_dimensions(sem, model)):
            return _qualified(needed - set(model_dimensions(sem, model)))
        if not needed:
            candidates = [daily_table(model, None)]
        elif len(needed) == 1:
            candidates = [daily_table(model, next(iter(needed)))]
        else:
            candidates = []
        if needed <= set(model_dimensions(sem, model)):
            candidates.append(daily_table(model, "all"))
        usable = [c for c in candidates if c in self.tables]
        if usable:
            return usable[0]
        return self._unusable(candidates[-1]) if candidates else _qualified(needed)

    def snapshot_days(self, model: str, lo: date, hi: date) -> exp.Select | Declined:
        """(day) for each local day in [lo, hi) on which `model`'s table has rows, whatever the
        metrics' filters: its daily `total` table has one row per such day."""
        table = daily_table(model, None)
        if table not in self.tables:
            return self._unusable(table)
        select = exp.select(col("day", BASE).as_("day")).from_(table_ref(table, BASE), copy=False)
        return select.where(*_day_range("day", lo, hi), copy=False)

    # -- materialized results ------------------------------------------------------------------
    def materialized(
        self, name: str, w, dims: list[str], filters: list, extra: str | None
    ) -> exp.Select | Declined:
        # Rolling windows depend on `today` (the current period is cut there); distinct counts
        # per period do not, so they stay usable when the clock passes the build day.
        today_bound = isinstance(self.spec.metric(name), ActiveMetric)
        if today_bound and self.built_for != w.today:
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
        select = (
            exp.select(col("period"), *[col(d) for d in dims], col("value"))
            .from_(exp.Table(this=ident(table.split(".")[1]), db=ident(SCHEMA)), copy=False)
            .where(*_day_range("period", w.lo, w.hi, None), copy=False)
        )
        if today_bound and dims:
            # A direct query breaks down by the values active in the range only: keep a value
            # when some day of the range (its periods' peak daily value) had an active entity.
            peak = exp.Window(this=exp.Max(this=col("peak")), partition_by=[col(d) for d in dims])
            select = select.qualify(exp.GT(this=peak, expression=exp.Literal.number(0)), copy=False)
        return select

    def cohorts(
        self, m: RetentionMetric, w, dims: list[str], filters: list, extra: str | None
    ) -> exp.Select | Declined:
        """(cohort_day, dims, cohort_size, retained) re-aggregated from the cohort-day rollup."""
        table = cohort_table(m.name)
        if table not in self.tables:
            return self._unusable(table)
        needed = self._needed(dims, filters, extra)
        if not needed <= set(retention_dimensions(Semantics(self.spec), m)):
            return _qualified(needed)
        conds = _day_range("cohort_day", w.lo, w.hi) + _filters(filters, extra)
        select = exp.select(
            col("cohort_day", BASE).as_("cohort_day"),
            *[col(d, BASE).as_(ident(d)) for d in dims],
            exp.alias_(exp.Sum(this=col("cohort_size", BASE)), "cohort_size"),
            exp.alias_(exp.Sum(this=col("retained", BASE)), "retained"),
        )
        select = select.from_(table_ref(table, BASE), copy=False).where(*conds, copy=False)
        return _group(select, len(dims))

    def activity(
        self, m: ActiveMetric, lo: date, hi: date, dims: list[str], filters: list, extra: str | None
    ) -> exp.Select | Declined:
        """(day, dims, entity) rows with activity in [lo, hi) from the metric's entity-day table."""
        source = self._entity_days(m.name, m.model, lo, hi, filters, extra, set(dims))
        if isinstance(source, Declined):
            return source
        select = exp.select(
            col("day", BASE).as_("day"),
            *[col(d, BASE).as_(ident(d)) for d in dims],
            col("entity", BASE).as_("entity"),
        )
        table, conds = source
        return select.distinct(copy=False).from_(table, copy=False).where(*conds, copy=False)

    def distinct(
        self, m: SimpleMetric, w, dims: list[str], filters: list, extra: str | None
    ) -> exp.Select | Declined:
        """COUNT(DISTINCT entity) per period from the metric's entity-day table."""
        source = self._entity_days(m.name, m.model, w.lo, w.hi, filters, extra, set(dims))
        if isinstance(source, Declined):
            return source
        value = exp.Count(this=exp.Distinct(expressions=[col("entity", BASE)]))
        select = exp.select(
            _period(w),
            *[col(d, BASE).as_(ident(d)) for d in dims],
            exp.alias_(value, "value"),
        )
        table, conds = source
        return _group(select.from_(table, copy=False).where(*conds, copy=False), len(dims))

    def _entity_days(
        self,
        metric: str,
        model: str,
        lo: date,
        hi: date,
        filters: list,
        extra: str | None,
        needed: set[str],
    ) -> tuple[exp.Table, list[exp.Expression]] | Declined:
        """The metric's entity-day table (aliased BASE) and conditions for [lo, hi) and filters."""
        table = entity_days_table(metric)
        if table not in self.tables:
            return self._unusable(table)
        needed = needed | self._needed([], filters, extra)
        if not needed <= set(model_dimensions(Semantics(self.spec), model)):
            return _qualified(needed)
        conds = _day_range("day", lo, hi) + _filters(filters, extra)
        return table_ref(table, BASE), conds


def _measures(m: SimpleMetric) -> list[tuple[str, str]]:
    """(column, agg used to re-aggregate it) for one additive metric."""
    if m.agg == "avg":
        return [(f"m_{m.name}__sum", "sum"), (f"m_{m.name}__count", "sum")]
    return [(f"m_{m.name}", {"count": "sum", "sum": "sum", "min": "min", "max": "max"}[m.agg])]


def _qualified(needed: set[str]) -> Declined:
    """Names the rollup tables do not carry: qualified dimensions, or plain columns."""
    names = ", ".join(sorted(n for n in needed if "." in n)) or ", ".join(sorted(needed))
    return Declined(f"breakdowns and filters by {names} read the raw tables")


def _period(w) -> exp.Expression:
    return window_period(col("day", BASE), w).as_("period")


def _day_range(column: str, lo: date, hi: date, table: str | None = BASE) -> list[exp.Expression]:
    return [
        exp.GTE(this=col(column, table), expression=date_lit(lo)),
        exp.LT(this=col(column, table), expression=date_lit(hi)),
    ]


def _filters(filters: list, extra: str | None) -> list[exp.Expression]:
    """Query filters and a ratio input's filter on rollup columns (they name dimensions only)."""
    conds = [filter_condition(col(f.dimension, BASE), f) for f in filters]
    if extra:
        tree = parse_expression(extra).transform(
            lambda n: col(n.name, BASE) if isinstance(n, exp.Column) else n
        )
        conds.append(exp.paren(tree))
    return conds


def _group(select: exp.Select, n_dims: int) -> exp.Select:
    return select.group_by(*[exp.Literal.number(i) for i in range(1, n_dims + 2)], copy=False)
