"""The FROM side of a metric: a model's table, the joins its dimensions need, and its time.

Spec expressions (dimension exprs, filters) are parsed with sqlglot and their column references
rewritten to qualified columns here; user values never pass through this module as text.
"""

from __future__ import annotations

from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from sqlglot import exp

from metric_layer.errors import QueryError
from metric_layer.expressions import parse_expression
from metric_layer.query import DimensionFilter
from metric_layer.semantics import ResolvedDimension, Semantics

BASE = "t0"
TIMEZONE_ARG = "timezone_arg"  # meta: the type timezone() converts from (timezone_call)


def ident(name: str) -> exp.Identifier:
    return exp.to_identifier(name, quoted=True)


def col(name: str, table: str | None = None) -> exp.Column:
    return exp.column(ident(name), table=ident(table) if table else None)


def table_ref(qualified: str, alias: str) -> exp.Table:
    schema, name = qualified.split(".")
    return exp.Table(this=ident(name), db=ident(schema), alias=exp.TableAlias(this=ident(alias)))


def date_lit(value: date) -> exp.Expression:
    return exp.cast(exp.Literal.string(value.isoformat()), exp.DataType.build("DATE"))


class ModelRelation:
    """One model as a SQL source: resolves dimension names and spec SQL into qualified trees."""

    def __init__(
        self,
        sem: Semantics,
        model_name: str,
        time_zone: str,
        column_types: dict[str, dict[str, str]] | None = None,
    ) -> None:
        self.sem = sem
        self.model = sem.models[model_name]
        self.time_zone = time_zone
        self.types = (column_types or {}).get(self.model.table, {})
        self.dimensions = sem.dimensions_of_model(model_name)
        self._joined: list[str] = []

    # -- names → trees ---------------------------------------------------------------------------
    def dimension(self, name: str) -> exp.Expression:
        resolved = self.dimensions.get(name)
        if resolved is None:
            raise QueryError(
                f"`{name}` is not a dimension of model `{self.model.name}`; "
                f"available: {', '.join(sorted(k for k in self.dimensions if '.' not in k))}"
            )
        return self._dimension_tree(resolved)

    def _dimension_tree(self, resolved: ResolvedDimension) -> exp.Expression:
        alias = self._join(resolved.path)
        dim = resolved.dimension
        if dim.expr is None:
            return col(dim.column or dim.name, alias)
        return _qualify(parse_expression(dim.expr), lambda c: col(c.name, alias))

    def spec_sql(self, text: str) -> exp.Expression:
        """A filter or measure written in metrics.yml: names are dimensions, else base columns."""

        def resolve(column: exp.Column) -> exp.Expression:
            key = f"{column.table}.{column.name}" if column.table else column.name
            if key in self.dimensions:
                return self._dimension_tree(self.dimensions[key])
            return col(column.name, BASE)

        return _qualify(parse_expression(text), resolve)

    def column(self, name: str) -> exp.Column:
        return col(name, BASE)

    def filter(self, f: DimensionFilter) -> exp.Expression:
        return filter_condition(self.dimension(f.dimension), f)

    # -- time --------------------------------------------------------------------------------------
    @property
    def time_column(self) -> str:
        if self.model.time is None:
            raise QueryError(f"model `{self.model.name}` has no time column")
        return self.model.time.column

    def local_day(self, within: tuple[date, date] | None = None) -> exp.Expression:
        """The event's calendar day in the spec's time zone, with the fewest conversions.

        DATE: the column itself. TIMESTAMPTZ: one timezone() into the spec's zone (a plain cast
        would use the session's zone). Naive TIMESTAMP already in the spec's zone (`local`, or the
        same zone name): a plain cast — timezone() on every row made raw queries ~4× slower.
        Naive TIMESTAMP in another zone: when the caller keeps only rows of the local days
        `within` = [lo, hi) (time_range) and both zones keep one UTC offset over them, the
        timestamp plus that fixed difference (~5× cheaper); else timezone() twice.
        """
        ts = col(self.time_column, BASE)
        kind = self._time_type()
        if kind == "date":
            return ts
        stored = self._stored_zone()
        if kind == "timestamptz":
            local = timezone_call(self.time_zone, ts, "timestamptz")
        elif _same_zone(stored, self.time_zone):
            local = ts
        else:
            shift = _fixed_shift(stored, self.time_zone, within) if within else None
            if shift is not None:
                local = exp.Add(this=ts, expression=_interval(shift))
            else:
                in_stored = timezone_call(stored, ts, "timestamp")
                local = timezone_call(self.time_zone, in_stored, "timestamptz")
        return exp.cast(local, exp.DataType.build("DATE"))

    def instant(self) -> exp.Expression:
        """The event's moment as TIMESTAMPTZ, comparable across models stored in other zones
        (a DATE column: local midnight of that day)."""
        ts = col(self.time_column, BASE)
        kind = self._time_type()
        if kind == "timestamptz":
            return ts
        if kind == "date":
            naive = exp.cast(ts, exp.DataType.build("TIMESTAMP"))
            return timezone_call(self.time_zone, naive, "timestamp")
        return timezone_call(self._stored_zone(), ts, "timestamp")

    def _stored_zone(self) -> str:
        """The zone naive timestamps are written in (`local` = the spec's zone)."""
        zone = self.model.time.time_zone
        return self.time_zone if zone == "local" else zone

    def time_range(self, lo: date, hi: date) -> exp.Expression:
        """Rows whose local day is in [lo, hi), compared on the raw column so zone maps prune."""
        ts = col(self.time_column, BASE)
        kind = self._time_type()
        if kind == "date":
            low, high = date_lit(lo), date_lit(hi)
        elif kind == "timestamptz":
            low, high = (_tstz_lit(_local_midnight(d, self.time_zone)) for d in (lo, hi))
        else:
            zone = ZoneInfo(self._stored_zone())
            low, high = (
                _ts_lit(_local_midnight(d, self.time_zone).astimezone(zone)) for d in (lo, hi)
            )
        return exp.and_(exp.GTE(this=ts, expression=low), exp.LT(this=ts.copy(), expression=high))

    def _time_type(self) -> str:
        dtype = self.types.get(self.time_column, "TIMESTAMP").upper()
        if dtype == "DATE":
            return "date"
        if "WITH TIME ZONE" in dtype or dtype == "TIMESTAMPTZ":
            return "timestamptz"
        return "timestamp"

    # -- FROM ------------------------------------------------------------------------------------
    def from_clause(self, select: exp.Select) -> exp.Select:
        """Attach the base table and every join the resolved names needed (call last)."""
        select = select.from_(table_ref(self.model.table, BASE))
        parent_alias, parent_model = BASE, self.model
        done: dict[tuple[str, ...], str] = {(): BASE}
        for path in sorted(set(map(tuple, self._joined)), key=len):
            parent_alias = done[path[:-1]]
            parent_model = self.sem.models[path[-2]] if len(path) > 1 else self.model
            target = self.sem.models[path[-1]]
            join = next(j for j in parent_model.joins if j.model == target.name)
            alias = _alias(path)
            on = exp.EQ(
                this=col(join.foreign_key, parent_alias), expression=col(target.primary_key, alias)
            )
            select = select.join(table_ref(target.table, alias), on=on, join_type="left")
            done[path] = alias
        return select

    def _join(self, path: tuple[str, ...]) -> str:
        for end in range(1, len(path) + 1):
            if path[:end] not in self._joined:
                self._joined.append(path[:end])
        return _alias(path) if path else BASE


