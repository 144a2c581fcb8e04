"""The `okrs:` section's shape as frozen pydantic models (structure only: types, required and
unknown keys). Metrics, dimensions, directions, parents and levels are checked against the spec
and each other in okrs.spec."""

from __future__ import annotations

from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, field_validator

from metric_layer.spec import Name
from okrs.model import Direction, Level, ObjectiveType, Read
from okrs.quarters import Quarter

FilterValue = str | int | float | bool


class Entry(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class KeyResultEntry(Entry):
    id: Name
    title: str
    metric: str | None = None
    manual: bool = False
    unit: str | None = None
    baseline: float
    target: float
    direction: Direction | None = None
    read: Read | None = None
    grain: Literal["day", "week", "month"] | None = None
    filters: dict[str, FilterValue | list[FilterValue]] = {}


class ObjectiveEntry(Entry):
    id: Name
    title: str
    owner: str
    quarter: str | None = None  # None: the parent's
    type: ObjectiveType = "committed"
    level: Level | None = None
    team: str | None = None
    parent: str | None = None
    description: str = ""
    key_results: list[Any] = []  # each entry: KeyResultEntry, validated on its own

    @field_validator("quarter", mode="before")
    @classmethod
    def _quarter(cls, value: object) -> object:
        if value is not None:
            Quarter.parse(value)  # QuarterError (a ValueError) says how to write one
        return value
