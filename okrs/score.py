"""Scores, colours and pace: pure functions of a key result's definition, its value and the day.

Score (PRODUCT.md, the seeds): a key result's progress from baseline to target, 0-1, clipped.
    should rise (higher):  (value − baseline) / (target − baseline)
    should fall (lower):   (baseline − value) / (baseline − target)
An objective's score is the mean of its key results' scores. A key result with no value yet (the
quarter has no complete period, no check-in yet, no data) is left out of the mean and said so;
an objective none of whose key results has a value has no score.

Colours (the seeds' board: 0-0.3 red, 0.4-0.6 yellow, 0.7-1.0 green). Scores are not rounded
to tenths, so the gaps are settled by lower bounds: below 0.4 is red (0.3-0.4 has not reached
yellow), 0.4 up to 0.7 is yellow (0.6-0.7 has not reached green), 0.7 and above is green.
Aspirational objectives count 0.6-0.7 as success (the seeds: 60-70 % counts as a win for a
moonshot), so for them green starts at 0.6. Learning objectives are coloured as committed ones:
their score is a measure; what was learnt is the outcome, said in check-ins.

Pace: the expected line runs straight from the baseline on the quarter's first day to the target
on its last, by day; `elapsed` is the share of the quarter's days up to and including the last day
the value covers. The expected score is `success × elapsed`, where success is 1.0 (committed,
learning) or 0.6 (aspirational). Status:
    on track   score ≥ expected
    at risk    score ≥ 0.7 × expected
    off track  below that
Before the quarter has a complete day, or without a value, there is no status.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from typing import Literal

from okrs.model import KeyResult, Objective
from okrs.quarters import Quarter

Colour = Literal["red", "yellow", "green"]
Status = Literal["on track", "at risk", "off track"]

YELLOW_FROM = 0.4
GREEN_FROM = 0.7
ASPIRATIONAL_GREEN_FROM = 0.6
ASPIRATIONAL_SUCCESS = 0.6  # the score that counts as success for an aspirational objective
AT_RISK_SHARE = 0.7  # at risk down to this share of the expected score; off track below
NO_VALUE = "no value yet"


def progress(value: float, baseline: float, target: float, direction: str) -> float:
    """Progress from baseline towards target, clipped to 0-1 (direction-aware, PRODUCT.md)."""
    if direction == "lower":
        raw = (baseline - value) / (baseline - target)
    else:
        raw = (value - baseline) / (target - baseline)
    # Rounded past float noise: 0.06 → 0.05 of the way to 0.04 is 0.5, not 0.49999999999999983
    # (which would colour and judge a KR exactly on a threshold as below it).
    return min(max(round(raw, 9), 0.0), 1.0)


def colour(score: float, objective_type: str = "committed") -> Colour:
    green = ASPIRATIONAL_GREEN_FROM if objective_type == "aspirational" else GREEN_FROM
    if score >= green:
        return "green"
    if score >= YELLOW_FROM:
        return "yellow"
    return "red"


def success_score(objective_type: str) -> float:
    return ASPIRATIONAL_SUCCESS if objective_type == "aspirational" else 1.0


def expected_score(quarter: Quarter, through: date, objective_type: str = "committed") -> float:
    """Where the score should be after the quarter's days up to `through`, on a straight line."""
    return round(success_score(objective_type) * quarter.elapsed(through), 9)


def expected_value(kr: KeyResult, quarter: Quarter, through: date) -> float:
    """The pace line's value on day `through`: baseline + elapsed × (target − baseline)."""
    return kr.baseline + quarter.elapsed(through) * (kr.target - kr.baseline)


def status(score: float, expected: float) -> Status:
    if score >= expected:
        return "on track"
    if score >= AT_RISK_SHARE * expected:
        return "at risk"
    return "off track"


@dataclass(frozen=True)
class KeyResultScore:
    """A key result's score as of one day: None values when there is no value yet (`note` says
    why)."""

    value: float | None
    value_day: date | None  # the last day the value covers
    score: float | None
    colour: Colour | None
    expected: float | None  # expected score at value_day
    status: Status | None
    note: str = ""

    @property
    def has_value(self) -> bool:
        return self.score is not None


def score_key_result(
    kr: KeyResult,
    quarter: Quarter,
    value: float | None,
    value_day: date | None,
    objective_type: str = "committed",
    note: str = "",
) -> KeyResultScore:
    """`value` (as of `value_day`) scored against the key result's baseline and target."""
    if value is None or value_day is None or value != value:  # NaN: no data
        return KeyResultScore(None, value_day, None, None, None, None, note or NO_VALUE)
    score = progress(value, kr.baseline, kr.target, kr.direction)
    expected = expected_score(quarter, value_day, objective_type)
    return KeyResultScore(
        value,
        value_day,
        score,
        colour(score, objective_type),
        expected,
        status(score, expected),
        note,
    )


@dataclass(frozen=True)
class ObjectiveScore:
    score: float | None
    colour: Colour | None
    expected: float | None
    status: Status | None
    scored: int  # key results with a value, out of…
    total: int

    @property
    def note(self) -> str:
        if self.total == 0:
            return "no key results"
        if self.scored == 0:
            return NO_VALUE
        if self.scored < self.total:
            missing = self.total - self.scored
            return f"{missing} of {self.total} key results have no value yet (left out of the mean)"
        return ""


def score_objective(objective: Objective, krs: list[KeyResultScore]) -> ObjectiveScore:
    """The mean of the key results that have a value; their expected scores likewise."""
    scored = [k for k in krs if k.score is not None]
    if not scored:
        return ObjectiveScore(None, None, None, None, 0, len(krs))
    score = round(sum(k.score for k in scored) / len(scored), 9)  # type: ignore[misc]
    expected = round(sum(k.expected for k in scored) / len(scored), 9)  # type: ignore[misc]
    return ObjectiveScore(
        score,
        colour(score, objective.type),
        expected,
        status(score, expected),
        len(scored),
        len(krs),
    )