def timezone_call(zone: str, value: exp.Expression, given: str) -> exp.Expression:
    """DuckDB's timezone(zone, value): of a TIMESTAMPTZ (`given` "timestamptz"), its wall time in
    `zone`; of a wall-time TIMESTAMP in `zone` ("timestamp"), the instant. `given` rides in the
    node's meta: Spark names the two conversions differently (spark_sql.py)."""
    node = exp.func("timezone", exp.Literal.string(zone), value)
    node.meta[TIMEZONE_ARG] = given
    return node


def filter_condition(target: exp.Expression, f: DimensionFilter) -> exp.Expression:
    """`target op values` with every value a sqlglot literal (never spliced text).

    "Not web" keeps the rows without a platform, as a reader of "everything but web" expects (and
    Metabase's "is not" does); SQL's `<>` would drop them silently. `:notnull` drops them."""
    values = [exp.convert(v) for v in f.values]
    if not values:
        raise QueryError(f"filter on `{f.dimension}` has no value")
    if f.op in ("in", "not in") or (f.op in ("=", "!=") and len(values) > 1):
        cond: exp.Expression = exp.In(this=target, expressions=values)
        if f.op in ("not in", "!="):
            missing = exp.Is(this=target.copy(), expression=exp.Null())
            return exp.paren(exp.or_(exp.not_(cond), missing))
        return cond
    ops = {
        "=": exp.EQ,
        "!=": exp.NullSafeNEQ,
        ">": exp.GT,
        ">=": exp.GTE,
        "<": exp.LT,
        "<=": exp.LTE,
    }
    return ops[f.op](this=target, expression=values[0])


