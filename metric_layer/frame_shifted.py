"""Growth-like metrics computed beside their inputs: a derived metric with shifted inputs whose
formula divides (`revenue_growth = (revenue - previous(revenue)) / previous(revenue)`), from the
inputs' columns of its daily rollup table's one statement, after the statement ran.

rollup_shifted.py computes such a metric inside the statement: the table's rows of the current
periods and of the shifted ones stacked, tagged and grouped with a FILTER per part. DuckDB's
fixed cost for that shape is most of the statement (10M day query, two threads: the statement
with the stacked parts 5.4 ms, the table grouped once over the same days 2.2 ms); here the
statement groups the table once over the current and the shifted days (rollup_fused.py's scan,
one span) and keeps each input's column, and `FrameShift.apply` looks each period's shifted
input up in those rows (a few hundred rows: microseconds).

Semantics kept equal to rollup_shifted.py and to each metric's own statement (compiler.py):
- a key (period, segment) exists where the current periods' rows have one, or where a shifted
  input had a row in its period (revenue 0 after a week of sales is -100 %, not no value);
- an input without a row is 0; the value is NULL where none of its own inputs had a row (a count
  above 0, else a value), as its own statement has no row there;
- arithmetic as DuckDB's: integers and DECIMALs exact until a division, a division in doubles
  (each side cast, as Python's float() of a Decimal and DuckDB's cast both round correctly), x / 0
  is NULL, a double on either side makes the operation double.
Which formulas: arithmetic (+ - * /, unary minus, plain numbers) over metrics and their shifts,
with at least one division, so the value is a double whatever its inputs' types (a formula
without one keeps its inputs' DECIMAL scale, which DuckDB decides; those, and formulas with
functions, stay in rollup_shifted.py).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal, localcontext
from functools import lru_cache

import numpy as np
import pyarrow as pa
from sqlglot import exp

from metric_layer.expressions import parse_formula, shift_of
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
_PLAIN_NUMBER = re.compile(r"^\d+(\.\d+)?$")
LEAF_PREFIX = "ns__"  # a leaf's column in the statement: never a metric's name (names are plain)


def in_frame(sem: Semantics, name: str, grain: str) -> bool:
    """Whether `name` is a shifted derived metric computed here (see the module's rules)."""
    if not shifted_refs(sem, name, grain):
        return False
    tree = parse_formula(sem.metrics[name].formula)  # type: ignore[union-attr]
    return _arithmetic(tree) and _divides(tree)


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

    def apply(self, table: pa.Table) -> pa.Table:
        periods = table.column("period").to_pylist()
        if not pa.types.is_date32(table.schema.field("period").type):  # a TIMESTAMP period
            periods = [_day(p) for p in periods]
        segments = list(zip(*(table.column(d).to_pylist() for d in self.dims), strict=True))
        if not self.dims:
            segments = [()] * table.num_rows
        keys = list(zip(periods, segments, strict=True))
        at = {key: i for i, key in enumerate(keys)}
        values = {c: table.column(c).to_pylist() for c in self.columns}
        counted = {i.column: i.counted for f in self.formulas for i in f.inputs}
        present = {
            c: [v is not None and (v > 0 if counted[c] else True) for v in vs]
            for c, vs in values.items()
        }
        current = periods_between(self.lo, self.hi, self.grain)
        steps = {i.step for f in self.formulas for i in f.inputs if i.step is not None}
        back = {s: {p: shift(p, self.grain, s) for p in current} for s in steps}

        inside = set(current)
        kept = [i for i, (p, _) in enumerate(keys) if p in inside]
        rows = [keys[i] for i in kept]
        known = set(rows)
        added: list[tuple[date, int]] = []  # (period, the row whose segment it takes)
        for s in steps:
            forward = {q: p for p, q in back[s].items()}
            used = {i.column for f in self.formulas for i in f.inputs if i.step == s}
            for i, (q, segment) in enumerate(keys):
                p = forward.get(q)
                if p is None or (p, segment) in known:
                    continue
                if any(present[c][i] for c in used):
                    known.add((p, segment))
                    rows.append((p, segment))
                    added.append((p, i))

        if kept and kept[-1] - kept[0] == len(kept) - 1:  # one run of rows (ordered by period)
            out = table.slice(kept[0], len(kept))
        else:
            out = table.take(pa.array(kept, type=pa.int64()))
        if added:
            out = pa.concat_tables([out, _key_rows(table, added, self.dims)])
        out = out.drop_columns(list(self.columns))
        for f in self.formulas:
            out = out.append_column(f.metric, _values(f, rows, at, back, values, present, table))
        return out


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


# -- the formula over arrays ------------------------------------------------------------------


def _values(f: Formula, rows, at, back, values, present, table: pa.Table) -> pa.Array:
    """The formula's value on each output row (a double; NULL where none of its inputs had a row)."""
    inputs: dict[tuple[str, Shift | None], np.ndarray] = {}
    had = np.zeros(len(rows), dtype=bool)
    for i in f.inputs:
        source = [
            at.get((p if i.step is None else back[i.step][p], segment), -1) for p, segment in rows
        ]
        column = values[i.column]
        got = [column[j] if j >= 0 and column[j] is not None else 0 for j in source]
        floating = pa.types.is_floating(table.schema.field(i.column).type)
        inputs[(i.metric, i.step)] = np.array(got, dtype=np.float64 if floating else object)
        had |= np.array([j >= 0 and present[i.column][j] for j in source], dtype=bool)
    with localcontext() as exact, np.errstate(divide="ignore", invalid="ignore"):
        exact.prec = 80  # DuckDB's DECIMAL holds 38 digits; products of two stay exact here
        result = _doubles(_evaluate(_formula(f.text), inputs), len(rows))
    return pa.array(np.where(had, result, np.nan), type=pa.float64(), from_pandas=True)


@lru_cache(maxsize=256)
def _formula(text: str) -> exp.Expression:
    """A formula's tree, parsed once (sqlglot's parse costs more than the arithmetic); read only."""
    return parse_formula(text)


def _evaluate(node: exp.Expression, inputs):
    found = shift_of(node)
    if found is not None:
        return inputs[found]
    if isinstance(node, exp.Column):
        return inputs[(node.name, None)]
    if isinstance(node, exp.Literal):
        return int(node.name) if node.name.isdigit() else Decimal(node.name)
    if isinstance(node, exp.Paren):
        return _evaluate(node.this, inputs)
    if isinstance(node, exp.Neg):
        return -_evaluate(node.this, inputs)
    a, b = _evaluate(node.this, inputs), _evaluate(node.expression, inputs)
    if isinstance(node, exp.Div):  # x / 0 is no value; both sides as doubles
        num, den = _doubles(a), _doubles(b)
        return num / np.where(den != 0, den, np.nan)
    if _floating(a) or _floating(b):  # a double on either side: DuckDB computes in doubles
        a, b = _doubles(a), _doubles(b)
    if isinstance(node, exp.Add):
        return a + b
    if isinstance(node, exp.Sub):
        return a - b
    assert isinstance(node, exp.Mul), "in_frame admits + - * / only"
    return a * b


def _floating(x) -> bool:
    return isinstance(x, float) or (isinstance(x, np.ndarray) and x.dtype == np.float64)


def _doubles(x, n: int | None = None):
    """As float64 (a Decimal through float(): correctly rounded, as DuckDB's cast)."""
    if isinstance(x, np.ndarray):
        return x if x.dtype == np.float64 else np.array([float(v) for v in x], dtype=np.float64)
    value = float(x)
    return value if n is None else np.full(n, value)


def _arithmetic(node: exp.Expression) -> bool:
    if shift_of(node) is not None or isinstance(node, exp.Column):
        return True
    if isinstance(node, exp.Literal):
        return node.is_number and bool(_PLAIN_NUMBER.match(node.name))
    if isinstance(node, exp.Paren | exp.Neg):
        return _arithmetic(node.this)
    if type(node) in (exp.Add, exp.Sub, exp.Mul, exp.Div):
        return _arithmetic(node.this) and _arithmetic(node.expression)
    return False


def _divides(node: exp.Expression) -> bool:
    if isinstance(node, exp.Div):
        return True
    if isinstance(node, exp.Paren | exp.Neg):
        return _divides(node.this)
    if isinstance(node, exp.Add | exp.Sub | exp.Mul):
        return _divides(node.this) or _divides(node.expression)
    return False


def _key_rows(table: pa.Table, added: list[tuple[date, int]], dims: tuple[str, ...]) -> pa.Table:
    """Rows for keys only a shifted input has: the period, the segment of the row it came from,
    no value (the service's fill gives counts and sums their 0, as their own statements do)."""
    source = pa.array([i for _, i in added], type=pa.int64())
    columns = []
    for field in table.schema:
        if field.name == "period":
            columns.append(pa.array([p for p, _ in added]).cast(field.type))
        elif field.name in dims:
            columns.append(table.column(field.name).take(source))
        else:
            columns.append(pa.nulls(len(added), type=field.type))
    return pa.Table.from_arrays(columns, schema=table.schema)


def _day(value: date | datetime) -> date:
    return value.date() if isinstance(value, datetime) else value
