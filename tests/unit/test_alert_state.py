"""The alert state machine, table-driven with an injected clock: every transition, `for`, repeat,
silence, acknowledgement, no data (each policy) and errors (each policy).

Every expected state, count, time and notification is written by hand in the tables below;
nothing is computed from the code under test.
"""

from __future__ import annotations

from datetime import date, datetime, timedelta

import pytest

from alerts.model import Observation, Rule, SeriesState
from alerts.state import step

T0 = datetime(2026, 11, 30, 8, 0)  # "now" of the single-step table
H, D = timedelta(hours=1), timedelta(days=1)
AGO_1H, AGO_2D, AGO_1D = T0 - H, T0 - 2 * D, T0 - D
ACK = {"acked_by": "ana", "acked_at": T0 - H, "ack_comment": "on it"}


def rule(**kwargs: object) -> Rule:
    base = {"for_periods": 1, "repeat": D, "no_data": "nodata", "on_error": "error"}
    return Rule(name="aov_drop", metric="aov", condition=None, **{**base, **kwargs})  # type: ignore[arg-type]


def prev(state: str, since: datetime = T0 - 3 * D, **kwargs: object) -> SeriesState:
    return SeriesState("aov_drop", "", state, since, **kwargs)  # type: ignore[arg-type]


def obs(outcome: str, at: datetime = T0, period: date = date(2026, 11, 23)) -> Observation:
    return Observation(
        "aov_drop", "", outcome, at,  # type: ignore[arg-type]
        value=41.5 if outcome in ("ok", "breach") else None,
        period=period if outcome in ("ok", "breach") else None,
        expected="above 45", detail="down 12%" if outcome == "breach" else "",
        error="Binder Error: column x not found" if outcome == "error" else None,
    )  # fmt: skip


# A firing series that announced itself when it fired three days ago, last notified an hour ago.
FIRING = {"fired_at": T0 - 3 * D, "last_notified_at": AGO_1H, "breaches": 3}
E = T0 - 3 * D  # the episode start of the alerting rows

