"""Typed values out of an address's query parameters, every problem collected before raising.

The rules every page's address follows (url_state.py holds each page's view): an empty value means
"not given"; a key given twice, a value of the wrong type or out of bounds, or a filter the page
cannot show exactly is a problem; `Reader.done()` raises one `UrlStateError` listing them all.
"""

from __future__ import annotations

import re
from collections.abc import Collection, Mapping
from datetime import date
from urllib.parse import parse_qs, unquote, urlsplit

import dash
from dash.exceptions import MissingCallbackContextException

from analysis.ranges import DayRange
from dashboard.conditions import Condition, Filter, parse_condition
from dashboard.views import DRIVER_MAX_DAYS
from metric_layer.bounds import EARLIEST, LATEST
from metric_layer.query import DimensionFilter

Params = Mapping[str, object]  # key → str, or list[str] when repeated (as Dash's router gives)
_DAY = re.compile(r"[0-9]{4}-[0-9]{2}-[0-9]{2}")
_WHOLE = re.compile(r"[0-9]{1,9}")
_COMPARISONS = (">", ">=", "<", "<=")
FILTERS_LONGEST = 2000  # characters of `filters=`; a longer one is refused, never cut
_LOCATION = "_pages_location"  # Dash pages' location component


class UrlStateError(ValueError):
    """The address (or a store holding one) has something the page cannot show exactly."""

    def __init__(self, problems: list[str]) -> None:
        self.problems = problems
        super().__init__("\n".join(problems))


def quoted(value: object) -> str:
    """`value` for a message: quoted, and cut at 40 characters (never echo a huge value)."""
    text = str(value)
    return repr(text if len(text) <= 40 else text[:40] + "…")  # never echo a huge value back


class Reader:
    """Reads typed values from query parameters, collecting every problem before raising."""

    def __init__(self, params: object) -> None:
        self.params: Mapping = params if isinstance(params, Mapping) else {}
        self.problems: list[str] = [] if isinstance(params, Mapping) else ["no address to read"]

    def text(self, key: str, longest: int = 200) -> str | None:
        value = self.params.get(key)
        if isinstance(value, list | tuple):
            self.problems.append(f"`{key}` is given {len(value)} times; keep one")
            return None
        if value is None or value == "":
            return None
        if not isinstance(value, str):
            self.problems.append(f"`{key}` must be text")
            return None
        if len(value) > longest:
            self.problems.append(f"`{key}` is longer than {longest} characters")
            return None
        return value

    def choice(self, key: str, allowed: Collection[str], default: str | None) -> str | None:
        value = self.text(key)
        if value is None:
            return default
        if value not in allowed:
            self.problems.append(
                f"`{key}` must be one of {', '.join(allowed)}, not {quoted(value)}"
            )
            return default
        return value

    def whole(self, key: str, lo: int, hi: int, default: int) -> int:
        value = self.text(key)
        if value is None:
            return default
        if not _WHOLE.fullmatch(value) or not lo <= int(value) <= hi:
            self.problems.append(
                f"`{key}` must be a whole number from {lo} to {hi}, not {quoted(value)}"
            )
            return default
        return int(value)

    def day(self, key: str) -> date | None:
        value = self.text(key)
        if value is None:
            return None
        day = parse_day(value)
        if isinstance(day, str):
            self.problems.append(f"`{key}`: {day}")
            return None
        return day

    def day_range(self, first: str, last: str) -> DayRange | None:
        """Days `first`..`last` (both or neither given), at most DRIVER_MAX_DAYS long."""
        known = len(self.problems)
        start, end = self.day(first), self.day(last)
        if len(self.problems) > known or (start is None and end is None):
            return None
        if start is None or end is None:
            self.problems.append(f"a range needs both {first} and {last} (YYYY-MM-DD)")
        elif start > end:
            self.problems.append(f"{first} {start} is after {last} {end}")
        elif (end - start).days + 1 > DRIVER_MAX_DAYS:
            self.problems.append(
                f"{first}..{last} spans {(end - start).days + 1} days; pick at most {DRIVER_MAX_DAYS}"
            )
        else:
            return DayRange(start, end)
        return None

    def filters(
        self,
        key: str,
        dimensions: Collection[str] | None,
        columns: Collection[str] | None = None,
        conditions: bool = False,
    ) -> tuple[Filter, ...]:
        """`key`'s filters, `;`-separated; names are dimensions (or, given, columns of the rows
        counted); with `conditions`, also between and null tests (dashboard.conditions)."""
        value = self.text(key, FILTERS_LONGEST)
        if value is None:
            return ()
        out: list[Filter] = []
        for part in value.split(";"):
            found: Filter | str | None = parse_condition(part) if conditions else None
            if isinstance(found, Condition):
                found = _known(found, dimensions, columns)
            elif found is None:
                found = parse_filter(part, dimensions, columns)
            if isinstance(found, str):
                # DimensionFilter.parse names the filter itself; the schema's own checks do not
                named = found.startswith("filter ")
                self.problems.append(found if named else f"filter {quoted(part)}: {found}")
            else:
                out.append(found)
        return tuple(out)

    def done(self) -> None:
        if self.problems:
            raise UrlStateError(self.problems)


