"""The metric layer's spec: frozen models for what metrics.yml says.

These models know nothing of engines (like MetricFlow's semantic interfaces). Structural checks
(types, required and unknown keys) are pydantic's; cross references (unknown metric, cycles, columns)
are the rules in validation.py.
"""

from __future__ import annotations

import re
from datetime import date
from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator

Grain = Literal["day", "week", "month", "quarter", "year"]
GRAINS: tuple[str, ...] = ("day", "week", "month", "quarter", "year")
NAME_PATTERN = r"^[a-z][a-z0-9_]*$"
Name = Annotated[str, Field(pattern=NAME_PATTERN)]


class Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class Dimension(Strict):
    """A column or a SQL expression over the model's columns that results can be grouped by."""

    name: Name
    label: str | None = None
    column: str | None = None
    expr: str | None = None
    description: str = ""

    @property
    def sql(self) -> str:
        return self.expr or self.column or self.name


class TimeColumn(Strict):
    column: str
    # Zone the stored timestamps are in; naive timestamps are read in it. `local` = already local.
    time_zone: str = "UTC"


class Join(Strict):
    """Many-to-one: this model's foreign_key points at the other model's primary key."""

    model: Name
    foreign_key: str


class Model(Strict):
    name: Name
    table: Annotated[str, Field(pattern=r"^[A-Za-z_][A-Za-z0-9_]*\.[A-Za-z_][A-Za-z0-9_]*$")]
    description: str = ""
    primary_key: str
    time: TimeColumn | None = None
    dimensions: list[Dimension] = []
    joins: list[Join] = []

    @field_validator("dimensions", mode="before")
    @classmethod
    def _short_dimensions(cls, value: object) -> object:
        # `- channel` is shorthand for `- name: channel` (a column of the same name).
        if isinstance(value, list):
            return [{"name": v} if isinstance(v, str) else v for v in value]
        return value


MetricFormat = Literal["number", "percent", "currency", "duration"]
Direction = Literal["higher", "lower"]
Tier = Literal["nsm", "driver", "diagnostic"]


class MetricBase(Strict):
    name: Name
    label: str | None = None
    description: str = ""
    owner: str | None = None
    tags: list[str] = []
    tier: Tier | None = None
    format: MetricFormat = "number"
    unit: str | None = None  # currency code for `currency`, e.g. CNY; seconds for `duration`
    decimals: int | None = None
    direction: Direction = "higher"
    # Row-level scope (scope.py): shown whole to a user limited to part of the business, the
    # same number for everyone, instead of hidden or filtered to that part.
    company_wide: bool = False

    @property
    def title(self) -> str:
        return self.label or self.name.replace("_", " ").capitalize()


Agg = Literal["count", "count_distinct", "sum", "avg", "min", "max", "median", "percentile"]
AGGS: tuple[str, ...] = Agg.__args__  # type: ignore[attr-defined]


class SimpleMetric(MetricBase):
    type: Literal["simple"]
    model: Name
    agg: Agg
    expr: str | None = None  # defaults to the model's primary key
    filter: str | None = None  # SQL boolean over the model's columns and dimension names
    # `agg: percentile`: which one (0.9 = p90); `approximate`: a t-digest estimate, cheaper on
    # big tables (median and percentile only).
    percentile: Annotated[float, Field(gt=0, lt=1)] | None = None
    approximate: bool = False

    @property
    def quantile(self) -> float | None:
        """The quantile a median or percentile metric computes, else None."""
        return 0.5 if self.agg == "median" else self.percentile


def zero_when_empty(metric: object) -> bool:
    """Counts and sums over no rows are 0, not unknown (an empty week had 0 orders)."""
    if getattr(metric, "type", None) == "conversion":
        return metric.calculation == "conversions"  # type: ignore[attr-defined]
    return isinstance(metric, SimpleMetric) and metric.agg in ("count", "count_distinct", "sum")


class MetricInput(Strict):
    metric: Name
    filter: str | None = None  # over dimension names only


class RatioMetric(MetricBase):
    type: Literal["ratio"]
    numerator: MetricInput
    denominator: MetricInput

    @field_validator("numerator", "denominator", mode="before")
    @classmethod
    def _short_input(cls, value: object) -> object:
        return {"metric": value} if isinstance(value, str) else value


class DerivedMetric(MetricBase):
    """A formula over other metrics; previous(m) and last_year(m) shift one period / one year."""

    type: Literal["derived"]
    formula: str


class ActiveMetric(MetricBase):
    """Distinct entities active in a trailing window of `window` days ending on each day."""

    type: Literal["active"]
    model: Name
    entity: str
    window: Annotated[int, Field(ge=1, le=366)] = 1
    filter: str | None = None
    # Value of a period longer than a day: the window ending on its last day, or the daily average.
    period_value: Literal["last", "average"] = "last"


class Cohort(Strict):
    model: Name | None = None  # e.g. customers: cohort date = that model's time column
    entity: str | None = None  # key column in the cohort model; defaults to its primary key


