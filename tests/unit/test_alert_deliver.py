"""The outbox on SQLite and PostgreSQL: rows written in the caller's transaction, sent when due,
retried after 1 min, 5 min, 30 min, 2 h, 6 h with an injected clock (no sleeps), failed after the
6th try, a channel that left the config failed at once, one redacted log line per failure, and
two senders never sending one row twice."""

from __future__ import annotations

import threading
from collections import Counter
from datetime import timedelta

import pytest
from alert_channel_samples import AT, POINTS, sample_notification
from smtp_support import smtp_server
from sqlalchemy import select
from werkzeug import Request, Response

from alerts.channels.config import parse_channel
from alerts.channels.payload import notification_payload
from alerts.deliver import (
    MAX_ATTEMPTS,
    DeliveryReport,
    claim,
    deliver_due,
    due_rows,
    enqueue,
    finish,
)
from appdb import AppDb
from appdb.models import Delivery
from settings import Settings

TOKEN = "tok-7Hq2-secret"
HOOK_PATH = "/hooks/T0001/B0002/xyzzySECRETpath"
SETTINGS = Settings(public_url="https://northstar.example.com")


@pytest.fixture
def db(app_db_url: str):  # type: ignore[no-untyped-def]
    database = AppDb(app_db_url)
    database.upgrade()
    yield database
    database.close()


def channels() -> dict:
    return {
        "growth-slack": parse_channel(
            "growth-slack",
            {
                "type": "webhook",
                "url": "${HOOK_URL}",
                "format": "slack",
                "headers": {"Authorization": "Bearer ${HOOK_TOKEN}"},
            },
        ),
        "team-mail": parse_channel("team-mail", {"type": "email", "to": ["growth@example.com"]}),
        "ops-json": parse_channel("ops-json", {"type": "webhook", "url": "${HOOK_URL}"}),
    }


def environ(httpserver) -> dict[str, str]:  # type: ignore[no-untyped-def]
    return {"HOOK_URL": httpserver.url_for(HOOK_PATH), "HOOK_TOKEN": TOKEN}


def rows(db: AppDb) -> list[Delivery]:
    with db.session() as session:
        return list(session.scalars(select(Delivery).order_by(Delivery.id)))


def add(db: AppDb, channel_names: list[str], **changes: object) -> None:
    with db.session() as session:
        enqueue(session, sample_notification(**changes), channel_names, points=POINTS)


def test_enqueue_writes_one_row_per_channel_in_the_callers_transaction(db: AppDb) -> None:
    add(db, ["growth-slack", "in-app", "growth-slack", "team-mail"])
    written = rows(db)
    assert [(r.channel, r.status, r.kind, r.rule, r.series) for r in written] == [
        ("growth-slack", "pending", "firing", "nsm_below_target", "region=South"),
        ("in-app", "sent", "firing", "nsm_below_target", "region=South"),
        ("team-mail", "pending", "firing", "nsm_below_target", "region=South"),
    ]
    assert all(r.next_attempt_at == AT and r.attempts == 0 for r in written)
    assert written[1].sent_at == AT
    assert written[0].payload == notification_payload(sample_notification(), points=POINTS)
    # A transaction that fails writes no row: the outbox goes with the state change or not at all.
    with pytest.raises(RuntimeError), db.session() as session:
        enqueue(session, sample_notification(), ["growth-slack"])
        session.flush()
        raise RuntimeError("the state change failed")
    assert len(rows(db)) == 3


def test_a_500_then_a_retry_that_succeeds(db: AppDb, httpserver) -> None:  # type: ignore[no-untyped-def]
    answers = iter([Response("upstream down", 500), Response("ok", 200)])
    httpserver.expect_request(HOOK_PATH).respond_with_handler(lambda _r: next(answers))
    add(db, ["growth-slack"])
    first = deliver_due(db, channels(), SETTINGS, AT, environ(httpserver))
    assert (first.sent, first.retrying, first.failed) == (0, 1, 0)
    (row,) = rows(db)
    assert (row.status, row.attempts, row.next_attempt_at) == (
        "pending",
        1,
        AT + timedelta(minutes=1),
    )
    assert row.last_error == (
        f"webhook growth-slack: http://localhost:{httpserver.port} answered HTTP 500: upstream down"
    )
    # Not due yet: nothing is sent.
    early = deliver_due(db, channels(), SETTINGS, AT + timedelta(seconds=59), environ(httpserver))
    assert early == DeliveryReport() and len(httpserver.log) == 1
    later = AT + timedelta(minutes=1)
    second = deliver_due(db, channels(), SETTINGS, later, environ(httpserver))
    assert (second.sent, second.retrying) == (1, 0)
    (row,) = rows(db)
    assert (row.status, row.attempts, row.sent_at, row.last_error) == ("sent", 2, later, "")
    assert len(httpserver.log) == 2
    assert httpserver.log[1][0].headers["Authorization"] == f"Bearer {TOKEN}"


