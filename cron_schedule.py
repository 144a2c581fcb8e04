"""Cron expressions read as crontab(5) reads them, for every schedule Northstar has (ingest
sources, the weekly report).

APScheduler 3's `from_crontab` counts weekday 0 as Monday, while crontab — and every user who
writes `0 8 * * 1` meaning Monday 08:00 — counts 0 and 7 as Sunday, 1 as Monday. Numbers are
turned into day names before APScheduler sees them, so a schedule fires on the day it says.
"""

from __future__ import annotations

import re
from datetime import tzinfo

from apscheduler.triggers.cron import CronTrigger

DAY_NAMES = ("sun", "mon", "tue", "wed", "thu", "fri", "sat", "sun")
EXAMPLE = '"0 8 * * MON" for Monday 08:00'


class CronError(ValueError):
    """Not a 5-field cron expression; the message shows one that is."""


def crontab_trigger(expression: str, timezone: tzinfo | None = None) -> CronTrigger:
    """The trigger of a 5-field cron `expression` (crontab weekdays), in `timezone`."""
    fields = expression.split()
    if len(fields) != 5:
        raise CronError(
            f"cron {expression!r} needs 5 fields (minute hour day month weekday), e.g. {EXAMPLE}"
        )
    fields[4] = re.sub(r"\d+", lambda m: _day_name(m.group(0), expression), fields[4])
    try:
        return CronTrigger.from_crontab(" ".join(fields), timezone=timezone)
    except ValueError as exc:
        raise CronError(f"cron {expression!r} is invalid ({exc}); e.g. {EXAMPLE}") from None


def _day_name(number: str, expression: str) -> str:
    if int(number) > 7:
        raise CronError(
            f"cron {expression!r}: weekday {number} is not 0-7 (0 and 7: Sunday); e.g. {EXAMPLE}"
        )
    return DAY_NAMES[int(number)]
