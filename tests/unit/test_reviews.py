"""The review record's service (reviews/): a week's frozen numbers against pandas on the fixture
shop, the record persisted on SQLite and PostgreSQL (notes, decisions, actions carried forward
until done, every write audited), and the refusals a person can act on."""

from __future__ import annotations

import math
from collections.abc import Iterator
from datetime import date, datetime, timedelta

import pytest
import sqlalchemy as sa
from alembic import command
from browser.fixture_shop import build_shop, shop_tables
from review_support import (
    W11,
    last_year,
    log_mean,
    segment_count,
    snapshot_service,
    week_figures,
)
from sqlalchemy import select

from alerts.model import SeriesState
from alerts.store import save_state
from appdb import AppDb, AuditEntry
from appdb.migrate import alembic_config, current
from metric_layer.service import MetricService
from okrs.spec import load_okrs
from reviews import (
    IsoWeek,
    ReviewError,
    add_action,
    add_decision,
    add_note,
    close_review,
    get_review,
    list_reviews,
    open_actions,
    set_action_done,
    start_review,
    week_numbers,
)
from reviews.numbers import ALERTS, NSM, OKRS, WHY
from reviews.store import parse_due

T0 = datetime(2026, 3, 2, 9)  # the meetings' clock (naive UTC), injected


@pytest.fixture(scope="module")
def tables():  # type: ignore[no-untyped-def]
    return shop_tables()


@pytest.fixture(scope="module")
def service(tmp_path_factory: pytest.TempPathFactory) -> Iterator[MetricService]:
    with snapshot_service(build_shop(tmp_path_factory.mktemp("shop"))) as svc:
        yield svc


def close(a: float | None, b: float) -> bool:
    return a is not None and math.isclose(a, b, rel_tol=1e-9, abs_tol=1e-9)


# -- the numbers ------------------------------------------------------------------------------


@pytest.mark.parametrize("monday", [W11, W11 - timedelta(weeks=1)], ids=["W11", "W10"])
def test_frozen_numbers_are_the_weeks_numbers_counted_by_hand(service, tables, monday) -> None:  # type: ignore[no-untyped-def]
    week = IsoWeek.of(monday)
    slides = {s.slide: s for s in week_numbers(service, week, [])}
    assert list(slides) == [NSM, WHY, "driver:buyers", "driver:revenue_per_buyer", ALERTS]
    now, before = week_figures(tables, monday), week_figures(tables, monday - timedelta(weeks=1))
    then = week_figures(tables, last_year(monday))

    nsm = slides[NSM].numbers
    assert nsm["period"] == monday.isoformat()
    assert (nsm["value"], nsm["previous"], nsm["last_year"]) == (
        now["orders"], before["orders"], then["orders"]
    )  # fmt: skip
    assert nsm["target"] == 10.0  # small_spec: 10 a week from 2026-01-01
    assert close(nsm["change"], (now["orders"] - before["orders"]) / before["orders"])
    assert close(nsm["change_last_year"], (now["orders"] - then["orders"]) / then["orders"])
    assert close(nsm["vs_target"], (now["orders"] - 10) / 10)

    buyers = slides["driver:buyers"].numbers
    assert (buyers["value"], buyers["previous"]) == (now["buyers"], before["buyers"])
    assert buyers["target"] is None and buyers["vs_target"] is None
    rpb = slides["driver:revenue_per_buyer"].numbers
    assert close(rpb["value"], now["revenue_per_buyer"])
    assert close(rpb["previous"], before["revenue_per_buyer"])

    # Why: orders = buyers × revenue per buyer (the tree's product); LMDI splits the change of
    # the product (= revenue) into ln-shares, and the rest of the orders' change is not explained.
    why = slides[WHY].numbers
    assert (why["before"], why["after"]) == (before["orders"], now["orders"])
    assert why["change"] == now["orders"] - before["orders"]
    weight = log_mean(now["revenue"], before["revenue"])
    drivers = {d["metric"]: d["contribution"] for d in why["drivers"]}
    assert close(drivers["buyers"], weight * math.log(now["buyers"] / before["buyers"]))
    assert close(
        drivers["revenue_per_buyer"],
        weight * math.log(now["revenue_per_buyer"] / before["revenue_per_buyer"]),
    )
    residual = (now["orders"] - before["orders"]) - (now["revenue"] - before["revenue"])
    assert close(drivers["residual"], residual)
    # The top segments: each one's own change in paid orders, counted by hand.
    assert 1 <= len(why["segments"]) <= 3
    for s in why["segments"]:
        after = segment_count(tables, monday, s["segment"])
        earlier = segment_count(tables, monday - timedelta(weeks=1), s["segment"])
        assert (s["after"], s["before"]) == (after, earlier), s["segment"]
        assert close(s["contribution"], after - earlier), s["segment"]


