"""Which local days of a model changed since the rollups were last refreshed.

A refresh keeps, per model, a fingerprint of its rows: per hour of the stored time column, the
number of rows and the sum of a hash of each whole row; and, per row of every model it joins for
dimensions, a hash of the key and of the row. Comparing the fingerprints of now with those kept
gives the days whose rows were appended, updated, deleted or re-dated — whatever the loader did
(merge by key, a cursor lookback, a changed file, a full replace) — and the days of the facts
whose joined dimension row changed or went, with no change log to keep in step with the loader.
Hours, not local days, because bucketing the raw column costs a tenth of converting every row
to the spec's zone; each changed hour then names the one or two local days it overlaps. Two
different multisets of rows give the same (count, sum of 64-bit hashes) with negligible chance.

The fingerprints live in the writer-only schema `_rollup_state` (never published) and are written
in the refresh transaction, so they always describe the rows the rollups were built from.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

from sqlglot import exp

from metric_layer.relation import BASE, ModelRelation, col, ident, table_ref
from metric_layer.semantics import Semantics
from metric_layer.spec import Spec

STATE = "_rollup_state"  # `_…`: the writer's own, never published (warehouse/segments.py)
_HOURS = f"{STATE}.hours"
_KEYS = f"{STATE}.keys"
_RANGES = f"{STATE}.ranges"
STATE_DDL = (
    f"CREATE SCHEMA IF NOT EXISTS {STATE}",
    f"CREATE TABLE IF NOT EXISTS {_HOURS} "
    "(model VARCHAR, definition VARCHAR, hour BIGINT, n BIGINT, h HUGEINT)",
    f"CREATE TABLE IF NOT EXISTS {_KEYS} (model VARCHAR, definition VARCHAR, k UBIGINT, h UBIGINT)",
    f"CREATE TABLE IF NOT EXISTS {_RANGES} "
    "(model VARCHAR, definition VARCHAR, first DATE, last DATE)",
)
_EPOCH = datetime(1970, 1, 1)


@dataclass(frozen=True)
class DayChanges:
    """How one model's days differ from the last refresh."""

    days: frozenset[date]  # local days whose rows differ (added, changed or gone)
    first: date | None  # first and last local day with rows now
    last: date | None
    old_first: date | None  # ... and at the last refresh
    old_last: date | None
    known: bool = True  # False: no fingerprint kept (or for another definition): rebuild


