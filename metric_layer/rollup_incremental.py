"""Refresh a rollup unit in place from the days that changed, instead of rebuilding it.

rollup_build.py calls `IncrementalRefresh.apply` for a unit whose definition is unchanged and
whose data (or as-of day) moved. rollup_changes.py says which local days of each model changed;
from them each kind of unit knows what it must recompute:
- daily tables and entity-day rows: exactly those days (delete, then insert them re-aggregated);
- cohort-day counts: every cohort day from the first changed day minus the retention reach on (a
  cohort counts activity up to that many days after its day, and a first activity moving earlier
  or later moves an entity between two cohorts that are both at or after the changed day);
- materialized distinct counts: every period, of every grain, holding a changed day;
- materialized active metrics: the days whose trailing window holds a changed day, and the days
  the as-of day or the data newly reach; their grains above day are re-derived from the day table
  (a few hundred rows).
Anything else — no fingerprints kept, the first covered day moving, data or as-of day shrinking
— returns None and the unit is rebuilt whole. The property test in
tests/unit/test_incremental_rollups.py checks that any sequence of refreshes leaves every table
equal to a rebuild from scratch.
"""

from __future__ import annotations

from datetime import date, timedelta

from sqlglot import exp

from metric_layer.periods import next_period, period_start
from metric_layer.relation import col, date_lit
from metric_layer.retention_sql import retention_offsets
from metric_layer.rollup_changes import ChangeFinder, DayChanges
from metric_layer.rollup_tables import UnitBuilder, in_days
from metric_layer.rollup_units import (
    MATERIALIZED_GRAINS,
    RollupUnit,
    materialized_table,
    unit_models,
)
from metric_layer.spec import ActiveMetric, RetentionMetric

# More separate ranges than this are recomputed as one: each range is one statement.
_MAX_RUNS = 8
# Past this share of the data's days, a unit is rebuilt whole (see _most).
_MOST = 0.5