class RetentionMetric(MetricBase):
    """Share of a cohort active again on day N (`period: day`) or within week N (`period: week`)."""

    type: Literal["retention"]
    activity_model: Name
    entity: str
    cohort: Cohort = Cohort()  # no model: cohort date = first activity
    period: Literal["day", "week"] = "day"
    n: Annotated[int, Field(ge=1, le=366)]
    filter: str | None = None


class ConversionStep(Strict):
    """One event of a conversion: rows of `model` (its time column dates them), optionally filtered."""

    model: Name
    filter: str | None = None


class ConversionMetric(MetricBase):
    """Entities that do `base_event` and then `conversion_event` within `window` days (visit → paid order),
    per period of the base event; the share of them (`conversion_rate`) or how many
    (`conversions`). `constant_properties` must hold the same value on both events."""

    type: Literal["conversion"]
    entity: str  # a column of both models that says who (customer_id)
    base_event: ConversionStep
    conversion_event: ConversionStep
    window: Annotated[int, Field(ge=1, le=366)] = 7  # days after the base event
    constant_properties: list[str] = []
    calculation: Literal["conversion_rate", "conversions"] = "conversion_rate"


class CumulativeMetric(MetricBase):
    """A running total of a count or sum metric: since the data starts, over a trailing window of
    days, or since the start of each week / month / quarter / year (`grain_to_date`)."""

    type: Literal["cumulative"]
    input_metric: MetricInput
    window: Annotated[int, Field(ge=1, le=366)] | None = None  # days; `4 weeks` = 28
    grain_to_date: Literal["week", "month", "quarter", "year"] | None = None
    # Value of a period: on its last day (so far), its first day, or the mean over its days.
    period_value: Literal["last", "first", "average"] = "last"

    @field_validator("input_metric", mode="before")
    @classmethod
    def _short_input(cls, value: object) -> object:
        return {"metric": value} if isinstance(value, str) else value

    @field_validator("window", mode="before")
    @classmethod
    def _window_days(cls, value: object) -> object:
        # MetricFlow writes `window: 7 days`; months have no fixed length, so only days and weeks.
        if not isinstance(value, str):
            return value
        match = _WINDOW_TEXT.match(value)
        if match is None:
            raise ValueError(
                "a trailing window is a number of days or weeks, e.g. `28` or `4 weeks`; "
                "for month-, quarter- or year-to-date use `grain_to_date`"
            )
        return int(match.group(1)) * (7 if match.group(2).lower() == "week" else 1)


_WINDOW_TEXT = re.compile(r"^\s*(\d{1,3})\s*(day|week)s?\s*$", re.IGNORECASE)

SnapshotAgg = Literal["sum", "count", "count_distinct", "avg", "min", "max"]


class SnapshotMetric(MetricBase):
    """A balance read from snapshot rows (MRR, open tickets, stock): per period, the value on one
    snapshot day (`last` / `first`) or the lowest / highest daily value, aggregated by `agg` across
    the other dimensions on that day — never added up over days."""

    type: Literal["snapshot"]
    model: Name
    agg: SnapshotAgg
    expr: str | None = None  # defaults to the model's primary key
    filter: str | None = None
    period_value: Literal["last", "first", "min", "max"] = "last"


Metric = Annotated[
    SimpleMetric
    | RatioMetric
    | DerivedMetric
    | ActiveMetric
    | RetentionMetric
    | ConversionMetric
    | CumulativeMetric
    | SnapshotMetric,
    Field(discriminator="type"),
]
METRIC_TYPES = (
    "simple",
    "ratio",
    "derived",
    "active",
    "retention",
    "conversion",
    "cumulative",
    "snapshot",
)


class Target(Strict):
    """From `from` on (until the next target), the node's target value per period of `grain`."""

    from_: date = Field(alias="from")
    value: float
    grain: Grain | None = None


class TreeNode(Strict):
    metric: Name
    owner: str | None = None
    relation: Literal["product", "sum", "ratio", "derived", "related"] | None = None
    targets: list[Target] = []
    children: list[TreeNode] = []


class NorthStar(Strict):
    metric: Name
    grain: Grain = "week"
    targets: list[Target] = []
    tree: TreeNode | None = None


# Sections of metrics.yml that other packages own and validate (alerts.spec reads `alerts`; OKRs
# will read `okrs`): the metric layer accepts them and leaves them alone, so it imports neither and
# an alert edit changes no metric, rollup or cache key.
EXTENSION_SECTIONS: tuple[str, ...] = ("alerts", "okrs")


class Spec(Strict):
    version: Literal[1] = 1
    time_zone: str = "UTC"
    week_start: Literal["monday", "sunday"] = "monday"
    currency: str = "USD"
    models: list[Model] = []
    metrics: list[Metric] = []
    north_star: NorthStar | None = None

    def model(self, name: str) -> Model:
        return next(m for m in self.models if m.name == name)

    def metric(
        self, name: str
    ) -> (
        SimpleMetric
        | RatioMetric
        | DerivedMetric
        | ActiveMetric
        | RetentionMetric
        | ConversionMetric
        | CumulativeMetric
        | SnapshotMetric
    ):
        return next(m for m in self.metrics if m.name == name)

    @property
    def model_names(self) -> list[str]:
        return [m.name for m in self.models]

    @property
    def metric_names(self) -> list[str]:
        return [m.name for m in self.metrics]