def test_a_week_not_over_or_badly_written_is_refused_with_what_to_do(service) -> None:  # type: ignore[no-untyped-def]
    with pytest.raises(ReviewError, match=r"2026-W12 is not over yet .* such as 2026-W11"):
        week_numbers(service, IsoWeek.parse("2026-W12"))
    for text, says in [
        ("2026-48", "write a week as YYYY-Www, e.g. 2026-W48"),
        ("2025-W53", "2025 has ISO weeks 1 to 52, not week 53"),
        ("0999-W01", "pick a year from 1900 to 2999"),
        ("x" * 5000, "not 'xxxxx"),
    ]:
        with pytest.raises(ReviewError, match=says):
            IsoWeek.parse(text)
    assert str(IsoWeek.parse(" 2026w8 ")) == "2026-W08"
    assert str(IsoWeek.parse("2026-W53")) == "2026-W53"  # 2026 starts on a Thursday


# -- the record in the app database ----------------------------------------------------------


@pytest.fixture
def db(app_db_url: str) -> Iterator[AppDb]:
    made = AppDb(app_db_url)
    made.upgrade()
    yield made
    made.close()


def _week(monday: date) -> IsoWeek:
    return IsoWeek.of(monday)


def test_the_record_persists_and_open_actions_are_carried_forward_until_done(db, service) -> None:  # type: ignore[no-untyped-def]
    w08, w09, w10, w11 = (_week(W11 - timedelta(weeks=n)) for n in (3, 2, 1, 0))
    first = start_review(db, w08, service, "ana", T0)
    assert first.snapshot == service.snapshot and first.is_open
    check = add_action(db, w08, "Check the web funnel", "bob", date(2026, 3, 20), "ana", T0)
    call = add_action(db, w08, "Call the top 3 buyers", "cy", None, "ana", T0)
    add_note(db, w08, "nsm", "Orders up: promo week", "ana", T0)
    add_note(db, w08, "general", "Short meeting", "ana", T0)
    add_decision(db, w08, "Keep the promo one more week", "ana", T0)

    t1 = T0 + timedelta(days=7)
    w09_record = start_review(db, w09, service, "ana", t1)
    assert [a.id for a in w09_record.carried] == [check.id, call.id]
    set_action_done(db, check.id, True, "bob", t1 + timedelta(days=2))
    start_review(db, w10, service, "ana", t1 + timedelta(days=7))
    set_action_done(db, call.id, True, "cy", t1 + timedelta(days=9))
    start_review(db, w11, service, "ana", t1 + timedelta(days=14))

    # W09 started with both open: it keeps listing both, now ticked done, as its history.
    w09_record = get_review(db, w09)
    assert [(a.id, a.status, a.done_by) for a in w09_record.carried] == [
        (check.id, "done", "bob"), (call.id, "done", "cy")
    ]  # fmt: skip
    # W10 started after `check` was done: only `call` was still open then.
    assert [a.id for a in get_review(db, w10).carried] == [call.id]
    # W11 started after both were done: nothing is carried into it.
    assert get_review(db, w11).carried == []
    assert open_actions(db) == []

    record = get_review(db, w08)
    assert [(n.slide, n.text, n.created_by) for n in record.notes] == [
        ("nsm", "Orders up: promo week", "ana"), ("general", "Short meeting", "ana")
    ]  # fmt: skip
    assert [d.text for d in record.decisions] == ["Keep the promo one more week"]
    assert [(a.owner, a.due, a.week) for a in record.actions] == [
        ("bob", date(2026, 3, 20), "2026-W08"), ("cy", None, "2026-W08")
    ]  # fmt: skip
    # What was frozen comes back exactly as computed (JSON on both engines).
    assert record.slides == week_numbers(service, w08, [])
    assert [(r.week, r.notes, r.decisions, r.actions, r.open_actions) for r in list_reviews(db)] == [
        ("2026-W11", 0, 0, 0, 0), ("2026-W10", 0, 0, 0, 0), ("2026-W09", 0, 0, 0, 0),
        ("2026-W08", 2, 1, 2, 0),
    ]  # fmt: skip
    with db.session() as session:
        actions = [e.action for e in session.scalars(select(AuditEntry).order_by(AuditEntry.id))]
    assert actions.count("review started") == 4
    assert actions.count("review action added") == 2 and actions.count("review action done") == 2
    assert actions.count("review note added") == 2 and actions.count("review decision added") == 1


def test_an_action_reopened_is_carried_again_and_unticking_twice_changes_nothing(
    db, service
) -> None:  # type: ignore[no-untyped-def]
    w10, w11 = _week(W11 - timedelta(weeks=1)), _week(W11)
    start_review(db, w10, service, "ana", T0)
    act = add_action(db, w10, "Fix the refund report", "dee", None, "ana", T0)
    set_action_done(db, act.id, True, "dee", T0 + timedelta(hours=1))
    set_action_done(db, act.id, True, "dee", T0 + timedelta(hours=2))  # again: nothing changes
    assert open_actions(db) == []
    set_action_done(db, act.id, False, "ana", T0 + timedelta(hours=3))
    start_review(db, w11, service, "ana", T0 + timedelta(days=7))
    assert [(a.id, a.status) for a in get_review(db, w11).carried] == [(act.id, "open")]
    assert [a.id for a in open_actions(db)] == [act.id]
    with db.session() as session:
        actions = [e.action for e in session.scalars(select(AuditEntry))]
    assert actions.count("review action done") == 1 and actions.count("review action reopened") == 1


