"""An Explanation as plain records: what the CLI prints (table, CSV, JSON) and the page shows.

One conversion for every output, so the terminal and the Drivers page cannot disagree.
"""

from __future__ import annotations

import math
from typing import Any

from analysis.explain import Explanation
from analysis.segments import describe


def _num(value: float | None) -> float | None:
    return (
        None if value is None or (isinstance(value, float) and math.isnan(value)) else float(value)
    )


def summary_record(e: Explanation) -> dict[str, Any]:
    c = e.comparison
    return {
        "metric": e.metric,
        "current": str(e.current),
        "baseline": str(e.baseline),
        "before": _num(c.before),
        "after": _num(c.after),
        "change": _num(c.change),
        "change_pct": _num(c.change_pct),
        "partial": c.partial,
    }


def driver_records(e: Explanation) -> list[dict[str, Any]]:
    parent_change = {r.metric: r.change for r in e.drivers if r.metric != "residual"}
    out = []
    for r in e.drivers:
        total = parent_change.get(r.parent or "", math.nan)
        share = r.contribution / total if r.contribution is not None and total else None
        out.append(
            {
                "metric": r.metric,
                "parent": r.parent,
                "depth": r.depth,
                "before": _num(r.before),
                "after": _num(r.after),
                "change": _num(r.change),
                "contribution": _num(r.contribution),
                "share_of_parent_change": _num(share),
                "method": r.method,
                "correlation": _num(r.correlation),
                "note": r.note,
            }
        )
    return out


def segment_records(e: Explanation, fmt_value=None, fmt_change=None) -> list[dict[str, Any]]:
    """The ranked findings (the answer), each with a one-line explanation."""
    if e.segments is None:
        return []
    change = e.segments.change
    fmt_value = fmt_value or (lambda v: f"{v:,.4g}")
    fmt_change = fmt_change or (lambda v: f"{v:+,.4g}")
    return [
        {
            "rank": i,
            "segment": f.label,
            "before": _num(f.before),
            "after": _num(f.after),
            "contribution": _num(f.contribution),
            "share_of_change": _num(f.contribution / change) if change else None,
            "rate_effect": _num(f.rate),
            "mix_effect": _num(f.mix),
            "effect": f.effect,
            "overlapping": f.overlapping,
            "explanation": describe(f, change, fmt_value, fmt_change),
        }
        for i, f in enumerate(e.segments.findings, start=1)
    ]


def segment_verdict(e: Explanation) -> str:
    if e.segments is None:
        return "segments not searched"
    if e.segments.nothing_stands_out:
        return "nothing stands out: no segment explains the change more than the others"
    overlaps = [" × ".join(d) for d in e.segments.overlapping]
    note = (
        f" (segments overlap for {', '.join(overlaps)}: ranked by own change)" if overlaps else ""
    )
    return f"{len(e.segments.findings)} segment(s) explain the change{note}"
