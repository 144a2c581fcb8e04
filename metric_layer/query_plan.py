"""The plan of a metric query: where each metric's rows come from, decided before any SQL is built.

`plan_query` checks the query (metric names, breakdown, filters, range) and walks every read the
metrics' SQL will make — a metric over a window, broken down and filtered: the metric itself, a
ratio's inputs under their filters, a derived formula's inputs (shifted ones over their own
window), a cumulative metric's daily input, each side of a comparison (read_windows.py computes
those windows for the plan and the SQL alike). Each read gets one Source: a materialized result,
entity-day rows, a daily rollup table, cohort-day rows, or the raw tables with the reasons the
rollups declined (rollups.py decides). Then the metrics are grouped into statements: the metrics
of one model whose every read is raw compile to one statement (one scan, fused.py), and so do
those whose every read is the same daily rollup table (rollup_fused.py); the rest to one
statement each. The compiler consumes the plan and never asks the rollups anything.

Pure: given the spec, the query, the rollup state and today; no warehouse, no clock.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date
from functools import cached_property
from typing import Literal

from metric_layer.bounds import check_periods, default_range
from metric_layer.expressions import and_texts
from metric_layer.fused import model_of
from metric_layer.periods import Window, align_range
from metric_layer.query import DimensionFilter, MetricQuery
from metric_layer.query_checks import check_dimensions, check_metric, split_filters
from metric_layer.read_windows import (
    compare_windows,
    cumulative_windows,
    formula_inputs,
    shifted_window,
)
from metric_layer.rollup_shifted import shifted_model
from metric_layer.rollup_units import is_materialized
from metric_layer.rollups import Declined, RollupPlanner
from metric_layer.scope import Scope
from metric_layer.semantics import Semantics
from metric_layer.spec import (
    ActiveMetric,
    ConversionMetric,
    CumulativeMetric,
    DerivedMetric,
    RatioMetric,
    RetentionMetric,
    SimpleMetric,
    SnapshotMetric,
    Spec,
)

SourceKind = Literal["materialized", "segments", "entity_days", "daily", "cohorts", "raw", "inputs"]
KIND_WORDS = {
    "materialized": "materialized result",
    "segments": "segment counts",
    "entity_days": "entity-day rows",
    "daily": "daily rollup",
    "cohorts": "cohort-day rows",
    "raw": "raw tables",
}
CONVERSION_RAW = "conversion metrics pair each entity's events in time: they read the raw tables"
PERCENTILES_RAW = "percentiles do not add up over days: they read the raw tables"
SNAPSHOT_DISTINCT_RAW = "distinct counts on a snapshot day read the raw tables"


@dataclass(frozen=True)
class Read:
    """One metric read over one window, broken down and filtered (`extra`: a ratio input's own
    filter and the query's non-dimension filters, as one SQL condition)."""

    metric: str
    grain: str
    lo: date
    hi: date
    dims: tuple[str, ...]
    filters: tuple[DimensionFilter, ...]
    extra: str | None

    @classmethod
    def of(cls, metric: str, w: Window, dims, filters, extra: str | None) -> Read:
        return cls(metric, w.grain, w.lo, w.hi, tuple(dims), tuple(filters), extra)


@dataclass(frozen=True)
class Source:
    """Where a read's rows come from. `inputs`: a ratio, derived or cumulative metric, answered
    by its inputs' reads. `reasons`: why rollups were declined (each names its metric)."""

    kind: SourceKind
    table: str | None = None  # the rollup table (None for raw and inputs)
    reasons: tuple[str, ...] = ()
    days_table: str | None = None  # snapshot metrics: the daily table listing snapshot days

    def describe(self) -> str:
        words = KIND_WORDS.get(self.kind, self.kind)
        tables = [t for t in (self.table, self.days_table) if t]
        if self.kind == "raw" and self.days_table:
            return f"raw tables, snapshot days from {self.days_table}"
        return f"{words} ({', '.join(tables)})" if tables else words


@dataclass(frozen=True)
class MetricPlan:
    metric: str
    filters: tuple[DimensionFilter, ...]  # the query's filters on this metric's dimensions
    where: str | None  # the query's other filters, as one checked condition
    reads: tuple[tuple[Read, Source], ...]  # in the order the compiler builds them

    @property
    def reasons(self) -> tuple[str, ...]:
        """Why parts of it read raw tables although rollups exist, in order, once each."""
        return tuple(dict.fromkeys(r for _, s in self.reads for r in s.reasons))

    @property
    def raw_only(self) -> bool:
        """Whether every read it makes is of raw tables (then it may share a scan: fused.py)."""
        sources = [s for _, s in self.reads if s.kind != "inputs"]
        return all(s.kind == "raw" and s.days_table is None for s in sources) and bool(sources)

    @property
    def daily_table(self) -> str | None:
        """The one daily rollup table every read it makes uses, if so (then it may share that
        table's scan with the query's other metrics reading it: rollup_fused.py)."""
        sources = [s for _, s in self.reads if s.kind != "inputs"]
        tables = {s.table for s in sources if s.kind == "daily" and s.days_table is None}
        if len(tables) != 1 or any(s.kind != "daily" or s.days_table for s in sources):
            return None
        return tables.pop()

    def describe(self) -> str:
        """`wau ← materialized result (rollup.m__wau__week__total)`, one part per read source."""
        parts = [f"{r.metric} ← {s.describe()}" for r, s in self.reads if s.kind != "inputs"]
        return "; ".join(dict.fromkeys(parts))


@dataclass(frozen=True)
class StatementPlan:
    metrics: tuple[str, ...]
    fused: bool  # one scan of `model` for all of them (fused.py); else one metric alone
    model: str | None = None
    table: str | None = None  # fused over this daily rollup table (rollup_fused.py), not raw
    # A ratio of two other metrics of the query, read alike: divided from their columns
    # (numerator, denominator), no statement of its own
    composed: tuple[str, str] | None = None


@dataclass(frozen=True)
class QueryPlan:
    query: MetricQuery
    window: Window
    metrics: Mapping[str, MetricPlan]
    statements: tuple[StatementPlan, ...]

    def source(self, metric: str, w: Window, dims, filters, extra: str | None) -> Source:
        """The source planned for one read; a read the plan lacks is a bug in the walk below."""
        read = Read.of(metric, w, dims, filters, extra)
        if read not in self._sources:
            raise RuntimeError(f"the query plan has no source for {read}: plan and SQL disagree")
        return self._sources[read]

    @cached_property
    def _sources(self) -> dict[Read, Source]:
        return {read: source for plan in self.metrics.values() for read, source in plan.reads}

    def describe(self) -> list[str]:
        """One line per statement: its metrics and where their rows come from."""
        lines = []
        for st in self.statements:
            if st.fused and st.table:
                lines.append(f"{', '.join(st.metrics)}: one scan of daily rollup ({st.table})")
            elif st.fused:
                lines.append(
                    f"{', '.join(st.metrics)}: one scan of model `{st.model}` (raw tables)"
                )
            elif st.composed:
                num, den = st.composed
                lines.append(f"{st.metrics[0]}: {num} ÷ {den}, from their columns of this query")
            else:
                lines.append(f"{st.metrics[0]}: {self.metrics[st.metrics[0]].describe()}")
        return lines


def plan_query(
    spec: Spec,
    sem: Semantics,
    types: dict[str, dict[str, str]] | None,
    query: MetricQuery,
    rollups: RollupPlanner | None,
    today: date,
    metrics: tuple[str, ...] | None = None,
    scope: Scope | None = None,
) -> QueryPlan:
    """The plan of `query` for `metrics` (default: the query's), checked (QueryError if not).
    With a `scope` (scope.py) each metric's reads also carry the scope's dimension filters, or
    the metric is refused (ScopeError) when it is hidden or a filter would widen the scope."""
    window: Window | None = None
    plans: dict[str, MetricPlan] = {}
    for name in metrics or query.metrics:
        check_metric(sem, name)
        if scope is not None:
            scope.check_visible(sem, name)  # before any other check: say why first
        filters, where = split_filters(sem, types, name, query)
        check_dimensions(sem, name, query.dimensions, filters)
        if scope is not None:
            filters = list(scope.narrow(sem, name, filters, query.where))
        start, end = default_range(query, today)
        lo, hi = align_range(start, end, query.grain, spec.week_start)
        check_periods(lo, hi, query.grain)
        window = Window(query.grain, lo, hi, today, spec.week_start)
        walk = _Walk(sem, rollups, list(query.dimensions), filters)
        if query.compare is None:
            walk.read(name, window, where)
        else:
            for side in compare_windows(window, query.compare)[1]:
                walk.read(name, side, where)
        plans[name] = MetricPlan(name, tuple(filters), where, tuple(walk.reads))
    assert window is not None, "a query asks for at least one metric"
    return QueryPlan(query, window, plans, _statements(sem, query, plans))


def _statements(sem: Semantics, query: MetricQuery, plans: dict[str, MetricPlan]):
    """Metrics of one model reading only raw tables share one scan of them; metrics reading only
    one daily rollup table share one scan of it (group key: model, the table or None, and the
    filters: a company-wide metric is read without a scoped user's filters, its neighbours with)."""
    groups: dict[tuple, list[str]] = {}
    if query.compare is None:
        for name, plan in plans.items():
            model = model_of(sem, name)
            if model is None and plan.daily_table:  # previous(m) …: rollup_shifted.py
                model = shifted_model(sem, name, query.grain)
            if model is not None and (plan.raw_only or plan.daily_table):
                key = (model, plan.daily_table, plan.filters, plan.where)
                groups.setdefault(key, []).append(name)
    out: list[StatementPlan] = []
    fused: set[str] = set()
    for (model, table, _, _), names in groups.items():
        # one plain simple metric gains nothing; a ratio alone still reads its inputs once
        if len(names) == 1 and sem.metrics[names[0]].type == "simple":
            continue
        out.append(StatementPlan(tuple(names), True, model, table))
        fused.update(names)
    for name in plans:
        if name not in fused:
            inputs = _composable(sem, query, plans, name)
            out.append(StatementPlan((name,), False, composed=inputs))
    return tuple(out)


def _composable(
    sem: Semantics, query: MetricQuery, plans: dict[str, MetricPlan], name: str
) -> tuple[str, str] | None:
    """(numerator, denominator) when `name` is a ratio whose two inputs are metrics of the query
    read exactly as the ratio reads them (no input filter, the same filters): its value is
    their columns divided, with no statement of its own (its SQL would read them again)."""
    m = sem.metrics[name]
    if query.compare is not None or not isinstance(m, RatioMetric):
        return None
    if m.numerator.filter or m.denominator.filter:
        return None
    inputs = (m.numerator.metric, m.denominator.metric)
    own = plans[name]
    for i in inputs:
        plan = plans.get(i)
        if plan is None or isinstance(sem.metrics[i], RatioMetric):
            return None  # not asked for, or composed itself
        if (plan.filters, plan.where) != (own.filters, own.where):
            return None
    return inputs


class _Walk:
    """Every read one metric's SQL makes, with its source, in the order the compiler builds them
    (compiler.metric_select and the *_sql.py modules read over the same read_windows)."""

    def __init__(self, sem: Semantics, rollups: RollupPlanner | None, dims, filters) -> None:
        self.sem, self.rollups, self.dims, self.filters = sem, rollups, dims, filters
        self.reads: list[tuple[Read, Source]] = []

    def read(self, name: str, w: Window, extra: str | None) -> None:
        m = self.sem.metrics[name]
        source = self._source(m, w, extra)
        self.reads.append((Read.of(name, w, self.dims, self.filters, extra), source))
        if isinstance(m, RatioMetric):
            self.read(m.numerator.metric, w, and_texts(m.numerator.filter, extra))
            self.read(m.denominator.metric, w, and_texts(m.denominator.filter, extra))
        elif isinstance(m, DerivedMetric):
            for ref, shift in formula_inputs(m.formula):
                self.read(ref, w if shift is None else shifted_window(w, shift), extra)
        elif isinstance(m, CumulativeMetric):
            own = and_texts(m.input_metric.filter, extra)
            for window in cumulative_windows(m, w):
                if window is not None:
                    self.read(m.input_metric.metric, window, own)

    def _source(self, m, w: Window, extra: str | None) -> Source:
        if isinstance(m, RatioMetric | DerivedMetric | CumulativeMetric):
            return Source("inputs")
        if isinstance(m, ConversionMetric):
            return _raw(m.name, CONVERSION_RAW)
        r = self.rollups
        if r is None:
            return Source("raw")
        dims, filters = self.dims, self.filters
        if is_materialized(m):
            table = r.materialized_for(m.name, w, dims, filters, extra)
            if isinstance(table, str):
                return Source("materialized", table)
            counts = r.segments_for(m.name, w, dims, filters, extra)
            if isinstance(counts, str):
                return Source("segments", counts)
        if isinstance(m, SimpleMetric):
            if m.quantile is not None:
                return _raw(m.name, PERCENTILES_RAW)
            if m.agg == "count_distinct":
                table = r.entity_days_for(m.name, m.model, dims, filters, extra)
                return _chosen(m.name, "entity_days", table)
            return _chosen(m.name, "daily", r.daily_for(m, dims, filters, extra))
        if isinstance(m, ActiveMetric):
            table = r.entity_days_for(m.name, m.model, dims, filters, extra)
            return _chosen(m.name, "entity_days", table)
        if isinstance(m, RetentionMetric):
            return _chosen(m.name, "cohorts", r.cohorts_for(m, dims, filters, extra))
        assert isinstance(m, SnapshotMetric)
        days = r.snapshot_days_for(m.model)
        if m.agg == "count_distinct":
            values: str | Declined = Declined(SNAPSHOT_DISTINCT_RAW)
        else:
            values = r.daily_for(as_simple(m), dims, filters, extra)
        reasons = tuple(f"{m.name}: {d.reason}" for d in (days, values) if isinstance(d, Declined))
        return Source(
            "raw" if isinstance(values, Declined) else "daily",
            values if isinstance(values, str) else None,
            reasons,
            days if isinstance(days, str) else None,
        )


def as_simple(m: SnapshotMetric) -> SimpleMetric:
    """A snapshot metric's value on one day: a simple metric of the same rows (and rollup column)."""
    return SimpleMetric(
        type="simple", name=m.name, model=m.model, agg=m.agg, expr=m.expr, filter=m.filter
    )


def _chosen(metric: str, kind: SourceKind, table: str | Declined) -> Source:
    return _raw(metric, table.reason) if isinstance(table, Declined) else Source(kind, table)


def _raw(metric: str, reason: str) -> Source:
    return Source("raw", reasons=(f"{metric}: {reason}",))
