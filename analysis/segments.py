"""Segment root cause: which segments (one dimension, or a pair) moved a metric, and by how much.

Pure functions of frames. Two kinds of metric:
- additive (counts, sums): a segment contributes its own difference, after − before;
- ratio (conversion, AOV, refund rate) R = N / D = Σ w_i r_i with w_i = D_i / D, r_i = N_i / D_i:
  each segment's contribution splits into a rate effect (r_i moved, at its average weight) and a
  mix effect (its share of the denominator moved, valued at how far its rate is from the average):
      rate_i = (r_i₁ − r_i₀)(w_i₀ + w_i₁)/2,  mix_i = (w_i₁ − w_i₀)((r_i₀ + r_i₁)/2 − (R₀ + R₁)/2)
  Over the segments of one dimension these add up to R₁ − R₀ exactly (Σ w = 1 in both periods).
When a dimension's segments overlap (a distinct count where one entity holds several values, e.g.
buyers by order platform), their parts cannot add up to the total: the result says so and ranks
those segments by their own change instead.

Ranking (after Adtributor's explanatory power and surprise): a segment stands out when it explains
at least `min_explained` of the change and moved unlike the whole (its contribution differs from its
size-proportional share of the change by at least `min_surprise` of the change); segments smaller
than `min_size` of the volume never do, so noise does not top the list. A pair replaces the single
segment containing it when it carries `specific` (80 %) of that segment's contribution: the most
specific segment that explains the change is the answer. A finding that shares a dimension value
with a larger finding is left out (correlated dimensions repeat one cause).
"""

from __future__ import annotations

import itertools
import math
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, Literal

import pandas as pd

Kind = Literal["additive", "ratio"]
Segment = tuple[tuple[str, Any], ...]  # ((dimension, value), …)
NONE_LABEL = "(none)"


@dataclass(frozen=True)
class Totals:
    """The metric over everything: value (additive) or numerator and denominator (ratio)."""

    before: float
    after: float
    num_before: float = math.nan
    den_before: float = math.nan
    num_after: float = math.nan
    den_after: float = math.nan


@dataclass(frozen=True)
class SegmentEffect:
    segment: Segment
    before: float  # additive: the segment's value; ratio: its rate
    after: float
    contribution: float  # to the total's change (overlapping: the segment's own change)
    size: float  # share of the volume (additive) or of the denominator (ratio), both periods
    expected: float  # its contribution had it moved like the whole
    rate: float | None = None
    mix: float | None = None
    overlapping: bool = False

    @property
    def label(self) -> str:
        return " × ".join(f"{d}={v}" for d, v in self.segment)

    @property
    def effect(self) -> str:
        """Which part dominates a ratio segment's contribution: rate or mix."""
        if self.rate is None or self.mix is None:
            return "own change" if self.overlapping else "difference"
        return "rate effect" if abs(self.rate) >= abs(self.mix) else "mix effect"


@dataclass(frozen=True)
class RootCause:
    kind: Kind
    totals: Totals
    findings: list[SegmentEffect]  # ranked: the answer, most explanatory first
    effects: list[SegmentEffect] = field(default_factory=list)  # every segment considered
    overlapping: tuple[tuple[str, ...], ...] = ()  # dimension sets whose segments overlap

    @property
    def change(self) -> float:
        return self.totals.after - self.totals.before

    @property
    def nothing_stands_out(self) -> bool:
        return not self.findings


Sums = dict[tuple[Any, ...], tuple[float, ...]]  # segment values → additive parts


def segment_effects(
    before: pd.DataFrame, after: pd.DataFrame, dims: Sequence[str], kind: Kind, totals: Totals
) -> tuple[list[SegmentEffect], bool]:
    """Each segment's part of the change for one set of dimensions; and whether segments overlap.

    Frames have one row per segment: the dimension columns plus `value` (additive) or
    `numerator` and `denominator` (ratio). A segment missing from a frame counts as 0 there.
    """
    cols = _parts(kind)
    return effects_from_sums(
        sums_of(before, dims, cols), sums_of(after, dims, cols), dims, kind, totals
    )


def _parts(kind: Kind) -> list[str]:
    return ["value"] if kind == "additive" else ["numerator", "denominator"]


def segment_key(values: Sequence[Any]) -> tuple[Any, ...]:
    """A segment's values with NULL (None or NaN) as its own segment, shown as (none)."""
    return tuple(NONE_LABEL if v is None or v is pd.NA or v != v else v for v in values)


def sums_of(frame: pd.DataFrame, dims: Sequence[str], cols: Sequence[str]) -> Sums:
    """A frame's parts per segment (rows of one segment added up; a missing part is 0).

    Plain Python: these frames hold hundreds of rows, where pandas' per-call cost dominates."""
    keys = zip(*(frame[d].tolist() for d in dims), strict=True) if dims else [()] * len(frame)
    values = zip(*(frame[c].tolist() for c in cols), strict=True)
    out: dict[tuple[Any, ...], list[float]] = {}
    for key, parts in zip(keys, values, strict=True):
        into = out.setdefault(segment_key(key), [0.0] * len(cols))
        for i, v in enumerate(parts):
            if v is not None and v is not pd.NA and v == v:
                into[i] += float(v)
    return {k: tuple(v) for k, v in out.items()}


