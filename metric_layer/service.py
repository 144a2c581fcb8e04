"""The metric service: the one door through which the CLI and the dashboard get numbers.

It owns a warehouse (DuckDB's, or another engine's: warehouse/engines.py) and a validated Spec;
callers ask for a MetricQuery and get a MetricFrame. Every statement is written for the warehouse's
`dialect`. Nothing above this layer sees SQL except as text to show users.

`scoped(scope)` gives the same service limited to a row-level scope (scope.py): every entry point
below — queries, SQL shown, plans, filter-picker values, data spans, and the segment reads of
analysis (scope_filters) — applies it, and hidden metrics are refused. A scoped service shares
its warehouse and caches with the one it came from; its cache keys carry the scope.
"""

from __future__ import annotations

import copy
import threading
from bisect import bisect_left
from collections.abc import Callable, Sequence
from dataclasses import replace
from datetime import UTC, date, datetime, timedelta
from typing import TypeVar
from zoneinfo import ZoneInfo

import numpy as np
import pandas as pd
import pyarrow as pa

from metric_layer.bounds import MAX_ROWS, check_rows
from metric_layer.column_values import VALUES_SHOWN, column_values_sql
from metric_layer.compile_cache import CompileCache, fingerprint
from metric_layer.compiler import Compiler
from metric_layer.data_span import data_span_sql
from metric_layer.empty_periods import fill_empty_periods, grid_rows
from metric_layer.errors import QueryError
from metric_layer.frame_join import divided, outer_join, value_columns
from metric_layer.periods import is_partial, periods_between
from metric_layer.query import DimensionFilter, MetricFrame, MetricQuery
from metric_layer.query_checks import check_metric
from metric_layer.query_plan import QueryPlan
from metric_layer.retention_sql import retention_offsets
from metric_layer.rollups import ENGINE_ROLLUP_KINDS, NEVER_BUILT, RollupPlanner, open_planner
from metric_layer.routes import Route, route_of
from metric_layer.scope import Scope, visible_spec
from metric_layer.semantics import Semantics
from metric_layer.spec import ConversionMetric, RetentionMetric, Spec, zero_when_empty
from metric_layer.statements import plan_statements
from metric_layer.value_types import ValueType, value_type
from warehouse.engines import WarehouseReader

Clock = Callable[[], datetime]
T = TypeVar("T")
ANSWERS_KEPT = 256  # answers one service remembers (see remember)
# Rollups are built by the ingest worker in DuckDB, and by the publish in PostgreSQL (some kinds
# only: rollups.ENGINE_ROLLUP_KINDS); other engines read raw tables (docs/scale-out.md).
NO_ROLLUPS_ON = "rollups are built in DuckDB only: on {engine} every query reads the raw tables"
NOT_PUBLISHED = (
    "no rollups published to {engine} — the next `northstar ingest` builds them with its publish"
)