def parse_day(text: str) -> date | str:
    """A day written YYYY-MM-DD within the days the calendars handle, or what is wrong with it."""
    if not _DAY.fullmatch(text):
        return f"write days as YYYY-MM-DD, not {quoted(text)}"
    try:
        day = date.fromisoformat(text)
    except ValueError:
        return f"{text} is not a day of the calendar"
    if not EARLIEST <= day <= LATEST:
        return f"{text} is outside {EARLIEST}..{LATEST}; pick a day in that range"
    return day


def _known(
    f: Filter, dimensions: Collection[str] | None, columns: Collection[str] | None
) -> Filter | str:
    """`f`, or what is wrong with its name (not a dimension, nor one of `columns` when given)."""
    if dimensions is None or f.dimension in dimensions or f.dimension in (columns or ()):
        return f
    known = ", ".join(sorted(d for d in dimensions if "." not in d)) or "none"
    if columns is None:
        return f"{quoted(f.dimension)} is not a dimension of this metric (dimensions: {known})"
    others = ", ".join(sorted(set(columns) - set(dimensions))) or "none"
    return (
        f"{quoted(f.dimension)} is neither a dimension of this metric (dimensions: {known}) "
        f"nor a column of the rows it counts (columns: {others})"
    )


def parse_filter(
    text: str, dimensions: Collection[str] | None, columns: Collection[str] | None = None
) -> DimensionFilter | str:
    """One filter as written by `views.filter_text`, or what is wrong with it."""
    try:
        raw = DimensionFilter.parse(text)
    except ValueError as exc:
        return str(exc)
    if not raw.dimension:
        return "name a dimension before the operator, like platform!=ios"
    known = _known(raw, dimensions, columns)
    if isinstance(known, str):
        return known
    # Values in links escape the operator characters; an unescaped one means a mistyped operator.
    if any(not v or any(c in v for c in "=!<>") for v in raw.values):
        return "write dimension=value, dimension!=a,b or dimension>value (one operator, no empty value)"
    if raw.op in _COMPARISONS and len(raw.values) != 1:
        return f"{raw.op} takes exactly one value"
    return DimensionFilter(raw.dimension, raw.op, tuple(unquote(v) for v in raw.values))


def query_params(search: object) -> dict[str, str | list[str]]:
    """`?a=1&a=2&b=` → {"a": ["1", "2"], "b": ""}: a repeated key stays visible as a list."""
    if not isinstance(search, str):
        raise UrlStateError(["the address's query must be text"])
    parsed = parse_qs(search.lstrip("?"), keep_blank_values=True)
    return {k: v[0] if len(v) == 1 else v for k, v in parsed.items()}


def page_location(kwargs: Params) -> tuple[str | None, Params]:
    """(path, query parameters) of the page being rendered. Dash's router merges path variables and
    query parameters into one dict, so `?name=revenue` would replace `/metric/<name>`'s metric: read
    the router's own inputs instead. Outside a callback (unit tests) the kwargs are the query."""
    try:
        inputs = dash.ctx.inputs
    except MissingCallbackContextException:
        return None, kwargs
    path, search = inputs.get(f"{_LOCATION}.pathname"), inputs.get(f"{_LOCATION}.search")
    if not isinstance(path, str):
        return None, kwargs
    return path, query_params(search or "")


def split_href(href: object) -> tuple[str, dict[str, str | list[str]]]:
    """A stored href → (path, query parameters)."""
    if not isinstance(href, str) or not href.startswith("/"):
        raise UrlStateError(["the page's state is not a link; reload the page"])
    parts = urlsplit(href)
    return unquote(parts.path), query_params(parts.query)
