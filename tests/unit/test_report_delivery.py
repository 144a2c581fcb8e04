"""The weekly report's ways out: `northstar report` writing files (or the PDF down a pipe) and
queueing outbox rows for the report's channels, the worker's weekly job (its cron in the spec's
zone, run with an injected clock), and the Overview's download `/report/<week>.pdf` (built once
per week and snapshot, a bad week a 404 page)."""

from __future__ import annotations

import io
import json
import logging
from datetime import datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
from apscheduler.schedulers.background import BackgroundScheduler
from page_client import join_warm_ups, register_page_callbacks
from sqlalchemy import select
from typer.testing import CliRunner

import report.build
from app import build_cli
from appdb import AppDb
from appdb.models import Delivery
from dashboard import ids
from dashboard.serving import EXTENSION
from report.channels import ReportPlan
from report.schedule import (
    JOB_ID,
    ScheduleError,
    report_trigger,
    run_scheduled_report,
    schedule_from_settings,
    schedule_report,
)
from settings import Settings
from tests.report_support import W11 as MONDAY
from tests.report_support import ZONE, cli_env, report_project, week_numbers

pytestmark = pytest.mark.timeout(300)
runner = CliRunner()
PLAN = ReportPlan(channels={"team-mail": "email", "growth-slack": "webhook", "in-app": "in-app"})
SHANGHAI = ZoneInfo(ZONE)


@pytest.fixture(scope="module")
def settings(tmp_path_factory: pytest.TempPathFactory) -> Settings:
    return report_project(tmp_path_factory.mktemp("delivery"))


def run(args: list[str], env: dict[str, str]):  # type: ignore[no-untyped-def]
    return runner.invoke(build_cli(), ["report", *args], env=env, catch_exceptions=False)


# -- files ----------------------------------------------------------------------------------


def test_report_to_files(settings: Settings, tmp_path: Path) -> None:
    result = run(["--week", "2026-W11", "--out", str(tmp_path)], cli_env(settings))
    assert result.exit_code == 0, result.output
    pdf, html = tmp_path / "report-2026-W11.pdf", tmp_path / "report-2026-W11.html"
    assert pdf.read_bytes().startswith(b"%PDF") and html.is_file()
    orders = week_numbers(MONDAY)["orders"]
    assert f'id="nsm-value">{orders}<' in html.read_text()
    # one plain line, as written: a pipe gets no wrapping and no markup
    lead = f"wrote {pdf} and {html} (Weekly review 2026-W11: Orders {orders} ("
    assert result.stdout.startswith(lead) and result.stdout.endswith(" vs previous week))\n")
    assert result.stdout.count("\n") == 1


def test_report_pdf_down_a_pipe_and_to_a_named_file(settings: Settings, tmp_path: Path) -> None:
    piped = run(["--week", "2026-W11", "--out", "-"], cli_env(settings))
    assert piped.exit_code == 0 and piped.stdout_bytes.startswith(b"%PDF-")
    named = tmp_path / "weekly" / "review.pdf"
    assert run(["--week", "2026-W11", "--out", str(named)], cli_env(settings)).exit_code == 0
    assert named.read_bytes() == piped.stdout_bytes  # the same build, kept per week and snapshot
    assert named.with_suffix(".html").is_file()


@pytest.mark.parametrize(
    ("week", "message"),
    [
        ("2026-W12", "week 2026-W12 (2026-03-16..2026-03-22) is not over yet (today is "
         "2026-03-18); the latest complete week is 2026-W11"),
        ("2026-W20", "has not started yet"),
        ("2020-W09", "is before the data, which starts on 2020-03-02; the first week with data "
         "is 2020-W10"),
        ("2021-W53", "week '2021-W53' does not exist: 2021 has ISO weeks W01 to W52"),
        ("48", "write it as YEAR-Wnn, e.g. 2026-W48"),
    ],
)  # fmt: skip
def test_weeks_that_cannot_be_reported(settings: Settings, week: str, message: str) -> None:
    result = run(["--week", week], cli_env(settings))
    assert result.exit_code == 2
    assert message in result.stderr and result.stderr.count("\n") == 1
    assert "Traceback" not in result.output


def test_bad_destinations_and_a_missing_browser(settings: Settings, tmp_path: Path) -> None:
    env = cli_env(settings)
    bad = run(["--to", "fax"], env)
    assert bad.exit_code == 2 and "--to must be one of file, email, webhook" in bad.stderr
    mixed = run(["--to", "email", "--out", str(tmp_path)], env)
    assert mixed.exit_code == 2 and "--out is where --to file writes" in mixed.stderr
    # A week nobody built yet, so the PDF must be printed: no browser, one line saying how.
    nobrowser = run(["--week", "2026-W08"], {**env, "BROWSER_PATH": str(tmp_path / "chromium")})
    assert nobrowser.exit_code == 1 and "`make browser`" in nobrowser.stderr
    assert "Traceback" not in nobrowser.output


