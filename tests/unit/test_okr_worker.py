"""The worker's weekly record of OKR values: the job it schedules (from cli/, connectors know
nothing of OKRs), one run against the published fixture shop (values against pandas), a second
run in the same week replacing the first, and a broken okrs.yml logged rather than raised."""

from __future__ import annotations

import logging
import shutil
from datetime import date
from pathlib import Path

import pandas as pd
import pytest
from apscheduler.schedulers.background import BackgroundScheduler

from appdb import AppDb
from cli.okr_worker import RECORD_SCHEDULE, record_kr_values_job, schedule_kr_values
from okrs.store import recorded_values
from tests.browser.fixture_shop import SPEC, shop_tables
from tests.shop_project import make_project, publish, settings_for


@pytest.fixture(scope="module")
def project(tmp_path_factory: pytest.TempPathFactory) -> Path:
    folder = make_project(tmp_path_factory.mktemp("okr-worker"))
    shutil.copyfile(Path(SPEC).parent / "okrs.yml", folder / "okrs.yml")
    publish(folder)
    return folder


def test_the_worker_schedules_the_weekly_record(project: Path, app_db_url: str) -> None:
    from dataclasses import replace

    settings = replace(settings_for(project), app_db=app_db_url)
    scheduler = BackgroundScheduler()
    line = schedule_kr_values(scheduler, settings, lambda: AppDb(app_db_url))
    [job] = scheduler.get_jobs()
    assert job.id == "okrs:record" and job.func is record_kr_values_job
    assert line == f"OKR values recorded weekly ({RECORD_SCHEDULE}, Asia/Shanghai)"
    assert str(job.trigger) == "cron[month='*', day='*', day_of_week='mon', hour='6', minute='0']"


def test_a_run_records_each_linked_key_result_of_the_week(project: Path, app_db_url: str) -> None:
    from dataclasses import replace

    settings = replace(settings_for(project), app_db=app_db_url)
    db = AppDb(app_db_url)
    db.upgrade()
    record_kr_values_job(settings, lambda: AppDb(app_db_url))
    record_kr_values_job(settings, lambda: AppDb(app_db_url))  # same week: replaced, not added
    with db.session() as s:
        rows = recorded_values(s, "2026-Q1")
    db.close()
    # as of Wed 18 Mar: the last complete day, Tue 17 Mar, is in the week of Mon 16 Mar
    assert {r.week for r in rows} == {date(2026, 3, 16)}
    assert sorted(f"{r.objective}.{r.key_result}" for r in rows) == [
        "basket_size.aov_to_date",
        "basket_size.buyers_to_date",
        "grow_orders.quarter_revenue",
        "grow_orders.weekly_orders",
        "win_ios.ios_orders",
    ]  # the manual key result (partners) is not recorded: its check-ins are its history
    orders = shop_tables()["raw.orders"]
    day = (orders["ordered_at"] + pd.Timedelta(hours=8)).dt.date
    week = (
        (orders["status"] == "paid") & (day >= date(2026, 3, 9)) & (day <= date(2026, 3, 15))
    ).sum()
    weekly = next(r for r in rows if r.key_result == "weekly_orders")
    assert (weekly.value, weekly.value_day) == (week, date(2026, 3, 15))
    assert weekly.definition == "orders, latest complete week; higher: 8 → 14"
    assert weekly.title == "Weekly paid orders from 8 to 14"


def test_a_broken_okrs_file_is_logged_and_the_worker_goes_on(
    tmp_path: Path, project: Path, caplog: pytest.LogCaptureFixture
) -> None:
    from dataclasses import replace

    folder = tmp_path / "p"
    shutil.copytree(project, folder)
    (folder / "okrs.yml").write_text("okrs:\n  - id: x\n")
    settings = replace(settings_for(project), metrics=folder / "metrics.yml")
    with caplog.at_level(logging.ERROR, logger="northstar.okrs"):
        record_kr_values_job(settings, lambda: AppDb(f"sqlite:///{tmp_path / 'app.db'}"))
    [record] = caplog.records
    assert record.getMessage().startswith("recording OKR values failed: SpecError")
