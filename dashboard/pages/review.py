"""Review mode `/review`: for the meeting-room TV. Dark, large type, no controls; slides rotate
every `interval` seconds (`?slides=nsm,why,buyers,alerts,okrs&interval=20&grain=week`); the
default deck is the North Star, its Why slide, its drivers, then the alerts (when rules exist),
then the OKRs (when some are defined). Each slide is rendered from the current snapshot, so a
newly published snapshot shows up on the next slide by itself; the alerts and OKRs slides read
the app database each time they come round."""

from __future__ import annotations

from datetime import UTC, datetime, time
from typing import Any

import dash
from dash import Input, Output, callback, dcc, html

from alerts import store
from appdb import AppDbError
from dashboard import alert_rules, ids
from dashboard.alert_board import without_paths
from dashboard.alert_words import local, zone
from dashboard.app_state import now as clock
from dashboard.app_state import page_db, viewer_scope
from dashboard.components.address_error import address_error
from dashboard.components.alert_slide import alerts_slide
from dashboard.components.kpi import headline
from dashboard.components.okr_slide import okrs_slide
from dashboard.components.states import error_state, guarded
from dashboard.components.why import segments_list
from dashboard.explanations import compare_words, explanation, period_ranges
from dashboard.figures import target_series, trend_figure
from dashboard.formatting import period_label
from dashboard.okr_db import okr_db
from dashboard.serving import serving
from dashboard.slides import ALERTS, OKRS, WHY, node_targets, slide_list
from dashboard.summaries import summarise
from dashboard.url_state import UrlStateError, page_location, review_from_href, review_view
from dashboard.why_figures import waterfall_figure
from dashboard.why_rows import in_words, mover_sentence, why_display
from metric_layer.errors import SpecError
from metric_layer.periods import period_start
from okrs.board import default_quarter
from okrs.model import OkrsConfig
from okrs.quarter_board import quarter_board
from okrs.spec import load_okrs


def layout(**params: object) -> html.Div:
    try:
        view = review_view(page_location(params)[1])
    except UrlStateError as exc:
        return address_error(exc, "/review", "review mode")
    return html.Div(
        [
            dcc.Store(id=ids.REVIEW_VIEW, data=view.href()),
            dcc.Interval(id=ids.REVIEW_TICK, interval=view.interval * 1000, n_intervals=0),
            html.Div(id=ids.REVIEW_SLIDE, className="ns-review"),
        ]
    )


@callback(
    Output(ids.REVIEW_SLIDE, "children"),
    Input(ids.REVIEW_TICK, "n_intervals"),
    Input(ids.REVIEW_VIEW, "data"),
)
@guarded
def render_slide(tick: object, data: object) -> Any:
    """Slide number `tick` (mod the number of slides), read from the newest snapshot."""
    view = review_from_href(data)
    snap = serving().snapshot()
    spec = snap.spec
    given = bool(view.slides)  # a list given is shown as written: nothing to look up
    slides = slide_list(
        spec,
        view.slides,
        alerts=given or _has_rules(snap),
        okrs=given or _has_okrs(snap),
    )
    if not slides:
        return error_state(
            "Nothing to show: set ?slides=nsm,<metric>,… or define north_star.", "No slides"
        )
    index = (tick if isinstance(tick, int) and not isinstance(tick, bool) else 0) % len(slides)
    name = slides[index]
    grain = view.grain or (spec.north_star.grain if spec.north_star else "week")
    position = f"{index + 1} / {len(slides)}"
    if name == WHY:
        return why_slide(snap, grain, view.as_of, position)
    if name == ALERTS:
        return alerts_review(snap, position)
    if name == OKRS:
        return okrs_review(snap, view.as_of, position)
    is_nsm = spec.north_star is not None and name == spec.north_star.metric
    targets = spec.north_star.targets if is_nsm else node_targets(spec, name)
    s = summarise(serving(), name, grain, targets, as_of=view.as_of)
    series = target_series(
        targets, list(s.frame["period"]), grain, spec.north_star.grain if spec.north_star else grain
    )
    figure = trend_figure(
        s.frame,
        s.metric,
        grain,
        compare="previous",
        targets=series,
        currency=s.currency,
        dark=True,
        font_size=22,
        height=520,
    )
    return [
        html.Div(
            ["North Star · " if is_nsm else "Driver · ", s.metric.title],
            className="ns-review-title",
            id="review-title",
            **{"data-metric": name},
        ),
        html.Div(
            [
                html.Div(headline(s, "review-value", size=120), style={"flex": "0 0 34%"}),
                html.Div(
                    dcc.Graph(figure=figure, config={"displayModeBar": False}),
                    style={"flex": "1 1 auto", "minWidth": 0},
                ),
            ],
            style={"display": "flex", "gap": "32px", "alignItems": "center"},
        ),
        footer(snap, position, s.metric.owner),
    ]


def footer(snap: Any, position: str, owner: str | None, with_owner: bool = True) -> html.Div:
    published = snap.published_at
    return html.Div(
        [
            html.Span(position, id="review-position"),
            html.Span(f"owner: {owner or '—'}") if with_owner else html.Span(),
            dcc.Link("Record for this week", href="/review/record", id="review-record-link"),
            html.Span(
                f"data as of {published:%-d %b %Y %H:%M}" if published else snap.version,
                id="review-freshness",
            ),
        ],
        className="ns-review-footer",
    )


