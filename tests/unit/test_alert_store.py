"""Alert states, silences and acknowledgements in the app database, on SQLite and PostgreSQL."""

from __future__ import annotations

from datetime import date, datetime, timedelta

import pytest

from alerts.model import Rule, SeriesState
from alerts.store import (
    AlertError,
    acknowledge,
    active_silences,
    add_silence,
    end_silence,
    forget_states,
    history,
    is_silenced,
    load_states,
    save_state,
    unresolved,
)
from appdb import AppDb, audit_entries

T0 = datetime(2026, 11, 30, 8, 0)


def _rule(name: str = "aov_drop", **labels: str) -> Rule:
    return Rule(name=name, metric="aov", condition=None, labels=tuple(sorted(labels.items())))


@pytest.fixture
def db(app_db_url: str):  # type: ignore[no-untyped-def]
    db = AppDb(app_db_url)
    db.upgrade()
    yield db
    db.close()


def test_a_state_round_trips_and_is_updated_in_place(db: AppDb) -> None:
    firing = SeriesState(
        "aov_drop", "region=South", "firing", T0, breaches=2, fired_at=T0,
        value=41.5, period=date(2026, 11, 23), expected="above 45", detail="down 12%",
    )  # fmt: skip
    with db.session() as s:
        save_state(s, firing)
    with db.session() as s:
        assert load_states(s) == {("aov_drop", "region=South"): firing}
    resolved = SeriesState("aov_drop", "region=South", "normal", T0 + timedelta(days=1))
    with db.session() as s:
        save_state(s, resolved)
    with db.session() as s:
        assert load_states(s) == {("aov_drop", "region=South"): resolved}
        assert unresolved(s) == []


def test_only_a_firing_series_is_acknowledged_and_the_ack_is_audited(db: AppDb) -> None:
    with db.session() as s:
        save_state(s, SeriesState("aov_drop", "", "pending", T0, breaches=1))
    with pytest.raises(AlertError, match="pending, not firing"), db.session() as s:
        acknowledge(s, "aov_drop", "", who="ana", now=T0)
    with db.session() as s:
        save_state(s, SeriesState("aov_drop", "", "firing", T0, fired_at=T0))
    with db.session() as s:
        acked = acknowledge(
            s, "aov_drop", "", who="ana", now=T0 + timedelta(hours=1), comment="on it"
        )
    assert (acked.acked_by, acked.ack_comment) == ("ana", "on it")
    with db.session() as s:
        assert [(e.event, e.who) for e in history(s)] == [("ack", "ana")]
        assert [(a.who, a.action) for a in audit_entries(s)] == [("ana", "alert.ack")]


def test_a_silence_matches_by_rule_series_and_labels_until_it_ends(db: AppDb) -> None:
    south, growth = _rule("aov_drop", team="growth"), _rule("refunds", team="ops")
    with db.session() as s:
        by_label = add_silence(
            s, who="ana", now=T0, ends_at=T0 + timedelta(hours=2), labels={"team": "growth"}
        )
        add_silence(
            s, who="ana", now=T0, ends_at=T0 + timedelta(hours=1), rule="refunds", series="x=1"
        )
    with db.session() as s:
        now = active_silences(s, T0 + timedelta(minutes=30))
        assert is_silenced(now, south, "")
        assert is_silenced(now, growth, "x=1") and not is_silenced(now, growth, "x=2")
        later = active_silences(s, T0 + timedelta(minutes=90))
        assert not is_silenced(later, growth, "x=1") and is_silenced(later, south, "")
    with db.session() as s:
        end_silence(s, by_label.id, who="bo", now=T0 + timedelta(minutes=95))
    with db.session() as s:
        assert not is_silenced(active_silences(s, T0 + timedelta(minutes=96)), south, "")
        assert [a.action for a in audit_entries(s)] == [
            "alert.silence", "alert.silence", "alert.unsilence"
        ]  # fmt: skip


@pytest.mark.parametrize(
    ("kwargs", "says"),
    [({}, "needs a rule"), ({"rule": "x", "ends_in": -1}, "end in the future")],
)
def test_a_silence_that_would_mute_everything_or_nothing_is_refused(
    db: AppDb, kwargs: dict, says: str
) -> None:
    given = dict(kwargs)  # the parameters are shared by both engines' runs: do not pop them
    ends = T0 + timedelta(hours=given.pop("ends_in", 1))
    with pytest.raises(AlertError, match=says), db.session() as s:
        add_silence(s, who="ana", now=T0, ends_at=ends, **given)


def test_states_of_removed_rules_are_forgotten_but_their_history_stays(db: AppDb) -> None:
    with db.session() as s:
        save_state(s, SeriesState("gone", "", "firing", T0, fired_at=T0))
        save_state(s, SeriesState("kept", "", "normal", T0))
        acknowledge(s, "gone", "", who="ana", now=T0)
    with db.session() as s:
        assert forget_states(s, ["kept"]) == ["gone"]
    with db.session() as s:
        assert list(load_states(s)) == [("kept", "")]
        assert [e.rule for e in history(s)] == ["gone"]