# -- the outbox -----------------------------------------------------------------------------


def test_email_and_webhook_queue_outbox_rows(
    settings: Settings, app_db_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr("cli.report_commands.load_plan", lambda settings, spec: PLAN)
    env = {**cli_env(settings), "NORTHSTAR_APP_DB": app_db_url}
    email = run(["--week", "2026-W11", "--to", "email"], env)
    assert email.exit_code == 0, email.output
    assert email.stdout.startswith("queued the weekly report 2026-W11 for team-mail (email)")
    assert run(["--week", "2026-W11", "--to", "webhook"], env).exit_code == 0
    db = AppDb(app_db_url)
    with db.session() as session:
        rows = list(session.scalars(select(Delivery).order_by(Delivery.id)))
    db.close()
    assert [(r.channel, r.kind, r.status, r.series) for r in rows] == [
        ("team-mail", "report", "pending", "2026-W11"),
        ("growth-slack", "report", "pending", "2026-W11"),
    ]
    payload = rows[0].payload
    assert set(payload) == {"subject", "html", "text", "pdf_path", "week"}
    assert payload["week"] == "2026-W11"
    orders = week_numbers(MONDAY)["orders"]
    assert f"Orders {orders} " in payload["subject"]
    assert f'id="nsm-value">{orders}<' in payload["html"]
    assert f"Orders (North Star): {orders}\n" in payload["text"]
    assert Path(payload["pdf_path"]).read_bytes().startswith(b"%PDF")
    assert "/outbox/" in payload["pdf_path"]  # a copy no later build replaces


def test_a_misspelt_week_is_refused_before_looking_for_data(tmp_path: Path) -> None:
    empty = {"NORTHSTAR_SERVING_DIR": str(tmp_path / "nothing"), "NORTHSTAR_APP_DB": ""}
    result = run(["--week", "abc"], empty)
    assert result.exit_code == 2
    assert "week 'abc' is not an ISO week; write it as YEAR-Wnn" in result.stderr
    assert "no data published" not in result.stderr


def test_a_destination_without_a_channel_says_where_to_add_one(
    settings: Settings, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(
        "cli.report_commands.load_plan", lambda s, spec: ReportPlan(channels={"ops": "email"})
    )
    result = run(["--week", "2026-W11", "--to", "webhook"], cli_env(settings))
    assert result.exit_code == 2
    assert "no webhook channel for the weekly report" in result.stderr
    assert "it lists ops (email)" in result.stderr


# -- the schedule ---------------------------------------------------------------------------


@pytest.mark.parametrize("schedule", ["0 8 * * MON", "0 8 * * 1", "0 8 * * mon-mon"])
def test_monday_eight_in_the_spec_zone(schedule: str) -> None:
    trigger = report_trigger(schedule, ZONE)
    wednesday = datetime(2026, 3, 18, 12, tzinfo=SHANGHAI)
    fire = trigger.get_next_fire_time(None, wednesday)
    assert fire == datetime(2026, 3, 23, 8, tzinfo=SHANGHAI)
    assert fire.utcoffset().total_seconds() == 8 * 3600  # 00:00 UTC


def test_crontab_weekday_numbers_count_from_sunday() -> None:
    saturday = datetime(2026, 3, 21, 12, tzinfo=SHANGHAI)
    for expression in ("30 18 * * 0", "30 18 * * 7", "30 18 * * SUN"):
        fire = report_trigger(expression, ZONE).get_next_fire_time(None, saturday)
        assert fire == datetime(2026, 3, 22, 18, 30, tzinfo=SHANGHAI), expression
    with pytest.raises(ScheduleError, match="needs 5 fields"):
        report_trigger("every monday", ZONE)
    with pytest.raises(ScheduleError, match="weekday 9 is not 0-7"):
        report_trigger("0 8 * * 9", ZONE)


def test_the_worker_job_queues_the_week_just_ended_once(
    settings: Settings, tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    db = AppDb(f"sqlite:///{tmp_path / 'outbox.db'}")
    db.upgrade()
    scheduler = BackgroundScheduler()  # never started: the test fires the job itself
    trigger = schedule_report(scheduler, settings, PLAN, ZONE, db, clock=lambda: fire)
    fire = trigger.get_next_fire_time(None, datetime(2026, 3, 10, 12, tzinfo=SHANGHAI))
    assert fire == datetime(2026, 3, 16, 8, tzinfo=SHANGHAI)
    job = scheduler.get_job(JOB_ID)
    queued = job.func(*job.args, **job.kwargs)
    assert queued.week == "2026-W11"  # Monday 16 March 08:00: the week of 9-15 March ended
    assert queued.channels == ("team-mail", "growth-slack", "in-app")
    again = job.func(*job.args, **job.kwargs)  # a second run (a restart) sends nothing twice
    assert again.channels == () and again.skipped == queued.channels
    with db.session() as session:
        rows = list(session.scalars(select(Delivery).order_by(Delivery.id)))
    assert len(rows) == 3 and {r.created_at for r in rows} == {datetime(2026, 3, 16, 0)}
    assert [r.status for r in rows] == ["pending", "pending", "sent"]  # in-app: nothing to send
    # The next Monday's week is not over as of the data's day (AS_OF 18 March): logged, no rows.
    later = trigger.get_next_fire_time(None, datetime(2026, 3, 18, 12, tzinfo=SHANGHAI))
    with caplog.at_level(logging.ERROR, "northstar.report"):
        assert run_scheduled_report(settings, PLAN, db, lambda: later) is None
    assert "2026-W12" in caplog.text and "is not over yet" in caplog.text
    db.close()


def test_the_worker_schedules_the_report_only_when_configured(
    settings: Settings, monkeypatch: pytest.MonkeyPatch
) -> None:
    opened: list[str] = []

    def open_db() -> AppDb:
        opened.append("db")
        return AppDb(settings.app_db)

    scheduler = BackgroundScheduler()
    monkeypatch.setattr("report.schedule.load_plan", lambda s, spec: None)
    line = schedule_from_settings(scheduler, settings, open_db)
    assert line.startswith("weekly report: not scheduled (no `report:` section")
    assert scheduler.get_jobs() == [] and opened == []
    monkeypatch.setattr("report.schedule.load_plan", lambda s, spec: PLAN)
    line = schedule_from_settings(scheduler, settings, open_db)
    assert line.startswith("weekly report: '0 8 * * MON' in Asia/Shanghai to team-mail, ")
    assert [j.id for j in scheduler.get_jobs()] == [JOB_ID] and opened == ["db"]


# -- the Overview's download ------------------------------------------------------------------


@pytest.fixture(scope="module")
def web(settings: Settings):  # type: ignore[no-untyped-def]
    from dashboard.server import create_dash

    register_page_callbacks()
    app = create_dash(settings, cache_config={"CACHE_TYPE": "NullCache"})
    yield app
    join_warm_ups()
    app.server.extensions[EXTENSION].close()


def test_the_pdf_is_built_once_per_week_and_snapshot(
    web, settings: Settings, monkeypatch: pytest.MonkeyPatch
) -> None:  # type: ignore[no-untyped-def]
    printed: list[Path] = []
    real = report.build.print_pdf

    def counted(html: Path, pdf: Path, browser: Path | None = None) -> Path:
        printed.append(pdf)
        return real(html, pdf, browser)

    monkeypatch.setattr(report.build, "print_pdf", counted)
    client = web.server.test_client()
    first = client.get("/report/2026-W09.pdf")
    assert first.status_code == 200 and first.mimetype == "application/pdf"
    assert first.data.startswith(b"%PDF")
    assert "northstar-weekly-report-2026-W09.pdf" in first.headers["Content-Disposition"]
    second = client.get("/report/2026-W09.pdf")
    assert second.status_code == 200 and second.data == first.data
    assert len(printed) == 1  # the second download read the file
    assert printed[0].parent == settings.serving_dir.parent / "reports"


@pytest.mark.parametrize(
    ("week", "message"),
    [
        ("2026-W12", "is not over yet"),
        ("2026-W99", "2026 has ISO weeks W01 to W53"),
        ("garbage", "write it as YEAR-Wnn"),
        ("2019-W01", "is before the data"),
        ("%00", "is not an ISO week"),
        ("2026-W1%0A1", "is not an ISO week"),
        ("%EF%BC%92026-W01", "is not an ISO week"),  # a full-width digit
        ("9" * 500, "is not an ISO week"),
        ("%3Cscript%3E", "&#39;&lt;script&gt;&#39; is not an ISO week"),  # escaped
    ],
)
def test_a_bad_week_in_the_address_is_a_404_page(web, week: str, message: str) -> None:  # type: ignore[no-untyped-def]
    answer = web.server.test_client().get(f"/report/{week}.pdf")
    assert answer.status_code == 404 and answer.mimetype == "text/html"
    assert message in answer.get_data(as_text=True)


def test_the_overview_links_the_last_complete_weeks_report(web) -> None:  # type: ignore[no-untyped-def]
    body = {
        "output": f"{ids.OVERVIEW_BODY}.children",
        "outputs": {"id": ids.OVERVIEW_BODY, "property": "children"},
        "inputs": [{"id": ids.OVERVIEW_VIEW, "property": "data", "value": "/?as_of=2026-03-04"}],
        "changedPropIds": [f"{ids.OVERVIEW_VIEW}.data"],
        "state": [],
    }
    answer = web.server.test_client().post("/_dash-update-component", json=body)
    assert answer.status_code == 200
    text = json.dumps(answer.get_json())
    # as of Wednesday 4 March the last complete week is 23 Feb - 1 Mar, 2026-W09
    assert '"href": "/report/2026-W09.pdf"' in text and "Weekly report (PDF)" in text


def test_a_scoped_account_gets_its_rows_and_no_alerts(web, settings: Settings) -> None:  # type: ignore[no-untyped-def]
    from flask import request
    from pypdf import PdfReader

    from dashboard.serving import set_scope_provider
    from metric_layer.scope import Scope
    from tests.report_support import in_week, paid_orders

    header = "X-Test-Scope"  # the test's stand-in for a signed-in account's scope
    set_scope_provider(
        web.server,
        lambda: Scope.of({"region": ["south"]}) if request.headers.get(header) else None,
    )
    client = web.server.test_client()
    monday = MONDAY - timedelta(days=7)  # 2026-W10
    texts = {}
    for who, headers in (("all", {}), ("south", {header: "1"})):
        answer = client.get("/report/2026-W10.pdf", headers=headers)
        assert answer.status_code == 200, answer.get_data(as_text=True)
        pages = PdfReader(io.BytesIO(answer.data)).pages
        texts[who] = "\n".join(page.extract_text() for page in pages)
    rows = in_week(paid_orders(), monday)
    south = int((rows["region"] == "south").sum())
    assert f"Orders · North Star\n{len(rows)}\n" in texts["all"]
    assert f"Orders · North Star\n{south}\n" in texts["south"] and south < len(rows)
    assert "rows of region: south only" in texts["south"]
    assert "Alerts are left out of this report" in texts["south"]
    assert "Alerts are left out" not in texts["all"]


def test_queued_reports_reach_a_real_mail_server_and_webhook(
    settings: Settings, tmp_path: Path, httpserver
) -> None:  # type: ignore[no-untyped-def]
    """The outbox rows the report writes, sent by alerts.deliver as every notification is."""
    from dataclasses import replace as changed

    from smtp_support import smtp_server

    from alerts.channels.config import EmailChannel, WebhookChannel
    from alerts.deliver import deliver_due
    from report.offline import offline_serving
    from report.runs import build_week, queue_to

    db = AppDb(f"sqlite:///{tmp_path / 'send.db'}")
    db.upgrade()
    with offline_serving(settings) as serving:
        built = build_week(settings, serving, "2026-W11", db)
    now = datetime(2026, 3, 16, 0)
    queue_to(settings, db, built, ["team-mail", "growth-hook"], now)
    httpserver.expect_oneshot_request("/hook", method="POST").respond_with_data("ok")
    channels = {
        "team-mail": EmailChannel("team-mail", ("growth@example.com",)),
        "growth-hook": WebhookChannel("growth-hook", httpserver.url_for("/hook"), "json"),
    }
    with smtp_server() as inbox:
        mail = changed(
            settings,
            smtp_host="127.0.0.1",
            smtp_port=inbox.port,
            smtp_from="northstar@example.com",
            smtp_starttls=False,
            smtp_timeout=5.0,
            public_url="https://northstar.example.com",
        )
        sent = deliver_due(db, channels, mail, now, {})
    db.close()
    assert (sent.sent, sent.failed, sent.errors) == (2, 0, ())
    (message,) = inbox.messages
    orders = week_numbers(MONDAY)["orders"]
    assert message["Subject"].startswith(f"[Northstar] Weekly review 2026-W11: Orders {orders} ")
    assert f'id="nsm-value">{orders}<' in message.get_body(("html",)).get_content()
    (pdf,) = message.iter_attachments()
    assert pdf.get_content_type() == "application/pdf"
    assert pdf.get_content() == built.pdf_path.read_bytes()
    (request, _), *_ = httpserver.log
    body = request.get_json()
    assert body["kind"] == "report" and body["week"] == "2026-W11"
    assert body["link"] == "https://northstar.example.com/report/2026-W11.pdf"
    assert f"Orders (North Star): {orders}\n" in body["text"]