# id, rule, previous, outcome, silenced →
#   state, breaches, since, fired_at, events, notifications (kind:state), last_notified_at, acked
CASES = [
    # -- breaches and `for` -------------------------------------------------------------------
    ("new-breach-for1-fires", rule(), None, "breach", False,
     "firing", 1, T0, T0, ["firing"], ["firing:firing"], T0, False),
    ("new-breach-for3-pends", rule(for_periods=3), None, "breach", False,
     "pending", 1, T0, None, ["pending"], [], None, False),
    ("normal-breach-for2-pends", rule(for_periods=2), prev("normal"), "breach", False,
     "pending", 1, T0, None, ["pending"], [], None, False),
    ("pending1-breach-for3-stays", rule(for_periods=3), prev("pending", breaches=1), "breach",
     False, "pending", 2, T0 - 3 * D, None, [], [], None, False),
    ("pending2-breach-for3-fires", rule(for_periods=3), prev("pending", breaches=2), "breach",
     False, "firing", 3, T0, T0, ["firing"], ["firing:firing"], T0, False),
    ("pending-fires-silenced", rule(for_periods=2), prev("pending", breaches=1), "breach", True,
     "firing", 2, T0, T0, ["firing"], [], None, False),
    ("pending-breach-after-for-lowered", rule(for_periods=1), prev("pending", breaches=1),
     "breach", False, "firing", 2, T0, T0, ["firing"], ["firing:firing"], T0, False),
    # -- repeat -------------------------------------------------------------------------------
    ("firing-notified-1h-ago-quiet", rule(), prev("firing", E, **FIRING), "breach", False,
     "firing", 4, E, E, [], [], AGO_1H, False),
    ("firing-notified-exactly-1d-ago-repeats", rule(),
     prev("firing", E, **{**FIRING, "last_notified_at": AGO_1D}), "breach", False,
     "firing", 4, E, E, [], ["repeat:firing"], T0, False),
    ("firing-notified-1d-minus-1min-quiet", rule(),
     prev("firing", E, **{**FIRING, "last_notified_at": AGO_1D + timedelta(minutes=1)}),
     "breach", False, "firing", 4, E, E, [], [], AGO_1D + timedelta(minutes=1), False),
    ("firing-repeat-12h", rule(repeat=12 * H),
     prev("firing", E, **{**FIRING, "last_notified_at": T0 - 12 * H}), "breach", False,
     "firing", 4, E, E, [], ["repeat:firing"], T0, False),
    # -- acknowledged -------------------------------------------------------------------------
    ("acked-firing-no-repeat", rule(),
     prev("firing", E, **{**FIRING, "last_notified_at": AGO_2D}, **ACK), "breach", False,
     "firing", 4, E, E, [], [], AGO_2D, True),
    ("acked-firing-to-error-sends-nothing", rule(), prev("firing", E, **FIRING, **ACK), "error",
     False, "error", 0, T0, E, ["error"], [], AGO_1H, True),
    ("acked-firing-resolves-and-forgets-ack", rule(), prev("firing", E, **FIRING, **ACK), "ok",
     False, "normal", 0, T0, None, ["resolved"], ["resolved:normal"], T0, False),
    # -- silenced -----------------------------------------------------------------------------
    ("silenced-firing-no-repeat", rule(),
     prev("firing", E, **{**FIRING, "last_notified_at": AGO_2D}), "breach", True,
     "firing", 4, E, E, [], [], AGO_2D, False),
    ("after-silence-never-announced-fires", rule(),
     prev("firing", E, fired_at=E, breaches=3), "breach", False,
     "firing", 4, E, E, [], ["firing:firing"], T0, False),
    ("after-silence-announced-recently-quiet", rule(),
     prev("firing", E, **{**FIRING, "last_notified_at": T0 - 2 * H}), "breach", False,
     "firing", 4, E, E, [], [], T0 - 2 * H, False),
    ("after-long-silence-announced-repeats", rule(),
     prev("firing", E, **{**FIRING, "last_notified_at": T0 - 30 * H}), "breach", False,
     "firing", 4, E, E, [], ["repeat:firing"], T0, False),
    ("silenced-resolve-sends-nothing", rule(), prev("firing", E, **FIRING), "ok", True,
     "normal", 0, T0, None, ["resolved"], [], AGO_1H, False),
    # -- back to normal -----------------------------------------------------------------------
    ("new-ok", rule(), None, "ok", False, "normal", 0, T0, None, [], [], None, False),
    ("normal-ok-stays", rule(), prev("normal"), "ok", False,
     "normal", 0, T0 - 3 * D, None, [], [], None, False),
    ("pending-ok-drops-back", rule(for_periods=3), prev("pending", breaches=2), "ok", False,
     "normal", 0, T0, None, ["normal"], [], None, False),
    ("firing-ok-resolves", rule(), prev("firing", E, **FIRING), "ok", False,
     "normal", 0, T0, None, ["resolved"], ["resolved:normal"], T0, False),
    ("firing-never-notified-resolves-quietly", rule(),
     prev("firing", E, fired_at=E, breaches=3), "ok", False,
     "normal", 0, T0, None, ["resolved"], [], None, False),
    ("earlier-episode-notified-this-one-not", rule(),
     prev("firing", E, fired_at=E, breaches=3, last_notified_at=E - D), "ok", False,
     "normal", 0, T0, None, ["resolved"], [], E - D, False),
    # -- no data, each policy -----------------------------------------------------------------
    ("nodata-policy-nodata-from-normal", rule(no_data="nodata"), prev("normal"), "nodata",
     False, "nodata", 0, T0, T0, ["nodata"], ["firing:nodata"], T0, False),
    ("nodata-policy-nodata-from-pending", rule(no_data="nodata", for_periods=3),
     prev("pending", breaches=2), "nodata", False,
     "nodata", 0, T0, T0, ["nodata"], ["firing:nodata"], T0, False),
    ("nodata-policy-nodata-from-firing", rule(no_data="nodata"), prev("firing", E, **FIRING),
     "nodata", False, "nodata", 0, T0, E, ["nodata"], ["firing:nodata"], T0, False),
    ("nodata-policy-nodata-stays-quiet", rule(no_data="nodata"),
     prev("nodata", E, fired_at=E, last_notified_at=AGO_1H), "nodata", False,
     "nodata", 0, E, E, [], [], AGO_1H, False),
    ("nodata-policy-nodata-repeats", rule(no_data="nodata"),
     prev("nodata", E, fired_at=E, last_notified_at=AGO_2D), "nodata", False,
     "nodata", 0, E, E, [], ["repeat:nodata"], T0, False),
    ("nodata-policy-alerting-fires", rule(no_data="alerting"), prev("normal"), "nodata", False,
     "firing", 1, T0, T0, ["firing"], ["firing:firing"], T0, False),
    ("nodata-policy-alerting-waits-for", rule(no_data="alerting", for_periods=2),
     prev("normal"), "nodata", False, "pending", 1, T0, None, ["pending"], [], None, False),
    ("nodata-policy-ok-resolves", rule(no_data="ok"), prev("firing", E, **FIRING), "nodata",
     False, "normal", 0, T0, None, ["resolved"], ["resolved:normal"], T0, False),
    ("nodata-policy-ok-normal", rule(no_data="ok"), prev("normal"), "nodata", False,
     "normal", 0, T0 - 3 * D, None, [], [], None, False),
    ("nodata-policy-keep-pending", rule(no_data="keep", for_periods=2),
     prev("pending", breaches=1), "nodata", False,
     "pending", 1, T0 - 3 * D, None, [], [], None, False),
    ("nodata-policy-keep-firing-still-repeats", rule(no_data="keep"),
     prev("firing", E, **{**FIRING, "last_notified_at": AGO_2D}), "nodata", False,
     "firing", 3, E, E, [], ["repeat:firing"], T0, False),
    ("nodata-policy-keep-normal", rule(no_data="keep"), prev("normal"), "nodata", False,
     "normal", 0, T0 - 3 * D, None, [], [], None, False),
    ("nodata-policy-keep-new-series", rule(no_data="keep"), None, "nodata", False,
     "normal", 0, T0, None, [], [], None, False),
    ("nodata-back-breach-for2-pends-and-resolves", rule(for_periods=2),
     prev("nodata", E, fired_at=E, last_notified_at=E), "breach", False,
     "pending", 1, T0, None, ["pending"], ["resolved:pending"], T0, False),
    ("nodata-back-breach-for1-fires", rule(),
     prev("nodata", E, fired_at=E, last_notified_at=E), "breach", False,
     "firing", 1, T0, E, ["firing"], ["firing:firing"], T0, False),
    ("nodata-ok-resolves", rule(), prev("nodata", E, fired_at=E, last_notified_at=E), "ok",
     False, "normal", 0, T0, None, ["resolved"], ["resolved:normal"], T0, False),
    # -- errors, each policy ------------------------------------------------------------------
    ("error-policy-error-from-normal", rule(on_error="error"), prev("normal"), "error", False,
     "error", 0, T0, T0, ["error"], ["firing:error"], T0, False),
    ("error-policy-error-from-firing", rule(on_error="error"), prev("firing", E, **FIRING),
     "error", False, "error", 0, T0, E, ["error"], ["firing:error"], T0, False),
    ("error-policy-error-repeats", rule(on_error="error"),
     prev("error", E, fired_at=E, last_notified_at=AGO_2D), "error", False,
     "error", 0, E, E, [], ["repeat:error"], T0, False),
    ("error-policy-alerting-fires", rule(on_error="alerting"), prev("normal"), "error", False,
     "firing", 1, T0, T0, ["firing"], ["firing:firing"], T0, False),
    ("error-policy-alerting-keeps-firing", rule(on_error="alerting"),
     prev("firing", E, **FIRING), "error", False, "firing", 4, E, E, [], [], AGO_1H, False),
    ("error-policy-keep-firing", rule(on_error="keep"), prev("firing", E, **FIRING), "error",
     False, "firing", 3, E, E, [], [], AGO_1H, False),
    ("error-policy-keep-normal", rule(on_error="keep"), prev("normal"), "error", False,
     "normal", 0, T0 - 3 * D, None, [], [], None, False),
    ("error-then-nodata", rule(), prev("error", E, fired_at=E, last_notified_at=E), "nodata",
     False, "nodata", 0, T0, E, ["nodata"], ["firing:nodata"], T0, False),
    ("error-ok-resolves", rule(), prev("error", E, fired_at=E, last_notified_at=E), "ok",
     False, "normal", 0, T0, None, ["resolved"], ["resolved:normal"], T0, False),
    ("error-policy-error-new-series", rule(on_error="error"), None, "error", False,
     "error", 0, T0, T0, ["error"], ["firing:error"], T0, False),
    ("error-policy-error-from-pending", rule(on_error="error", for_periods=3),
     prev("pending", breaches=2), "error", False,
     "error", 0, T0, T0, ["error"], ["firing:error"], T0, False),
    ("nodata-then-error", rule(), prev("nodata", E, fired_at=E, last_notified_at=E), "error",
     False, "error", 0, T0, E, ["error"], ["firing:error"], T0, False),
    ("error-back-breach-for1-fires", rule(), prev("error", E, fired_at=E, last_notified_at=E),
     "breach", False, "firing", 1, T0, E, ["firing"], ["firing:firing"], T0, False),
]  # fmt: skip