def test_backoff_then_failed_after_six_tries_logged_without_secrets(  # type: ignore[no-untyped-def]
    db: AppDb, httpserver, caplog
) -> None:
    def echo(request: Request) -> Response:  # repeats the secrets it was sent, as some do
        return Response(f"bad token {request.headers['Authorization']} at {request.path}", 503)

    httpserver.expect_request(HOOK_PATH).respond_with_handler(echo)
    add(db, ["growth-slack"])
    now, waits = AT, []
    for attempt in range(1, MAX_ATTEMPTS + 1):
        report = deliver_due(db, channels(), SETTINGS, now, environ(httpserver))
        (row,) = rows(db)
        assert row.attempts == attempt
        if attempt < MAX_ATTEMPTS:
            assert (report.retrying, row.status) == (1, "pending")
            waits.append(row.next_attempt_at - now)
            before = deliver_due(
                db,
                channels(),
                SETTINGS,
                row.next_attempt_at - timedelta(seconds=1),
                environ(httpserver),
            )
            assert before.sent + before.retrying + before.failed == 0
            now = row.next_attempt_at
        else:
            assert (report.failed, row.status) == (1, "failed")
    assert waits == [
        timedelta(minutes=1),
        timedelta(minutes=5),
        timedelta(minutes=30),
        timedelta(hours=2),
        timedelta(hours=6),
    ]
    assert len(httpserver.log) == MAX_ATTEMPTS
    assert (
        deliver_due(db, channels(), SETTINGS, now + timedelta(days=30), environ(httpserver))
        == DeliveryReport()
    )
    assert len(httpserver.log) == MAX_ATTEMPTS  # failed rows are not sent again
    lines = [r.getMessage() for r in caplog.records if r.name == "northstar.alerts"]
    assert len(lines) == MAX_ATTEMPTS
    assert lines[0] == (
        f"alert delivery {row.id} (firing, rule nsm_below_target) to growth-slack failed "
        f"(try 1 of 6, next at 2026-11-30 08:01 UTC): webhook growth-slack: "
        f"http://localhost:{httpserver.port} answered HTTP 503: bad token Bearer *** at /***"
    )
    assert lines[-1].startswith(
        f"alert delivery {row.id} (firing, rule nsm_below_target) to growth-slack not sent after 6 tries:"
    )
    assert all("\n" not in line and not any(r.exc_info for r in caplog.records) for line in lines)
    ours = "\n".join(
        r.getMessage() for r in caplog.records if r.name != "werkzeug"
    )  # not the test server's
    for secret in (TOKEN, "xyzzySECRETpath", "T0001/B0002"):
        assert secret not in ours and secret not in row.last_error


def test_a_missing_variable_is_named_then_sent_once_it_is_set(db: AppDb, httpserver) -> None:  # type: ignore[no-untyped-def]
    httpserver.expect_request(HOOK_PATH).respond_with_data("ok")
    add(db, ["growth-slack"])
    env = environ(httpserver)
    del env["HOOK_TOKEN"]
    deliver_due(db, channels(), SETTINGS, AT, env)
    (row,) = rows(db)
    assert row.last_error == (
        "webhook growth-slack: environment variable HOOK_TOKEN is not set; "
        "export HOOK_TOKEN in the worker's environment"
    )
    report = deliver_due(db, channels(), SETTINGS, AT + timedelta(minutes=1), environ(httpserver))
    assert report.sent == 1 and len(httpserver.log) == 1


def test_a_channel_gone_from_the_config_fails_at_once_and_in_app_is_sent(db: AppDb) -> None:
    add(db, ["old-hook"])
    with db.session() as session:  # an in-app row left pending (written by hand) is just sent
        row = enqueue(session, sample_notification(), ["in-app"])[0]
        row.status, row.sent_at = "pending", None
    report = deliver_due(db, channels(), SETTINGS, AT, {})
    assert (report.sent, report.failed) == (1, 1)
    gone, in_app = rows(db)
    assert (gone.status, gone.attempts) == ("failed", 0)
    assert gone.last_error == (
        "channel `old-hook` is no longer in the alerts config, so this message is not sent "
        "(add the channel back for the next ones)"
    )
    assert (in_app.status, in_app.sent_at) == ("sent", AT)


