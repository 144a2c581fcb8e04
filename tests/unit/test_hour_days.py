"""rollup_changes.hour_days: the local days an hour bucket of a stored time column overlaps
(incremental refresh reads changed rows per hour; test_incremental_rollups.py tests the refresh).
Days are worked out by hand in the comments."""

from __future__ import annotations

from datetime import date, datetime

import pytest

from metric_layer.rollup_changes import hour_days


def hour_of(wall: str) -> int:
    """Hours since 1970-01-01 00:00 of a wall-clock time, as the stored column's bucket."""
    return int((datetime.fromisoformat(wall) - datetime(1970, 1, 1)).total_seconds() // 3600)


@pytest.mark.parametrize(
    ("wall", "kind", "stored", "spec_zone", "days"),
    [
        # UTC 18:00–18:59 is 23:30–00:29 in Kolkata: rows of that hour fall on two local days.
        ("2025-06-01 18:00", "timestamp", "UTC", "Asia/Kolkata", {"2025-06-01", "2025-06-02"}),
        ("2025-06-01 12:00", "timestamptz", "UTC", "Asia/Kolkata", {"2025-06-01"}),
        # 01:00–01:59 in New York on 2025-11-02 happens twice (EDT, then EST): 05:00–06:59 UTC,
        # which is 23:00 on Nov 1 to 00:59 on Nov 2 six hours behind UTC.
        (
            "2025-11-02 01:00",
            "timestamp",
            "America/New_York",
            "Etc/GMT+6",
            {"2025-11-01", "2025-11-02"},
        ),
        ("2025-03-09 12:00", "date", "UTC", "Asia/Shanghai", {"2025-03-09"}),
    ],
)
def test_an_hour_of_the_stored_column_names_every_local_day_it_overlaps(
    wall, kind, stored, spec_zone, days
):
    got = hour_days(hour_of(wall), kind, stored, spec_zone)
    assert got == {date.fromisoformat(d) for d in days}
