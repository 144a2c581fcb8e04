"""Distinct entities per segment of many dimension sets, exactly, without one entity set per set.

COUNT(DISTINCT entity) under GROUPING SETS makes DuckDB hash every (set, segment, entity): 22 sets
over 360k entity-day rows took 4.7 s at 10M orders; grouping each set by segment and entity
(one hash table of ~150k keys per set) still took most of a second. Instead, each row of a range
(one per entity and combination of dimension values; `r`) says for which sets an earlier row of
its entity is in the same segment: it then adds nothing to that segment's count there. Per
segment of each set:
    distinct entities = rows in it that no earlier row of their entity shares it with
exactly, whatever the dimensions (a buyer's channel, the same for all its rows, or a platform).
- An entity with one row (most: one buyer, one platform, one promotion) has no earlier row: its
  rows are counted grouped by their dimension values (`one`).
- An entity with a few rows is compared row with row (`few`, `dup`): n rows make n(n-1)/2 pairs,
  ~118k for 209k rows at 10M orders, and one bit per set says "an earlier row shares it".
- An entity with more than PAIRED_ROWS rows (pairs grow as rows²) is counted per set by segment
  and entity instead (`heavy`; none at 10M orders).
- Rows without an entity are in their segments (a raw COUNT(DISTINCT) returns their group, as 0)
  but count no entity: every bit set.
The counts per (rows' values, bits) are then spread over the sets (`sets`, a few thousand rows ×
sets). tests/unit/test_segment_parts.py and test_distinct_segments.py check it against pandas.
"""

from __future__ import annotations

from sqlglot import exp

from metric_layer.relation import col, ident

ENTITY = "__x0"  # the entity column of the rows subquery (segment_parts' first measure)
# Column names no dimension can have (dimension names start with a letter).
SIDE, SET = "__side", "__set"
ROWS, ID, COUNT = "__rows", "__id", "__c"
# More rows than this for an entity in a range: counted per set, not row with row.
PAIRED_ROWS = 64
# Bits of one BIGINT of "an earlier row shares its segment" flags (more sets: more columns).
BITS = 62
# The CTEs DuckDB computes once and reads from (`k`, per entity, is read once and inlined).
# `few` always is: its row ids must be the same for every reader.
MATERIALIZED = frozenset({"r", "t"})


def distinct_statement(
    rows: exp.Select, dims: list[str], sets: list[tuple[str, ...]]
) -> exp.Select:
    """SELECT side, set, <dims>, __v0 (distinct entities), __n0 (rows) per segment of each set.

    `rows`: one row per entity-day (or raw row) with columns __side, <dims…>, __x0. `set` is
    GROUPING(<dims>) of the set: bit 1 where a dimension is not in it, the first one highest."""
    chunks = [sets[i : i + BITS] for i in range(0, len(sets), BITS)]
    flags = [f"__dup{c}" for c in range(len(chunks))]
    keys = [SIDE, *dims]
    # An entity on several days with the same dimension values is one row.
    ctes: dict[str, exp.Select] = {"r": rows.distinct()}
    ctes["k"] = (
        exp.select(col(SIDE), col(ENTITY), exp.alias_(exp.Count(this=exp.Star()), ROWS))
        .from_("r")
        .group_by(col(SIDE), col(ENTITY))
    )
    ctes["t"] = (
        exp.select(exp.Column(this=exp.Star(), table=ident("r")), col(ROWS, "k"))
        .from_(exp.to_table("r").as_("r"))
        .join(exp.to_table("k").as_("k"), on=_same_entity("r", "k"), join_type="inner")
    )
    ctes["one"] = _counted("t", keys, _rows_between(1, 1))
    ctes["few"] = (
        exp.select(*map(col, keys), col(ENTITY))
        .select(exp.alias_(exp.Window(this=exp.RowNumber()), ID))
        .from_("t")
        .where(_rows_between(2, PAIRED_ROWS))
    )
    ctes["dup"] = _earlier_rows_sharing(dims, chunks, flags)
    ctes["heavy"] = (
        exp.select(*map(col, keys), col(ENTITY))
        .from_("t")
        .where(_rows_between(PAIRED_ROWS + 1, None))
    )
    ctes["tally"] = _tally(keys, flags)
    ctes["sets"] = _sets_table(dims, chunks)
    spread = _spread(dims, chunks, flags)
    both = exp.union(spread, _counted_per_entity("heavy", dims, sets), distinct=False)
    out_keys = [col(SIDE), col(SET), *[col(d) for d in dims]]
    select = (
        exp.select(
            *out_keys,
            exp.alias_(exp.cast(exp.Sum(this=col("__v")), "DOUBLE"), "__v0"),
            exp.alias_(exp.Sum(this=col("__p")), "__n0"),
        )
        .from_(both.subquery("counted"), copy=False)
        .group_by(*[k.copy() for k in out_keys], copy=False)
    )
    for name, body in ctes.items():
        # copy=False: each with_ would copy the statement so far (the dup CTE is large)
        select = select.with_(
            name, as_=body, materialized=name in MATERIALIZED | {"few"}, copy=False
        )
    return select


