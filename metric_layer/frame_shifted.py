"""Growth-like metrics computed beside their inputs: a derived metric with shifted inputs whose
formula divides (`revenue_growth = (revenue - previous(revenue)) / previous(revenue)`), from the
inputs' columns of its daily rollup table's one statement, after the statement ran.

rollup_shifted.py computes such a metric inside the statement: the table's rows of the current
periods and of the shifted ones stacked, tagged and grouped with a FILTER per part. DuckDB's
fixed cost for that shape is most of the statement (10M day query, two threads, in a loop: the
statement with the stacked parts 5.4 ms, the table grouped once over the same days 2.2 ms); here
the statement groups the table once over the current and the shifted days (rollup_fused.py's
scan, one span) and keeps each input's column, and `FrameShift.apply` looks each period's shifted
input up in those rows, vectorized over day and segment numbers (the day query's 91 rows: 0.26 ms;
200,000 rows of DECIMAL revenue: 0.34 s).

Semantics kept equal to rollup_shifted.py and to each metric's own statement (compiler.py):
- a key (period, segment) exists where the current periods' rows have one, or where a shifted
  input had a row in its period (revenue 0 after a week of sales is -100 %, not no value);
- an input without a row is 0; the value is NULL where none of its own inputs had a row (a count
  above 0, else a value), as its own statement has no row there;
- the formula evaluated as DuckDB evaluates it (frame_arithmetic.py: exact until the division).
Which formulas: frame_arithmetic.arithmetic ones — + - * /, unary minus and plain numbers over
metrics and their shifts, with at least one division, so the value is a double whatever its
inputs' types (a formula without one keeps its inputs' DECIMAL scale, which DuckDB decides;
those, and formulas with functions, stay in rollup_shifted.py).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from functools import cached_property

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc
from sqlglot import exp

from metric_layer.expressions import parse_formula
from metric_layer.frame_arithmetic import arithmetic, evaluate
from metric_layer.fused import Leaf, leaf_present, metric_values
from metric_layer.periods import Offset, Window, periods_between, shift
from metric_layer.read_windows import shifted_window
from metric_layer.relation import col
from metric_layer.rollup_fused import leaves_select
from metric_layer.rollup_shifted import day_spans, shifted_refs
from metric_layer.rollup_sql import day_range
from metric_layer.semantics import Semantics
from metric_layer.spec import SimpleMetric

Shift = str | Offset
LEAF_PREFIX = "ns__"  # a leaf's column in the statement: never a metric's name (names are plain)


def in_frame(sem: Semantics, name: str, grain: str) -> bool:
    """Whether `name` is a shifted derived metric computed here (see the module's rules)."""
    if not shifted_refs(sem, name, grain):
        return False
    tree = parse_formula(sem.metrics[name].formula)  # type: ignore[union-attr]
    return arithmetic(tree)


@dataclass(frozen=True)
class Input:
    metric: str
    step: Shift | None  # None: the current period
    column: str  # its leaf's column in the statement
    counted: bool  # a count: it has a row where above 0 (else where not NULL)


@dataclass(frozen=True)
class Formula:
    metric: str
    text: str
    inputs: tuple[Input, ...]


@dataclass(frozen=True)
class FrameShift:
    """What to compute in a statement's result: each formula over its inputs' columns, rows
    outside [lo, hi) dropped, a row added where only a shifted input had one."""

    grain: str
    lo: date
    hi: date
    dims: tuple[str, ...]
    formulas: tuple[Formula, ...]
    columns: tuple[str, ...]  # the leaf columns the statement returns for them (then dropped)

    @cached_property
    def _periods(self) -> tuple[np.ndarray, dict[Shift, np.ndarray]]:
        """The range's periods as day numbers (ascending), and each step's periods back, aligned
        (ascending too: a step moves every period alike, one to one)."""
        current = periods_between(self.lo, self.hi, self.grain)
        steps = {i.step for f in self.formulas for i in f.inputs if i.step is not None}
        back = {s: _day_numbers([shift(p, self.grain, s) for p in current]) for s in steps}
        return _day_numbers(current), back

    def apply(self, table: pa.Table) -> pa.Table:
        """The result with each formula's column, vectorized (an answer may hold 200,000 rows):
        each row's key is its day number × segments + its segment's number."""
        rows = _Keys(table, self.dims)
        current, back = self._periods
        counted = {i.column: i.counted for f in self.formulas for i in f.inputs}
        present = {c: _present(table.column(c), counted[c]) for c in self.columns}
        kept = np.flatnonzero(_positions(current, rows.days) >= 0)
        keys = rows.keys[kept]
        added_days, added_from = [], []  # a key only a shifted input has: its day, its row
        for s, moved in back.items():
            at = _positions(moved, rows.days)  # the period each row's day is the step back of
            forward = np.where(at >= 0, current[np.maximum(at, 0)], -1)
            used = [i.column for f in self.formulas for i in f.inputs if i.step == s]
            had = np.logical_or.reduce([present[c] for c in used]) & (at >= 0)
            candidates = np.flatnonzero(had)
            new = ~np.isin(rows.key(forward[candidates], candidates), keys)
            keys = np.concatenate([keys, rows.key(forward[candidates[new]], candidates[new])])
            added_days.append(forward[candidates[new]])
            added_from.append(candidates[new])
        added = np.concatenate([np.array([], dtype=np.int64), *added_from])

        if len(kept) and kept[-1] - kept[0] == len(kept) - 1:  # one run of rows (by period)
            out = table.slice(int(kept[0]), len(kept))
        else:
            out = table.take(pa.array(kept, type=pa.int64()))
        out_days = np.concatenate([rows.days[kept], *added_days])
        if len(added):
            out = pa.concat_tables([out, _key_rows(table, out_days[len(kept) :], added, self.dims)])
        out = out.drop_columns(list(self.columns))
        out_segments = rows.segments[np.concatenate([kept, added])]
        filled = {c: _filled(table.column(c)) for c in self.columns}
        for f in self.formulas:
            inputs, had = {}, np.zeros(len(out_days), dtype=bool)
            for i in f.inputs:
                days = out_days
                if i.step is not None:
                    days = back[i.step][_positions(current, out_days)]
                source = rows.find(rows.key(days, None, out_segments))
                found = source >= 0
                picked = filled[i.column][np.maximum(source, 0)]  # COALESCE(x, 0)
                inputs[(i.metric, i.step)] = np.where(found, picked, _zero(picked)).astype(
                    picked.dtype
                )
                had |= found & present[i.column][np.maximum(source, 0)]
            values = evaluate(f.text, inputs, len(out_days))
            out = out.append_column(
                f.metric, pa.array(np.where(had, values, np.nan), pa.float64(), from_pandas=True)
            )
        return out


class _Keys:
    """A statement result's rows as numbers: day (days since 1970), segment, key."""

    def __init__(self, table: pa.Table, dims: tuple[str, ...]) -> None:
        period = table.column("period")
        if not pa.types.is_date32(period.type):  # a TIMESTAMP period: the day it starts
            period = pc.cast(period, pa.date32())
        self.days = period.cast(pa.int32()).to_numpy(zero_copy_only=False).astype(np.int64)
        codes = np.zeros(table.num_rows, dtype=np.int64)
        for d in dims:  # NULL is a value of its own, as in the GROUP BY
            own, values = pd.factorize(
                table.column(d).to_numpy(zero_copy_only=False), use_na_sentinel=False
            )
            codes, _ = pd.factorize(codes * len(values) + own)
        self.segments = codes.astype(np.int64)
        self.count = int(codes.max()) + 1 if len(codes) else 1
        self.keys = self.key(self.days, None, self.segments)
        self._order = np.argsort(self.keys, kind="stable")
        self._sorted = self.keys[self._order]

    def key(self, days: np.ndarray, rows: np.ndarray | None, segments=None) -> np.ndarray:
        """Keys of (day, segment of `rows`, or `segments`)."""
        segments = self.segments[rows] if segments is None else segments
        return days * self.count + segments

    def find(self, keys: np.ndarray) -> np.ndarray:
        """Each key's row, -1 where none has it (a key is one group: at most one row)."""
        at = _positions(self._sorted, keys)
        return np.where(at >= 0, self._order[np.maximum(at, 0)], -1)


def _positions(ascending: np.ndarray, values: np.ndarray) -> np.ndarray:
    """Where each value sits in an ascending array of distinct values, -1 where it is absent."""
    at = np.searchsorted(ascending, values)
    inside = at < len(ascending)
    hit = (
        inside & (ascending[np.minimum(at, len(ascending) - 1)] == values)
        if len(ascending)
        else inside
    )
    return np.where(hit, at, -1)


def _filled(column: pa.ChunkedArray) -> np.ndarray:
    """The input's values with 0 for NULL: int64, float64, or Python Decimals (exact)."""
    zero = pa.scalar(Decimal(0) if pa.types.is_decimal(column.type) else 0, column.type)
    return pc.fill_null(column, zero).to_numpy(zero_copy_only=False)


def _zero(values: np.ndarray):
    return Decimal(0) if values.dtype == object else 0


def _present(column: pa.ChunkedArray, counted: bool) -> np.ndarray:
    """Whether each row had a row for the input: a count above 0, anything else not NULL."""
    has = pc.greater(column, 0) if counted else pc.is_valid(column)
    return pc.fill_null(has, False).to_numpy(zero_copy_only=False)


def _day_numbers(days: list[date]) -> np.ndarray:
    return np.array([(d - _EPOCH).days for d in days], dtype=np.int64)


_EPOCH = date(1970, 1, 1)


def daily_span_select(
    sem: Semantics, names: list[str], table: str, w: Window, dims: list[str], filters, where
) -> tuple[exp.Select, FrameShift]:
    """SELECT period, <dims>, <one column per plain name>, <one per shifted input's leaf> from one
    scan of a daily rollup table over the current and the shifted days; the FrameShift computes
    the shifted names from it. Names are those of rollup_shifted.daily_shifted_select, each
    shifted one in_frame."""
    shifted = {n: shifted_refs(sem, n, w.grain) for n in names}
    plain = [n for n in names if not shifted[n]]
    values, leaves = metric_values(sem, plain) if plain else ({}, {})
    for refs in shifted.values():
        for ref, _ in refs:
            leaves.setdefault(Leaf(ref), f"leaf_{len(leaves)}")
    steps = {step for refs in shifted.values() for _, step in refs if step is not None}
    windows = [w, *(shifted_window(w, step) for step in steps)]
    days = [exp.or_(*[exp.and_(*day_range("day", lo, hi)) for lo, hi in day_spans(windows)])]
    inner = leaves_select(sem, leaves, table, w, dims, filters, where, days)

    formulas, columns = [], {}
    for name, refs in shifted.items():
        if not refs:
            continue
        inputs = []
        for ref, step in refs:
            column = LEAF_PREFIX + leaves[Leaf(ref)]
            columns[column] = col(leaves[Leaf(ref)]).as_(column)
            m = sem.metrics[ref]
            assert isinstance(m, SimpleMetric), "shifted inputs are simple metrics"
            inputs.append(Input(ref, step, column, m.agg in ("count", "count_distinct")))
        formulas.append(Formula(name, sem.metrics[name].formula, tuple(inputs)))  # type: ignore[union-attr]
    select = (
        exp.select(
            col("period"),
            *[col(d) for d in dims],
            *[exp.alias_(values[n], n) for n in plain],
            *columns.values(),
        )
        .from_(inner.subquery("leaves"), copy=False)
        .where(exp.or_(*[leaf_present(sem, leaf, a) for leaf, a in leaves.items()]), copy=False)
    )
    note = "; ".join(f"{f.metric} = {f.text}" for f in formulas).replace("*/", "* /")
    select.add_comments([f" {note}: computed from the {LEAF_PREFIX}* columns, period by period "])
    shift_ = FrameShift(w.grain, w.lo, w.hi, tuple(dims), tuple(formulas), tuple(columns))
    return select, shift_


def _key_rows(
    table: pa.Table, days: np.ndarray, rows: np.ndarray, dims: tuple[str, ...]
) -> pa.Table:
    """Rows for keys only a shifted input has: the day, the segment of the row it came from, no
    value (the service's fill gives counts and sums their 0, as their own statements do)."""
    source = pa.array(rows, type=pa.int64())
    columns = []
    for field in table.schema:
        if field.name == "period":
            columns.append(
                pa.array(days.astype(np.int32), pa.int32()).cast(pa.date32()).cast(field.type)
            )
        elif field.name in dims:
            columns.append(table.column(field.name).take(source))
        else:
            columns.append(pa.nulls(len(rows), type=field.type))
    return pa.Table.from_arrays(columns, schema=table.schema)