def normalized(parts: Mapping[tuple[Any, ...], Sequence[float]]) -> Sums:
    """Parts keyed by raw segment values (None = NULL) as sums_of keys them."""
    out: dict[tuple[Any, ...], tuple[float, ...]] = {}
    for key, values in parts.items():
        key = segment_key(key)
        if key in out:  # a NULL and a literal "(none)": one segment, as sums_of makes it
            values = tuple(a + b for a, b in zip(out[key], values, strict=True))
        out[key] = tuple(float(v) for v in values)
    return out


def effects_from_sums(
    before: Sums, after: Sums, dims: Sequence[str], kind: Kind, totals: Totals
) -> tuple[list[SegmentEffect], bool]:
    """segment_effects over parts already summed per segment (see sums_of)."""
    width = len(_parts(kind))
    rows = [
        (key, before.get(key, (0.0,) * width), after.get(key, (0.0,) * width))
        for key in _ordered(set(before) | set(after))
    ]
    if kind == "additive":
        effects = _additive(rows, dims, totals)
        whole0, whole1 = totals.before, totals.after
    else:
        effects = _ratio(rows, dims, totals)
        whole0, whole1 = totals.den_before, totals.den_after
    # Covered volume: the value (additive) or the denominator (ratio) over all segments.
    covered0 = math.fsum(r[1][-1] for r in rows)
    covered1 = math.fsum(r[2][-1] for r in rows)
    tol = 1e-9 * max(1.0, abs(whole0), abs(whole1))
    overlapping = abs(covered0 - whole0) > tol or abs(covered1 - whole1) > tol
    if overlapping:
        effects = [_as_overlapping(e) for e in effects]
    return effects, overlapping


def _ordered(keys: set[tuple[Any, ...]]) -> list[tuple[Any, ...]]:
    """Segments in sorted order (as an outer merge of grouped frames returns them)."""
    try:
        return sorted(keys)
    except TypeError:  # values of several types in one dimension
        return sorted(keys, key=lambda k: tuple(str(v) for v in k))


def _additive(rows, dims, t: Totals) -> list[SegmentEffect]:
    change = t.after - t.before
    volume = abs(t.before) + abs(t.after)
    effects = []
    for key, (a,), (b,) in rows:
        share0 = a / t.before if t.before else (b / t.after if t.after else 0.0)
        effects.append(
            SegmentEffect(
                tuple(zip(dims, key, strict=True)),
                a,
                b,
                b - a,
                (abs(a) + abs(b)) / volume if volume else 0.0,
                share0 * change,
            )
        )
    return effects


def _ratio(rows, dims, t: Totals) -> list[SegmentEffect]:
    r0 = t.num_before / t.den_before if t.den_before else math.nan
    r1 = t.num_after / t.den_after if t.den_after else math.nan
    mean_total = (r0 + r1) / 2
    change = r1 - r0
    effects = []
    for key, (n0, d0), (n1, d1) in rows:
        if d0 == 0 and d1 == 0:
            continue  # no denominator in either period: the segment carries no weight
        # A segment absent in one period has no rate there: take the other's (all of it is mix).
        rate0 = n0 / d0 if d0 else n1 / d1
        rate1 = n1 / d1 if d1 else rate0
        w0 = d0 / t.den_before if t.den_before else 0.0
        w1 = d1 / t.den_after if t.den_after else 0.0
        rate = (rate1 - rate0) * (w0 + w1) / 2
        mix = (w1 - w0) * ((rate0 + rate1) / 2 - mean_total)
        effects.append(
            SegmentEffect(
                tuple(zip(dims, key, strict=True)),
                rate0,
                rate1,
                rate + mix,
                (d0 + d1) / (t.den_before + t.den_after),
                (w0 + w1) / 2 * change,
                rate,
                mix,
            )
        )
    return effects


def _as_overlapping(e: SegmentEffect) -> SegmentEffect:
    own = e.after - e.before if e.rate is None else e.rate
    return SegmentEffect(e.segment, e.before, e.after, own, e.size, e.expected, e.rate, None, True)


