"""Rules for the models of metrics.yml and the names in it: time zones, duplicate names, joins,
dimensions, and the warehouse columns each model names."""

from __future__ import annotations

import difflib
import functools
import zoneinfo
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from metric_layer.rule_context import RuleContext
from metric_layer.sql_rules import check_sql

TEMPORAL = ("TIMESTAMP", "DATE")


def check_time_zones(ctx: RuleContext) -> None:
    zones = [(("time_zone",), ctx.spec.time_zone)]
    for m in ctx.spec.models:
        if m.time and m.time.time_zone != "local":
            zones.append(
                (("models", ctx.index("models", m.name), "time", "time_zone"), m.time.time_zone)
            )
    for path, zone in zones:
        try:
            ZoneInfo(zone)
        except (ZoneInfoNotFoundError, ValueError):
            close = difflib.get_close_matches(zone, _zone_names(), n=1)
            hint = f"did you mean `{close[0]}`?" if close else None
            ctx.add(
                path,
                f"unknown time zone `{zone}`",
                hint or "use an IANA name such as UTC or Asia/Shanghai",
            )


@functools.cache
def _zone_names() -> list[str]:
    return sorted(zoneinfo.available_timezones())


def check_duplicates(ctx: RuleContext) -> None:
    for section, items in (("models", ctx.spec.models), ("metrics", ctx.spec.metrics)):
        raw = ctx.doc.data.get(section, [])
        first: dict[str, int] = {}
        for i, item in enumerate(raw if isinstance(raw, list) else []):
            name = item.get("name") if isinstance(item, dict) else None
            if not isinstance(name, str):
                continue
            if name in first:
                line = ctx.doc.line_of((section, first[name]))
                ctx.add(
                    (section, i, "name"),
                    f"duplicate {section[:-1]} name `{name}`",
                    f"first defined on line {line}",
                )
            else:
                first[name] = i
        del items
    for m in ctx.spec.models:
        seen: dict[str, int] = {}
        mi = ctx.index("models", m.name)
        for di, dim in enumerate(m.dimensions):
            if dim.name in seen:
                line = ctx.doc.line_of(("models", mi, "dimensions", seen[dim.name]))
                ctx.add(
                    ("models", mi, "dimensions", di),
                    f"duplicate dimension `{dim.name}` in model `{m.name}`",
                    f"first defined on line {line}",
                )
            seen.setdefault(dim.name, di)


def check_models(ctx: RuleContext) -> None:
    for m in ctx.spec.models:
        mi = ctx.index("models", m.name)
        for ji, join in enumerate(m.joins):
            if join.model not in ctx.sem.models:
                ctx.unknown(
                    ("models", mi, "joins", ji, "model"), "model", join.model, ctx.sem.models
                )
        for di, dim in enumerate(m.dimensions):
            if dim.column and dim.expr:
                ctx.add(
                    ("models", mi, "dimensions", di),
                    f"dimension `{dim.name}` has both column and expr",
                    "keep one",
                )
            if dim.expr:
                check_sql(
                    ctx,
                    ("models", mi, "dimensions", di, "expr"),
                    dim.expr,
                    m.name,
                    allow_dimensions=False,
                )
        cols = ctx.columns.get(m.table) if ctx.columns is not None else None
        if ctx.columns is not None and cols is None:
            tables = list(ctx.columns)
            ctx.unknown(("models", mi, "table"), "warehouse table", m.table, tables)
            continue
        if cols is None:
            continue
        wanted = [(("models", mi, "primary_key"), m.primary_key)]
        if m.time:
            wanted.append((("models", mi, "time", "column"), m.time.column))
        wanted += [
            (("models", mi, "joins", ji, "foreign_key"), j.foreign_key)
            for ji, j in enumerate(m.joins)
        ]
        wanted += [
            (("models", mi, "dimensions", di, "column" if d.column else "name"), d.column or d.name)
            for di, d in enumerate(m.dimensions)
            if not d.expr
        ]
        for path, column in wanted:
            if column not in cols:
                ctx.unknown(path, "column", column, cols, where=m.table)
        if (
            m.time
            and m.time.column in cols
            and not cols[m.time.column].upper().startswith(TEMPORAL)
        ):
            ctx.add(
                ("models", mi, "time", "column"),
                f"time column `{m.time.column}` is {cols[m.time.column]}, not a timestamp or date",
                "use a TIMESTAMP or DATE column, or cast it in a warehouse view",
            )
