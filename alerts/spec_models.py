"""The `alerts:` section's shape as frozen pydantic models (structure only: types, required and
unknown keys). Names, dimensions, targets, channels and sources are checked against the spec in
alerts.spec; conditions are read by alerts.spec_conditions.
"""

from __future__ import annotations

from datetime import timedelta
from typing import Annotated, Any, Literal

from pydantic import BaseModel, BeforeValidator, ConfigDict, Field

from alerts.condition_types import Direction
from alerts.durations import DURATION_HELP, parse_duration
from alerts.model import ErrorPolicy, NoDataPolicy, Severity
from metric_layer.spec import Grain, Name

Duration = Annotated[timedelta, BeforeValidator(parse_duration)]
FilterValue = str | int | float | bool
# What a key takes: the hint shown with an invalid or missing value.
KEY_HINTS = {
    "repeat": DURATION_HELP,
    "max_age": DURATION_HELP,
    "for": "how many periods in a row the condition must hold before it fires, e.g. for: 2",
    "sensitivity": "the band's half-width in robust standard deviations, e.g. 3 (wider: 4 or 5)",
    "lookback": "how many weeks (day grain) or periods the usual value is the median of, 3 to 52",
    "percent": "a move of this many percent of the earlier value, e.g. percent: 10",
    "absolute": "a move of this much in the metric's unit, e.g. absolute: 500",
    "condition": "e.g. {above: 0.08}, {change: {vs: previous, percent: 10}} or {anomaly: {}}",
    "name": "lower_snake_case, unique among the rules",
    "schedule": 'five cron fields, e.g. "0 8 * * MON"',
}


class Entry(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class Defaults(Entry):
    """What every rule gets unless it says otherwise."""

    channels: list[str] | None = None
    repeat: Duration | None = None
    no_data: NoDataPolicy | None = None
    on_error: ErrorPolicy | None = None
    severity: Severity | None = None
    for_: Annotated[int, Field(ge=1, le=1000)] | None = Field(None, alias="for")


class RuleEntry(Entry):
    name: Name
    metric: str | None = None  # None: a freshness rule
    grain: Grain | None = None
    split_by: str | None = None
    filters: dict[str, FilterValue | list[FilterValue]] = {}
    condition: dict[str, Any]
    for_: Annotated[int, Field(ge=1, le=1000)] | None = Field(None, alias="for")
    severity: Severity | None = None
    owners: list[str] = []
    channels: list[str] | None = None
    repeat: Duration | None = None
    no_data: NoDataPolicy | None = None
    on_error: ErrorPolicy | None = None
    labels: dict[str, str] = {}
    summary: str = ""


class ReportEntry(Entry):
    """The weekly review report's schedule (cron, in the spec's time zone) and where it goes."""

    schedule: str
    channels: list[str] = ["in-app"]


class AlertsSection(Entry):
    defaults: Defaults | None = None
    channels: dict[str, Any] = {}  # each entry: alerts.channels.config.parse_channel
    rules: list[Any] = []  # each entry: RuleEntry, validated on its own
    report: Any = None  # ReportEntry, validated on its own


class ChangeEntry(Entry):
    vs: Literal["previous", "last_year"] = "previous"
    percent: Annotated[float, Field(gt=0)] | None = None
    absolute: Annotated[float, Field(gt=0)] | None = None
    direction: Direction = "any"


class AnomalyEntry(Entry):
    sensitivity: Annotated[float, Field(gt=0, le=100)] = 3.0
    direction: Direction = "any"
    lookback: Annotated[int, Field(ge=3, le=52)] = 8


class FreshnessEntry(Entry):
    source: str
    max_age: Duration


MODELS: dict[str, type[BaseModel]] = {
    "change": ChangeEntry,
    "anomaly": AnomalyEntry,
    "freshness": FreshnessEntry,
}
