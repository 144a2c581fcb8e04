"""Scores, colours and pace against hand computations: both directions, clipping, the colour
gaps, aspirational objectives, objectives leaving out key results without a value, manual key
results read from check-ins, and quarters."""

from __future__ import annotations

from datetime import date, datetime

import pytest

from okrs.board import build_board, manual_reading
from okrs.model import KeyResult, Objective, OkrsConfig
from okrs.quarters import Quarter, QuarterError
from okrs.read import Reading
from okrs.score import colour, progress, score_key_result, score_objective, status
from okrs.store import CheckIn

Q4 = Quarter(2026, 4)  # 1 Oct – 31 Dec 2026: 92 days


def kr(baseline: float, target: float, direction: str, **kw) -> KeyResult:  # type: ignore[no-untyped-def]
    return KeyResult(id="k", title="k", baseline=baseline, target=target, direction=direction, **kw)  # type: ignore[arg-type]


def test_quarters_have_their_calendar_days() -> None:
    assert (Q4.start, Q4.end, Q4.last_day, Q4.days) == (
        date(2026, 10, 1),
        date(2027, 1, 1),
        date(2026, 12, 31),
        92,
    )
    assert Quarter.parse("2026-Q1").days == 31 + 28 + 31
    assert Quarter.parse("2028-Q1").days == 31 + 29 + 31  # leap year
    assert Quarter.of(date(2026, 12, 2)) == Q4 and Q4.next() == Quarter(2027, 1)
    # 2 Dec 2026: Oct 31 + Nov 30 + 2 days = 63 days of 92
    assert Q4.elapsed(date(2026, 12, 2)) == pytest.approx(63 / 92)
    assert Q4.elapsed(date(2026, 9, 1)) == 0 and Q4.elapsed(date(2027, 2, 1)) == 1
    assert Q4.last_complete_day(date(2026, 10, 1)) is None
    assert Q4.last_complete_day(date(2026, 10, 2)) == date(2026, 10, 1)
    assert Q4.last_complete_day(date(2027, 3, 1)) == date(2026, 12, 31)
    for bad in ("2026Q4", "2026-Q5", "Q4-2026", "2026-q4", "", "0999-Q1", "٢٠٢٦-Q1"):
        with pytest.raises(QuarterError, match="YYYY-Qn"):
            Quarter.parse(bad)


@pytest.mark.parametrize(
    ("value", "baseline", "target", "direction", "expected"),
    [
        (9_500, 9_000, 11_000, "higher", 0.25),  # 500 of 2,000
        (11_000, 9_000, 11_000, "higher", 1.0),
        (12_500, 9_000, 11_000, "higher", 1.0),  # beyond target: clipped to 1
        (8_000, 9_000, 11_000, "higher", 0.0),  # fell below the baseline: clipped to 0
        (0.045, 0.06, 0.04, "lower", 0.75),  # refund rate 6 % → 4 %: 1.5 of 2 points
        (0.03, 0.06, 0.04, "lower", 1.0),
        (0.07, 0.06, 0.04, "lower", 0.0),
        (-5, 0, -10, "lower", 0.5),  # negative numbers (a loss shrinking below zero)
    ],
)
def test_progress_is_baseline_to_target_in_the_metrics_direction(
    value: float, baseline: float, target: float, direction: str, expected: float
) -> None:
    assert progress(value, baseline, target, direction) == pytest.approx(expected)


@pytest.mark.parametrize(
    ("score", "committed", "aspirational"),
    [
        (0.0, "red", "red"),
        (0.3, "red", "red"),
        (0.35, "red", "red"),  # the gap 0.3-0.4 has not reached yellow
        (0.4, "yellow", "yellow"),
        (0.6, "yellow", "green"),  # aspirational: 0.6-0.7 counts as success
        (0.65, "yellow", "green"),  # the gap 0.6-0.7
        (0.7, "green", "green"),
        (1.0, "green", "green"),
    ],
)
def test_colours_and_their_gaps(score: float, committed: str, aspirational: str) -> None:
    assert colour(score, "committed") == committed
    assert colour(score, "learning") == committed
    assert colour(score, "aspirational") == aspirational


def test_pace_status_against_the_straight_line() -> None:
    # 46 of 92 days: halfway. Expected score 0.5 (committed), 0.3 (aspirational: 0.6 × 0.5).
    day = date(2026, 11, 15)
    assert Q4.elapsed(day) == pytest.approx(0.5)
    k = kr(100, 200, "higher")
    on = score_key_result(k, Q4, 150, day)  # score 0.5 = expected
    assert (on.score, on.expected, on.status, on.colour) == (0.5, 0.5, "on track", "yellow")
    risk = score_key_result(k, Q4, 136, day)  # 0.36 ≥ 0.7 × 0.5 = 0.35
    assert risk.status == "at risk" and risk.colour == "red"
    off = score_key_result(k, Q4, 134, day)  # 0.34 < 0.35
    assert off.status == "off track"
    moon = score_key_result(k, Q4, 130, day, "aspirational")  # 0.3 ≥ 0.3
    assert moon.expected == pytest.approx(0.3) and moon.status == "on track"
    assert score_key_result(k, Q4, 121, day, "aspirational").status == "at risk"  # 0.21 ≥ 0.21
    assert status(0.0, 0.0) == "on track"


