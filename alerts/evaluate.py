"""One alert check: every rule → its observations → each series' next state → history and the
deliveries outbox, all in ONE app-database transaction; then the outbox is sent.

Invariants:
- Observations are taken before the transaction opens (queries can be slow; the app database
  is not held meanwhile). A rule whose evaluation raises becomes an "error" observation for each
  series it had (or its whole series), and the other rules still run.
- A state, its history events and its outbox rows commit together or not at all: a failure
  anywhere in the write leaves the app database as it was, and the next check redoes the work.
- A series the rule no longer reports (a dimension value gone, the whole-rule series of an
  earlier error) is resolved like an ok observation and then forgotten; states of rules no
  longer in the spec are forgotten (their history stays).
- Sending happens after the commit, so a slow or failing channel never undoes a state change;
  undelivered rows stay in the outbox and are retried by the next check or worker tick.

The parts other modules own are injected (`observe`, `explain`, `enqueue`, `deliver`), so the
check is tested without a warehouse and each default is imported only when it is used.
"""

from __future__ import annotations

import logging
from collections import Counter
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field, replace
from datetime import datetime
from typing import Any, Protocol

from sqlalchemy.orm import Session

from alerts.model import WHOLE, Notification, Observation, Rule, SegmentNote, SeriesState
from alerts.state import step
from alerts.store import (
    active_silences,
    forget_series,
    forget_states,
    is_silenced,
    load_states,
    lock_states,
    record_event,
    save_state,
)
from appdb import AppDb

log = logging.getLogger("northstar.alerts")

Observe = Callable[..., list[Observation]]  # (service, rule, now, *, last_loads) → one per series
Explain = Callable[[Any, Rule, Observation], tuple[tuple[SegmentNote, ...], str]]
Enqueue = Callable[[Session, Notification, datetime], int]  # outbox rows written
Deliver = Callable[..., Any]  # (db, channels, settings, now, environ) → DeliveryReport

GONE = "the rule no longer reports this series"


class AlertsConfigLike(Protocol):
    """What a check needs of alerts.spec.AlertsConfig."""

    @property
    def rules(self) -> tuple[Rule, ...]: ...
    @property
    def channels(self) -> Mapping[str, Any]: ...


@dataclass(frozen=True)
class SeriesResult:
    """One series after the check: its state, whether it is silenced, what happened to it."""

    rule: Rule
    state: SeriesState
    silenced: bool = False
    events: tuple[str, ...] = ()
    notifications: tuple[Notification, ...] = ()


@dataclass(frozen=True)
class RuleLine:
    """One rule's outcome, for the report: how many series in each state."""

    rule: str
    states: dict[str, int]
    notified: int
    error: str | None = None  # the evaluation raised: why

    def __str__(self) -> str:
        counts = ", ".join(f"{n} {s}" for s, n in sorted(self.states.items())) or "no series"
        text = f"{self.rule}: {counts}"
        if self.notified:
            text += f"; {self.notified} notification(s)"
        return f"{text}; evaluation failed: {self.error}" if self.error else text


@dataclass
class CheckReport:
    at: datetime
    results: list[SeriesResult] = field(default_factory=list)
    errors: dict[str, str] = field(default_factory=dict)  # rule → why its evaluation raised
    forgotten: list[str] = field(default_factory=list)  # rules gone from the spec
    enqueued: int = 0  # outbox rows written
    delivery: Any = None  # alerts.deliver's DeliveryReport, when sending ran
    delivery_note: str = ""  # why sending did not run, or failed

    def count(self, state: str) -> int:
        return sum(1 for r in self.results if r.state.state == state)

    @property
    def firing(self) -> int:
        return self.count("firing")

    @property
    def pending(self) -> int:
        return self.count("pending")

    @property
    def resolved(self) -> int:
        """Series that left the alerting states in this check."""
        return sum(1 for r in self.results if "resolved" in r.events)

    @property
    def notifications(self) -> list[Notification]:
        return [n for r in self.results for n in r.notifications]

    def unresolved(self) -> list[SeriesResult]:
        """Series not normal, most serious first (firing, error, nodata, pending)."""
        order = {"firing": 0, "error": 1, "nodata": 2, "pending": 3}
        return sorted(
            (r for r in self.results if r.state.state != "normal"),
            key=lambda r: (order[r.state.state], r.state.since, r.rule.name, r.state.series),
        )

    def lines(self) -> list[RuleLine]:
        by_rule: dict[str, list[SeriesResult]] = {}
        for r in self.results:
            by_rule.setdefault(r.rule.name, []).append(r)
        return [
            RuleLine(
                name,
                dict(Counter(r.state.state for r in results)),
                sum(len(r.notifications) for r in results),
                self.errors.get(name),
            )
            for name, results in by_rule.items()
        ]

    def summary(self) -> str:
        return (
            f"{self.firing} firing, {self.pending} pending, {self.resolved} resolved, "
            f"{self.count('nodata')} no data, {self.count('error')} error "
            f"({len(self.results)} series of {len(self.lines())} rule(s))"
        )