class ChangeFinder:
    """Fingerprints of models' rows now, compared with those the last refresh kept."""

    def __init__(self, tx, spec: Spec, sem: Semantics, types, definitions: dict[str, str]) -> None:
        self.tx, self.spec, self.sem, self.types = tx, spec, sem, types
        self.definitions = definitions  # model → model_definition (rollup_units)
        self._changes: dict[str, DayChanges] = {}
        self._keys_changed: dict[str, bool | None] = {}  # joined model → any key changed

    def changes(self, model: str) -> DayChanges:
        """The local days of `model` whose rows, or joined dimension rows, changed."""
        if model not in self._changes:
            self._changes[model] = self._find(model)
        return self._changes[model]

    def _find(self, model: str) -> DayChanges:
        rel = ModelRelation(self.sem, model, self.spec.time_zone, self.types)
        definition = self.definitions[model]
        first, last = data_range(self.tx, rel)
        old = self.tx.rows(
            f"SELECT first, last FROM {_RANGES} WHERE model = ? AND definition = ?",
            [model, definition],
        )
        self._hours_now(rel)
        changed = self.tx.rows(
            f"SELECT hour FROM {_now_table(model)} AS a FULL JOIN (SELECT hour, n, h FROM "
            f"{_HOURS} WHERE model = ? AND definition = ?) AS b USING (hour) "
            "WHERE a.n IS DISTINCT FROM b.n OR a.h IS DISTINCT FROM b.h",
            [model, definition],
        )
        unknown = DayChanges(frozenset(), first, last, None, None, known=False)
        if not old or any(hour is None for (hour,) in changed):
            return unknown  # never kept, or rows without a time changed: no day to name
        days = {d for (hour,) in changed for d in _local_days(rel, hour)}
        for join in self.sem.model(model).joins:
            if join.model not in self.sem.join_targets(model):  # joined for no dimension
                continue
            found = self._facts_of_changed_keys(rel, join.model, join.foreign_key)
            if found is None:
                return unknown
            days |= found
        return DayChanges(frozenset(days), first, last, old[0][0], old[0][1])

    def _hours_now(self, rel: ModelRelation) -> None:
        name = rel.model.name
        select = exp.select(
            exp.alias_(_hour(rel), "hour"),
            exp.alias_(exp.Count(this=exp.Star()), "n"),
            exp.alias_(exp.Sum(this=_row_hash(HUGE)), "h"),
        )
        select = select.from_(table_ref(rel.model.table, BASE)).group_by(exp.Literal.number(1))
        self.tx.execute(f"CREATE OR REPLACE TEMP TABLE {_now_table(name)} AS {_sql(select)}")

    def _facts_of_changed_keys(self, rel: ModelRelation, target: str, fk: str) -> set[date] | None:
        """Local days of `rel`'s rows pointing at a row of `target` that changed, came or went."""
        changed = self._key_changes(target)
        if changed is None:
            return None
        if not changed:
            return set()
        day = rel.local_day()
        select = (
            exp.select(day.as_("day"))
            .distinct()
            .from_(table_ref(rel.model.table, BASE))
            .where(
                exp.In(
                    this=exp.func("hash", col(fk, BASE)),
                    query=exp.select("k")
                    .from_(exp.to_table(_changed_keys_table(target)))
                    .subquery(),
                )
            )
        )
        rows = self.tx.rows(_sql(select))
        if any(d is None for (d,) in rows):
            return None
        return {d for (d,) in rows}

    def _key_changes(self, target: str) -> bool | None:
        """Whether any key of a joined model changed (kept in a temp table); None: unknown."""
        if target in self._keys_changed:
            return self._keys_changed[target]
        model = self.sem.model(target)
        definition = self.definitions[target]
        if self.sem.join_targets(target):  # its own joins: not followed, rebuild on change
            result = None
        else:
            kept = self.tx.rows(
                f"SELECT count(*) FROM {_KEYS} WHERE model = ? AND definition = ?",
                [target, definition],
            )[0][0]
            now = exp.select(
                exp.alias_(exp.func("hash", col(model.primary_key, BASE)), "k"),
                exp.alias_(_row_hash(None), "h"),
            ).from_(table_ref(model.table, BASE))
            self.tx.execute(f"CREATE OR REPLACE TEMP TABLE {_keys_table(target)} AS {_sql(now)}")
            self.tx.execute(
                f"CREATE OR REPLACE TEMP TABLE {_changed_keys_table(target)} AS "
                f"SELECT k FROM {_keys_table(target)} AS a FULL JOIN (SELECT k, h FROM {_KEYS} "
                "WHERE model = ? AND definition = ?) AS b USING (k) WHERE a.h IS DISTINCT FROM b.h",
                [target, definition],
            )
            count = self.tx.rows(f"SELECT count(*) FROM {_changed_keys_table(target)}")[0][0]
            empty_now = not self.tx.rows(f"SELECT 1 FROM {_keys_table(target)} LIMIT 1")
            result = None if (not kept and not empty_now) else count > 0
        self._keys_changed[target] = result
        return result

    def keep(self, model: str) -> None:
        """Record the fingerprints of now for `model` and the models it joins (call inside the
        refresh transaction, after every rollup of the model is up to date)."""
        rel = ModelRelation(self.sem, model, self.spec.time_zone, self.types)
        definition = self.definitions[model]
        if model not in self._changes:
            self._hours_now(rel)
        first, last = data_range(self.tx, rel)
        self.tx.execute(f"DELETE FROM {_HOURS} WHERE model = ?", [model])
        self.tx.execute(
            f"INSERT INTO {_HOURS} SELECT ?, ?, hour, n, h FROM {_now_table(model)}",
            [model, definition],
        )
        self.tx.execute(f"DELETE FROM {_RANGES} WHERE model = ?", [model])
        self.tx.execute(
            f"INSERT INTO {_RANGES} VALUES (?, ?, ?, ?)", [model, definition, first, last]
        )
        for target in self.sem.join_targets(model):
            if not self.sem.join_targets(target):  # (deeper joins are not followed: rebuilt)
                self._keep_keys(target)

    def _keep_keys(self, target: str) -> None:
        if self._keys_changed.get(target) is False:
            return  # kept keys are those of now
        if target not in self._keys_changed:
            self._key_changes(target)
        self.tx.execute(f"DELETE FROM {_KEYS} WHERE model = ?", [target])
        self.tx.execute(
            f"INSERT INTO {_KEYS} SELECT ?, ?, k, h FROM {_keys_table(target)}",
            [target, self.definitions[target]],
        )
        self._keys_changed[target] = False


