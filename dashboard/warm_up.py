"""A new snapshot's first questions answered in the background, so the first visitor after a
publish does not pay for compiling a dozen queries."""

from __future__ import annotations

import logging
from typing import Any

from dashboard.lookback import lookback_queries

logger = logging.getLogger("dashboard.serving")  # as before it moved here


def warm_up(snap: Any) -> None:  # a dashboard.serving.Snapshot (it imports this module)
    """Compile and run once what the Overview and Tree ask first, in the background, so the first
    visitor after a publish does not pay for compiling a dozen queries (best effort)."""
    ns = snap.spec.north_star
    if ns is None:
        return
    nodes = [ns.tree] if ns.tree else []
    metrics = [ns.metric]
    while nodes:
        node = nodes.pop(0)
        metrics.append(node.metric)
        nodes.extend(node.children)
    try:
        for metric in dict.fromkeys(metrics):
            for query in lookback_queries(metric, ns.grain, snap.today(), snap.spec.week_start):
                snap.service.query(query)
    except Exception:  # a real request will show the error properly
        logger.warning("warming snapshot %s failed", snap.version, exc_info=True)