def test_a_falling_metric_is_on_track_when_it_falls_fast_enough() -> None:
    refund = kr(0.06, 0.04, "lower")
    day = date(2026, 11, 15)  # halfway: expected 0.05
    assert score_key_result(refund, Q4, 0.05, day).status == "on track"
    assert score_key_result(refund, Q4, 0.055, day).status == "off track"  # 0.25 < 0.35
    assert score_key_result(refund, Q4, 0.065, day).score == 0.0  # rose instead: 0, not negative


def test_no_value_has_no_score_and_says_so() -> None:
    empty = score_key_result(kr(1, 2, "higher"), Q4, None, None)
    assert (empty.score, empty.colour, empty.status, empty.note) == (
        None,
        None,
        None,
        "no value yet",
    )
    nan = score_key_result(kr(1, 2, "higher"), Q4, float("nan"), date(2026, 10, 5))
    assert nan.score is None


def test_objective_is_the_mean_of_key_results_with_a_value() -> None:
    objective = Objective("o", "O", "ana", Q4, type="aspirational")
    day = date(2026, 11, 15)
    scores = [
        score_key_result(kr(0, 10, "higher"), Q4, 8, day, "aspirational"),  # 0.8
        score_key_result(kr(0, 10, "higher"), Q4, 4, day, "aspirational"),  # 0.4
        score_key_result(kr(0, 10, "higher"), Q4, None, None, "aspirational"),  # left out
    ]
    result = score_objective(objective, scores)
    assert result.score == pytest.approx(0.6)  # (0.8 + 0.4) / 2, not / 3
    assert result.colour == "green"  # aspirational: 0.6 is success
    assert (result.scored, result.total) == (2, 3)
    assert "1 of 3 key results have no value yet" in result.note
    assert score_objective(objective, scores[2:]).score is None


def _check_in(at: datetime, value: float | None, n: int = 1) -> CheckIn:
    return CheckIn(n, at, "2026-Q4", "o", "partners", "ana", value, 6, "", "", "")


def test_a_manual_key_result_is_its_latest_check_in_with_a_value() -> None:
    partners = KeyResult("partners", "Partners", 0, 4, "higher", unit="partners")
    said = [
        _check_in(datetime(2026, 10, 20, 2), 1, 1),
        _check_in(datetime(2026, 11, 10, 2), 3, 2),
        _check_in(datetime(2026, 11, 12, 2), None, 3),  # a confidence-only check-in: no value
    ]
    reading = manual_reading(partners, Q4, date(2026, 11, 15), said, "Asia/Shanghai")
    assert (reading.value, reading.value_day) == (3, date(2026, 11, 10))
    assert [v for _, v in reading.series] == [1, 3]
    # 2026-11-10 20:00 UTC is already 11 Nov in Shanghai
    late = [_check_in(datetime(2026, 11, 10, 20), 2, 5)]
    assert manual_reading(
        partners, Q4, date(2026, 11, 15), late, "Asia/Shanghai"
    ).value_day == date(2026, 11, 11)
    # Saved after the as-of day (an as-of day in the past moves the data, not what people said):
    # it counts, on the as-of day; after the quarter, on its last day.
    later = [*said, _check_in(datetime(2026, 11, 20, 2), 4, 4)]
    assert manual_reading(partners, Q4, date(2026, 11, 15), later, "UTC").series[-1] == (
        date(2026, 11, 15),
        4,
    )
    january = [_check_in(datetime(2027, 1, 8), 4, 6)]
    assert manual_reading(partners, Q4, date(2027, 2, 1), january, "UTC").value_day == date(
        2026, 12, 31
    )
    none = manual_reading(partners, Q4, date(2026, 11, 15), said[2:3], "UTC")
    assert none.value is None and "check in a value" in none.note
    ahead = manual_reading(partners, Q4, date(2026, 9, 30), said, "UTC")
    assert ahead.value is None and ahead.note == "2026-Q4 starts on 2026-10-01"


def test_the_board_scores_manual_and_linked_results_and_nests_objectives() -> None:
    day = date(2026, 11, 16)  # data through 15 Nov: halfway
    company = Objective(
        "grow",
        "Grow",
        "ceo",
        Q4,
        key_results=(KeyResult("orders", "Orders", 100, 200, "higher", metric="orders"),),
    )
    team = Objective(
        "team",
        "Team",
        "lead",
        Q4,
        type="aspirational",
        level="team",
        parent="grow",
        key_results=(KeyResult("partners", "Partners", 0, 4, "higher", unit="partners"),),
    )
    config = OkrsConfig((company, team), defined=True)
    readings = {"orders": Reading(175.0, date(2026, 11, 15), ((date(2026, 11, 15), 175.0),))}
    said = [
        CheckIn(1, datetime(2026, 11, 1), "2026-Q4", "team", "partners", "mia", 2, 8, "", "", "")
    ]
    board = build_board(config, Q4, day, lambda k: readings[k.id], said, "UTC")
    [root] = board.roots
    assert root.objective.id == "grow" and root.score.score == pytest.approx(0.75)
    [child] = root.children
    assert child.key_results[0].score.score == pytest.approx(0.5)  # 2 of 4 partners
    assert child.key_results[0].score.colour == "yellow"
    assert child.key_results[0].confidence == 8
    assert board.depth() == {"grow": 0, "team": 1}
    assert board.elapsed == pytest.approx(46 / 92)
