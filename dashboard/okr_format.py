"""A key result's number as people read it: the metric's format, or the manual unit."""

from __future__ import annotations

from dashboard.formatting import default_decimals, format_value
from metric_layer.spec import Spec
from okrs.model import KeyResult


def format_kr_value(kr: KeyResult, spec: Spec, value: float) -> str:
    """`13`, `¥12,792`, `4.2` (the mean of weekly counts is not whole), `3 partners`."""
    if kr.manual:
        return f"{value:,g} {kr.unit}"
    metric = spec.metric(kr.metric)  # type: ignore[arg-type]
    if kr.read == "average" and metric.decimals is None and not float(value).is_integer():
        metric = metric.model_copy(update={"decimals": max(1, default_decimals(metric, value))})
    return format_value(value, metric, spec.currency)
