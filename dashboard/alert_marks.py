"""Markers of fired alerts on the Overview's and the Explorer's charts.

A chart's body (cached per snapshot, like every view) carries a store with the points a marker
may sit on: the metric, the grain and each period's plotted value. A separate callback, never
cached (alert history changes without a new snapshot), reads the `firing` events of the rules
on that metric from the app database and appends one trace of markers to the drawn figure
(a Patch): the chart's own traces and numbers are not touched. An event marks the period of the
chart's grain that holds the period its rule evaluated (a daily rule firing on Tuesday marks
that week on a weekly chart). No app database yet, no rule on the metric, no event: nothing is
added, and nothing here can fail the chart.
"""

from __future__ import annotations

import html as html_text
import logging
from collections.abc import Iterable, Mapping
from datetime import date
from typing import Any

import pandas as pd
from dash import Input, Output, Patch, callback

from alerts import store
from alerts.model import Rule
from dashboard import alert_rules
from dashboard.alert_words import shown_name, when
from dashboard.app_state import existing_db, viewer_scope
from dashboard.formatting import period_label
from dashboard.serving import serving
from dashboard.views import GRAINS
from metric_layer.periods import period_start

MOST_POINTS = 2000  # a chart's periods; a store holding more is not one this page wrote
MARKER = "#C92A2A"
NAME = "Alerts fired"

log = logging.getLogger(__name__)


def marks_data(
    frame: pd.DataFrame, metric: str, grain: str, by: str | None = None, stacked: bool = False
) -> dict[str, Any]:
    """What the chart's store holds: each period's plotted value (with a breakdown, the top of
    the lines, or of the stack), where a marker for that period sits."""
    if grain not in GRAINS or frame.empty or metric not in frame:
        return {"metric": metric, "grain": grain, "points": []}
    values = frame[["period", metric]].dropna()
    if by:
        grouped = values.groupby("period")[metric]
        values = (grouped.sum() if stacked else grouped.max()).reset_index()
    points = [
        [pd.Timestamp(p).date().isoformat(), float(v)]
        for p, v in zip(values["period"], values[metric], strict=True)
    ]
    return {"metric": metric, "grain": grain, "points": points[-MOST_POINTS:]}


def read_points(data: object) -> tuple[str, str, dict[date, float]] | None:
    """(metric, grain, period → y) from a store, or None when it is not one this module wrote."""
    if not isinstance(data, Mapping):
        return None
    metric, grain, points = data.get("metric"), data.get("grain"), data.get("points")
    if not isinstance(metric, str) or grain not in GRAINS or not isinstance(points, list):
        return None
    if len(points) > MOST_POINTS:
        return None
    found: dict[date, float] = {}
    for item in points:
        if not (isinstance(item, list) and len(item) == 2 and isinstance(item[0], str)):
            return None
        if not isinstance(item[1], int | float) or isinstance(item[1], bool):
            return None
        try:
            found[date.fromisoformat(item[0])] = float(item[1])
        except ValueError:
            return None
    return metric, str(grain), found


def marker_trace(
    events: Iterable[Any],
    rules: Mapping[str, Rule],
    grain: str,
    points: Mapping[date, float],
    week_start: str = "monday",
    tz: str | None = "UTC",
) -> dict[str, Any] | None:
    """One scatter trace of markers, a point per chart period in which a rule fired (several
    firings of one period share its point and its hover text); None when no event falls on the
    chart."""
    texts: dict[date, list[str]] = {}
    for event in events:
        if event.period is None:
            continue
        rule = rules.get(event.rule)
        x = period_start(event.period, grain, week_start)
        if x not in points:
            continue
        what = shown_name(event.rule, event.series)
        grain_words = f"{rule.grain} of {period_label(event.period, rule.grain)}" if rule else ""
        line = f"<b>{_safe(what)}</b> fired {when(event.at, tz)}"
        line += f" ({_safe(grain_words)})" if grain_words else ""
        if event.detail:
            line += f"<br>{_safe(event.detail[:200])}"
        texts.setdefault(x, []).append(line)
    if not texts:
        return None
    xs = sorted(texts)
    return {
        "type": "scatter",
        "x": [x.isoformat() for x in xs],
        "y": [points[x] for x in xs],
        "name": NAME,
        "mode": "markers",
        "marker": {
            "symbol": "triangle-down",
            "size": 15,
            "color": MARKER,
            "line": {"color": "white", "width": 1.5},
        },
        # newest first, at most five per period: a rule that fired daily must not fill the chart
        "customdata": ["<br>".join(reversed(texts[x][-5:])) for x in xs],
        "hovertemplate": "%{customdata}<extra>Alert</extra>",
        "showlegend": True,
        "meta": "ns-alert-marks",
    }


def _safe(text: str) -> str:
    """Plotly reads a few HTML tags in hover text: a rule's detail is shown, never parsed."""
    return html_text.escape(text, quote=False)


def marks_for(data: object) -> dict[str, Any] | None:
    """The marker trace for a chart's store, read from the app database; None for nothing."""
    read = read_points(data)
    if read is None:
        return None
    metric, grain, points = read
    if viewer_scope():
        return None  # alerts are evaluated on every row: their details are not for a scope
    srv = serving()
    snap = srv.snapshot()
    spec = snap.spec
    rules = {
        r.name: r
        for r in alert_rules.configured_rules(
            srv.settings.metrics, snap.service.spec, srv.settings.sources
        )
        if r.metric == metric
    }
    if not rules or not points:
        return None
    db = existing_db()
    if db is None:
        return None
    with db.session() as session:
        events = store.firing_events(session, rules)
    return marker_trace(events, rules, grain, points, spec.week_start, spec.time_zone)


def add_marks(data: object) -> Patch:
    """The chart's figure with the markers appended (an empty Patch changes nothing)."""
    patch = Patch()
    try:
        trace = marks_for(data)
    except Exception:  # markers are an extra: the chart stands without them
        log.warning("alert markers unavailable", exc_info=True)
        return patch
    if trace is not None:
        patch["data"].append(trace)
    return patch


def register(store_id: str, graph_id: str) -> None:
    """The markers callback of one chart; called by the page module that draws it (so a page
    module reloaded for a new app registers it again)."""
    callback(Output(graph_id, "figure"), Input(store_id, "data"))(add_marks)
