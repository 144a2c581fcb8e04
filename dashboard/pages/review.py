"""Review mode `/review`: for the meeting-room TV. Dark, large type, no controls; slides rotate
every `interval` seconds (`?slides=nsm,buyers&interval=20&grain=week`). Each slide is rendered
from the current snapshot, so a newly published snapshot shows up on the next slide by itself."""

from __future__ import annotations

from typing import Any

import dash
from dash import Input, Output, callback, dcc, html

from dashboard import ids
from dashboard.components.address_error import address_error
from dashboard.components.kpi import headline
from dashboard.components.states import error_state, guarded
from dashboard.figures import target_series, trend_figure
from dashboard.lineage import first_drivers
from dashboard.serving import serving
from dashboard.summaries import summarise
from dashboard.url_state import UrlStateError, page_location, review_from_href, review_view

# Slides that later pages will provide; skipped until they exist.
LATER_SLIDES = {"alerts", "okrs"}


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


def slide_list(spec: Any, text: str) -> list[str]:
    """Metric names to show: `nsm` is the North Star, others are metric names; unknown dropped."""
    wanted = [s.strip() for s in text.split(",") if s.strip()] or ["nsm", "drivers"]
    out: list[str] = []
    for item in wanted:
        if item == "nsm" and spec.north_star:
            out.append(spec.north_star.metric)
        elif item == "drivers":
            out += [n.metric for n in first_drivers(spec)]
        elif item in spec.metric_names:
            out.append(item)
        # LATER_SLIDES and unknown names are skipped rather than shown as errors on a TV
    return list(dict.fromkeys(out))


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
    slides = slide_list(spec, view.slides)
    if not slides:
        return error_state(
            "Nothing to show: set ?slides=nsm,<metric>,… or define north_star.", "No slides"
        )
    index = (tick if isinstance(tick, int) and not isinstance(tick, bool) else 0) % len(slides)
    name = slides[index]
    grain = view.grain or (spec.north_star.grain if spec.north_star else "week")
    is_nsm = spec.north_star is not None and name == spec.north_star.metric
    targets = spec.north_star.targets if is_nsm else _node_targets(spec, name)
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
    published = snap.published_at
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
        html.Div(
            [
                html.Span(f"{index + 1} / {len(slides)}", id="review-position"),
                html.Span(f"owner: {s.metric.owner or '—'}"),
                html.Span(
                    f"data as of {published:%-d %b %Y %H:%M}" if published else snap.version,
                    id="review-freshness",
                ),
            ],
            className="ns-review-footer",
        ),
    ]


def _node_targets(spec: Any, name: str) -> list:
    def walk(node: Any) -> list | None:
        if node.metric == name:
            return list(node.targets)
        for child in node.children:
            found = walk(child)
            if found is not None:
                return found
        return None

    tree = spec.north_star.tree if spec.north_star else None
    return (walk(tree) if tree else None) or []


# Registered last so the layout function exists (the pages are imported, not scanned).
dash.register_page(
    __name__, path="/review", title="Northstar · Review", name="Review mode", order=8, layout=layout
)