@pytest.mark.parametrize(
    ("rule_", "previous", "outcome", "silenced", "state", "breaches", "since", "fired_at",
     "events", "notes", "last_notified_at", "acked"),
    [case[1:] for case in CASES],
    ids=[case[0] for case in CASES],
)  # fmt: skip
def test_one_step(
    rule_: Rule,
    previous: SeriesState | None,
    outcome: str,
    silenced: bool,
    state: str,
    breaches: int,
    since: datetime,
    fired_at: datetime | None,
    events: list[str],
    notes: list[str],
    last_notified_at: datetime | None,
    acked: bool,
) -> None:
    new, notifications, history = step(rule_, previous, obs(outcome), T0, silenced)
    assert (new.rule, new.series, new.state, new.breaches) == ("aov_drop", "", state, breaches)
    assert (new.since, new.fired_at, new.last_notified_at) == (since, fired_at, last_notified_at)
    assert new.last_evaluated_at == T0
    assert history == events
    assert [f"{n.kind}:{n.state}" for n in notifications] == notes
    assert (new.acked_by, new.acked_at, new.ack_comment) == (
        ("ana", T0 - H, "on it") if acked else (None, None, "")
    )


def test_every_state_and_outcome_pair_is_in_the_table() -> None:
    """Each (previous state, outcome) pair has a row, so no transition goes untested."""
    seen = {(c[2].state if c[2] else "new", c[3]) for c in CASES}
    wanted = {
        (s, o)
        for s in ("new", "normal", "pending", "firing", "nodata", "error")
        for o in ("ok", "breach", "nodata", "error")
    }
    assert wanted - seen == set()


