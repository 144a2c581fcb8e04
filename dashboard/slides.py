"""Which slides review mode shows, in which order, from `?slides=` (pure: no page, no query)."""

from __future__ import annotations

from typing import Any

from dashboard.lineage import first_drivers

WHY = "why:"  # the North Star's Why slide (no metric name holds a colon)
ALERTS = "alerts:"  # the firing and this week's resolved alerts
OKRS = "okrs:"  # the current quarter's objectives with score, colour and pace
DECK = ("nsm", "why", "drivers", "alerts", "okrs")  # the review's order (issue 15)


def slide_list(spec: Any, text: str, alerts: bool = False, okrs: bool = False) -> list[str]:
    """Metric names to show: `nsm` is the North Star, `why` its Why slide (WHY), `drivers` its
    first drivers, `alerts` the alerts slide (ALERTS), `okrs` the OKRs slide (OKRS), others are
    metric names; unknown dropped. Without a list: the North Star, its Why slide, its drivers,
    then the alerts when `alerts` (some rule is configured: a deck without rules has nothing to
    say there), then the OKRs when `okrs` (some are defined). A list given is shown exactly as
    written."""
    given = [s.strip() for s in text.split(",") if s.strip()]
    shown = {"alerts": alerts, "okrs": okrs}
    wanted = given or [s for s in DECK if shown.get(s, True)]
    out: list[str] = []
    for item in wanted:
        if item == "nsm" and spec.north_star:
            out.append(spec.north_star.metric)
        elif item == "why" and spec.north_star and "why" not in spec.metric_names:
            out.append(WHY)
        elif item == "alerts" and "alerts" not in spec.metric_names:
            out.append(ALERTS)
        elif item == "okrs" and "okrs" not in spec.metric_names:
            out.append(OKRS)
        elif item == "drivers":
            out += [n.metric for n in first_drivers(spec)]
        elif item in spec.metric_names:
            out.append(item)
        # unknown names are skipped rather than shown as errors on a TV
    return list(dict.fromkeys(out))


def node_targets(spec: Any, name: str) -> list:
    def walk(node: Any) -> list | None:
        if node.metric == name:
            return list(node.targets)
        for child in node.children:
            found = walk(child)
            if found is not None:
                return found
        return None

    tree = spec.north_star.tree if spec.north_star else None
    return (walk(tree) if tree else None) or []
