"""The `alerts:` section's shape as frozen pydantic models (structure only: types, required and
unknown keys). Names, dimensions, targets, channels and sources are checked against the spec in
alerts.spec; conditions are read by alerts.spec_conditions.
"""

from __future__ import annotations

from datetime import timedelta
from typing import Annotated, Any, Literal

from pydantic import BaseModel, BeforeValidator, ConfigDict, Field

from alerts.condition_types import Direction
from alerts.durations import parse_duration
from alerts.model import ErrorPolicy, NoDataPolicy, Severity
from metric_layer.spec import Grain, Name

Duration = Annotated[timedelta, BeforeValidator(parse_duration)]
FilterValue = str | int | float | bool


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