def test_a_step_shows_what_was_seen_and_a_kept_state_shows_the_last_values() -> None:
    firing, notes, _ = step(rule(), None, obs("breach"), T0, False)
    assert (firing.value, firing.period, firing.expected, firing.detail) == (
        41.5, date(2026, 11, 23), "above 45", "down 12%"
    )  # fmt: skip
    (note,) = notes
    assert (note.value, note.period, note.expected, note.detail, note.since, note.at) == (
        41.5, date(2026, 11, 23), "above 45", "down 12%", T0, T0
    )  # fmt: skip
    assert note.title == "[Firing] aov_drop"
    kept, _, _ = step(rule(no_data="keep"), firing, obs("nodata", T0 + H), T0 + H, False)
    assert (kept.value, kept.detail, kept.last_evaluated_at) == (41.5, "down 12%", T0 + H)
    failed, _, _ = step(rule(), firing, obs("error", T0 + H), T0 + H, False)
    assert (failed.value, failed.detail) == (None, "Binder Error: column x not found")
    empty, _, _ = step(rule(), firing, obs("nodata", T0 + H), T0 + H, False)
    assert (empty.value, empty.detail) == (None, "no data for the period")


def test_resolved_tells_when_the_episode_began() -> None:
    _, (note,), _ = step(rule(), prev("firing", E, **FIRING), obs("ok"), T0, False)
    assert (note.kind, note.since, note.value, note.title) == (
        "resolved", E, 41.5, "[Resolved] aov_drop"
    )  # fmt: skip