def _same_entity(a: str, b: str) -> exp.Expression:
    return exp.and_(
        exp.EQ(this=col(SIDE, a), expression=col(SIDE, b)),
        exp.NullSafeEQ(this=col(ENTITY, a), expression=col(ENTITY, b)),
    )


def _rows_between(lo: int, hi: int | None) -> exp.Expression:
    """Rows of an entity (not NULL) with lo..hi rows in its range (hi None: no bound)."""
    rows = exp.GTE(this=col(ROWS), expression=exp.Literal.number(lo))
    if hi == lo:
        rows = exp.EQ(this=col(ROWS), expression=exp.Literal.number(lo))
    elif hi is not None:
        rows = exp.Between(this=col(ROWS), low=exp.Literal.number(lo), high=exp.Literal.number(hi))
    return exp.and_(rows, exp.Not(this=exp.Is(this=col(ENTITY), expression=exp.Null())))


def _counted(source: str, keys: list[str], where: exp.Expression) -> exp.Select:
    return (
        exp.select(*map(col, keys), exp.alias_(exp.Count(this=exp.Star()), COUNT))
        .from_(source)
        .where(where)
        .group_by(*map(col, keys))
    )


def _earlier_rows_sharing(dims, chunks, flags) -> exp.Select:
    """Per row of `few` with an earlier row of its entity: bit k of flag column k // BITS set
    when one of them is in the same segment of set k (the same values of its dimensions; NULL
    the same as NULL, as GROUP BY)."""
    same = {d: exp.NullSafeEQ(this=col(d, "i"), expression=col(d, "j")) for d in dims}
    pair = exp.and_(
        exp.EQ(this=col(SIDE, "i"), expression=col(SIDE, "j")),
        exp.EQ(this=col(ENTITY, "i"), expression=col(ENTITY, "j")),
        exp.LT(this=col(ID, "j"), expression=col(ID, "i")),
    )
    select = exp.select(col(ID, "i"))
    for flag, chunk in zip(flags, chunks, strict=True):
        bits: list[exp.Expression] = []
        for k, dim_set in enumerate(chunk):
            bit = exp.Literal.number(1 << k)
            if not dim_set:  # the whole: any earlier row shares it
                bits.append(bit)
                continue
            shared = exp.and_(*[same[d].copy() for d in dim_set])
            bits.append(exp.case().when(shared, bit).else_(exp.Literal.number(0)))
        total = bits[0]
        for bit in bits[1:]:
            total = exp.Add(this=total, expression=bit)
        select = select.select(exp.alias_(exp.func("BIT_OR", total), flag), copy=False)
    # copy=False: the builders would copy the sum of bits, which is large, at every step
    return (
        select.from_(exp.to_table("few").as_("i"), copy=False)
        .join(exp.to_table("few").as_("j"), on=pair, join_type="inner", copy=False)
        .group_by(col(ID, "i"), copy=False)
    )


def _tally(keys: list[str], flags: list[str]) -> exp.Select:
    """Rows per (side, dimension values, flags): single-row entities, rows of `few`, rows
    without an entity (-1: every bit set, never counted as an entity)."""

    def flagged(value) -> list[exp.Expression]:
        return [exp.alias_(value(f), f) for f in flags]

    zero = exp.Literal.number(0)
    singles = exp.select(*map(col, keys), *flagged(lambda _: zero.copy()), col(COUNT)).from_("one")
    paired = (
        exp.select(
            *[col(k, "f") for k in keys],
            *flagged(lambda f: exp.func("COALESCE", col(f, "d"), zero.copy())),
            exp.alias_(exp.Count(this=exp.Star()), COUNT),
        )
        .from_(exp.to_table("few").as_("f"))
        .join(
            exp.to_table("dup").as_("d"),
            on=exp.EQ(this=col(ID, "f"), expression=col(ID, "d")),
            join_type="left",
        )
        .group_by(*[col(k, "f") for k in keys], *[col(f, "d") for f in flags])
    )
    no_entity = (
        exp.select(
            *map(col, keys),
            *flagged(lambda _: exp.Literal.number(-1)),
            exp.alias_(exp.Count(this=exp.Star()), COUNT),
        )
        .from_("r")
        .where(exp.Is(this=col(ENTITY), expression=exp.Null()))
        .group_by(*map(col, keys))
    )
    return exp.union(exp.union(singles, paired, distinct=False), no_entity, distinct=False)


