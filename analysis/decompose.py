"""Split one change, f(after) − f(before), among the factors of f so the parts add up exactly.

- additive: parent = Σ children → each child's own difference;
- product / ratio: LMDI-I (log-mean Divisia), C_i = L(P₁, P₀) · ln(x_i₁ / x_i₀) with
  L(a, b) = (a − b) / ln(a / b), which sums to P₁ − P₀ exactly;
- any other formula: Shapley values, the average of each factor's marginal effect over every order
  in which the factors can change (exact by construction; 2ⁿ evaluations, so n ≤ MAX_SHAPLEY).

Zeros and sign changes. LMDI needs every factor strictly positive in both periods (a log of 0 or of a
negative number does not exist). When one is not, the split falls back to the Shapley values of the
same product, which are defined for any real numbers and still add up exactly; the result says so in
`method` and `note`. This is the limit the "small value" replacement of Ang & Liu tends to only when
a single factor reaches zero, and it stays exact, so we use it for every such case.
"""

from __future__ import annotations

import itertools
import math
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field

MAX_SHAPLEY = 12  # 4,096 evaluations of a formula


@dataclass(frozen=True)
class Split:
    """Contribution of each factor to the change; `method` says how it was computed."""

    parts: dict[str, float]
    method: str  # additive | lmdi | shapley
    note: str = ""
    total: float = field(default=math.nan)  # f(after) − f(before): what the parts add up to


def additive(before: Mapping[str, float], after: Mapping[str, float]) -> Split:
    """parent = Σ children: each child contributes its own difference."""
    parts = {k: after[k] - before[k] for k in before}
    return Split(parts, "additive", total=sum(parts.values()))


def log_mean(a: float, b: float) -> float:
    """L(a, b) = (a − b) / ln(a / b) for a, b > 0, and a when a = b (its limit)."""
    d = math.log(a / b)
    if abs(d) < 1e-12:
        return (a + b) / 2  # the limit, to second order: avoids 0/0 near a = b
    return (a - b) / d


def _positive(*values: float) -> bool:
    return all(math.isfinite(v) and v > 0 for v in values)


def product(before: Mapping[str, float], after: Mapping[str, float]) -> Split:
    """parent = Π factors: LMDI-I when every factor is > 0 in both periods, else Shapley."""
    names = list(before)
    p0 = math.prod(before[k] for k in names)
    p1 = math.prod(after[k] for k in names)
    if _positive(*before.values(), *after.values(), p0, p1):  # p: no underflow to 0
        weight = log_mean(p1, p0)
        parts = {k: weight * math.log(after[k] / before[k]) for k in names}
        return Split(parts, "lmdi", total=p1 - p0)
    split = shapley(lambda v: math.prod(v[k] for k in names), before, after)
    return Split(
        split.parts,
        "shapley",
        "a factor is zero or negative in one period, so LMDI (logs) cannot apply; Shapley values",
        total=p1 - p0,
    )


def ratio(before: tuple[float, float], after: tuple[float, float], names: tuple[str, str]) -> Split:
    """parent = numerator / denominator, as the product numerator × (1 / denominator).

    A zero denominator leaves the ratio undefined: every part is NaN and the note says why.
    """
    (n0, d0), (n1, d1) = before, after
    num, den = names
    if d0 == 0 or d1 == 0 or any(math.isnan(v) for v in (n0, d0, n1, d1)):
        nan = {num: math.nan, den: math.nan}
        return Split(nan, "undefined", f"`{den}` is zero or missing in a period", total=math.nan)
    r0, r1 = n0 / d0, n1 / d1
    if _positive(n0, d0, n1, d1, r0, r1):
        weight = log_mean(r1, r0)
        parts = {num: weight * math.log(n1 / n0), den: -weight * math.log(d1 / d0)}
        return Split(parts, "lmdi", total=r1 - r0)
    split = shapley(lambda v: v[num] / v[den], {num: n0, den: d0}, {num: n1, den: d1})
    note = "a value is zero or negative in one period, so LMDI (logs) cannot apply; Shapley values"
    return Split(split.parts, "shapley", note, total=r1 - r0)


def shapley(
    f: Callable[[Mapping[str, float]], float],
    before: Mapping[str, float],
    after: Mapping[str, float],
) -> Split:
    """Shapley value of each input of f: Σ over coalitions S of others, weighted |S|!(n−|S|−1)!/n!,
    of f(S ∪ {i} at after, rest before) − f(S at after, rest before). Sums to f(after) − f(before).
    """
    names = list(before)
    n = len(names)
    if n > MAX_SHAPLEY:
        raise ValueError(f"a formula over {n} inputs is too wide to split (at most {MAX_SHAPLEY})")
    cache: dict[frozenset[str], float] = {}

    def value(changed: frozenset[str]) -> float:
        if changed not in cache:
            cache[changed] = f({k: after[k] if k in changed else before[k] for k in names})
        return cache[changed]

    weights = [math.factorial(s) * math.factorial(n - s - 1) / math.factorial(n) for s in range(n)]
    parts = {}
    for name in names:
        others = [k for k in names if k != name]
        total = 0.0
        for size in range(n):
            for group in itertools.combinations(others, size):
                s = frozenset(group)
                total += weights[size] * (value(s | {name}) - value(s))
        parts[name] = total
    full = frozenset(names)
    return Split(parts, "shapley", total=value(full) - value(frozenset()))