# -- timelines: one series evaluated again and again on an injected clock ---------------------
# (hours after T0, outcome, silenced, ack before this step?) → (state, notifications); each
# step judges a new period (an hourly rule), except where a test says otherwise.
TIMELINES = {
    "for-3-then-repeat-every-12h-then-resolve": (
        rule(for_periods=3, repeat=12 * H),
        [
            (0, "breach", False, False, "pending", []),
            (1, "ok", False, False, "normal", []),  # the count starts again
            (2, "breach", False, False, "pending", []),
            (3, "breach", False, False, "pending", []),
            (4, "breach", False, False, "firing", ["firing"]),
            (15, "breach", False, False, "firing", []),  # 11 h after the announcement
            (16, "breach", False, False, "firing", ["repeat"]),  # 12 h: due
            (17, "breach", False, False, "firing", []),
            (28, "breach", False, False, "firing", ["repeat"]),
            (29, "ok", False, False, "normal", ["resolved"]),
            (30, "ok", False, False, "normal", []),
        ],
    ),
    "fired-while-silenced-announced-when-the-silence-ends": (
        rule(),
        [
            (0, "breach", True, False, "firing", []),
            (1, "breach", True, False, "firing", []),
            (2, "breach", False, False, "firing", ["firing"]),  # silence over: first message
            (3, "breach", False, False, "firing", []),
            (26, "breach", False, False, "firing", ["repeat"]),
        ],
    ),
    "silenced-through-the-whole-episode-resolves-quietly": (
        rule(),
        [
            (0, "breach", True, False, "firing", []),
            (30, "breach", True, False, "firing", []),
            (31, "ok", False, False, "normal", []),  # nobody heard it fire: no resolve
        ],
    ),
    "ack-stops-repeats-until-resolved-then-a-new-episode-notifies": (
        rule(repeat=6 * H),
        [
            (0, "breach", False, False, "firing", ["firing"]),
            (6, "breach", False, False, "firing", ["repeat"]),
            (7, "breach", False, True, "firing", []),  # acknowledged
            (13, "breach", False, False, "firing", []),
            (48, "breach", False, False, "firing", []),
            (49, "ok", False, False, "normal", ["resolved"]),
            (50, "breach", False, False, "firing", ["firing"]),  # a new, unacknowledged episode
            (56, "breach", False, False, "firing", ["repeat"]),
        ],
    ),
    "no-data-then-data-comes-back": (
        rule(no_data="nodata", for_periods=2),
        [
            (0, "breach", False, False, "pending", []),
            (1, "breach", False, False, "firing", ["firing"]),
            (2, "nodata", False, False, "nodata", ["firing"]),  # announced as nodata
            (3, "nodata", False, False, "nodata", []),
            (4, "breach", False, False, "pending", ["resolved"]),
            (5, "breach", False, False, "firing", ["firing"]),
        ],
    ),
    "error-kept-does-not-break-the-count": (
        rule(on_error="keep", for_periods=3),
        [
            (0, "breach", False, False, "pending", []),
            (1, "error", False, False, "pending", []),
            (2, "breach", False, False, "pending", []),
            (3, "breach", False, False, "firing", ["firing"]),
            (4, "error", False, False, "firing", []),
            (5, "ok", False, False, "normal", ["resolved"]),
        ],
    ),
}


@pytest.mark.parametrize("name", sorted(TIMELINES))
def test_timeline(name: str) -> None:
    rule_, steps = TIMELINES[name]
    state: SeriesState | None = None
    seen = []
    for hours, outcome, silenced, ack, _, _ in steps:
        now = T0 + hours * H
        if ack:  # what alerts.store.acknowledge writes
            state = SeriesState(**{**state.__dict__, "acked_by": "bo", "acked_at": now - H})
        period = date(2026, 11, 23) + timedelta(days=hours)  # a new period at every step
        state, notes, _ = step(rule_, state, obs(outcome, now, period), now, silenced)
        seen.append((hours, outcome, silenced, ack, state.state, [n.kind for n in notes]))
    assert seen == steps


def test_for_counts_periods_not_checks() -> None:
    """The worker checks every 15 minutes: a weekly rule with `for: 2` seen in breach four
    times in the same week is still pending; the next week in breach fires it."""
    rule_ = rule(for_periods=2)
    week, next_week = date(2026, 11, 16), date(2026, 11, 23)
    state = None
    for quarter_hour in range(4):
        now = T0 + quarter_hour * 15 * timedelta(minutes=1)
        state, notes, _ = step(rule_, state, obs("breach", now, week), now, False)
        assert (state.state, state.breaches, notes) == ("pending", 1, [])
    state, notes, _ = step(rule_, state, obs("breach", T0 + 7 * D, next_week), T0 + 7 * D, False)
    assert (state.state, state.breaches, [n.kind for n in notes]) == ("firing", 2, ["firing"])
    # once firing, checking the same week again changes nothing (and counts nothing)
    later = T0 + 7 * D + H
    state, notes, _ = step(rule_, state, obs("breach", later, next_week), later, False)
    assert (state.state, state.breaches, notes) == ("firing", 2, [])
