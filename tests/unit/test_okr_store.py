"""Check-ins and the worker's weekly values in the app database, on SQLite and PostgreSQL:
appended with their audit entries, history kept, a linked key result's value refused, bad
confidence refused by the code and by the database, one value per key result and week, and
the migration going down and up again."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import date, datetime, timedelta

import pytest
import sqlalchemy as sa
from alembic import command

from appdb import AppDb, audit_entries
from appdb.migrate import alembic_config
from appdb.models import OkrCheckIn
from okrs.model import KeyResult, Objective, OkrError, OkrsConfig
from okrs.quarters import Quarter
from okrs.record import record_week
from okrs.store import add_check_in, check_ins, record_value, recorded_values

Q4 = Quarter(2026, 4)
LINKED = KeyResult("weekly_orders", "Weekly orders", 9000, 11000, "higher", metric="orders")
MANUAL = KeyResult("partners", "Partners signed", 0, 4, "higher", unit="partners")
GROW = Objective("grow", "Grow", "ceo", Q4, key_results=(LINKED, MANUAL))
T0 = datetime(2026, 11, 2, 9, 0)


@pytest.fixture
def db(app_db_url: str) -> Iterator[AppDb]:
    database = AppDb(app_db_url)
    database.upgrade()
    yield database
    database.close()


def test_check_ins_are_appended_with_their_audit_entries(db: AppDb) -> None:
    with db.session() as s:
        add_check_in(s, GROW, MANUAL, who="ana", at=T0, value="1", confidence=6, comment="first")
        add_check_in(
            s,
            GROW,
            MANUAL,
            who="bo",
            at=T0 + timedelta(days=7),
            value=3,
            confidence="8",
            obstacles="legal review",
            help_needed="a lawyer",
        )
        add_check_in(s, GROW, LINKED, who="ana", at=T0 + timedelta(days=7), confidence=5)
    with db.session() as s:
        history = check_ins(s, quarter="2026-Q4", objective="grow", key_result="partners")
        everything = check_ins(s, quarter="2026-Q4")
        entries = audit_entries(s)
    assert [
        (c.who, c.value, c.confidence, c.comment, c.obstacles, c.help_needed) for c in history
    ] == [
        ("bo", 3.0, 8, "", "legal review", "a lawyer"),  # newest first
        ("ana", 1.0, 6, "first", "", ""),
    ]
    assert len(everything) == 3 and everything[-1].at == T0
    assert [(e.who, e.action, e.detail) for e in entries] == [
        ("ana", "okr check-in", "grow.partners: value 1, confidence 6/10"),
        ("bo", "okr check-in", "grow.partners: value 3, confidence 8/10"),
        ("ana", "okr check-in", "grow.weekly_orders: confidence 5/10"),
    ]


@pytest.mark.parametrize(
    ("kr", "fields", "message"),
    [
        (
            LINKED,
            {"value": "9500"},
            "is read from metric `orders`: its value is measured, not typed",
        ),
        (MANUAL, {"value": "1,5"}, "write the value without commas"),
        (MANUAL, {"value": "lots"}, "the value must be a number, not 'lots'"),
        (MANUAL, {"value": "nan"}, "the value must be a finite number"),
        (MANUAL, {"confidence": 11}, "confidence must be a whole number from 0 (no chance) to 10"),
        (MANUAL, {"confidence": "7.5"}, "confidence must be a whole number"),
        (MANUAL, {"confidence": True}, "confidence must be a whole number"),
        (MANUAL, {"comment": "x" * 2001}, "comment is longer than 2000 characters"),
        (MANUAL, {"comment": ["not", "text"]}, "comment must be text"),
        (MANUAL, {"comment": "   "}, "an empty check-in: give a value, a confidence"),
        (LINKED, {}, "an empty check-in: give a confidence, obstacles"),
    ],
)
def test_bad_check_ins_are_refused_and_nothing_is_written(
    db: AppDb, kr: KeyResult, fields: dict, message: str
) -> None:
    with pytest.raises(OkrError) as raised, db.session() as s:
        add_check_in(s, GROW, kr, who="ana", at=T0, **fields)
    assert message in str(raised.value)
    with db.session() as s:
        assert check_ins(s) == [] and audit_entries(s) == []


def test_the_database_refuses_a_confidence_out_of_range(db: AppDb) -> None:
    with pytest.raises(sa.exc.IntegrityError), db.session() as s:
        s.add(OkrCheckIn(quarter="2026-Q4", objective="o", key_result="k", who="x", confidence=11))


def test_one_recorded_value_per_key_result_and_week_keeping_its_definition(db: AppDb) -> None:
    week = date(2026, 11, 2)
    with db.session() as s:
        for value in (9100.0, 9200.0):  # a second run in the same week replaces the first
            record_value(
                s, GROW, LINKED, week=week, value=value, value_day=date(2026, 11, 8),
                score=0.05, note="", recorded_at=T0,
            )  # fmt: skip
        edited = KeyResult(
            "weekly_orders", "Weekly paid orders", 9000, 12000, "higher", metric="orders"
        )
        record_value(
            s, GROW, edited, week=week + timedelta(days=7), value=None, value_day=None,
            score=None, note="no complete week", recorded_at=T0,
        )  # fmt: skip
    with db.session() as s:
        rows = recorded_values(s, "2026-Q4")
        assert recorded_values(s, "2026-Q3") == []
    assert [(r.week, r.value, r.title) for r in rows] == [
        (week, 9200.0, "Weekly orders"),
        (week + timedelta(days=7), None, "Weekly paid orders"),
    ]
    assert rows[0].definition == "orders, latest complete week; higher: 9000 → 11000"
    assert rows[1].definition == "orders, latest complete week; higher: 9000 → 12000"
    assert rows[1].note == "no complete week"


def test_record_week_reads_every_linked_key_result_once(db: AppDb) -> None:
    """The worker's job body with a stand-in metric layer: the week and quarter of the last
    complete day, manual key results left to their check-ins."""
    from metric_layer.query import MetricFrame, MetricQuery

    asked: list[MetricQuery] = []

    def frame_of(query: MetricQuery) -> MetricFrame:
        import pandas as pd

        asked.append(query)
        periods = pd.date_range("2026-09-28", "2026-11-30", freq="7D").date
        frame = pd.DataFrame({"period": periods, "orders": 9500, "is_partial": False})
        return MetricFrame(frame, query, {}, query.grain, periods[0], periods[-1])

    config = OkrsConfig((GROW,), defined=True)
    # Tuesday 1 Dec: the last complete day is Monday 30 Nov, in the week of 30 Nov
    done = record_week(config, frame_of, db, date(2026, 12, 1), T0)
    assert (done.quarter, done.week, done.values, done.without_value) == (
        Q4,
        date(2026, 11, 30),
        1,
        0,
    )
    with db.session() as s:
        [row] = recorded_values(s, "2026-Q4")
    assert (row.key_result, row.value, row.value_day, row.score) == (
        "weekly_orders",
        9500.0,
        date(2026, 11, 29),  # the week of 23-29 Nov, the latest one over
        0.25,
    )
    assert len(asked) == 1
    # On 1 Jan the last complete day is 31 Dec: Q4's final values, not Q1's.
    assert record_week(config, frame_of, db, date(2027, 1, 1), T0).quarter == Q4


def test_the_migration_goes_down_and_up(db: AppDb) -> None:
    with db.engine.begin() as conn:
        command.downgrade(alembic_config(conn), "0002")
    with db.engine.connect() as conn:
        assert not {"okr_check_ins", "okr_kr_values"} & set(sa.inspect(conn).get_table_names())
    db.upgrade()
    with db.session() as s:
        add_check_in(s, GROW, MANUAL, who="ana", at=T0, value=2)
        assert len(check_ins(s)) == 1
