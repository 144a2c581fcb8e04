"""What a weekly report says, gathered from the same functions as the pages show.

The report of week W is the Overview and the Drivers page as of the Monday after W (the as-of day
that makes W the latest complete week): its headline is dashboard.summaries.summarise for the
North Star at week grain, its trend the same lookback frame and targets, its "why" the same
analysis.explain call (drivers along the tree, root-cause segments) turned into rows by
dashboard.why_rows. So the report and `/?as_of=<Monday after W>` cannot disagree.

In: a Serving (or a request's ScopedServing: its scope reaches every number), the week, and
the week's alerts (None: left out, and why), the OKR status and the open review actions (None:
no section). Out: a WeeklyReport, plain data for the renderers.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from typing import Any, Protocol

import pandas as pd

from analysis.explain import explain
from dashboard.explanations import compare_words, drivers_view_for, period_ranges
from dashboard.figures import Targets, target_series
from dashboard.summaries import MetricSummary, summarise
from dashboard.why_rows import WhyDisplay, mover_sentence, why_display
from metric_layer.errors import QueryError
from report.alert_digest import AlertsReader, WeekAlerts
from report.okr_status import OkrsReader, WeekOkrs
from report.review_actions import ActionsReader, OpenActions
from report.weeks import ReportWeek, check_reportable, last_complete_week, parse_week

TOP_SEGMENTS = 5  # the Drivers page lists them all; a printed page keeps the top few


class ServingLike(Protocol):
    """dashboard.serving.Serving or ScopedServing: the snapshot served and its cached frames."""

    def snapshot(self) -> Any: ...

    def frame(self, query: Any) -> Any: ...


class NoNorthStarError(QueryError):
    """metrics.yml names no North Star Metric: there is nothing to report on."""


@dataclass(frozen=True)
class WeeklyReport:
    week: ReportWeek
    spec: Any  # the spec as the reader sees it (a scope hides metrics)
    snapshot: str  # the snapshot version the numbers come from
    summary: MetricSummary  # the week (period) against the previous week, last year, target
    trend: pd.DataFrame  # the complete weeks up to and including W
    targets: Targets
    why: WhyDisplay  # drivers and top segments of W vs the week before
    mover: str  # the Overview's sentence: who moved the North Star
    drivers_href: str  # the Drivers page of the same question (path and query)
    alerts: WeekAlerts | None  # None: left out (alerts_note says why)
    alerts_note: str = ""
    scope: str = ""  # the rows the numbers cover, when limited ("region: south")
    okrs: WeekOkrs | None = None  # None: no OKRs defined (no section)
    actions: OpenActions | None = None  # None: no review recorded yet (no section)

    @property
    def time_zone(self) -> str:
        return str(self.spec.time_zone)


def resolve_week(serving: ServingLike, text: str | None) -> ReportWeek:
    """The week `text` names (None: the last complete one), checked by check_week."""
    snap = serving.snapshot()
    spec = snap.spec
    today = snap.service.today()
    if text is None:
        week = last_complete_week(today, spec.week_start)
    else:
        week = parse_week(text, spec.week_start)
    check_week(serving, week)
    return week


def check_week(serving: ServingLike, week: ReportWeek) -> None:
    """ReportWeekError unless `week` is complete by the served today and not before the North
    Star's first day of data; NoNorthStarError without a North Star."""
    snap = serving.snapshot()
    span = snap.service.data_span(north_star(snap))
    check_reportable(week, snap.service.today(), span[0] if span else None)


def north_star(snap: Any) -> str:
    snap.check_north_star_shown()  # a scope that hides it says so
    ns = snap.spec.north_star
    if ns is None:
        raise NoNorthStarError(
            "metrics.yml has no north_star section; add one (docs/metrics-yml.md) to get a "
            "weekly report"
        )
    return str(ns.metric)


def gather(
    serving: ServingLike,
    week: ReportWeek,
    alerts: AlertsReader | None,
    alerts_note: str = "",
    okrs: OkrsReader | None = None,
    actions: ActionsReader | None = None,
) -> WeeklyReport:
    """The numbers of the report of `week` (already checked by resolve_week)."""
    snap = serving.snapshot()
    spec = snap.spec
    metric = north_star(snap)
    ns = spec.north_star
    as_of: date = week.after
    summary = summarise(serving, metric, "week", ns.targets, as_of=as_of)
    if summary.period != week.start:  # the as-of day makes W the latest complete week
        raise QueryError(f"no complete week {week.label} in the data served ({snap.version})")
    trend = summary.frame[~summary.frame["is_partial"]].reset_index(drop=True)
    targets = target_series(ns.targets, list(trend["period"]), "week", ns.grain)
    current, baseline = period_ranges(week.start, "week")
    explained = explain(snap.service, metric, current, baseline, as_of=as_of)
    why = why_display(explained, spec, top=TOP_SEGMENTS)
    scope = str(snap.scope) if getattr(snap, "scope", None) is not None else ""
    return WeeklyReport(
        week=week,
        spec=spec,
        snapshot=snap.version,
        summary=summary,
        trend=trend,
        targets=targets,
        why=why,
        mover=mover_sentence(why, compare_words("week", "previous")),
        drivers_href=drivers_view_for(metric, current, baseline, (), as_of).href(),
        alerts=alerts(week, spec.time_zone) if alerts is not None else None,
        alerts_note=alerts_note,
        scope=scope,
        okrs=okrs(week) if okrs is not None else None,
        actions=actions(week) if actions is not None else None,
    )
