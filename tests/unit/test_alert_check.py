"""One alert check end to end on the app database (SQLite and PostgreSQL), with observations,
explanations and sending injected: states, history and outbox rows commit together or not at
all; a broken rule does not stop the others; silences, acks and removed rules."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime, timedelta

import pytest
from sqlalchemy import event, func, select

from alerts.evaluate import check
from alerts.model import Observation, Rule, SegmentNote
from alerts.store import acknowledge, add_silence, history, load_states
from appdb import AppDb, AppDbError
from appdb.models import AlertEvent, AlertState, Delivery

T0 = datetime(2026, 11, 30, 8, 0)
H = timedelta(hours=1)

AOV = Rule(
    name="aov_drop", metric="aov", condition=None, grain="week", severity="critical",
    owners=("CEO",), channels=("in-app", "growth-slack"), summary="AOV fell",
    labels=(("team", "growth"),),
)  # fmt: skip
CONVERSION = Rule(
    name="conversion_low", metric="conversion_rate", condition=None, split_by="region",
    for_periods=2, channels=("team-mail",), labels=(("team", "ops"),),
)  # fmt: skip


@dataclass
class Config:
    rules: tuple[Rule, ...]
    channels: dict[str, object] = field(default_factory=dict)


CONFIG = Config((AOV, CONVERSION), {"in-app": "in-app", "growth-slack": "hook", "team-mail": "m"})


class Seen:
    """An injected observe: rule name → {series: outcome} (or an exception to raise)."""

    def __init__(self, by_rule: dict[str, dict[str, str] | Exception]) -> None:
        self.by_rule = by_rule
        self.calls: list[tuple[str, datetime]] = []

    def __call__(self, service, rule, now, *, last_loads=None):  # type: ignore[no-untyped-def]
        self.calls.append((rule.name, now))
        found = self.by_rule.get(rule.name, {})
        if isinstance(found, Exception):
            raise found
        return [self.observation(rule.name, s, outcome, now) for s, outcome in found.items()]

    @staticmethod
    def observation(rule: str, series: str, outcome: str, now: datetime) -> Observation:
        # each hour a new period, as an hourly rule sees (`for` counts periods, not checks)
        period = date(2026, 11, 23) + timedelta(days=(now - T0) // timedelta(hours=1))
        return Observation(
            rule, series, outcome, now,  # type: ignore[arg-type]
            value=41.5, period=period, expected="above 45", detail="down 12%",
        )  # fmt: skip


def no_explain(service, rule, observation):  # type: ignore[no-untyped-def]
    return (), ""


def run(db: AppDb, seen: Seen, now: datetime = T0, config: Config = CONFIG, **kwargs):  # type: ignore[no-untyped-def]
    kwargs.setdefault("explain", no_explain)
    kwargs.setdefault("deliver", lambda *a: None)
    return check(None, config, db, now, observe=seen, **kwargs)


@pytest.fixture
def db(app_db_url: str):  # type: ignore[no-untyped-def]
    db = AppDb(app_db_url)
    db.upgrade()
    yield db
    db.close()


def counts(db: AppDb) -> tuple[int, int, int]:
    with db.session() as s:
        return tuple(
            s.scalar(select(func.count()).select_from(t))
            for t in (AlertState, AlertEvent, Delivery)
        )  # type: ignore[return-value]


def test_a_firing_rule_writes_state_history_and_one_outbox_row_per_channel(db: AppDb) -> None:
    explained = []

    def explain(service, rule, observation):  # type: ignore[no-untyped-def]
        explained.append((rule.name, observation.series))
        return (SegmentNote("platform=android", -120.0, 0.8, "rate"),), "/drivers?metric=aov"

    seen = Seen({"aov_drop": {"": "breach"}, "conversion_low": {"region=South": "ok"}})
    report = run(db, seen, explain=explain)
    assert (report.firing, report.pending, report.resolved, report.enqueued) == (1, 0, 0, 2)
    assert [str(line) for line in report.lines()] == [
        "aov_drop: 1 firing; 1 notification(s)",
        "conversion_low: 1 normal",
    ]
    assert explained == [("aov_drop", "")]
    with db.session() as s:
        states = load_states(s)
        assert {k: v.state for k, v in states.items()} == {
            ("aov_drop", ""): "firing",
            ("conversion_low", "region=South"): "normal",
        }
        assert [(e.rule, e.event, e.from_state, e.to_state, e.value) for e in history(s)] == [
            ("aov_drop", "firing", None, "firing", 41.5)
        ]
        rows = list(s.scalars(select(Delivery).order_by(Delivery.channel)))
    assert [(r.channel, r.kind, r.rule, r.status, r.next_attempt_at) for r in rows] == [
        ("growth-slack", "firing", "aov_drop", "pending", T0),
        ("in-app", "firing", "aov_drop", "sent", T0),  # nothing to send: the page shows it
    ]
    payload = rows[0].payload
    assert payload["segments"] == [
        {"label": "platform=android", "change": -120.0, "share": 0.8, "effect": "rate"}
    ]
    assert {k: payload[k] for k in ("rule", "metric", "kind", "state", "severity", "value")} == {
        "rule": "aov_drop", "metric": "aov", "kind": "firing", "state": "firing",
        "severity": "critical", "value": 41.5,
    }  # fmt: skip
    assert (payload["period"], payload["since"], payload["owners"], payload["labels"]) == (
        "2026-11-23", "2026-11-30T08:00:00", ["CEO"], {"team": "growth"}
    )  # fmt: skip
    assert payload["drivers_link"] == "/drivers?metric=aov"


def test_a_failing_outbox_write_keeps_nothing_of_the_check(db: AppDb) -> None:
    def broken(session, note, now):  # type: ignore[no-untyped-def]
        session.add(Delivery(channel="in-app", kind=note.kind, rule=note.rule.name, payload={}))
        session.flush()  # the row really reaches the database before the failure
        raise RuntimeError("outbox full")

    seen = Seen({"aov_drop": {"": "breach"}, "conversion_low": {"region=South": "breach"}})
    with pytest.raises(RuntimeError, match="outbox full"):
        run(db, seen, enqueue=broken)
    assert counts(db) == (0, 0, 0)
    report = run(db, seen)  # the next check does the work again
    assert (report.firing, report.pending, report.enqueued) == (1, 1, 2)
    assert counts(db) == (2, 2, 2)


def test_a_rule_that_raises_is_in_error_and_the_others_still_run(db: AppDb) -> None:
    seen = Seen({"aov_drop": ValueError("no such column: aov"), "conversion_low": {"r=S": "ok"}})
    report = run(db, seen)
    assert report.errors == {"aov_drop": "ValueError: no such column: aov"}
    assert [(r.rule.name, r.state.series, r.state.state) for r in report.results] == [
        ("aov_drop", "", "error"), ("conversion_low", "r=S", "normal"),
    ]  # fmt: skip
    (note,) = report.notifications
    assert (note.kind, note.state, note.detail) == (
        "firing", "error", "the evaluation failed: ValueError: no such column: aov"
    )  # fmt: skip
    assert str(report.lines()[0]) == (
        "aov_drop: 1 error; 1 notification(s); evaluation failed: ValueError: no such column: aov"
    )


def test_a_split_rule_that_failed_then_recovers_resolves_and_forgets_the_whole_series(
    db: AppDb,
) -> None:
    rule = Rule(name="by_region", metric="aov", condition=None, split_by="region")
    config = Config((rule,))
    run(db, Seen({"by_region": RuntimeError("warehouse busy")}), config=config)
    report = run(db, Seen({"by_region": {"region=N": "ok"}}), T0 + H, config=config)
    assert [(r.state.series, r.state.state, r.events) for r in report.results] == [
        ("region=N", "normal", ()), ("", "normal", ("resolved",))
    ]  # fmt: skip
    assert [(n.series, n.kind, n.detail) for n in report.notifications] == [
        ("", "resolved", "the rule no longer reports this series")
    ]
    with db.session() as s:
        assert list(load_states(s)) == [("by_region", "region=N")]
        assert [(e.series, e.event) for e in history(s)] == [("", "resolved"), ("", "error")]
    # a failure with series known marks each of them
    report = run(db, Seen({"by_region": RuntimeError("again")}), T0 + 2 * H, config=config)
    assert [(r.state.series, r.state.state) for r in report.results] == [("region=N", "error")]


def test_for_repeat_and_resolve_over_checks_on_an_injected_clock(db: AppDb) -> None:
    config = Config((CONVERSION,))
    south = {"conversion_low": {"region=South": "breach", "region=North": "ok"}}
    kinds = []
    for hours, seen in [(0, south), (1, south), (2, south), (25, south), (26, {})]:
        report = run(db, Seen(seen), T0 + hours * H, config=config)
        kinds.append([(n.series, n.kind) for n in report.notifications])
    assert kinds == [
        [],
        [("region=South", "firing")],
        [],
        [("region=South", "repeat")],  # 24 h after the first message (repeat: 1 day)
        [("region=South", "resolved")],  # no longer reported: resolved, then forgotten
    ]
    with db.session() as s:
        assert load_states(s) == {}
        events = [(e.series, e.event) for e in reversed(history(s))]
        sent = s.scalars(select(Delivery.kind).order_by(Delivery.id)).all()
    assert events == [
        ("region=South", "pending"), ("region=South", "firing"), ("region=South", "resolved")
    ]  # fmt: skip
    assert sent == ["firing", "repeat", "resolved"]


def test_a_silenced_series_moves_but_sends_nothing_until_the_silence_ends(db: AppDb) -> None:
    with db.session() as s:
        add_silence(s, who="ana", now=T0, ends_at=T0 + 2 * H, labels={"team": "growth"})
    seen = Seen({"aov_drop": {"": "breach"}, "conversion_low": {"region=S": "breach"}})
    report = run(db, seen, T0 + H)
    assert [(r.rule.name, r.state.state, r.silenced) for r in report.results] == [
        ("aov_drop", "firing", True), ("conversion_low", "pending", False)
    ]  # fmt: skip
    assert (report.notifications, report.enqueued) == ([], 0)
    report = run(db, seen, T0 + 3 * H)  # the silence is over: announced as firing
    assert [(n.rule.name, n.kind) for n in report.notifications] == [
        ("aov_drop", "firing"), ("conversion_low", "firing")
    ]  # fmt: skip


def test_an_acknowledged_series_sends_no_repeat(db: AppDb) -> None:
    seen = Seen({"aov_drop": {"": "breach"}})
    config = Config((AOV,))
    run(db, seen, config=config)
    with db.session() as s:
        acknowledge(s, "aov_drop", "", who="ana", now=T0 + H, comment="on it")
    report = run(db, seen, T0 + 30 * H, config=config)
    assert report.notifications == []
    assert report.results[0].state.acked_by == "ana"
    report = run(db, Seen({"aov_drop": {"": "ok"}}), T0 + 31 * H, config=config)
    assert [n.kind for n in report.notifications] == ["resolved"]
    assert report.results[0].state.acked_by is None


def test_states_of_removed_rules_are_forgotten(db: AppDb) -> None:
    run(db, Seen({"aov_drop": {"": "breach"}, "conversion_low": {"r=S": "breach"}}))
    report = run(db, Seen({"aov_drop": {"": "breach"}}), T0 + H, config=Config((AOV,)))
    assert report.forgotten == ["conversion_low"]
    with db.session() as s:
        assert list(load_states(s)) == [("aov_drop", "")]


def test_sending_runs_after_the_commit_and_its_failure_keeps_the_states(db: AppDb) -> None:
    calls = []

    def deliver(db_, channels, settings, now, environ):  # type: ignore[no-untyped-def]
        assert counts(db_) == (1, 1, 2)  # committed before sending
        calls.append((sorted(channels), settings, now, environ))
        raise ConnectionError("smtp down")

    report = run(
        db, Seen({"aov_drop": {"": "breach"}}), config=Config((AOV,), CONFIG.channels),
        deliver=deliver, settings="S", environ={"X": "1"},
    )  # fmt: skip
    assert calls == [(["growth-slack", "in-app", "team-mail"], "S", T0, {"X": "1"})]
    assert report.delivery_note == "sending failed (ConnectionError: smtp down); retried next check"
    assert counts(db) == (1, 1, 2)


def test_an_explanation_that_fails_does_not_stop_the_alert(db: AppDb) -> None:
    def explain(service, rule, observation):  # type: ignore[no-untyped-def]
        raise ZeroDivisionError("no rows")

    report = run(db, Seen({"aov_drop": {"": "breach"}}), config=Config((AOV,)), explain=explain)
    (note,) = report.notifications
    assert (note.kind, note.segments, note.drivers_link) == ("firing", (), "")


def impatient(url: str) -> AppDb:
    """A second connection to the same database, as another process would have, that gives up
    at once (SQLite) or after 0.2 s (PostgreSQL) when the alert states are held."""
    other = AppDb(url)

    @event.listens_for(other.engine, "connect")
    def no_waiting(dbapi_connection, _record):  # type: ignore[no-untyped-def]
        cursor = dbapi_connection.cursor()
        if other.engine.dialect.name == "sqlite":
            cursor.execute("PRAGMA busy_timeout = 0")  # after the app's own 30 s pragma
        else:
            cursor.execute("SET lock_timeout = 200")
        cursor.close()
        if other.engine.dialect.name == "postgresql":
            dbapi_connection.commit()

    return other


def test_a_second_check_during_a_check_waits_instead_of_notifying_twice(
    db: AppDb, app_db_url: str
) -> None:
    config = Config((AOV,))
    seen = Seen({"aov_drop": {"": "breach"}})
    run(db, seen, config=config)  # firing at T0
    later = T0 + timedelta(days=2)  # a repeat is due
    other = impatient(app_db_url)
    second: list[object] = []

    def explain(service, rule, observation):  # type: ignore[no-untyped-def]
        # the first check is inside its transaction: a second one starts now, elsewhere
        try:
            second.append(run(other, seen, later, config=config))
        except AppDbError as exc:
            second.append(exc)
        return (), ""

    first = run(db, seen, later, config=config, explain=explain)
    other.close()
    assert [n.kind for n in first.notifications] == ["repeat"]
    assert isinstance(second[0], AppDbError)  # it had to wait; this one would not
    with db.session() as s:
        assert s.scalars(select(Delivery.kind).order_by(Delivery.id)).all() == [
            "firing", "firing", "repeat", "repeat"
        ]  # two channels each  # fmt: skip


def test_an_ack_during_a_check_waits_for_it(db: AppDb, app_db_url: str) -> None:
    config = Config((AOV,))
    seen = Seen({"aov_drop": {"": "breach"}})
    run(db, seen, config=config)
    other = impatient(app_db_url)
    tried: list[object] = []

    def explain(service, rule, observation):  # type: ignore[no-untyped-def]
        try:
            with other.session() as s:
                tried.append(acknowledge(s, "aov_drop", "", who="ana", now=T0 + H))
        except AppDbError as exc:
            tried.append(exc)
        return (), ""

    run(db, seen, T0 + 2 * timedelta(days=1), config=config, explain=explain)
    other.close()
    assert isinstance(tried[0], AppDbError)  # it waits for the check (here: gives up at once)
