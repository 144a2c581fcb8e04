"""Cross-reference rules over a structurally valid spec; each returns issues, none raises.

Like MetricFlow's validator: many small rules, all run, every issue collected with its location.
The rules live by the section of metrics.yml they read: model_rules.py (time zones, names, models
and their columns), metric_rules.py (each metric type; cumulative_rules.py for cumulative ones),
north_star_rules.py (the driver tree), sql_rules.py (SQL written in the spec).
"""

from __future__ import annotations

from collections.abc import Callable

from metric_layer.errors import SpecIssue
from metric_layer.metric_rules import check_cycles, check_metrics
from metric_layer.model_rules import check_duplicates, check_models, check_time_zones
from metric_layer.north_star_rules import check_north_star
from metric_layer.rule_context import Columns, RuleContext
from metric_layer.spec import Spec
from metric_layer.yaml_lines import LocatedDocument


def check_spec(
    spec: Spec, doc: LocatedDocument, columns: Columns | None = None, skip: set[str] | None = None
) -> list[SpecIssue]:
    """Every issue the rules find in `spec` (columns: the warehouse's, to check names against;
    skip: entries with structural errors already reported), in rule order."""
    ctx = RuleContext(spec, doc, columns, skip or set())
    for rule in RULES:
        rule(ctx)
    return ctx.issues


RULES: list[Callable[[RuleContext], None]] = [
    check_time_zones,
    check_duplicates,
    check_models,
    check_metrics,
    check_cycles,
    check_north_star,
]
