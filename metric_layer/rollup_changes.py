"""Which local days of a model changed since the rollups were last refreshed.

A refresh keeps, per model, a fingerprint of every local day: the number of rows and the sum of a
hash of each row (the model table's whole row and every dimension value its joins give).
Comparing the fingerprints of now with those kept tells the days whose rows were appended,
updated, deleted or re-dated — whatever the loader did (merge by key, a cursor lookback, a changed
file, a full replace, a dimension row that changed under old facts) — at the cost of one hashing
scan, with no change log to keep in step with the loader. Two different multisets of rows give
the same (count, sum of 64-bit hashes) with negligible probability.

The fingerprints live in rollup.fingerprints and are written in the refresh transaction, so they
always describe the rows the rollups were built from.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from sqlglot import exp

from metric_layer.relation import BASE, ModelRelation, col, ident
from metric_layer.rollup_units import SCHEMA
from metric_layer.semantics import Semantics
from metric_layer.spec import Spec

FINGERPRINTS = f"{SCHEMA}.fingerprints"
FINGERPRINTS_DDL = (
    f"CREATE TABLE IF NOT EXISTS {FINGERPRINTS} "
    "(model VARCHAR, definition VARCHAR, day DATE, n BIGINT, h HUGEINT)"
)


@dataclass(frozen=True)
class DayChanges:
    """How one model's days differ from the last refresh."""

    days: frozenset[date]  # local days whose rows differ (added, changed or gone)
    first: date | None  # first and last local day with rows now
    last: date | None
    old_first: date | None  # ... and at the last refresh
    old_last: date | None
    known: bool = True  # False: no fingerprint was kept (or for another definition)


class ChangeFinder:
    """Fingerprints of models' days now, compared with those the last refresh kept."""

    def __init__(self, tx, spec: Spec, sem: Semantics, types) -> None:
        self.tx, self.spec, self.sem, self.types = tx, spec, sem, types
        self._now: dict[str, dict[date | None, tuple[int, int]]] = {}
        self._changes: dict[str, DayChanges] = {}

    def changes(self, model: str, definition: str) -> DayChanges:
        """The days of `model` that changed since the fingerprints kept for `definition`."""
        if model not in self._changes:
            now = self.now(model)
            kept = {
                day: (n, h)
                for day, n, h in self.tx.rows(
                    f"SELECT day, n, h FROM {FINGERPRINTS} WHERE model = ? AND definition = ?",
                    [model, definition],
                )
            }
            known = bool(kept) or not now
            days = {d for d in now.keys() | kept.keys() if now.get(d) != kept.get(d)}
            old_days = [d for d in kept if d is not None]
            new_days = [d for d in now if d is not None]
            self._changes[model] = DayChanges(
                frozenset(d for d in days if d is not None),
                min(new_days, default=None),
                max(new_days, default=None),
                min(old_days, default=None),
                max(old_days, default=None),
                # Rows without a day reach no rollup day: a change there matters to none.
                known=known,
            )
        return self._changes[model]

    def now(self, model: str) -> dict[date | None, tuple[int, int]]:
        if model not in self._now:
            sql = fingerprint_select(self.sem, self.spec, self.types, model).sql(dialect="duckdb")
            self._now[model] = {day: (n, int(h)) for day, n, h in self.tx.rows(sql)}
        return self._now[model]

    def keep(self, model: str, definition: str) -> None:
        """Record the fingerprints of now for `model` (call inside the refresh transaction)."""
        self.tx.execute(f"DELETE FROM {FINGERPRINTS} WHERE model = ?", [model])
        rows = self.now(model)
        if rows:
            self.tx.execute(
                f"INSERT INTO {FINGERPRINTS} SELECT ?, ?, unnest(?::DATE[]), "
                "unnest(?::BIGINT[]), CAST(unnest(?::VARCHAR[]) AS HUGEINT)",
                [
                    model,
                    definition,
                    list(rows),
                    [n for n, _ in rows.values()],
                    [str(h) for _, h in rows.values()],  # beyond BIGINT: bound as text
                ],
            )
        else:  # an empty model: one row says "kept, and there were none"
            self.tx.execute(
                f"INSERT INTO {FINGERPRINTS} VALUES (?, ?, NULL, 0, 0)", [model, definition]
            )
        self._changes.pop(model, None)


def fingerprint_select(sem: Semantics, spec: Spec, types, model: str) -> exp.Select:
    """(day, rows, sum of row hashes) per local day of the model, its joins' dimensions included."""
    rel = ModelRelation(sem, model, spec.time_zone, types)
    # The row as a struct (DuckDB binds the table alias to it), then each dimension's value: a
    # dimension joined from another model changes old facts' rows without touching them.
    parts: list[exp.Expression] = [col(BASE)]
    parts += [rel.dimension(name) for name in sorted(sem.dimensions_of_model(model))]
    row_hash = exp.cast(exp.func("hash", *parts), exp.DataType.build("HUGEINT"))
    select = exp.select(
        rel.local_day().as_("day"),
        exp.alias_(exp.Count(this=exp.Star()), ident("n")),
        exp.alias_(exp.Sum(this=row_hash), ident("h")),
    ).group_by(exp.Literal.number(1))
    return rel.from_clause(select)