HUGE = exp.DataType.build("HUGEINT")


def _row_hash(cast_to: exp.DataType | None) -> exp.Expression:
    # DuckDB binds the bare table alias to the whole row as a struct.
    value = exp.func("hash", col(BASE))
    return exp.cast(value, cast_to) if cast_to is not None else value


def _hour(rel: ModelRelation) -> exp.Expression:
    """The stored time column's hour since 1970 (a DATE: its midnight), with no zone arithmetic."""
    epoch = exp.cast(exp.func("epoch", rel.column(rel.time_column)), exp.DataType.build("BIGINT"))
    return exp.IntDiv(this=epoch, expression=exp.Literal.number(3600))


def _local_days(rel: ModelRelation, hour: int) -> set[date]:
    kind = rel._time_type()
    return hour_days(
        hour, kind, "UTC" if kind == "timestamptz" else rel._stored_zone(), rel.time_zone
    )


def hour_days(hour: int, kind: str, stored_zone: str, spec_zone: str) -> set[date]:
    """The spec-zone days an hour bucket of the stored column overlaps (one, or two).

    `kind`: "date" (the bucket is that day's midnight: the day itself), "timestamptz" (the hour
    is a UTC hour) or "timestamp" (a wall-clock hour in `stored_zone`)."""
    wall = _EPOCH + timedelta(hours=hour)
    if kind == "date":
        return {wall.date()}
    ends = (wall, wall + timedelta(minutes=59, seconds=59, microseconds=999_999))
    zone, stored = ZoneInfo(spec_zone), ZoneInfo(stored_zone)
    # Wall times in a zone's fall-back hour exist twice: both readings, both days.
    return {
        end.replace(tzinfo=stored, fold=fold).astimezone(zone).date()
        for end in ends
        for fold in (0, 1)
    }


def data_range(tx, rel: ModelRelation) -> tuple[date | None, date | None]:
    """First and last local day with rows: the day of the smallest and largest stored time
    (a day is monotone in the time), instead of converting every row."""
    column = rel.column(rel.time_column)
    out = []
    for agg in (exp.Min, exp.Max):
        extreme = exp.select(exp.alias_(agg(this=column.copy()), ident(rel.time_column)))
        extreme = extreme.from_(table_ref(rel.model.table, BASE))
        read = exp.select(rel.local_day()).from_(extreme.subquery(BASE))
        out.append(tx.rows(_sql(read))[0][0])
    return out[0], out[1]


def _now_table(model: str) -> str:
    return f'"_ns_hours__{model}"'


def _keys_table(model: str) -> str:
    return f'"_ns_keys__{model}"'


def _changed_keys_table(model: str) -> str:
    return f'"_ns_changed_keys__{model}"'


def _sql(tree: exp.Expression) -> str:
    return tree.sql(dialect="duckdb")
