"""The types every part of alerting shares: a rule, what one evaluation of a series saw, the
state a series is in, and a notification to deliver. Plain frozen dataclasses, no I/O.

Words follow Grafana's alerting: a *rule* may watch several *series* (one per value of a
dimension when it splits), each series has a *state*: normal → pending (waiting out `for`) →
firing → normal (resolved), plus nodata and error.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from typing import Literal

from metric_layer.query import DimensionFilter

State = Literal["normal", "pending", "firing", "nodata", "error"]
STATES: tuple[State, ...] = ("normal", "pending", "firing", "nodata", "error")
Severity = Literal["critical", "warning", "info"]
SEVERITIES: tuple[Severity, ...] = ("critical", "warning", "info")
# What one evaluation of a series found: the condition held ("breach") or not ("ok"), the
# metric had no value for the period ("nodata"), or the evaluation failed ("error").
Outcome = Literal["ok", "breach", "nodata", "error"]
# What to do on no data / on an error: go to that state, count as a breach ("alerting"),
# count as fine ("ok"), or keep the state the series is in ("keep").
NoDataPolicy = Literal["nodata", "alerting", "ok", "keep"]
ErrorPolicy = Literal["error", "alerting", "keep"]
NotificationKind = Literal["firing", "resolved", "repeat"]

WHOLE = ""  # the series name of a rule that does not split by a dimension


@dataclass(frozen=True)
class Rule:
    """One alert rule as validated from YAML (alerts.spec builds it).

    `condition` is one of alerts.conditions' condition types; the state machine never looks at
    it, only at the Observation it produced."""

    name: str
    metric: str | None  # None: a freshness rule (it watches a source, not a metric)
    condition: object
    grain: str = "day"
    filters: tuple[DimensionFilter, ...] = ()
    split_by: str | None = None  # one series per value of this dimension
    for_periods: int = 1  # evaluations the condition must hold before firing (1: fire at once)
    severity: Severity = "warning"
    owners: tuple[str, ...] = ()
    channels: tuple[str, ...] = ("in-app",)
    repeat: timedelta = timedelta(days=1)  # re-notify a firing series at most this often
    no_data: NoDataPolicy = "nodata"
    on_error: ErrorPolicy = "error"
    labels: tuple[tuple[str, str], ...] = ()  # for silences by label; sorted (hashable)
    summary: str = ""  # the rule author's words, shown with every notification
    file: str = ""
    line: int | None = None

    @property
    def label_map(self) -> dict[str, str]:
        return dict(self.labels)


@dataclass(frozen=True)
class Observation:
    """One evaluation of one series of a rule: what the condition saw at `at`."""

    rule: str
    series: str  # WHOLE, or `region=South` for a split rule
    outcome: Outcome
    at: datetime  # naive UTC, when it was evaluated
    value: float | None = None
    period: date | None = None  # the start of the period evaluated (None: freshness, errors)
    expected: str = ""  # the condition in words: "below 9,000", "within 1,200–1,450"
    detail: str = ""  # what was seen: "down 12.4% vs the week before (13,950 → 12,220)"
    error: str | None = None  # outcome "error": the message (never a traceback)
    # recent values of the series, oldest first, for the email's chart (at most ~60)
    points: tuple[tuple[date, float | None], ...] = ()


@dataclass(frozen=True)
class SeriesState:
    """Where one series of one rule stands after its latest evaluation."""

    rule: str
    series: str
    state: State
    since: datetime  # when it entered this state
    breaches: int = 0  # consecutive evaluations the condition held (for `for`)
    fired_at: datetime | None = None  # start of the current firing episode
    last_notified_at: datetime | None = None
    last_evaluated_at: datetime | None = None
    value: float | None = None
    period: date | None = None
    expected: str = ""
    detail: str = ""
    acked_by: str | None = None  # an acknowledged firing series sends no repeats until resolved
    acked_at: datetime | None = None
    ack_comment: str = ""


@dataclass(frozen=True)
class SegmentNote:
    """One top segment of the root-cause analysis, as a notification shows it."""

    label: str  # "platform=android × region=South"
    change: float  # its contribution to the metric's change
    share: float  # of the whole change (1.0 = all of it)
    effect: str = ""  # "rate" / "mix" / "" for additive metrics


@dataclass(frozen=True)
class Notification:
    """A message to deliver: a series started firing, resolved, or is still firing (repeat)."""

    rule: Rule
    series: str
    kind: NotificationKind
    state: State
    at: datetime
    value: float | None = None
    period: date | None = None
    expected: str = ""
    detail: str = ""
    since: datetime | None = None
    # why it moved: the top root-cause segments and a link to the Drivers page for the period
    segments: tuple[SegmentNote, ...] = field(default_factory=tuple)
    drivers_link: str = ""
    points: tuple[tuple[date, float | None], ...] = ()  # the series' recent values, for charts

    @property
    def title(self) -> str:
        where = f" ({self.series})" if self.series else ""
        word = {"firing": "Firing", "resolved": "Resolved", "repeat": "Still firing"}[self.kind]
        if self.kind != "resolved" and self.state in ("nodata", "error"):
            word = {"nodata": "No data", "error": "Error"}[self.state]
        return f"[{word}] {self.rule.name}{where}"
