"""Which rollup tables a spec wants, and a hash of the definitions each one is built from.

A unit is a group of rollup tables built together from one definition (see rollups.py for what
each kind answers):
- `daily`: the additive daily tables of one model (`rollup.<model>__daily__<set>`);
- `entity_days`: one distinct-count or active metric's entity-day rows; metrics with the same rows
  share one table (the others are views of it);
- `cohorts`: one retention metric's cohort-day counts;
- `materialized`: one distinct-count or active metric's results per grain and single dimension.

A unit's hash covers everything its SQL is made of: the time zone, the models it reads and the
models they join (columns, keys, dimensions, time column), those tables' column types, the
computing keys of its metrics (not labels, formats or descriptions), the week start where weeks
are cut, and BUILD_VERSION. rollup.manifest records each table's hash, so a spec edit rebuilds
the units whose hash changed and keeps the others, and a reader uses only tables whose recorded
hash matches the spec it serves. Nothing here touches the warehouse.
"""

from __future__ import annotations

import hashlib
import itertools
import json
from dataclasses import dataclass
from typing import Literal

from metric_layer.semantics import Semantics
from metric_layer.spec import ActiveMetric, RetentionMetric, SimpleMetric, SnapshotMetric, Spec

SCHEMA = "rollup"
MANIFEST = f"{SCHEMA}.manifest"
MATERIALIZED_GRAINS = ("day", "week", "month", "quarter", "year")
# Bump when the SQL that builds a unit changes: every unit is then rebuilt once.
BUILD_VERSION = "3"
# Keys that change how a metric or model is shown, never what its rows are.
_COSMETIC = {"label", "description", "owner", "tags", "tier", "format", "unit", "decimals"}
_COSMETIC |= {"direction", "company_wide"}  # who sees it, not what its rows are

UnitKind = Literal["daily", "entity_days", "cohorts", "materialized"]


@dataclass(frozen=True)
class RollupUnit:
    kind: UnitKind
    subject: str  # the model (daily) or the metric it serves
    tables: tuple[str, ...]  # rollup tables it creates, qualified
    definition: str  # hash of what the tables are built from
    reads: tuple[str, ...]  # warehouse tables its rows come from
    today_bound: bool = False  # rolling windows end on the as-of day: rebuilt when it moves
    view_of: str | None = None  # entity_days only: the table of an earlier metric with these rows

    @property
    def label(self) -> str:
        return f"{self.subject} {self.kind.replace('_', '-')}"


def additive(m: object) -> bool:
    """Whether the metric's rows fold into a measure column of its model's daily rollups.

    Snapshot metrics do too: their value on one day is that day's aggregate (they are never
    added up over days, but any single day's value re-aggregates across dimensions)."""
    return isinstance(m, SimpleMetric | SnapshotMetric) and m.agg in (
        "count",
        "sum",
        "avg",
        "min",
        "max",
    )


def is_materialized(m: object) -> bool:
    return isinstance(m, ActiveMetric) or (
        isinstance(m, SimpleMetric) and m.agg == "count_distinct"
    )


def model_dimensions(sem: Semantics, model: str) -> list[str]:
    return [k for k in sem.dimensions_of_model(model) if "." not in k]


def retention_dimensions(sem: Semantics, m: RetentionMetric) -> list[str]:
    return [k for k in sem.dimensions_of_metric(m.name) if "." not in k]


def daily_table(model: str, dimension: str | tuple[str, ...] | None) -> str:
    """`all` holds every dimension of the model, `total` none, any other name just that one, a
    pair of names those two (`orders__daily__channel__region`)."""
    if isinstance(dimension, tuple):
        dimension = "__".join(sorted(dimension)) if dimension else None
    return f"{SCHEMA}.{model}__daily__{dimension or 'total'}"


def daily_sets(sem: Semantics, model: str) -> list[str | tuple[str, ...] | None]:
    """The dimension sets a model's daily tables are kept for: all, none, each one, and each
    pair (a breakdown filtered on another dimension reads days × the pair's values, not every
    combination of every dimension: at 10M orders 18 thousand rows instead of 770 thousand)."""
    dims = model_dimensions(sem, model)
    return ["all", None, *dims, *_pairs(dims)]


def daily_set(needed: set[str], dims: list[str]) -> str | tuple[str, ...] | None:
    """The smallest daily table holding the dimensions `needed` (those of `dims`, the model's):
    total (None), one dimension, a pair, or all."""
    if len(needed) < 2:
        return next(iter(needed), None)
    pair = tuple(sorted(needed))
    return pair if pair in _pairs(dims) else "all"


def _pairs(dims: list[str]) -> list[tuple[str, ...]]:
    """The pairs kept: none where a pair is all the dimensions, none with a name holding `__`
    (the table name's separator)."""
    plain = sorted(d for d in dims if "__" not in d)
    return list(itertools.combinations(plain, 2)) if len(dims) > 2 else []


def cohort_table(metric: str) -> str:
    return f"{SCHEMA}.{metric}__cohorts"


def entity_days_table(metric: str) -> str:
    return f"{SCHEMA}.{metric}__entity_days"


def materialized_table(metric: str, grain: str, dimension: str | None) -> str:
    return f"{SCHEMA}.m__{metric}__{grain}__{dimension or 'total'}"


def segments_table(metric: str, grain: str) -> str:
    return f"{SCHEMA}.s__{metric}__{grain}"