def test_email_rows_go_through_smtp_with_the_chart(db: AppDb) -> None:
    class Renderer:
        def png(self, figure, width=640, height=260) -> bytes:  # type: ignore[no-untyped-def]
            return b"\x89PNG\r\n\x1a\nstub"

    add(db, ["team-mail"])
    with smtp_server() as inbox:
        settings = Settings(
            smtp_host="127.0.0.1",
            smtp_port=inbox.port,
            smtp_from="ns@example.com",
            smtp_starttls=False,
        )
        report = deliver_due(db, channels(), settings, AT, {}, renderer=Renderer())  # type: ignore[arg-type]
    assert report.sent == 1
    (message,) = inbox.messages
    assert message["To"] == "growth@example.com"
    assert any(p.get_content_type() == "image/png" for p in message.walk())


def test_a_report_row_as_the_report_writes_it(db: AppDb, httpserver) -> None:  # type: ignore[no-untyped-def]
    """The report queues rows itself: kind "report" on the row, the contract's keys in payload."""
    httpserver.expect_request(HOOK_PATH).respond_with_data("ok")
    payload = {"subject": "Weekly review 2026-W48", "html": "<p>h</p>", "text": "Paid orders 12,220",
               "pdf_path": "/nowhere.pdf", "week": "2026-W48"}  # fmt: skip
    with db.session() as session:
        session.add(Delivery(channel="growth-slack", kind="report", rule="weekly-report",
                             series="2026-W48", payload=payload, next_attempt_at=AT))  # fmt: skip
    assert deliver_due(db, channels(), SETTINGS, AT, environ(httpserver)).sent == 1
    body = httpserver.log[0][0].get_json()
    link = "https://northstar.example.com/report/2026-W48.pdf"
    assert body["text"] == f"Weekly review 2026-W48 <{link}|Open the report>"


def test_a_row_claimed_by_one_sender_is_not_claimed_by_another(app_db_url: str) -> None:
    first, second = AppDb(app_db_url), AppDb(app_db_url)  # two processes' engines
    first.upgrade()
    try:
        add(first, ["growth-slack"])
        (seen_by_first,), (seen_by_second,) = due_rows(first, AT), due_rows(second, AT)
        assert claim(first, seen_by_first, AT)
        assert not claim(second, seen_by_second, AT)  # read before the claim, refused after it
        assert finish(first, seen_by_first, 1, AT, None) == "sent"
        assert due_rows(second, AT + timedelta(hours=1)) == []
    finally:
        first.close()
        second.close()


def test_two_senders_at_once_send_every_row_exactly_once(app_db_url: str, httpserver) -> None:  # type: ignore[no-untyped-def]
    got: Counter[str] = Counter()
    lock = threading.Lock()

    def record(request: Request) -> Response:
        with lock:
            got[request.get_json()["week"]] += 1
        return Response("ok")

    httpserver.expect_request(HOOK_PATH).respond_with_handler(record)
    senders = [AppDb(app_db_url), AppDb(app_db_url)]
    senders[0].upgrade()
    report = {"subject": "s", "html": "<p>h</p>", "text": "t", "pdf_path": None}
    with senders[0].session() as session:
        for i in range(40):
            enqueue(session, {**report, "week": f"row-{i}"}, ["ops-json"], now=AT)
    start = threading.Barrier(2)
    results: list[DeliveryReport | BaseException] = []

    def run(db: AppDb) -> None:
        start.wait()
        try:
            results.append(deliver_due(db, channels(), SETTINGS, AT, environ(httpserver)))
        except BaseException as exc:  # shown by the assertion below, not lost in the thread
            results.append(exc)

    threads = [threading.Thread(target=run, args=(db,)) for db in senders]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(120)
    for db in senders:
        db.close()
    assert len(results) == 2 and all(isinstance(r, DeliveryReport) for r in results), results
    assert got == Counter({f"row-{i}": 1 for i in range(40)})
    assert sum(r.sent for r in results) == 40 and not any(r.retrying or r.failed for r in results)
