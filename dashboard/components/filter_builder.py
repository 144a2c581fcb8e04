"""The Explorer's filter builder (name, operator, values, Add) and the chips of the view's filters.

The builder only proposes: its Add button writes a new URL with one more filter (ANDed), and the
page re-renders from it; chips show every filter of the URL, each removable, in its own words.
"""

from __future__ import annotations

import dash_mantine_components as dmc
from dash import dcc, html

from dashboard import ids
from dashboard.conditions import Condition, Filter
from dashboard.explorer_filters import FilterName

_WORDS = {
    "=": "is",
    "in": "is one of",
    "!=": "is not",
    "not in": "is none of",
    "is null": "has no value",
    "is not null": "has a value",
}
HIDDEN = {"display": "none"}


def filter_label(f: Filter) -> str:
    """`platform is not ios`, `channel is one of ads, email`, `amount > 100`,
    `amount between 10 and 20`, `coupon has no value`."""
    if isinstance(f, Condition) and f.op == "between":
        return f"{f.dimension} between {f.values[0]} and {f.values[1]}"
    values = ", ".join(str(v) for v in f.values)
    return f"{f.dimension} {_WORDS.get(f.op, f.op)}{' ' + values if values else ''}"


def _name_options(names: list[FilterName]) -> list[dict]:
    groups = [
        ("Dimensions", [n for n in names if n.dimension]),
        ("Columns", [n for n in names if not n.dimension]),
    ]
    return [
        {"group": title, "items": [{"value": n.name, "label": n.name} for n in found]}
        for title, found in groups
        if found
    ]


def filter_builder(names: list[FilterName]) -> dmc.Group:
    """One condition at a time: pick a name, then its operators and value inputs appear."""
    return dmc.Group(
        [
            dmc.Text("Filter", size="sm", c="dimmed", w=40),
            dmc.Select(
                id=ids.EXPLORER_FILTER_DIM,
                data=_name_options(names),
                clearable=True,
                searchable=True,
                w=170,
                placeholder="Filter on…",
                value=None,
            ),
            dmc.Select(
                id=ids.EXPLORER_FILTER_OP,
                data=[],
                value=None,
                allowDeselect=False,
                w=140,
                placeholder="operator",
                disabled=True,
            ),
            dmc.MultiSelect(
                id=ids.EXPLORER_FILTER_VALUES,
                w=300,
                clearable=True,
                searchable=True,
                placeholder="values",
                data=[],
                value=[],
                maxValues=50,
                style=HIDDEN,
            ),
            dmc.NumberInput(
                id=ids.EXPLORER_FILTER_NUMBER, w=130, placeholder="number", style=HIDDEN
            ),
            dmc.Text("and", id=ids.EXPLORER_FILTER_AND, size="sm", style=HIDDEN),
            dmc.NumberInput(
                id=ids.EXPLORER_FILTER_NUMBER_TO, w=130, placeholder="number", style=HIDDEN
            ),
            dmc.Button(
                "Add filter",
                id=ids.EXPLORER_FILTER_ADD,
                variant="light",
                size="sm",
                disabled=True,
            ),
            dmc.Text(id=ids.EXPLORER_FILTER_HINT, size="xs", c="dimmed"),
            dcc.Store(id=ids.EXPLORER_FILTER_KIND, data=None),
        ],
        gap="sm",
        mb="xs",
    )


def filter_chips(filters: tuple[Filter, ...]) -> html.Div | None:
    """Every filter of the view, each removable."""
    if not filters:
        return None
    chips = [
        dmc.Badge(
            filter_label(f),
            variant="light",
            size="lg",
            tt="none",
            rightSection=dmc.ActionIcon(
                "×",
                id={"type": ids.EXPLORER_FILTER_REMOVE, "index": i},
                size="xs",
                variant="transparent",
                **{"aria-label": f"remove filter {filter_label(f)}"},
            ),
        )
        for i, f in enumerate(filters)
    ]
    return dmc.Group(
        [dmc.Text("Filters (all apply):", size="sm", c="dimmed"), *chips],
        gap="xs",
        id=ids.EXPLORER_FILTERS,
    )
