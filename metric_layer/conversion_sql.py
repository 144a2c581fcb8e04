"""Conversion metrics as SQL: entities that do A (a visit) and then B (a paid order) within a window.

Per period of A's local day and A's dimensions: the entities with an A (opportunities), and those
of them with a B at or after one of their A's and at most `window` days later (conversions), with
each constant property equal on both events. Moments are compared as TIMESTAMPTZ, so the two models
may store time in different zones. A period whose last A's window is not over yet is partial (the
service flags it), as retention cohorts are.
"""

from __future__ import annotations

from datetime import timedelta

from sqlglot import exp

from metric_layer.periods import Window
from metric_layer.query_plan import CONVERSION_RAW
from metric_layer.relation import ModelRelation, col, ident
from metric_layer.retention_sql import group_by, nullif_zero
from metric_layer.select_builder import SelectBuilder
from metric_layer.spec import ConversionMetric
from metric_layer.sql_time import window_period

DOUBLE = exp.DataType.build("DOUBLE")
RAW_ONLY = CONVERSION_RAW  # why: the plan (query_plan.py) notes it for `rollups status`


def conversion_value(
    c: SelectBuilder, m: ConversionMetric, w: Window, dims: list[str], filters, extra
) -> exp.Select:
    props = [f"p_{i}" for i in range(len(m.constant_properties))]
    a_rel = ModelRelation(c.sem, m.base_event.model, c.spec.time_zone, c.types)
    a_sel = exp.select(
        a_rel.local_day(within=(w.lo, w.hi)).as_("day"),
        *[a_rel.dimension(d).as_(ident(d)) for d in dims],
        a_rel.column(m.entity).as_("entity"),
        a_rel.instant().as_("at"),
        *[
            _property(a_rel, p).as_(alias)
            for p, alias in zip(m.constant_properties, props, strict=True)
        ],
    ).where(
        *c.conditions(a_rel, w.lo, w.hi, m.base_event.filter, filters, extra),
        _known(a_rel.column(m.entity)),
        copy=False,
    )
    # B may come up to `window` days after the last A of the range.
    b_rel = ModelRelation(c.sem, m.conversion_event.model, c.spec.time_zone, c.types)
    b_last = w.hi + timedelta(days=m.window + 1)
    b_sel = exp.select(
        b_rel.column(m.entity).as_("entity"),
        b_rel.instant().as_("at"),
        *[
            _property(b_rel, p).as_(alias)
            for p, alias in zip(m.constant_properties, props, strict=True)
        ],
    ).where(
        *c.conditions(b_rel, w.lo, b_last, m.conversion_event.filter, [], None),
        _known(b_rel.column(m.entity)),
        copy=False,
    )
    a, b, hits = c.name("base"), c.name("conversion"), c.name("hits")
    within = exp.and_(
        exp.EQ(this=col("entity", "b"), expression=col("entity", "a")),
        exp.GTE(this=col("at", "b"), expression=col("at", "a")),
        exp.LTE(
            this=col("at", "b"),
            expression=exp.Add(
                this=col("at", "a"),
                # Hours: a day added to a TIMESTAMPTZ is a calendar day in the session's time
                # zone (23 or 25 hours across a DST change) in DuckDB and PostgreSQL alike.
                expression=exp.Interval(
                    this=exp.Literal.number(24 * m.window), unit=exp.var("HOUR")
                ),
            ),
        ),
        *[exp.NullSafeEQ(this=col(p, "b"), expression=col(p, "a")) for p in props],
    )
    converted = exp.func(
        "bool_or", exp.Not(this=exp.Is(this=col("entity", "b"), expression=exp.Null()))
    )
    per_entity = group_by(
        exp.select(
            col("day", "a").as_("day"),
            *[col(d, "a").as_(ident(d)) for d in dims],
            col("entity", "a").as_("entity"),
            exp.alias_(converted, "converted"),
        )
        .from_(exp.Table(this=ident(a), alias=exp.TableAlias(this=ident("a"))), copy=False)
        .join(
            exp.Table(this=ident(b), alias=exp.TableAlias(this=ident("b"))),
            on=within,
            join_type="left",
            copy=False,
        ),
        len(dims) + 1,
    )
    entities = exp.Count(this=exp.Distinct(expressions=[col("entity")]))
    conversions = exp.Filter(this=entities.copy(), expression=exp.Where(this=col("converted")))
    if m.calculation == "conversions":
        value: exp.Expression = conversions
    else:
        value = exp.Div(this=exp.cast(conversions, DOUBLE), expression=nullif_zero(entities))
    select = exp.select(
        window_period(col("day"), w).as_("period"),
        *[col(d) for d in dims],
        exp.alias_(value, "value"),
    ).from_(ident(hits), copy=False)
    select = group_by(select, len(dims))
    for name, sub in (
        (a, a_rel.from_clause(a_sel)),
        (b, b_rel.from_clause(b_sel)),
        (hits, per_entity),
    ):
        select = select.with_(name, as_=sub, copy=False)
    return select


def _property(rel: ModelRelation, name: str) -> exp.Expression:
    """A constant property: the model's dimension of that name, else its column."""
    return rel.dimension(name) if name in rel.dimensions else rel.column(name)


def _known(value: exp.Expression) -> exp.Expression:
    return exp.Not(this=exp.Is(this=value, expression=exp.Null()))
