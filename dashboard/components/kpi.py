"""Number blocks: the NSM headline and a card per driver."""

from __future__ import annotations

import dash_mantine_components as dmc
from dash import dcc, html

from dashboard import theme
from dashboard.figures import sparkline
from dashboard.formatting import format_change, format_value, period_label
from dashboard.summaries import MetricSummary


def change_badge(label: str, change: float | None, tone: str, size: str = "lg") -> dmc.Badge:
    return dmc.Badge(
        f"{format_change(change)} {label}",
        color=theme.TONE_COLOURS[tone],
        variant="light",
        size=size,
        className=f"ns-change ns-{tone}",
    )


def headline(s: MetricSummary, value_id: str | None = None, size: int = 56) -> html.Div:
    """Value of the latest complete period with its change vs previous, last year and target."""
    fmt = lambda v: format_value(v, s.metric, s.currency)  # noqa: E731
    when = period_label(s.period, s.grain) if s.period else "no complete period yet"
    badges = [
        change_badge("vs previous", s.change, s.tone(s.change)),
        change_badge("vs last year", s.change_last_year, s.tone(s.change_last_year)),
    ]
    if s.target is not None:
        badges.append(change_badge(f"vs target {fmt(s.target)}", s.vs_target, s.tone(s.vs_target)))
    so_far = (
        dmc.Text(
            f"Current {s.grain} so far: {fmt(s.partial_value)} (partial, not compared)",
            c="dimmed",
            size="sm",
            className="ns-partial",
        )
        if s.partial_value is not None
        else None
    )
    value_kw = {"id": value_id} if value_id else {}
    return html.Div(
        [
            dmc.Text(
                f"{s.metric.title} · {when}", c="dimmed", fw=500, className="ns-headline-label"
            ),
            html.Div(
                fmt(s.value), className="ns-headline-value", style={"fontSize": size}, **value_kw
            ),
            dmc.Group(badges, gap="xs"),
            so_far,
        ],
        className="ns-headline",
    )


def driver_card(s: MetricSummary, owner: str | None, relation: str | None, href: str) -> dcc.Link:
    """A first-level driver: value, change and sparkline; the whole card opens `href` (the
    Explorer at the page's grain and as-of day)."""
    tone = s.tone(s.change)
    return dcc.Link(
        dmc.Card(
            [
                dmc.Group(
                    [
                        dmc.Text(s.metric.title, fw=600),
                        dmc.Badge(relation, variant="outline", size="xs") if relation else None,
                    ],
                    justify="space-between",
                ),
                html.Div(format_value(s.value, s.metric, s.currency), className="ns-card-value"),
                change_badge("vs previous", s.change, tone, size="md"),
                dcc.Graph(
                    figure=sparkline(s.frame, s.metric, s.grain, currency=s.currency, tone=tone),
                    config={"displayModeBar": False, "staticPlot": True},
                    style={"height": 60},
                ),
                dmc.Text(f"Owner: {owner or s.metric.owner or '—'}", size="xs", c="dimmed"),
            ],
            withBorder=True,
            radius="md",
            padding="md",
            className="ns-driver-card",
        ),
        href=href,
        className="ns-card-link",
        id=f"driver-{s.metric.name}",
    )
