"""An explanation as the rows a page shows: who moved the metric, in the parent's unit, signed.

One conversion for the Explorer's "Why did it move?" panel, the Tree's edges, the Overview's
sentence, the review mode's Why slide and the Drivers page, so no two of them can disagree; it
reads analysis.report's records, which the CLI prints, so the terminal agrees too.

- a driver row: a child of the explained metric in north_star.tree, its contribution to the
  parent's change (LMDI, Shapley or a plain difference: they add up to the change);
- a `related` row: a child with no exact share (the text gives the correlation instead);
- the `not explained` row: what the tree's relation leaves over when it does not hold in the data;
- a segment row: a ranked finding of the root-cause search.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Any

from analysis.explain import Explanation, find_node
from analysis.ranges import DayRange
from analysis.report import driver_records, segment_records, segment_verdict
from dashboard.formatting import MISSING, format_delta, format_value

NOT_EXPLAINED = "not explained"


@dataclass(frozen=True)
class WhyRow:
    kind: str  # driver | related | residual | segment
    label: str  # "Buyers", "not explained", "platform=web × size=small"
    contribution: float | None  # to the parent's change, in its unit; None: related
    text: str  # the contribution as shown: "+367", "-¥300.00", "+1.25 pts"; related: "r = 0.42"
    before: str = ""  # the row's own values (a driver's in its unit, a segment's in the metric's)
    after: str = ""
    share: float | None = None  # of the parent's change
    detail: str = ""  # a segment's one-line explanation; a driver's method
    metric: str | None = None  # a driver's metric
    parent: str | None = None
    segment: tuple = ()  # a segment's ((dimension, value), …)
    effect: str = ""  # a segment's rate / mix / difference
    correlation: float | None = None  # a related driver's r with its parent, when known


@dataclass(frozen=True)
class WhyDisplay:
    """An explanation of one metric's move, formatted: the headline numbers and the rows."""

    metric: Any  # the spec's metric
    current: DayRange
    baseline: DayRange
    before: float
    after: float
    change: float
    summary: str  # "11 → 13 · +2 (+18.2%)"
    change_text: str  # "+2"
    drivers: list[WhyRow]  # the metric's children in tree order, `not explained` last
    segments: list[WhyRow]  # ranked findings (empty: not searched, or nothing stands out)
    verdict: str  # what the segment search found, in a sentence
    notes: list[str] = field(default_factory=list)
    relation: str | None = None  # the tree's relation under the metric

    @property
    def exact_drivers(self) -> list[WhyRow]:
        return [r for r in self.drivers if r.kind in ("driver", "residual")]

    @property
    def residual(self) -> WhyRow | None:
        return next((r for r in self.drivers if r.kind == "residual"), None)

    @property
    def biggest_mover(self) -> WhyRow | None:
        """The driver with the largest |contribution| (what the tree's relation leaves over is not
        a driver), else the top segment, else None."""
        movers = [r for r in self.drivers if r.kind == "driver" and _number(r.contribution)]
        if movers:
            return max(movers, key=lambda r: abs(r.contribution or 0.0))
        return self.segments[0] if self.segments else None


def _number(value: float | None) -> bool:
    return value is not None and not math.isnan(value)


def _pct(change_pct: float | None) -> str:
    return f" ({change_pct * 100:+.1f}%)" if _number(change_pct) else ""


def edge_rows(e: Explanation, spec: Any) -> list[WhyRow]:
    """Every edge under the explained metric, each child's contribution in its parent's unit."""
    rows = []
    for r in driver_records(e):
        if r["parent"] is None:
            continue
        parent = spec.metric(r["parent"])
        if r["method"] == "residual":
            rows.append(
                WhyRow(
                    "residual",
                    NOT_EXPLAINED,
                    r["contribution"],
                    format_delta(r["contribution"], parent, spec.currency),
                    share=r["share_of_parent_change"],
                    detail=r["note"],
                    parent=r["parent"],
                )
            )
            continue
        child = spec.metric(r["metric"])
        related = r["contribution"] is None
        if related:
            corr = r["correlation"]
            text = f"r = {corr:.2f}" if corr is not None else "related"
        else:
            text = format_delta(r["contribution"], parent, spec.currency)
        rows.append(
            WhyRow(
                "related" if related else "driver",
                child.title,
                r["contribution"],
                text,
                format_value(r["before"], child, spec.currency),
                format_value(r["after"], child, spec.currency),
                r["share_of_parent_change"],
                detail=r["note"] or r["method"],
                metric=r["metric"],
                parent=r["parent"],
                correlation=r["correlation"],
            )
        )
    return rows