def _set_id(dims: list[str], dim_set: tuple[str, ...]) -> int:
    """GROUPING(<dims>) of a set: 1 where a dimension is not in it, the first one highest."""
    return sum(1 << (len(dims) - 1 - i) for i, d in enumerate(dims) if d not in dim_set)


def _sets_table(dims, chunks) -> exp.Select:
    """One row per set: its id, and which flag bit says "an earlier row shares the segment"."""
    rows = [
        exp.Tuple(
            expressions=[
                exp.Literal.number(_set_id(dims, dim_set)),
                exp.Literal.number(c),
                exp.Literal.number(k),
            ]
        )
        for c, chunk in enumerate(chunks)
        for k, dim_set in enumerate(chunk)
    ]
    values = exp.Values(
        expressions=rows,
        alias=exp.TableAlias(
            this=ident("v"), columns=[ident(SET), ident("__chunk"), ident("__bit")]
        ),
    )
    return exp.select(exp.Star()).from_(values)


def _spread(dims, chunks, flags) -> exp.Select:
    """Every tally row in every set: its segment (dimensions not in the set NULL), the rows
    it counts as entities there (`__v`: not shared with an earlier row) and its rows (`__p`)."""
    flag: exp.Expression = col(flags[0], "t")
    if len(chunks) > 1:
        flag = exp.case(col("__chunk", "s"))
        for c, name in enumerate(flags):
            flag = flag.when(exp.Literal.number(c), col(name, "t"))
    shared = exp.EQ(
        this=exp.BitwiseAnd(
            this=exp.paren(exp.BitwiseRightShift(this=flag, expression=col("__bit", "s"))),
            expression=exp.Literal.number(1),
        ),
        expression=exp.Literal.number(1),
    )
    columns = []
    for i, d in enumerate(dims):
        bit = exp.Literal.number(1 << (len(dims) - 1 - i))
        grouped = exp.EQ(
            this=exp.paren(exp.BitwiseAnd(this=col(SET, "s"), expression=bit)),
            expression=exp.Literal.number(0),
        )
        columns.append(exp.alias_(exp.case().when(grouped, col(d, "t")), d))
    value = exp.case().when(shared, exp.Literal.number(0)).else_(col(COUNT, "t"))
    return (
        exp.select(col(SIDE, "t"), col(SET, "s"), *columns)
        .select(exp.alias_(value, "__v"), exp.alias_(col(COUNT, "t"), "__p"))
        .from_(exp.to_table("tally").as_("t"))
        .join(exp.to_table("sets").as_("s"), join_type="cross")
    )


def _counted_per_entity(source: str, dims, sets) -> exp.Select:
    """Distinct entities of `source` per segment, grouping each set by segment and entity.

    Not COUNT(DISTINCT): DuckDB splits a distinct aggregate into one hash table per set
    (hundreds of operators); grouping by the entity too keeps one plain aggregate, whose rows
    per segment are then its distinct entities."""
    grouping = exp.GroupingSets(
        expressions=[
            exp.Tuple(expressions=[col(SIDE), *[col(d) for d in s], col(ENTITY)]) for s in sets
        ]
    )
    per_segment_entity = (
        exp.select(
            col(SIDE),
            exp.alias_(exp.func("GROUPING", *[col(d) for d in dims]), SET),
            *[col(d) for d in dims],
            col(ENTITY),
            exp.alias_(exp.Count(this=exp.Star()), ROWS),
        )
        .from_(source)
        .group_by(grouping)
    )
    keys_out = [col(SIDE), col(SET), *[col(d) for d in dims]]
    return (
        exp.select(
            *keys_out,
            exp.alias_(exp.Count(this=col(ENTITY)), "__v"),
            exp.alias_(exp.Sum(this=col(ROWS)), "__p"),
        )
        .from_(per_segment_entity.subquery("entities"))
        .group_by(*[k.copy() for k in keys_out])
    )
