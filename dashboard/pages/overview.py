"""Overview `/`: the NSM against target for the chosen grain, its trend and one card per driver."""

from __future__ import annotations

import json
from dataclasses import replace
from typing import Any

import dash
import dash_mantine_components as dmc
from dash import Input, Output, State, callback, dcc, html, no_update

from dashboard import alert_marks, ids
from dashboard.components.address_error import address_error
from dashboard.components.kpi import driver_card, headline
from dashboard.components.states import (
    empty_state,
    error_state,
    guarded,
    guarded_outputs,
    loading,
)
from dashboard.explanations import compare_words, drivers_view_for, explanation, period_ranges
from dashboard.figures import target_series, trend_figure
from dashboard.lineage import first_drivers
from dashboard.report_route import report_href
from dashboard.serving import serving
from dashboard.summaries import summarise, summarise_many
from dashboard.url_state import UrlStateError, grain_from_href, grain_view, page_location
from dashboard.views import GRAINS, ExplorerView
from dashboard.why_rows import mover_sentence, why_display
from report.weeks import last_complete_week


def layout(**params: object) -> html.Div:
    try:
        view = grain_view("/", page_location(params)[1])
    except UrlStateError as exc:
        return address_error(exc, "/", "the Overview")
    grain = view.grain or nsm_grain()
    return html.Div(
        [
            dmc.Group(
                [
                    dmc.Title("North Star", order=2),
                    dmc.SegmentedControl(
                        id=ids.OVERVIEW_GRAIN,
                        data=[{"label": g.capitalize(), "value": g} for g in GRAINS],
                        value=grain,
                    ),
                ],
                justify="space-between",
                mb="md",
            ),
            dcc.Store(id=ids.OVERVIEW_VIEW, data=replace(view, grain=grain).href()),
            loading(ids.OVERVIEW_BODY),
        ]
    )


@callback(
    Output(ids.PAGES_LOCATION, "href", allow_duplicate=True),
    Output(ids.OVERVIEW_BODY, "children", allow_duplicate=True),
    Input(ids.OVERVIEW_GRAIN, "value"),
    State(ids.OVERVIEW_VIEW, "data"),
    prevent_initial_call=True,
)
@guarded_outputs(2)
def choose_grain(grain: object, data: object):  # type: ignore[no-untyped-def]
    """The grain control → the address (the page re-renders from it), as-of day kept."""
    return grain_href(grain, data)


def grain_href(grain: object, data: object):  # type: ignore[no-untyped-def]
    """(new href or no_update, no_update) for the Overview's and Tree's grain controls. The second
    output is the page's body (where an error would show): a mounted control's report arrives
    after the body's own render at times, and a None there wiped the body it had just drawn."""
    view = grain_from_href(data)
    if not grain or grain == view.grain:
        return no_update, no_update  # controls report their value when mounted: not a change
    if grain not in GRAINS:
        raise UrlStateError([f"grain must be one of {', '.join(GRAINS)}"])
    return replace(view, grain=grain).href(), no_update


def nsm_grain() -> str:
    """The NSM's review grain, or week when there is no data or no north_star yet."""
    try:
        spec = serving().snapshot().spec
    except Exception:  # the body shows the reason
        return "week"
    return spec.north_star.grain if spec.north_star else "week"


@callback(Output(ids.OVERVIEW_BODY, "children"), Input(ids.OVERVIEW_VIEW, "data"))
@guarded
def render_overview(data: object) -> list:
    """Headline, trend and driver cards for the stored view's grain and as-of day."""
    view = grain_from_href(data)
    grain = view.grain or nsm_grain()
    snap = serving().snapshot()
    spec = snap.spec
    snap.check_north_star_shown()
    if spec.north_star is None:
        return error_state(
            "metrics.yml has no north_star section; add one to see the Overview.",
            "No North Star Metric defined",
        )
    ns = spec.north_star
    drivers = first_drivers(spec)
    nsm, *driver_summaries = summarise_many(
        serving(),
        [(ns.metric, grain, ns.targets, True)]
        + [(node.metric, grain, node.targets, False) for node in drivers],
        as_of=view.as_of,
    )
    if nsm.frame[ns.metric].isna().all():
        return empty_state("No data for the North Star Metric in the last periods.")
    periods = list(nsm.frame["period"])
    targets = target_series(ns.targets, periods, grain, ns.grain)
    trend = trend_figure(
        nsm.frame, nsm.metric, grain, compare="previous", targets=targets, currency=spec.currency
    )
    cards = [
        driver_card(
            summary,
            node.owner,
            spec.north_star.tree.relation if spec.north_star.tree else None,
            ExplorerView(node.metric, grain=grain, as_of=view.as_of).href(),
        )
        for node, summary in zip(drivers, driver_summaries, strict=True)
    ]
    return [
        dmc.Paper(
            dmc.Grid(
                [
                    dmc.GridCol(
                        [
                            headline(nsm, ids.NSM_VALUE),
                            html.Div(id=ids.OVERVIEW_WHY, className="ns-why-sentence"),
                            dcc.Store(id=OVERVIEW_WHY_VIEW, data=view.href()),
                            report_link(snap.service.today(view.as_of), spec.week_start),
                        ],
                        span={"base": 12, "md": 4},
                    ),
                    dmc.GridCol(
                        [
                            dcc.Graph(
                                figure=trend, config={"displaylogo": False}, id=ids.OVERVIEW_TREND
                            ),
                            dcc.Store(
                                id=ids.OVERVIEW_ALERT_MARKS,
                                data=alert_marks.marks_data(nsm.frame, ns.metric, grain),
                            ),
                        ],
                        span={"base": 12, "md": 8},
                    ),
                ],
                align="center",
            ),
            withBorder=True,
            radius="md",
            p="lg",
            mb="lg",
        ),
        dmc.Title("Drivers", order=4, mb="sm") if cards else None,
        dmc.SimpleGrid(cards, cols={"base": 1, "sm": 2, "lg": 4}, spacing="md"),
    ]


