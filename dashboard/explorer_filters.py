"""The Explorer's filter builder without the page: what a filter may name, which operators each
kind of name takes, the values offered, and the filter a row of the builder stands for.

Names are the metric's dimensions (values as text) and the columns of the rows it counts
(metric_layer.where.filter_columns: numbers or text; other types are left to typed links). Every
problem is a UrlStateError whose message the page shows; nothing here writes SQL.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

from dashboard.conditions import NAME, Condition, Filter
from dashboard.explorer_data import dimension_values
from dashboard.result_cache import cache_get, cache_set
from dashboard.serving import Serving
from dashboard.snapshot import Snapshot
from dashboard.url_state import UrlStateError
from dashboard.views import ExplorerView, equality_filter, is_equality
from metric_layer.query import DimensionFilter
from metric_layer.where import filter_columns

# operator → label, per kind of name; text: one or more values from a list.
TEXT_OPS = {
    "in": "is",
    "not in": "is not",
    "is null": "has no value",
    "is not null": "has a value",
}
NUMBER_OPS = {
    "=": "=",
    "!=": "≠",
    ">": ">",
    ">=": "≥",
    "<": "<",
    "<=": "≤",
    "between": "between",
    "is null": "has no value",
    "is not null": "has a value",
}
OPS = {"text": TEXT_OPS, "number": NUMBER_OPS}
LONGEST_VALUE = 200  # characters of one typed value


@dataclass(frozen=True)
class FilterName:
    name: str
    kind: str  # "text" or "number"
    dimension: bool


def filter_names(snap: Snapshot, metric: str) -> list[FilterName]:
    """The names the builder offers: short dimension names, then number and text columns that
    are no dimension (names a link can write back: identifiers)."""
    dims = [d for d in snap.semantics.dimensions_of_metric(metric) if "." not in d]
    out = [FilterName(d, "text", True) for d in dims]
    kinds = filter_columns(metric, snap.semantics, snap.service.column_types)
    out += [
        FilterName(c, k, False)
        for c, k in kinds.items()
        if k in OPS and c not in dims and NAME.fullmatch(c)
    ]
    return out


def filter_columns_of(snap: Snapshot, metric: str) -> list[str]:
    """Every column a link's filter may name for `metric` (any type: the metric layer checks)."""
    return list(filter_columns(metric, snap.semantics, snap.service.column_types))


def name_of(snap: Snapshot, metric: str, name: object) -> FilterName:
    if not isinstance(name, str) or not name:
        raise UrlStateError(["pick a dimension or column to filter on"])
    for found in filter_names(snap, metric):
        if found.name == name:
            return found
    raise UrlStateError([f"{name[:40]!r} is no dimension or column the builder can filter on"])


def text_choices(serving: Serving, view: ExplorerView, name: FilterName) -> tuple[list[str], bool]:
    """(values to pick from, whether the list was cut): a dimension's values in the view's range,
    a text column's values in its whole table (cached per snapshot)."""
    if name.dimension:
        return dimension_values(serving, view, name.name), False
    snap = serving.snapshot()
    key = f"colvals:{snap.key()}|{view.metric}|{name.name}"
    hit = cache_get(serving.cache, key)
    if hit is None:
        hit = snap.service.column_values(view.metric, name.name)
        cache_set(serving.cache, key, hit)
    return hit


def _number(value: object, what: str) -> str:
    """A number box's value as the text a link keeps ("100", "12.5", "-3")."""
    if isinstance(value, bool) or value is None or value == "":
        raise UrlStateError([f"type a number for {what}"])
    if isinstance(value, str):
        try:
            value = float(value)
        except ValueError:
            raise UrlStateError([f"{what} must be a number, not {value[:40]!r}"]) from None
    if isinstance(value, int):
        return str(value)
    if not isinstance(value, float) or not math.isfinite(value):
        raise UrlStateError([f"{what} must be a finite number"])
    return str(int(value)) if value.is_integer() and abs(value) < 1e15 else repr(value)


def built_filter(
    name: FilterName, op: object, values: object, number: object, number_to: object
) -> Filter:
    """The filter one row of the builder stands for; UrlStateError says what is missing."""
    ops = OPS[name.kind]
    if not isinstance(op, str) or op not in ops:
        raise UrlStateError([f"pick an operator for {name.name}: {', '.join(ops.values())}"])
    if op in ("is null", "is not null"):
        return Condition(name.name, op)  # type: ignore[arg-type]
    if name.kind == "text":
        if not isinstance(values, list) or not values:
            raise UrlStateError([f"pick one or more values of {name.name}"])
        if not all(isinstance(v, str) and 0 < len(v) <= LONGEST_VALUE for v in values):
            raise UrlStateError([f"values of {name.name} must be texts of 1 to 200 characters"])
        return equality_filter(name.name, op == "not in", tuple(dict.fromkeys(values)))
    low = _number(number, name.name)
    if op == "between":
        high = _number(number_to, f"the upper end of {name.name}")
        if float(low) > float(high):
            raise UrlStateError([f"{name.name} between {low} and {high}: put the smaller first"])
        return Condition(name.name, "between", (low, high))
    return DimensionFilter(name.name, op, (low,))  # type: ignore[arg-type]


def unknown_values(serving: Serving, view: ExplorerView) -> list[tuple[str, list[str]]]:
    """(name, values) of is/is-not filters on a dimension or text column whose values the data
    never takes (a dimension: in the range): the filter still applies as written (a link keeps
    its meaning), and the page says so."""
    names = {n.name: n for n in filter_names(serving.snapshot(), view.metric) if n.kind == "text"}
    out = []
    for f in view.filters:
        if is_equality(f) and f.dimension in names:
            seen = set(text_choices(serving, view, names[f.dimension])[0])
            missing = [str(v) for v in f.values if str(v) not in seen]
            if missing:
                out.append((f.dimension, missing))
    return out
