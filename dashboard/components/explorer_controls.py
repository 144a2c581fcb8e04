"""The Explorer's controls, each set from the view (the URL) so the page is its URL."""

from __future__ import annotations

from datetime import date

import dash_mantine_components as dmc
from dash import html

from dashboard import ids
from dashboard.breakdown import is_additive
from dashboard.components.filter_builder import filter_builder, filter_chips
from dashboard.explorer_filters import FilterName
from dashboard.views import (
    COMPARES,
    EXPLORER_GRAINS,
    RANGES,
    TOP_MAX,
    TOP_MIN,
    ExplorerView,
    range_dates,
)
from metric_layer.semantics import Semantics
from metric_layer.spec import Spec

_GRAIN_WORDS = {"all": "Whole range"}  # grain `all`: one value over the range picked


def _dimension_names(semantics: Semantics, metric: str) -> list[str]:
    # Qualified names (customers.channel) repeat the short ones; users pick the short name.
    return [d for d in semantics.dimensions_of_metric(metric) if "." not in d]


def controls(
    spec: Spec, semantics: Semantics, view: ExplorerView, today: date, names: list[FilterName]
) -> html.Div:
    """The controls of `view`; `names` are what the filter builder offers."""
    metric = spec.metric(view.metric)
    dims = _dimension_names(semantics, view.metric)
    start, end = range_dates(view.range, today, view.start, view.end, spec.week_start)
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
                        data=[
                            {"value": g, "label": _GRAIN_WORDS.get(g, g.capitalize())}
                            for g in EXPLORER_GRAINS
                        ],
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
                        valueFormat="D MMM YYYY",  # both days on one line
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
                        # grain `all` draws bars: nothing to stack
                        style=None if view.by and view.grain != "all" else {"display": "none"},
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
            filter_builder(names),
            filter_chips(view.filters),
            html.Div(id=ids.EXPLORER_MESSAGE),
        ],
        style={"marginBottom": 16},
    )