def rank(
    effects_by_dims: Mapping[tuple[str, ...], list[SegmentEffect]],
    change: float,
    *,
    min_size: float = 0.02,
    min_explained: float = 0.25,
    min_surprise: float = 0.1,
    specific: float = 0.8,
    top: int = 10,
) -> list[SegmentEffect]:
    """The segments that stand out, most specific first-class, ranked by |contribution|."""
    scale = abs(change)
    if not scale or math.isnan(scale):
        return []

    def stands_out(e: SegmentEffect) -> bool:
        if e.size < min_size or math.isnan(e.contribution):
            return False
        if e.overlapping:  # own change only: explanatory power, no expected share
            return abs(e.contribution) >= min_explained * scale and e.contribution * change > 0
        return (
            abs(e.contribution) >= min_explained * scale
            and abs(e.contribution - e.expected) >= min_surprise * scale
            and e.contribution * change > 0
        )

    singles = {e.segment: e for dims, es in effects_by_dims.items() if len(dims) == 1 for e in es}
    pairs = [e for dims, es in effects_by_dims.items() if len(dims) == 2 for e in es]
    chosen: dict[Segment, SegmentEffect] = {}
    replaced: set[Segment] = set()
    for single in filter(stands_out, singles.values()):
        inside = [p for p in pairs if single.segment[0] in p.segment and stands_out(p)]
        best = max(inside, key=lambda p: abs(p.contribution), default=None)
        if best is not None and best.contribution / single.contribution >= specific:
            chosen[best.segment] = best
            replaced.add(single.segment)
        else:
            chosen[single.segment] = single
    for pair in filter(stands_out, pairs):
        parents = {(item,) for item in pair.segment}
        if pair.segment in chosen or parents & set(chosen) or parents & replaced:
            continue  # already the answer, or merely a part of a listed broader segment
        chosen[pair.segment] = pair
    # A pair inside a listed single segment is a part of that answer, not another one.
    chosen = {
        seg: e
        for seg, e in chosen.items()
        if len(seg) == 1 or not {(i,) for i in seg} & set(chosen)
    }
    ranked = sorted(chosen.values(), key=lambda e: (-abs(e.contribution), len(e.segment)))
    # Correlated dimensions show one cause several times (android × South, then South × android
    # sign-ups): a finding sharing a dimension value with a larger one is that one again.
    kept: list[SegmentEffect] = []
    for e in ranked:
        if not any(set(e.segment) & set(k.segment) for k in kept):
            kept.append(e)
    return kept[:top]


def root_cause(
    frames: Mapping[tuple[str, ...], tuple[pd.DataFrame, pd.DataFrame]],
    kind: Kind,
    totals: Totals,
    **rank_options: Any,
) -> RootCause:
    """Root cause from per-dimension-set frames (before, after), as the metric service returns."""
    cols = _parts(kind)
    sums = {
        dims: (sums_of(before, dims, cols), sums_of(after, dims, cols))
        for dims, (before, after) in frames.items()
    }
    return root_cause_from_sums(sums, kind, totals, **rank_options)


def root_cause_from_sums(
    sums: Mapping[tuple[str, ...], tuple[Sums, Sums]],
    kind: Kind,
    totals: Totals,
    **rank_options: Any,
) -> RootCause:
    """Root cause from parts already summed per segment (sums_of), per dimension set."""
    by_dims: dict[tuple[str, ...], list[SegmentEffect]] = {}
    overlapping = []
    for dims, (before, after) in sums.items():
        effects, overlaps = effects_from_sums(before, after, dims, kind, totals)
        by_dims[dims] = effects
        if overlaps:
            overlapping.append(dims)
    findings = rank(by_dims, totals.after - totals.before, **rank_options)
    everything = [e for es in by_dims.values() for e in es]
    return RootCause(kind, totals, findings, everything, tuple(overlapping))


def root_cause_from_rows(
    before: pd.DataFrame,
    after: pd.DataFrame,
    dimensions: Sequence[str],
    kind: Kind,
    *,
    pairs: bool = True,
    **rank_options: Any,
) -> RootCause:
    """Root cause from two frames at the finest grain (every dimension a column, additive parts:
    `value`, or `numerator` and `denominator`), grouped here by each dimension and each pair."""
    cols = ["value"] if kind == "additive" else ["numerator", "denominator"]
    sums0, sums1 = before[cols].sum(), after[cols].sum()
    if kind == "additive":
        totals = Totals(float(sums0["value"]), float(sums1["value"]))
    else:
        n0, d0, n1, d1 = (
            float(x)
            for x in (
                sums0["numerator"],
                sums0["denominator"],
                sums1["numerator"],
                sums1["denominator"],
            )
        )
        totals = Totals(n0 / d0 if d0 else math.nan, n1 / d1 if d1 else math.nan, n0, d0, n1, d1)
    combos = [(d,) for d in dimensions]
    if pairs:
        combos += list(itertools.combinations(dimensions, 2))
    frames = {dims: (before, after) for dims in combos}
    return root_cause(frames, kind, totals, **rank_options)


def describe(
    e: SegmentEffect,
    change: float,
    fmt_value: Callable[[float], str],
    fmt_change: Callable[[float], str],
) -> str:
    """One line: "platform=android × region=South: −4.1 of −5.3 pts, rate effect; it fell from …"."""
    verb = "rose" if e.after > e.before else "fell" if e.after < e.before else "held"
    what = "its rate" if e.rate is not None else "it"
    head = f"{e.label}: {fmt_change(e.contribution)} of {fmt_change(change)}, {e.effect}"
    if e.overlapping:
        head += " (segments overlap: own change, not a share)"
    return f"{head}; {what} {verb} from {fmt_value(e.before)} to {fmt_value(e.after)}"