def report_link(today, week_start: str) -> html.Div:  # type: ignore[no-untyped-def]
    """The weekly review of the last complete week as of the page's day, as a PDF (a plain link:
    the browser downloads it; the route builds it once per week and snapshot)."""
    week = last_complete_week(today, week_start)
    return html.Div(
        html.A(
            "Weekly report (PDF)",
            href=report_href(week.label),
            id="overview-report-link",
            title=f"The weekly review of {week.label} ({week.start}..{week.end})",
        ),
        className="ns-report-link",
        style={"marginTop": "0.5rem", "fontSize": "0.875rem"},
    )


OVERVIEW_WHY_VIEW = "overview-why-view"  # rendered with the headline: the sentence follows it
alert_marks.register(ids.OVERVIEW_ALERT_MARKS, ids.OVERVIEW_TREND)


@callback(Output(ids.OVERVIEW_WHY, "children"), Input(OVERVIEW_WHY_VIEW, "data"))
@guarded
def render_biggest_mover(data: object) -> Any:
    """Under the headline, after it: who moved the North Star in its latest complete period vs
    the previous one (the driver with the largest |contribution|, else the top segment)."""
    view = grain_from_href(data)
    grain = view.grain or nsm_grain()
    spec = serving().snapshot().spec
    if spec.north_star is None:
        return None
    metric = spec.north_star.metric
    nsm = summarise(serving(), metric, grain, with_last_year=False, as_of=view.as_of)
    if nsm.period is None:
        return None
    current, baseline = period_ranges(nsm.period, grain)
    # Drivers first: two queries per tree node, where segments take dozens.
    display = why_display(
        explanation(metric, current, baseline, (), view.as_of, segments=False), spec
    )
    if display.biggest_mover is None and display.change:
        display = why_display(explanation(metric, current, baseline, (), view.as_of), spec)
    href = drivers_view_for(metric, current, baseline, (), view.as_of).href()
    return dmc.Text(
        [
            html.Span(
                mover_sentence(display, compare_words(grain, "previous")), id="overview-mover"
            ),
            " ",
            dcc.Link("Why did it move? →", href=href, id="overview-why-link"),
        ],
        size="sm",
        mt="sm",
    )


# The navigation keeps the as-of day: a page opened `?as_of=` links to the others as of that day.
# (Registered here because the Overview module is always loaded; the links live in the shell.)
NAV_AS_OF = {"nav-overview": "/", "nav-tree": "/tree", "nav-metric": "/metric"}
NAV_AS_OF |= {"nav-catalog": "/catalog", "nav-review": "/review"}
dash.clientside_callback(
    """
    function(search) {
        const found = /[?&]as_of=([0-9]{4}-[0-9]{2}-[0-9]{2})(&|$)/.exec(search || "");
        const query = found ? "?as_of=" + found[1] : "";
        return PATHS.map(path => path + query);
    }
    """.replace("PATHS", json.dumps(list(NAV_AS_OF.values()))),
    [Output(nav_id, "href") for nav_id in NAV_AS_OF],
    Input(ids.PAGES_LOCATION, "search"),
)


# Registered last so the layout function exists (the pages are imported, not scanned).
dash.register_page(
    __name__, path="/", title="Northstar · Overview", name="Overview", order=0, layout=layout
)