def entity_dimensions(sem: Semantics, m: object) -> list[str]:
    """The dimensions of a distinct count that belong to the entity it counts: those reached
    through its model's join on the entity column (orders → customers on customer_id, for
    distinct customers). Every entity has one value of each, so its counts per combination of
    them add up over any of them (segment counts); the build checks the data agrees."""
    if not (isinstance(m, SimpleMetric) and m.agg == "count_distinct" and m.expr):
        return []
    joined = {j.model for j in sem.model(m.model).joins if j.foreign_key == m.expr.strip()}
    dims = sem.dimensions_of_metric(m.name)
    return sorted(n for n, d in dims.items() if "." not in n and d.path and d.path[0] in joined)


def rollup_units(
    spec: Spec, sem: Semantics, column_types: dict[str, dict[str, str]] | None
) -> list[RollupUnit]:
    """Every unit the spec wants, in build order (a unit reads only units listed before it)."""
    hasher = _Hasher(spec, sem, column_types or {})
    units: list[RollupUnit] = []
    for model in spec.models:
        metrics = [m for m in spec.metrics if additive(m) and m.model == model.name]
        if not metrics or model.time is None:
            continue
        sets = daily_sets(sem, model.name)
        units.append(
            RollupUnit(
                "daily",
                model.name,
                tuple(daily_table(model.name, s) for s in sets),
                hasher.of("daily", hasher.models(model.name), [_keys(m) for m in metrics]),
                hasher.tables(model.name),
            )
        )
    entity_units: dict[str, RollupUnit] = {}
    first_with_rows: dict[str, str] = {}  # rows hash → table of the first metric with those rows
    for m in spec.metrics:
        if not is_materialized(m):
            continue
        entity = m.entity if isinstance(m, ActiveMetric) else m.expr
        rows = hasher.of("entity_days", hasher.models(m.model), entity, m.filter)
        table = entity_days_table(m.name)
        base = first_with_rows.setdefault(rows, table)
        view_of = None if base == table else base
        definition = rows if view_of is None else hasher.of("view", rows, view_of)
        reads = hasher.tables(m.model)
        unit = RollupUnit("entity_days", m.name, (table,), definition, reads, view_of=view_of)
        entity_units[m.name] = unit
        units.append(unit)
    for m in spec.metrics:
        if isinstance(m, RetentionMetric):
            models = [x for x in (m.activity_model, m.cohort.model) if x]
            reads = tuple(dict.fromkeys(t for x in models for t in hasher.tables(x)))
            definition = hasher.of("cohorts", [hasher.models(x) for x in models], _keys(m))
            units.append(RollupUnit("cohorts", m.name, (cohort_table(m.name),), definition, reads))
    for m in spec.metrics:
        if not is_materialized(m):
            continue
        dims = [None, *sorted(d for d in sem.dimensions_of_metric(m.name) if "." not in d)]
        tables = tuple(materialized_table(m.name, g, d) for d in dims for g in MATERIALIZED_GRAINS)
        own = entity_dimensions(sem, m)
        if own:
            tables += tuple(segments_table(m.name, g) for g in MATERIALIZED_GRAINS)
        source = entity_units[m.name]
        # `own` only where there are segment counts: other units keep their hash (no rebuild)
        parts = [dims, own] if own else [dims]
        definition = hasher.of("materialized", source.definition, _keys(m), spec.week_start, *parts)
        today_bound = isinstance(m, ActiveMetric)
        units.append(
            RollupUnit("materialized", m.name, tables, definition, source.reads, today_bound)
        )
    return units


def unit_models(spec: Spec, unit: RollupUnit) -> list[str]:
    """The models whose rows a unit's tables are built from (their joins come with them)."""
    if unit.kind == "daily":
        return [unit.subject]
    metric = spec.metric(unit.subject)
    if isinstance(metric, RetentionMetric):
        return list(dict.fromkeys(x for x in (metric.activity_model, metric.cohort.model) if x))
    return [metric.model]


def model_definition(
    spec: Spec, sem: Semantics, column_types: dict[str, dict[str, str]] | None, model: str
) -> str:
    """Hash of what a model's rows, as the rollups read them, are made of (joins included)."""
    hasher = _Hasher(spec, sem, column_types or {})
    return hasher.of("model", hasher.models(model))


def _keys(item) -> dict:
    """The keys of a metric or model that decide its rows (its name included: columns use it).
    Keys left at their default are left out, so a release adding an optional key does not make
    every rollup stale."""
    return item.model_dump(
        mode="json", exclude=_COSMETIC & set(type(item).model_fields), exclude_defaults=True
    )


class _Hasher:
    def __init__(self, spec: Spec, sem: Semantics, column_types: dict[str, dict[str, str]]):
        self.spec, self.sem, self.types = spec, sem, column_types

    def models(self, name: str) -> list:
        """A model and every model it joins: definitions and their tables' column types."""
        out = []
        for model_name in [name, *self.sem.join_targets(name)]:
            model = self.sem.model(model_name)
            keys = _keys(model)
            keys["dimensions"] = [_keys(d) for d in model.dimensions]
            out.append([keys, sorted(self.types.get(model.table, {}).items())])
        return out

    def tables(self, name: str) -> tuple[str, ...]:
        return tuple(self.sem.model(m).table for m in [name, *self.sem.join_targets(name)])

    def of(self, *parts: object) -> str:
        text = json.dumps([BUILD_VERSION, self.spec.time_zone, *parts], sort_keys=True)
        return hashlib.sha256(text.encode()).hexdigest()[:16]