class MetricService:
    def __init__(
        self,
        warehouse: WarehouseReader,
        spec: Spec,
        *,
        clock: Clock | None = None,
        use_rollups: bool = True,
        snapshot: str | None = None,
        compile_cache: CompileCache | None = None,
        as_of: date | None = None,
    ) -> None:
        self.warehouse = warehouse
        self.spec = spec
        self.snapshot = snapshot
        self.as_of = as_of  # "treat this day as today" for every query that does not say otherwise
        self._clock = clock or (lambda: datetime.now(ZoneInfo(spec.time_zone)))
        self.column_types = warehouse.table_columns()
        self.semantics = Semantics(spec)
        self.dialect = warehouse.dialect  # every statement is written for the warehouse's engine
        self._planner, self._no_rollups = None, "rollups are turned off for this service"
        if self.dialect not in ENGINE_ROLLUP_KINDS:
            self._no_rollups = NO_ROLLUPS_ON.format(engine=self.dialect)
        elif use_rollups:
            self._planner, self._no_rollups = open_planner(
                spec, self.column_types, warehouse.rows, self.semantics, self.dialect
            )
            if self.dialect != "duckdb" and self._no_rollups == NEVER_BUILT:
                self._no_rollups = NOT_PUBLISHED.format(engine=self.dialect)

        self._compiled = compile_cache or CompileCache()
        planner = self._planner
        self._fingerprint = fingerprint(
            spec.model_dump(mode="json"),
            self.column_types,
            sorted(planner.tables) if planner else None,
            planner.built_for if planner else None,
            planner.coverage if planner else None,
        )
        # Only a frozen warehouse (a published snapshot, a DuckDB file opened read-only) keeps its
        # rows while this service lives; a PostgreSQL database may change under it.
        self._answers = CompileCache(ANSWERS_KEPT) if warehouse.frozen else None
        self.scope: Scope | None = None  # row-level scope (scoped()); None: every row
        self.shown_spec = spec  # the spec as this service's user sees it (scope.visible_spec)
        self._unscoped = self
        self._scoped: dict[Scope, MetricService] = {}
        self._scoped_lock = threading.Lock()

    # -- row-level scope -----------------------------------------------------------------------
    def scoped(self, scope: Scope | None) -> MetricService:
        """This service limited to `scope` (None: unchanged); on a scoped service, to both scopes.
        ScopeError when the scope names a dimension the spec lacks. One per scope is kept."""
        if scope is None:
            return self
        base = self._unscoped
        if self.scope is not None:
            scope = self.scope & scope
        with base._scoped_lock:
            found = base._scoped.get(scope)
        if found is not None:
            return found
        scope.check(self.spec, self.semantics)
        view = copy.copy(base)  # shares the warehouse, rollup planner and caches
        view.scope = scope
        view.shown_spec = visible_spec(self.spec, self.semantics, scope)
        view._fingerprint = fingerprint(base._fingerprint, "scope", scope.key())
        with base._scoped_lock:
            return base._scoped.setdefault(scope, view)

    @property
    def metric_names(self) -> list[str]:
        """The metrics this service answers, in spec order: all, or those a scope lets be seen
        (in scope or company-wide)."""
        return self.shown_spec.metric_names

    def scope_filters(
        self,
        metrics: Sequence[str],
        filters: Sequence[DimensionFilter] = (),
        where: Sequence[str] = (),
    ) -> tuple[DimensionFilter, ...]:
        """`filters` with this service's scope added for reads made on behalf of `metrics` (what
        the user asked about: a ratio, not its inputs), for code that builds its own statements
        (segment_parts.py). Metrics scoped differently (a company-wide one beside scoped ones)
        must be asked apart. ScopeError for a hidden metric or a filter widening the scope."""
        if self.scope is None:
            return tuple(filters)
        for metric in metrics:
            check_metric(self.semantics, metric)  # a misspelt name: did-you-mean, not KeyError
        narrowed = {self.scope.narrow(self.semantics, m, filters, where) for m in metrics}
        if len(narrowed) > 1:
            raise ValueError(f"{', '.join(metrics)} are scoped differently: ask for each apart")
        return narrowed.pop() if narrowed else tuple(filters)

    def check_visible(self, metric: str) -> None:
        """ScopeError when this service's scope hides `metric`."""
        if self.scope is not None and metric in self.semantics.metrics:
            self.scope.check_visible(self.semantics, metric)

    @property
    def rollup_planner(self) -> RollupPlanner | None:
        """The rollups this service reads (None: raw tables only; plan() says why)."""
        return self._planner

    def today(self, as_of: date | None = None) -> date:
        """Today in the spec's time zone: the first day whose data is not complete.

        `as_of` (else the service's as-of setting) replaces the clock: ranges, partial periods,
        cohort maturity and targets are all judged as on that day.
        """
        if as_of is not None or self.as_of is not None:
            return as_of or self.as_of  # type: ignore[return-value]
        now = self._clock()
        if now.tzinfo is not None:
            now = now.astimezone(ZoneInfo(self.spec.time_zone))
        return now.date()

    def compiler(self) -> Compiler:
        return Compiler(self.spec, self.column_types, self._planner, self.semantics, self.scope)

    def remember(self, key: tuple, make: Callable[[], T]) -> T:
        """`make()`'s answer, computed once per key while this service lives when its warehouse
        is read-only (a snapshot's service: the second ask of an explanation costs no query);
        computed every time otherwise, as data may load under a read-write warehouse."""
        if self._answers is None:
            return make()
        return self._answers.get_or_make((self._fingerprint, *key), make)

    def sql(self, metric: str, query: MetricQuery) -> str:
        compiled = self.compiler().compile(metric, query, self.today(query.as_of))
        return compiled.sql(pretty=True, dialect=self.dialect)

    def plan(self, metric: str, query: MetricQuery | None = None) -> Route:
        """Whether `query` (default: `metric` by week over the default range) reads rollups or raw
        tables, which, and why raw ones; `sources` names each read's source (query_plan.py)."""
        query = query or MetricQuery((metric,))
        compiler = self.compiler()
        planned = compiler.plan(query, self.today(query.as_of), (metric,))
        route = route_of(compiler.compile_planned(planned, metric), self._no_rollups)
        return replace(route, sources=planned.metrics[metric].describe())

    def query_plan(self, query: MetricQuery) -> QueryPlan:
        """Where each metric of `query` reads from, and which metrics share one statement."""
        return self.compiler().plan(query, self.today(query.as_of))

    def query(self, query: MetricQuery) -> MetricFrame:
        if not query.metrics:
            raise QueryError("ask for at least one metric")
        today = self.today(query.as_of)
        compiler = self.compiler()
        keys = ["period", *query.dimensions]
        frames: list[pd.DataFrame] = []
        sql: dict[str, str] = {}
        types: dict[str, ValueType] = {}
        lo = hi = today
        key = (self._fingerprint, "statements", query, today)
        statements = self._compiled.get_or_make(
            key, lambda: plan_statements(compiler, query, today, self.dialect)
        )
        composed: dict[str, tuple[str, str]] = {}
        dates = True  # every statement's period is a DATE: pandas holds datetime.date already
        for statement in statements:
            lo, hi = statement.lo, statement.hi
            for name in statement.metrics:
                sql[name] = statement.sql  # the text users read is the text that runs
            if statement.composed:  # divided from its inputs' columns below: nothing runs
                name = statement.metrics[0]
                composed[name] = statement.composed
                types[name] = value_type(self.spec.metric(name), query.grain, pa.float64())
                continue
            # arrow keeps DECIMAL exact (.df() floats it)
            result = self.warehouse.arrow(statement.sql, max_rows=MAX_ROWS)
            check_rows(result.num_rows)
            for after in statement.after:  # growth and the like, from their inputs' columns
                result = after.apply(result)
            dates = dates and pa.types.is_date32(result.schema.field("period").type)
            if statement.fused:
                for name in statement.metrics:
                    types[name] = value_type(
                        self.spec.metric(name), query.grain, result.schema.field(name).type
                    )
                frame = result.to_pandas(split_blocks=True)  # a block per column: 3× faster
            else:
                name = statement.metrics[0]
                types[name] = value_type(self.spec.metric(name), query.grain, _value_type(result))
                names = {"value": name, "compare_value": f"{name}__compare"}
                # renamed in Arrow: a pandas rename copies the frame and costs more than the read
                frame = result.rename_columns([names.get(c, c) for c in result.column_names])
                frame = frame.to_pandas(split_blocks=True)
            frames.append(frame)
        merged = outer_join(frames, keys)
        if not dates:  # a TIMESTAMP period (a raw path's date_trunc) as the day it starts
            merged["period"] = pd.to_datetime(merged["period"]).dt.date
        merged = self._fill_periods(merged, query, lo, hi, types)
        if query.dimensions or not merged["period"].is_monotonic_increasing:
            merged = merged.sort_values(keys, kind="stable")
        merged = merged.reset_index(drop=True)
        # The answer's columns, typed, in the order asked, made into a frame once: a column set
        # or selected on a frame costs pandas more than its values do on a 90-row answer.
        columns = {k: merged[k] for k in keys}
        for name in query.metrics:
            for column in (name, f"{name}__compare"):
                if column in merged:
                    columns[column] = types[name].column(merged[column])
        for name, (num, den) in composed.items():
            columns[name] = divided(columns[num], columns[den])
        columns = {c: columns[c] for c in [*keys, *value_columns(columns, query.metrics)]}
        notice = self._no_data_notice(columns, query, lo, hi)
        # arrays, not Series, under the one index they share: pandas aligns no indexes (½ the cost)
        arrays = {c: values.array for c, values in columns.items()}
        arrays["is_partial"] = self._partial_periods(columns["period"], query, today, hi)
        merged = pd.DataFrame(arrays, index=pd.RangeIndex(len(merged)), copy=False)
        return MetricFrame(
            frame=merged,
            query=query,
            metrics={n: self.spec.metric(n) for n in query.metrics},
            grain=query.grain,
            start=lo,
            end=hi,
            sql=sql,
            as_of=today,
            snapshot=self.snapshot,
            notice=notice,
        )

    def data_span(self, metric: str) -> tuple[date, date] | None:
        """First and last local day with rows in the models `metric` reads (of the scope's rows,
        for a scoped service); None when empty."""
        self.check_visible(metric)
        key = ("span", self._fingerprint, metric)
        span = self._compiled.get_or_make(key, lambda: self._scan_span(metric))
        return span

    def column_values(self, metric: str, column: str) -> tuple[list[str], bool]:
        """(sorted distinct values of text `column` in the rows `metric` counts, whether the list
        was cut at VALUES_SHOWN), of the scope's rows only; QueryError for a name that is no text
        column of those rows."""
        filters = self.scope_filters((metric,))
        sql = column_values_sql(
            metric, column, self.semantics, self.column_types, filters, self.dialect
        )
        key = ("column_values", self._fingerprint, sql)
        rows = self._compiled.get_or_make(key, lambda: self.warehouse.rows(sql))
        return [str(r[0]) for r in rows[:VALUES_SHOWN]], len(rows) > VALUES_SHOWN

    def _scan_span(self, metric: str) -> tuple[date, date] | None:
        firsts, lasts = [], []
        filters = self.scope_filters((metric,))
        spans = data_span_sql(
            self.spec, self.semantics, self.column_types, metric, filters, self.dialect
        )
        for sql in spans:
            first, last = self.warehouse.rows(sql)[0]
            if first is not None:
                firsts.append(pd.Timestamp(first).date())
                lasts.append(pd.Timestamp(last).date())
        return (min(firsts), max(lasts)) if firsts else None

    def _no_data_notice(
        self, columns: dict[str, pd.Series], query: MetricQuery, lo: date, hi: date
    ) -> str | None:
        """When no metric has a value in the range, say where the data is and how to get there."""
        for name in query.metrics:  # column by column: no copy of the whole frame
            values = columns[name].to_numpy(dtype="float64", na_value=np.nan)
            if (np.abs(values) > 0).any():  # NaN is not > 0: a missing value is no value
                return None
        spans = [s for s in (self.data_span(m) for m in query.metrics) if s is not None]
        last = hi - timedelta(days=1)
        if not spans:
            return f"no data in {lo}..{last}: the tables behind these metrics are empty"
        first_day = min(s[0] for s in spans)
        last_day = max(s[1] for s in spans)
        if first_day < hi and last_day >= lo:
            return None  # the data overlaps the range: zeros are real
        return (
            f"no data in {lo}..{last}: data spans {first_day}..{last_day}; "
            "pass --from/--to or --as-of (in the app: a custom range or ?as_of=)"
        )

    def last_loads(self) -> dict[str, datetime]:
        """Source → when its last successful load finished (empty before any ingest)."""
        if "meta.loads" not in self.column_types:
            return {}
        # Read as naive UTC: fetching TIMESTAMPTZ into Python would need pytz.
        rows = self.warehouse.rows(
            "SELECT source, max(timezone('UTC', finished)) FROM meta.loads "
            "WHERE status = 'ok' GROUP BY source"
        )
        return {source: at.replace(tzinfo=UTC) for source, at in rows if at is not None}

    def _fill_periods(
        self, frame: pd.DataFrame, query: MetricQuery, lo: date, hi: date, types
    ) -> pd.DataFrame:
        """Every period × known segment (empty_periods.py): 0 for counts and sums, else no value."""
        zeros = {
            column: types[name].zero()
            for name in query.metrics
            if zero_when_empty(self.spec.metric(name))
            for column in (name, f"{name}__compare")
        }
        periods = periods_between(lo, hi, query.grain)
        check_rows(grid_rows(frame, periods, list(query.dimensions)))  # before building it
        return fill_empty_periods(frame, periods, list(query.dimensions), zeros)

    def _partial_periods(
        self, periods: pd.Series, query: MetricQuery, today: date, end: date
    ) -> np.ndarray:
        """is_partial of each row's period. A later period is never less partial (its end is
        later), so the flags are `period >= the first partial period`, found by bisection."""
        extra = self._maturity_days(query)
        values = periods.to_numpy()
        distinct = sorted(set(values))
        first = bisect_left(
            distinct, True, key=lambda p: is_partial(p, query.grain, today, extra, end)
        )
        if first == len(distinct):
            return np.zeros(len(values), dtype=bool)
        return (values >= distinct[first]).astype(bool)

    def _maturity_days(self, query: MetricQuery) -> int:
        """Days after a period's end before its value stops changing."""
        extra = 0
        for name in query.metrics:
            metric = self.spec.metric(name)
            if isinstance(metric, RetentionMetric):
                extra = max(extra, retention_offsets(metric)[1])
            if isinstance(metric, ConversionMetric):  # its last visits may still convert
                extra = max(extra, metric.window)
        return extra


def _value_type(result: pa.Table) -> pa.DataType | None:
    return result.schema.field("value").type if "value" in result.column_names else None