class IncrementalRefresh:
    def __init__(self, builder: UnitBuilder, finder: ChangeFinder):
        self.builder, self.finder = builder, finder
        self.tx = builder.tx

    def apply(self, unit: RollupUnit, first_day: date | None, old_as_of: date | None) -> str | None:
        """Bring the unit's tables up to date in place; what was redone, or None (rebuild it)."""
        changes = [self.finder.changes(m) for m in unit_models(self.builder.spec, unit)]
        if not all(c.known for c in changes):
            return None
        days = frozenset().union(*(c.days for c in changes))
        if _most(days, changes):
            return None
        if unit.kind == "daily":
            return self._days(unit, days, lambda d: self.builder.daily_selects(unit.subject, d))
        metric = self.builder.spec.metric(unit.subject)
        if unit.kind == "entity_days":
            if unit.view_of is not None:
                return "a view"
            return self._days(
                unit, days, lambda d: [(unit.tables[0], self.builder.entity_days_select(metric, d))]
            )
        if unit.kind == "cohorts":
            return self._cohorts(unit, metric, days)
        return self._materialized(metric, changes[0], first_day, old_as_of)

    # -- days in place ---------------------------------------------------------------------------
    def _days(self, unit: RollupUnit, days: frozenset[date], selects) -> str:
        if not days:
            return "no day changed"
        for table, select in selects(days):
            self._replace(table, in_days(col("day"), days), select)
        return _count(len(days), "day")

    def _cohorts(self, unit: RollupUnit, metric: RetentionMetric, days: frozenset[date]) -> str:
        if not days:
            return "no day changed"
        lo = min(days) - timedelta(days=retention_offsets(metric)[1] + 1)
        hi = self.builder.cohort_data_last(metric)
        table = unit.tables[0]
        if hi is None:  # no rows left at all
            self.tx.execute(f"DELETE FROM {_quoted(table)}")
            return "no rows left"
        since = exp.GTE(this=col("cohort_day"), expression=date_lit(lo))
        self._replace(table, since, self.builder.cohorts_select(metric, lo, hi))
        return f"cohorts since {lo}"

    # -- materialized results ----------------------------------------------------------------
    def _materialized(
        self, metric, changes: DayChanges, first_day: date | None, old_as_of: date | None
    ) -> str | None:
        if changes.first is None or changes.old_first is None or first_day is None:
            return None
        start, end = self.builder.materialized_span(metric, changes.first, changes.last)
        _, old_end = self.builder.materialized_span(metric, changes.old_first, changes.old_last)
        active = isinstance(metric, ActiveMetric)
        if active:  # the old span ended on the as-of day it was built for, if later
            if old_as_of is None:
                return None
            old_end = max(changes.old_last, old_as_of)
        if start != first_day or end < old_end:
            return None
        reach = metric.window - 1 if active else 0
        affected = {d + timedelta(days=k) for d in changes.days for k in range(reach + 1)}
        affected |= {old_end + timedelta(days=k + 1) for k in range((end - old_end).days)}
        affected = {d for d in affected if start <= d <= end}
        if not affected:
            return "no day changed"
        if len(affected) > _MOST * ((end - start).days + 1):
            return None
        grains = ("day",) if active else MATERIALIZED_GRAINS
        for grain in grains:
            periods = sorted(
                {period_start(d, grain, self.builder.spec.week_start) for d in affected}
            )
            for lo, hi in _runs(periods, grain):
                last = min(next_period(hi, grain) - timedelta(days=1), end)
                for table, select in self.builder.materialized_selects(metric, lo, last, (grain,)):
                    since = exp.and_(
                        exp.GTE(this=col("period"), expression=date_lit(lo)),
                        exp.LTE(this=col("period"), expression=date_lit(hi)),
                    )
                    self._replace(table, since, select)
        if not active:
            self.builder.check_segments(metric)
        if active:
            for dim in self.builder.materialized_dimensions(metric):
                if dim is not None:
                    self._breakdown_keys(
                        materialized_table(metric.name, "day", dim), dim, start, end
                    )
        if active:  # grains above day: re-derived whole from the day table, which is small
            above = tuple(g for g in MATERIALIZED_GRAINS if g != "day")
            for table, select in self.builder.materialized_selects(metric, start, end, above):
                self.tx.execute(f"DELETE FROM {_quoted(table)}")
                self.tx.execute(f"INSERT INTO {_quoted(table)} {select.sql(dialect='duckdb')}")
        return _count(len(affected), "day")

    def _breakdown_keys(self, table: str, dim: str, start: date, end: date) -> None:
        """Make a breakdown's day table list, on every day, exactly the values active on some
        day of [start, end], as one query over the whole span does (0 where none is active):
        a value whose entities all went drops out; a value first seen now gets its 0 days."""
        t, d = _quoted(table), exp.to_identifier(dim, quoted=True).sql(dialect="duckdb")
        self.tx.execute(
            f"DELETE FROM {t} AS a WHERE NOT EXISTS (SELECT 1 FROM {t} AS b "
            f"WHERE b.{d} IS NOT DISTINCT FROM a.{d} AND b.value > 0)"
        )
        self.tx.execute(
            f"INSERT INTO {t} SELECT CAST(s.day AS DATE), k.{d}, 0, 0 "
            "FROM range(CAST(? AS DATE), CAST(? AS DATE) + 1, INTERVAL 1 DAY) AS s(day) "
            f"CROSS JOIN (SELECT DISTINCT {d} FROM {t}) AS k WHERE NOT EXISTS (SELECT 1 FROM {t} "
            f"AS x WHERE x.period = CAST(s.day AS DATE) AND x.{d} IS NOT DISTINCT FROM k.{d})",
            [start, end],
        )

    def _replace(self, table: str, where: exp.Expression, select: exp.Select) -> None:
        """Delete the rows `where` selects, insert `select`'s (same columns, same order)."""
        quoted = _quoted(table)
        self.tx.execute(f"DELETE FROM {quoted} WHERE {where.sql(dialect='duckdb')}")
        self.tx.execute(f"INSERT INTO {quoted} {select.sql(dialect='duckdb')}")


def _most(days: frozenset[date], changes: list[DayChanges]) -> bool:
    """Whether the changed days are most of the data's: deleting and re-inserting nearly every
    row costs more than building the tables anew, with the same result."""
    spans = [(c.last - c.first).days + 1 for c in changes if c.first is not None]
    return bool(days) and len(days) > _MOST * max(spans, default=0)


def _runs(periods: list[date], grain: str) -> list[tuple[date, date]]:
    """Consecutive periods as (first, last) ranges; many ranges become one."""
    runs: list[list[date]] = []
    for p in periods:
        if runs and next_period(runs[-1][1], grain) == p:
            runs[-1][1] = p
        else:
            runs.append([p, p])
    if len(runs) > _MAX_RUNS:
        return [(periods[0], periods[-1])]
    return [(a, b) for a, b in runs]


def _count(n: int, noun: str) -> str:
    return f"{n} {noun}{'' if n == 1 else 's'}"


def _quoted(table: str) -> str:
    return exp.to_table(table).sql(dialect="duckdb", identify=True)