def why_slide(snap: Any, grain: str, as_of: Any, position: str) -> list:
    """Why the North Star moved in its latest complete period vs the previous one: the biggest
    mover in a sentence, the drivers' waterfall and the top segments, readable across a room."""
    spec = snap.spec
    metric = spec.north_star.metric
    s = summarise(serving(), metric, grain, with_last_year=False, as_of=as_of)
    if s.period is None:
        return error_state(f"{s.metric.title} has no complete {grain} yet.", "Nothing to explain")
    current, baseline = period_ranges(s.period, grain)
    display = why_display(explanation(metric, current, baseline, (), as_of), spec)
    against = compare_words(grain, "previous")
    segments = html.Div(
        [
            html.Div("Top segments", className="ns-review-why-heading"),
            segments_list(display, "review-why", "xl"),
        ],
        style={"flex": "1 1 40%", "minWidth": 0},
    )
    chart = (
        html.Div(
            dcc.Graph(
                id="review-why-waterfall",
                # as tall as the screen allows: a 768-pixel laptop shows the footer too
                figure=waterfall_figure(
                    display, spec.currency, dark=True, font_size=22, height=None
                ),
                config={"displayModeBar": False, "responsive": True},
                style={"height": "48vh"},
            ),
            style={"flex": "1 1 60%", "minWidth": 0},
        )
        if display.exact_drivers
        else None
    )
    return [
        html.Div(
            f"Why did {in_words(s.metric.title)} move?",
            className="ns-review-title",
            id="review-title",
            **{"data-metric": WHY},
        ),
        html.Div(
            [
                html.Div(f"{period_label(s.period, grain)} {against}: {display.summary}"),
                html.Div(mover_sentence(display, against), id="review-why-mover"),
            ],
            className="ns-review-why-lead",
        ),
        html.Div(
            [chart, segments], style={"display": "flex", "gap": "40px", "alignItems": "flex-start"}
        ),
        footer(snap, position, spec.north_star.tree.owner if spec.north_star.tree else None),
    ]


def _has_rules(snap: Any) -> bool:
    """Whether the default deck has an alerts slide: some rule is configured (rules that do not
    validate count: the slide then says where the problem is shown)."""
    try:
        return bool(
            alert_rules.configured_rules(
                serving().settings.metrics, snap.service.spec, serving().settings.sources
            )
        )
    except SpecError:
        return True


def alerts_review(snap: Any, position: str) -> Any:
    """The firing alerts and those resolved since this week began (in the spec's zone and week),
    read from the app database every time (marked live: never kept by the view cache)."""
    spec, now = snap.spec, clock()
    if viewer_scope():
        return error_state(
            "Alerts are checked over every row; your account sees part of the data only.",
            "Alerts are company-wide",
        )
    try:
        rules = {
            r.name: r
            for r in alert_rules.configured_rules(
                serving().settings.metrics, snap.service.spec, serving().settings.sources
            )
        }
    except SpecError:
        rules = {}
    start = period_start(local(now, spec.time_zone).date(), "week", spec.week_start)
    week_began = (
        datetime.combine(start, time()).replace(tzinfo=zone(spec.time_zone)).astimezone(UTC)
    )
    try:
        with page_db().session() as session:
            firing = [s for s in store.unresolved(session) if s.state == "firing"]
            since = week_began.replace(tzinfo=None)
            resolved = [e for e in store.history(session, since=since) if e.event == "resolved"]
    except AppDbError as exc:
        return error_state(
            "The alerts are kept in the app database, which cannot be reached: "
            + without_paths(str(exc), serving().settings.app_db),
            "Alerts unavailable",
        )
    live = html.Span(className="ns-live", hidden=True)  # dashboard.view_cache: never kept
    return [
        *alerts_slide(firing, resolved, rules, spec, now),
        footer(snap, position, None, with_owner=False),
        live,
    ]


def _okrs_config(snap: Any) -> OkrsConfig:
    return load_okrs(serving().settings.metrics, snap.service.spec)


def _has_okrs(snap: Any) -> bool:
    """Whether the default deck has an OKRs slide: an `okrs:` section or okrs.yml exists (one
    that does not validate counts: the slide then says where the problem is)."""
    try:
        return _okrs_config(snap).defined
    except SpecError:
        return True


def okrs_review(snap: Any, as_of: Any, position: str) -> Any:
    """The quarter's objectives as the OKR page scores them for the same as-of day (the quarter
    the page opens on), check-ins read from the app database every time (marked live)."""
    if viewer_scope():
        return error_state(
            "OKRs are scored over every row; your account sees part of the data only. "
            "The OKR page shows your rows' numbers.",
            "OKRs are company-wide",
        )
    try:
        config = _okrs_config(snap)
    except SpecError as exc:
        return error_state("\n".join(str(i) for i in exc.issues), "The OKRs cannot be read")
    if not config.defined:
        return error_state(
            "Write objectives in an `okrs:` section of metrics.yml or okrs.yml beside it.",
            "No OKRs yet",
        )
    today = snap.service.today(as_of)
    quarter = default_quarter(config, today)
    try:
        board = quarter_board(
            config, quarter, today, serving().frame, okr_db(), snap.spec.time_zone
        )
    except AppDbError as exc:
        return error_state(
            "Check-ins are kept in the app database, which cannot be reached: "
            + without_paths(str(exc), serving().settings.app_db),
            "OKRs unavailable",
        )
    live = html.Span(className="ns-live", hidden=True)  # dashboard.view_cache: never kept
    if not board.roots:
        return [
            *okrs_slide(board),
            html.Div(f"No objectives for {quarter}.", className="ns-slide-calm"),
            footer(snap, position, None, with_owner=False),
            live,
        ]
    return [*okrs_slide(board), footer(snap, position, None, with_owner=False), live]


# Registered last so the layout function exists (the pages are imported, not scanned).
dash.register_page(
    __name__, path="/review", title="Northstar · Review", name="Review mode", order=8, layout=layout
)