def _alias(path: tuple[str, ...]) -> str:
    return "j_" + "__".join(path) if path else BASE


def _qualify(tree: exp.Expression, resolve) -> exp.Expression:
    return tree.transform(lambda n: resolve(n) if isinstance(n, exp.Column) else n)


# Names of one zone, so `time_zone: Etc/UTC` data under a `UTC` spec still needs no conversion.
_UTC_NAMES = frozenset({"UTC", "Etc/UTC", "Etc/UCT", "UCT", "Etc/Zulu", "Zulu", "Universal"})


def _same_zone(a: str, b: str) -> bool:
    return a == b or (a in _UTC_NAMES and b in _UTC_NAMES)


# Longer ranges are checked slowly in Python and gain little: they keep timezone().
_MAX_FIXED_SHIFT_DAYS = 3_700


def _fixed_shift(stored: str, spec_zone: str, within: tuple[date, date]) -> int | None:
    """Seconds from wall time in `stored` to wall time in `spec_zone`, if constant over the days.

    Offsets are sampled every 6 hours from the first local midnight to the last: zone rules
    change an offset for months, never for a few hours only.
    """
    lo, hi = within
    if not lo < hi or (hi - lo).days > _MAX_FIXED_SHIFT_DAYS:
        return None
    src, dst = ZoneInfo(stored), ZoneInfo(spec_zone)
    start = _local_midnight(lo, spec_zone)
    shifts = {
        _offset(start + timedelta(hours=6 * k), dst) - _offset(start + timedelta(hours=6 * k), src)
        for k in range((hi - lo).days * 4 + 1)
    }
    return shifts.pop() if len(shifts) == 1 else None


def _interval(seconds: int) -> exp.Interval:
    """`INTERVAL 8 HOUR` (or MINUTE / SECOND when the offset is not whole hours)."""
    unit, size = next(
        ((u, n) for u, n in (("HOUR", 3600), ("MINUTE", 60)) if seconds % n == 0), ("SECOND", 1)
    )
    return exp.Interval(this=exp.Literal.number(seconds // size), unit=exp.var(unit))


def _offset(at: datetime, zone: ZoneInfo) -> int:
    return int(at.astimezone(zone).utcoffset().total_seconds())


def _local_midnight(day: date, zone: str) -> datetime:
    return datetime.combine(day, time(0), tzinfo=ZoneInfo(zone))


def _ts_lit(value: datetime) -> exp.Expression:
    naive = value.replace(tzinfo=None).isoformat(sep=" ")
    return exp.cast(exp.Literal.string(naive), exp.DataType.build("TIMESTAMP"))


def _tstz_lit(value: datetime) -> exp.Expression:
    return exp.cast(exp.Literal.string(value.isoformat(sep=" ")), exp.DataType.build("TIMESTAMPTZ"))