def test_refusals_say_what_to_do_and_change_nothing(db, service) -> None:  # type: ignore[no-untyped-def]
    w11 = _week(W11)
    with pytest.raises(ReviewError, match=r"no review of 2026-W11 yet: start it"):
        add_note(db, w11, "nsm", "too early", "ana", T0)
    start_review(db, w11, service, "ana", T0)
    with pytest.raises(ReviewError, match=r"was started on 2026-03-02 09:00 UTC by ana"):
        start_review(db, w11, service, "bob", T0 + timedelta(hours=1))
    with pytest.raises(ReviewError, match=r"no slide 'nsn' \(did you mean `nsm`\?\); slides: nsm"):
        add_note(db, w11, "nsn", "typo", "ana", T0)
    with pytest.raises(ReviewError, match="write the note's text: it is empty"):
        add_note(db, w11, "nsm", "   ", "ana", T0)
    with pytest.raises(ReviewError, match="at most 4,000 characters"):
        add_decision(db, w11, "x" * 4001, "ana", T0)
    with pytest.raises(ReviewError, match="name the action's owner"):
        add_action(db, w11, "Do it", " ", None, "ana", T0)
    with pytest.raises(ReviewError, match="no action #404"):
        set_action_done(db, 404, True, "ana", T0)
    for typed, says in [("2026-3-25", "YYYY-MM-DD, not '2026-3-25'"), ("2026-02-30", "not a day")]:
        with pytest.raises(ReviewError, match=says):
            parse_due(typed)
    act = add_action(db, w11, "Do it", "ana", parse_due("2026-03-25"), "ana", T0)
    close_review(db, w11, "ana", T0 + timedelta(hours=2))
    with pytest.raises(ReviewError, match="is closed; write it in a later week's review"):
        add_decision(db, w11, "late", "ana", T0)
    assert set_action_done(db, act.id, True, "ana", T0).done  # actions still get done
    record = get_review(db, w11)
    assert (record.status, record.closed_by, record.notes, record.decisions) == (
        "closed", "ana", [], []
    )  # fmt: skip


def test_migration_0005_goes_down_to_0004_and_up_again(app_db_url: str) -> None:
    db = AppDb(app_db_url)
    db.upgrade()
    with db.engine.begin() as conn:
        command.downgrade(alembic_config(conn), "0004")
    with db.engine.connect() as conn:
        assert current(conn) == "0004"
        tables = set(sa.inspect(conn).get_table_names())
        assert not {t for t in tables if t.startswith("review")} and "okr_check_ins" in tables
    db.upgrade()
    db.close()


def test_the_alert_states_of_the_moment_are_frozen_with_the_review(db, service) -> None:  # type: ignore[no-untyped-def]
    with db.session() as session:
        for rule, series, state in [
            ("orders_drop", "", "firing"), ("web_share", "platform=web", "pending"),
            ("revenue_floor", "", "normal"),
        ]:  # fmt: skip
            save_state(
                session,
                SeriesState(rule, series, state, T0 - timedelta(hours=2), value=7.0,
                            period=date(2026, 3, 9), acked_by="ana" if state == "firing" else None),
            )  # fmt: skip
    start_review(db, _week(W11), service, "ana", T0)
    with db.session() as session:  # the alert resolves after the meeting
        save_state(session, SeriesState("orders_drop", "", "normal", T0 + timedelta(hours=1)))
    states = get_review(db, _week(W11)).slide(ALERTS).numbers["states"]
    assert [(s["rule"], s["series"], s["state"], s["acked_by"]) for s in states] == [
        ("orders_drop", "", "firing", "ana"), ("web_share", "platform=web", "pending", None)
    ]  # fmt: skip
    assert states[0]["since"] == "2026-03-02T07:00:00" and states[0]["value"] == 7.0


def test_the_okr_slide_is_frozen_as_of_the_monday_after_the_week(db, service) -> None:  # type: ignore[no-untyped-def]
    """Review mode's last slide is the OKR board; the record keeps it as the meeting saw it on
    the Monday after the week (data through Sunday), scored by hand in test_okr_slide."""
    from browser.fixture_shop import SPEC
    from test_okr_slide import hand_board

    okrs = load_okrs(SPEC, service.spec)
    record = start_review(db, _week(W11), service, "ana", T0, okrs=okrs)
    assert [s.slide for s in record.slides][-2:] == [ALERTS, OKRS]
    okr_slide = record.slides[-1]
    assert (okr_slide.numbers["quarter"], okr_slide.numbers["as_of"]) == ("2026-Q1", "2026-03-16")
    shown = {
        o["id"]: (f"{o['score']:.2f}", o["colour"], o["status"])
        for o in okr_slide.numbers["objectives"]
    }
    assert shown == hand_board(last=date(2026, 3, 15))
    # without OKRs (none defined, or invalid) the record has no OKR slide
    w10 = _week(W11 - timedelta(weeks=1))
    assert OKRS not in [s.slide for s in start_review(db, w10, service, "ana", T0).slides]