def check(
    service: Any,
    config: AlertsConfigLike,
    db: AppDb,
    now: datetime,
    *,
    settings: Any = None,
    environ: Mapping[str, str] | None = None,
    last_loads: Mapping[str, datetime] | None = None,
    observe: Observe | None = None,
    explain: Explain | None = None,
    enqueue: Enqueue | None = None,
    deliver: Deliver | None = None,
) -> CheckReport:
    """Evaluate every rule of `config` at `now` (naive UTC), record and enqueue what changed in
    one transaction, then send what is due. Raises only when the app database write fails (then
    nothing of this check is kept)."""
    observe = observe or _default_observe()
    report = CheckReport(at=now)
    seen: dict[str, list[Observation] | Exception] = {}
    for rule in config.rules:
        try:
            seen[rule.name] = list(observe(service, rule, now, last_loads=last_loads))
        except Exception as exc:  # one broken rule must not hide the others
            log.warning("alert rule %s failed: %s: %s", rule.name, type(exc).__name__, exc)
            seen[rule.name] = exc
            report.errors[rule.name] = f"{type(exc).__name__}: {exc}"
    explain = explain if explain is not None else _default_explain()
    write = enqueue or write_outbox
    with db.session() as session:
        lock_states(session)  # another check or an ack waits until this one commits
        states = load_states(session)
        silences = active_silences(session, now)
        for rule in config.rules:
            known = {s: st for (r, s), st in states.items() if r == rule.name}
            for observation, gone in _observations(rule, seen[rule.name], known, now):
                previous = known.get(observation.series)
                silenced = is_silenced(silences, rule, observation.series)
                state, notes, events = step(rule, previous, observation, now, silenced)
                known[observation.series] = state  # a series observed twice steps on from here
                notes = [
                    replace(_explained(n, service, observation, explain), points=observation.points)
                    for n in notes
                ]
                save_state(session, state)
                for event in events:
                    record_event(
                        session, rule=rule.name, series=state.series, event=event, at=now,
                        from_state=previous.state if previous else None, to_state=state.state,
                        value=state.value, period=state.period, detail=state.detail,
                    )  # fmt: skip
                for note in notes:
                    report.enqueued += write(session, note, now)
                report.results.append(
                    SeriesResult(rule, state, silenced, tuple(events), tuple(notes))
                )
                if gone and state.state == "normal":
                    forget_series(session, rule.name, state.series)
        report.forgotten = forget_states(session, [rule.name for rule in config.rules])
    _send(report, db, config, settings, now, environ, deliver)
    return report


def _observations(
    rule: Rule,
    seen: list[Observation] | Exception,
    known: Mapping[str, SeriesState],
    now: datetime,
) -> list[tuple[Observation, bool]]:
    """This check's observation of every series of `rule`, each with whether the series is gone:
    what observe returned (or an error for each known series when it raised), plus an ok one for
    each series it no longer reports."""
    if isinstance(seen, Exception):
        message = f"the evaluation failed: {type(seen).__name__}: {seen}"
        return [
            (Observation(rule.name, series, "error", now, error=message), False)
            for series in (sorted(known) or [WHOLE])
        ]
    reported = {o.series for o in seen}
    gone = [
        (Observation(rule.name, series, "ok", now, detail=GONE), True)
        for series in sorted(set(known) - reported)
    ]
    return [*((o, False) for o in seen), *gone]


def _explained(
    note: Notification, service: Any, observation: Observation, explain: Explain | None
) -> Notification:
    """A firing notification with its top root-cause segments and Drivers link; without them
    when the analysis fails (the alert matters more than its explanation)."""
    if explain is None or note.kind == "resolved" or note.state != "firing":
        return note
    if note.rule.metric is None or observation.outcome != "breach":
        return note
    try:
        segments, link = explain(service, note.rule, observation)
    except Exception as exc:
        log.warning("explaining %s failed: %s: %s", note.rule.name, type(exc).__name__, exc)
        return note
    return replace(note, segments=tuple(segments), drivers_link=link)


def _send(
    report: CheckReport,
    db: AppDb,
    config: AlertsConfigLike,
    settings: Any,
    now: datetime,
    environ: Mapping[str, str] | None,
    deliver: Deliver | None,
) -> None:
    deliver = deliver or _default_deliver()
    try:
        report.delivery = deliver(db, dict(config.channels), settings, now, environ)
    except Exception as exc:  # the states are committed; the rows are retried next time
        log.error("sending alert notifications failed: %s: %s", type(exc).__name__, exc)
        report.delivery_note = f"sending failed ({type(exc).__name__}: {exc}); retried next check"


# -- the outbox -------------------------------------------------------------------------------


def write_outbox(session: Session, note: Notification, now: datetime) -> int:
    """One pending Delivery row per channel of the rule, in the caller's transaction (in-app
    rows are written as sent), carrying the series' recent values for the email's chart."""
    from alerts.deliver import enqueue

    return len(enqueue(session, note, note.rule.channels, now=now, points=note.points))


# -- defaults, imported when used (other helpers' modules; see the module docstring) ----------


def _default_observe() -> Observe:
    from alerts.conditions import observe  # type: ignore[import-not-found]

    return observe


def _default_explain() -> Explain | None:
    try:
        from alerts.why import explain_observation  # type: ignore[import-not-found]
    except ImportError:  # not merged yet: notifications go without segments
        return None
    return explain_observation


def _default_deliver() -> Deliver:
    from alerts.deliver import deliver_due

    return deliver_due
