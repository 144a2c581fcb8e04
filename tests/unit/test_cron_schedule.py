"""Cron weekdays as crontab(5) reads them: 0 and 7 are Sunday, 1 is Monday (APScheduler 3
alone would fire `0 8 * * 1` on a Tuesday)."""

from __future__ import annotations

from datetime import datetime
from zoneinfo import ZoneInfo

import pytest

from connectors.config import Schedule
from cron_schedule import CronError, crontab_trigger

UTC = ZoneInfo("UTC")
WEDNESDAY = datetime(2026, 12, 2, 12, 0, tzinfo=UTC)


@pytest.mark.parametrize(
    ("expression", "fires_on"),
    [
        ("0 8 * * 1", "Monday"),
        ("0 8 * * MON", "Monday"),
        ("0 8 * * 0", "Sunday"),
        ("0 8 * * 7", "Sunday"),
        ("0 8 * * 5", "Friday"),
        ("0 8 * * 1-5", "Thursday"),  # the next weekday after Wednesday noon
    ],
)
def test_weekdays_are_counted_from_sunday_as_crontab_does(expression: str, fires_on: str) -> None:
    fire = crontab_trigger(expression, UTC).get_next_fire_time(None, WEDNESDAY)
    assert f"{fire:%A %H:%M}" == f"{fires_on} 08:00"


@pytest.mark.parametrize(
    ("expression", "says"),
    [
        ("0 8 * *", "needs 5 fields"),
        ("0 8 * * 9", "weekday 9 is not 0-7"),
        ("x 8 * * 1", "invalid"),
    ],
)
def test_bad_expressions_say_what_a_good_one_looks_like(expression: str, says: str) -> None:
    with pytest.raises(CronError, match=says) as info:
        crontab_trigger(expression)
    assert "MON" in str(info.value)


def test_an_ingest_source_schedule_uses_crontab_weekdays() -> None:
    from connectors.worker import trigger_for

    class Source:
        schedule = Schedule(cron="30 6 * * 1")

    fire = trigger_for(Source).get_next_fire_time(None, WEDNESDAY)  # type: ignore[arg-type]
    assert fire.strftime("%A %H:%M") == "Monday 06:30"
