"""What a cumulative metric may accumulate: the checks metric_rules.py runs on its keys.

Kept apart from metric_rules.py (which calls it and adds the issues with their lines) so the rules
of one metric type read in one place.
"""

from __future__ import annotations

from metric_layer.spec import CumulativeMetric, SimpleMetric

# (key under the metric, message, hint)
Problem = tuple[str, str, str | None]


def cumulative_problems(metric: CumulativeMetric, metrics: dict[str, object]) -> list[Problem]:
    """Problems of a cumulative metric whose input metric exists."""
    problems: list[Problem] = []
    if metric.window is not None and metric.grain_to_date is not None:
        problems.append(
            (
                "grain_to_date",
                "`window` and `grain_to_date` cannot both be set",
                "keep `window` for a trailing window (revenue over the last 28 days) or "
                "`grain_to_date` for month-, quarter- or year-to-date",
            )
        )
    name = metric.input_metric.metric
    source = metrics[name]
    if isinstance(source, SimpleMetric) and source.agg in ("count", "sum"):
        return problems
    kind = (
        f"a `{source.agg}` metric"
        if isinstance(source, SimpleMetric)
        else f"a {getattr(source, 'type', 'different')} metric"
    )
    if isinstance(source, SimpleMetric) and source.agg == "count_distinct":
        hint = "distinct entities over a trailing window are an `active` metric (type: active)"
    elif getattr(source, "type", None) in ("ratio", "derived"):
        hint = "accumulate its parts in cumulative metrics and divide those in a ratio metric"
    else:
        hint = "accumulate a simple metric with agg count or sum"
    problems.append(
        (
            "input_metric",
            f"a cumulative metric adds up daily values of a count or sum; `{name}` is {kind}",
            hint,
        )
    )
    return problems
