"""The Explorer's controls, each set from the view (the URL) so the page is its URL."""

from __future__ import annotations

from datetime import date

import dash_mantine_components as dmc
from dash import html

from dashboard import ids
from dashboard.breakdown import is_additive
from dashboard.views import (
    COMPARES,
    GRAINS,
    RANGES,
    TOP_MAX,
    TOP_MIN,
    ExplorerView,
    is_equality,
    is_negated,
    range_dates,
)
from metric_layer.query import DimensionFilter
from metric_layer.semantics import Semantics
from metric_layer.spec import Spec


def _dimension_names(semantics: Semantics, metric: str) -> list[str]:
    # Qualified names (customers.channel) repeat the short ones; users pick the short name.
    return [d for d in semantics.dimensions_of_metric(metric) if "." not in d]


def controls(spec: Spec, semantics: Semantics, view: ExplorerView, today: date) -> html.Div:
    metric = spec.metric(view.metric)
    dims = _dimension_names(semantics, view.metric)
    start, end = range_dates(view.range, today, view.start, view.end, spec.week_start)
    # The picker edits the last is/is-not filter; every filter shows as a chip that keeps its meaning.
    editable = [f for f in view.filters if is_equality(f)]
    current_filter = editable[-1] if editable else None
    metric_options = [{"value": m.name, "label": m.title} for m in spec.metrics]
    return html.Div(
        [
            dmc.Group(
                [
                    dmc.Select(
                        id=ids.EXPLORER_METRIC,
                        data=metric_options,
                        value=view.metric,
                        searchable=True,
                        allowDeselect=False,
                        w=260,
                        size="md",
                        label="Metric",
                    ),
                    dmc.Stack(
                        [
                            dmc.Title(metric.title, order=2),
                            dmc.Text(metric.description or "", c="dimmed", size="sm"),
                        ],
                        gap=0,
                    ),
                ],
                align="flex-end",
                mb="sm",
            ),
            dmc.Group(
                [
                    dmc.SegmentedControl(
                        id=ids.EXPLORER_GRAIN,
                        value=view.grain,
                        data=[{"value": g, "label": g.capitalize()} for g in GRAINS],
                    ),
                    dmc.Select(
                        id=ids.EXPLORER_RANGE,
                        value=view.range,
                        allowDeselect=False,
                        w=160,
                        data=[{"value": k, "label": v} for k, v in RANGES.items()],
                    ),
                    dmc.DatePickerInput(
                        id=ids.EXPLORER_DATES,
                        type="range",
                        w=250,
                        value=[start.isoformat(), end.isoformat()],
                        style=None if view.range == "custom" else {"display": "none"},
                    ),
                    dmc.Select(
                        id=ids.EXPLORER_COMPARE,
                        value=view.compare,
                        allowDeselect=False,
                        w=200,
                        data=[{"value": k, "label": v} for k, v in COMPARES.items()],
                    ),
                ],
                gap="sm",
                mb="xs",
            ),
            dmc.Group(
                [
                    dmc.Select(
                        id=ids.EXPLORER_BY,
                        value=view.by,
                        data=dims,
                        clearable=True,
                        placeholder="Break down by…",
                        w=180,
                    ),
                    dmc.SegmentedControl(
                        id=ids.EXPLORER_CHART,
                        value=view.chart,
                        data=[
                            {"value": "lines", "label": "Lines"},
                            {
                                "value": "stacked",
                                "label": "Stacked",
                                "disabled": not is_additive(metric),
                            },
                        ],
                        style=None if view.by else {"display": "none"},
                    ),
                    dmc.NumberInput(
                        id=ids.EXPLORER_TOP,
                        value=view.top,
                        min=TOP_MIN,
                        max=TOP_MAX,
                        allowDecimal=False,
                        w=110,
                        prefix="Top ",
                        style=None if view.by else {"display": "none"},
                    ),
                    dmc.Select(
                        id=ids.EXPLORER_FILTER_DIM,
                        data=dims,
                        clearable=True,
                        w=170,
                        placeholder="Filter on…",
                        value=current_filter.dimension if current_filter else None,
                    ),
                    dmc.SegmentedControl(
                        id=ids.EXPLORER_FILTER_OP,
                        data=[{"value": "is", "label": "is"}, {"value": "not", "label": "is not"}],
                        value="not" if current_filter and is_negated(current_filter) else "is",
                        size="xs",
                    ),
                    dmc.MultiSelect(
                        id=ids.EXPLORER_FILTER_VALUES,
                        w=260,
                        clearable=True,
                        searchable=True,
                        placeholder="values",
                        data=[str(v) for v in current_filter.values] if current_filter else [],
                        value=[str(v) for v in current_filter.values] if current_filter else [],
                    ),
                    dmc.Group(
                        [
                            dmc.Button(
                                "Export CSV", id=ids.EXPORT_CSV, variant="default", size="sm"
                            ),
                            dmc.Button(
                                "Export PNG", id=ids.EXPORT_PNG, variant="default", size="sm"
                            ),
                        ],
                        gap="xs",
                        ml="auto",
                    ),
                ],
                gap="sm",
                mb="xs",
            ),
            filter_chips(view.filters),
            html.Div(id=ids.EXPLORER_MESSAGE),
        ],
        style={"marginBottom": 16},
    )


_OPS = {"=": "is", "in": "is one of", "!=": "is not", "not in": "is none of"}


def filter_label(f: DimensionFilter) -> str:
    """`platform is not ios`, `channel is one of ads, email`, `amount > 100`."""
    return f"{f.dimension} {_OPS.get(f.op, f.op)} {', '.join(str(v) for v in f.values)}"


def filter_chips(filters: tuple[DimensionFilter, ...]) -> html.Div | None:
    """Every filter of the view, each removable; comparisons can only be removed, not edited."""
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
        [dmc.Text("Filters:", size="sm", c="dimmed"), *chips], gap="xs", id=ids.EXPLORER_FILTERS
    )