def segment_rows(e: Explanation, spec: Any, top: int | None = None) -> list[WhyRow]:
    """The ranked findings, each with its contribution in the metric's unit."""
    metric = spec.metric(e.metric)

    def value(v: float) -> str:
        return format_value(v, metric, spec.currency)

    def delta(v: float) -> str:
        return format_delta(v, metric, spec.currency)

    findings = e.segments.findings if e.segments else []
    rows = [
        WhyRow(
            "segment",
            s["segment"],
            s["contribution"],
            delta(s["contribution"]),
            value(s["before"]),
            value(s["after"]),
            s["share_of_change"],
            detail=s["explanation"],
            segment=f.segment,
            effect=s["effect"],
        )
        for s, f in zip(segment_records(e, value, delta), findings, strict=True)
    ]
    return rows[:top] if top is not None else rows


def why_display(e: Explanation, spec: Any, top: int | None = 3) -> WhyDisplay:
    """The explanation as a page shows it: its headline and its direct drivers and top segments."""
    metric = spec.metric(e.metric)
    c = e.comparison
    change = format_delta(c.change, metric, spec.currency)
    before = format_value(c.before, metric, spec.currency)
    after = format_value(c.after, metric, spec.currency)
    tree = spec.north_star.tree if spec.north_star else None
    node = find_node(tree, e.metric)
    return WhyDisplay(
        metric=metric,
        current=e.current,
        baseline=e.baseline,
        before=c.before,
        after=c.after,
        change=c.change,
        summary=f"{before} → {after} · {change}{_pct(c.change_pct)}",
        change_text=change,
        drivers=[r for r in edge_rows(e, spec) if r.parent == e.metric],
        segments=segment_rows(e, spec, top),
        verdict=segment_verdict(e),
        notes=list(e.notes),
        relation=node.relation if node else None,
    )


def in_words(title: str) -> str:
    """A title inside a sentence: "Paid orders" → "paid orders"; "AOV", "CAC" stay as written."""
    first = title.split(" ", 1)[0]
    return title if first.isupper() and len(first) > 1 else title[:1].lower() + title[1:]


def mover_sentence(d: WhyDisplay, against: str) -> str:
    """One sentence naming the biggest mover: "Biggest mover: buyers, +367 of +2 orders vs the
    previous week." `against` names the comparison ("vs the previous week")."""
    noun = in_words(d.metric.title)
    if d.change_text == MISSING:
        return f"No comparison {against}: {noun} has no value in one of the periods."
    if d.change == 0:
        return f"{d.metric.title} held {against}."
    mover = d.biggest_mover
    if mover is None:
        return f"Nothing stands out: no driver or segment explains the {d.change_text} {against}."
    who = mover.label if mover.kind == "segment" else in_words(mover.label)
    sentence = f"Biggest mover: {who}, {mover.text} of {d.change_text} {noun} {against}."
    rest = d.residual
    if rest is not None and mover.kind != "segment":
        relation = d.relation or "relation"
        sentence += f" The {relation} of its drivers leaves {rest.text} unexplained."
    return sentence


def change_texts(e: Explanation, spec: Any) -> dict[str, str]:
    """Each tree metric's own change in its unit ("+2"), for "+367 of +2 orders" on an edge."""
    return {
        r.metric: format_delta(r.change, spec.metric(r.metric), spec.currency)
        for r in e.drivers
        if r.metric != "residual"
    }
