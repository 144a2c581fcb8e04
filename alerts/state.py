"""The alert state machine: (rule, previous state, one observation, now, silenced) → the series'
new state, the notifications it causes and its history events. Pure: no clock, no database.

States follow Grafana: normal → pending (waiting out `for`) → firing → normal (resolved), plus
nodata and error. Invariants, each one line of the table below or of `_notifications`:

- An observation first becomes what the rule's policies make of it: a breach or ok as seen; no
  data per `no_data` (nodata: its own state, alerting: a breach, ok: fine, keep: nothing moves);
  an error per `on_error` (error: its own state, alerting: a breach, keep: nothing moves).
- A breach moves normal/nodata/error to pending, or straight to firing when `for` is 1; pending
  fires after breaches in `for` consecutive periods (a period checked again counts once;
  observations without a period — freshness — count per check). ok → normal from anywhere. `keep` leaves the state,
  its breach count and its last values as they were (only last_evaluated_at moves).
- firing, nodata and error are the *alerting* states. An *episode* runs from entering one of
  them to leaving them all (to normal or pending); `fired_at` is its start.
- Each alerting state is announced once ("firing", carrying the state: firing, nodata or error),
  then repeated at most once per `rule.repeat` ("repeat", due when now − last ≥ repeat).
- Leaving the alerting states sends "resolved" only when the episode notified something.
- An acknowledged episode sends nothing more until it resolves; the next episode starts
  unacknowledged. A silenced series moves and records history but sends nothing.
- After a silence: a state that was never announced (it began while silenced) is announced as
  "firing" at the next evaluation; one announced before the silence gets "repeat" once the
  repeat interval since the last message has passed (Alertmanager does the same: receivers who
  heard of it need no second first message).
"""

from __future__ import annotations

from dataclasses import replace
from datetime import datetime
from typing import Literal

from alerts.model import Notification, Observation, Rule, SeriesState, State

ALERTING: frozenset[State] = frozenset({"firing", "nodata", "error"})

# What an observation counts as, once the rule's no-data and error policies have spoken.
Effect = Literal["ok", "breach", "nodata", "error", "keep"]
_NO_DATA: dict[str, Effect] = {"nodata": "nodata", "alerting": "breach", "ok": "ok", "keep": "keep"}
_ON_ERROR: dict[str, Effect] = {"error": "error", "alerting": "breach", "keep": "keep"}


def effect_of(rule: Rule, observation: Observation) -> Effect:
    if observation.outcome == "nodata":
        return _NO_DATA[rule.no_data]
    if observation.outcome == "error":
        return _ON_ERROR[rule.on_error]
    return observation.outcome


def step(
    rule: Rule,
    previous: SeriesState | None,
    observation: Observation,
    now: datetime,
    silenced: bool,
) -> tuple[SeriesState, list[Notification], list[str]]:
    """The series' state after `observation`, its notifications and its history events (the
    event names: "pending", "firing", "nodata", "error", "normal" (pending dropped back) or
    "resolved" (left the alerting states for normal)); an unchanged state records none."""
    prev = previous or SeriesState(rule.name, observation.series, "normal", since=now)
    effect = effect_of(rule, observation)
    # `for` counts periods, not checks: the worker checks every 15 minutes, and a weekly rule
    # with `for: 2` must see two weeks in breach, not one week seen twice.
    same_period = observation.period is not None and observation.period == prev.period
    target, breaches = _transition(rule, prev, effect, same_period)
    state = _entered(prev, target, breaches, now)
    if effect != "keep":
        state = replace(state, **_measured(observation))
    state = replace(state, last_evaluated_at=now)
    notifications = _notifications(rule, prev, state, now, silenced)
    if notifications:
        state = replace(state, last_notified_at=now)
    return state, notifications, _events(prev.state, target)


def _transition(
    rule: Rule, prev: SeriesState, effect: Effect, same_period: bool = False
) -> tuple[State, int]:
    """The next state and consecutive-breach count (the transition table, in one place); a
    breach of the period already counted (`same_period`) does not count again."""
    if effect == "keep":
        return prev.state, prev.breaches
    if effect == "ok":
        return "normal", 0
    if effect in ("nodata", "error"):
        return effect, 0
    # a breach: firing stays firing; pending counts on; anything else starts counting at 1
    counting = prev.state in ("pending", "firing")
    breaches = (prev.breaches + (0 if same_period else 1)) if counting else 1
    if prev.state == "firing" or breaches >= max(1, rule.for_periods):
        return "firing", breaches
    return "pending", breaches


def _entered(prev: SeriesState, target: State, breaches: int, now: datetime) -> SeriesState:
    """prev moved to `target`: since, the episode's start and its acknowledgement follow."""
    moved = target != prev.state
    since = now if moved else prev.since
    if target in ALERTING:  # an episode keeps its start and its acknowledgement
        fired_at = now if prev.state not in ALERTING or prev.fired_at is None else prev.fired_at
        return replace(prev, state=target, since=since, breaches=breaches, fired_at=fired_at)
    # out of the alerting states the episode is over: the next one starts unacknowledged
    return replace(
        prev, state=target, since=since, breaches=breaches, fired_at=None,
        acked_by=None, acked_at=None, ack_comment="",
    )  # fmt: skip


def _measured(observation: Observation) -> dict[str, object]:
    """What the series shows from this observation (a `keep` shows the last one instead)."""
    detail = observation.detail
    if observation.outcome == "error":
        detail = observation.error or detail or "the evaluation failed"
    elif observation.outcome == "nodata" and not detail:
        detail = "no data for the period"
    return {
        "value": observation.value,
        "period": observation.period,
        "expected": observation.expected,
        "detail": detail,
    }


def _notifications(
    rule: Rule, prev: SeriesState, state: SeriesState, now: datetime, silenced: bool
) -> list[Notification]:
    if silenced:
        return []
    if prev.state in ALERTING and state.state not in ALERTING:
        notified = (
            prev.fired_at is not None
            and prev.last_notified_at is not None
            and prev.last_notified_at >= prev.fired_at
        )
        return [_notification(rule, state, "resolved", now, prev.fired_at)] if notified else []
    if state.state not in ALERTING or state.acked_by is not None:
        return []
    last = state.last_notified_at
    if last is None or last < state.since:  # this state was never announced
        return [_notification(rule, state, "firing", now, state.fired_at)]
    if now - last >= rule.repeat:
        return [_notification(rule, state, "repeat", now, state.fired_at)]
    return []


def _notification(
    rule: Rule, state: SeriesState, kind: str, now: datetime, since: datetime | None
) -> Notification:
    return Notification(
        rule=rule,
        series=state.series,
        kind=kind,  # type: ignore[arg-type]
        state=state.state,
        at=now,
        value=state.value,
        period=state.period,
        expected=state.expected,
        detail=state.detail,
        since=since,
    )


def _events(before: State, after: State) -> list[str]:
    if before == after:
        return []
    if before in ALERTING and after == "normal":
        return ["resolved"]
    return [after]
