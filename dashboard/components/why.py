"""Blocks of a "why did it move?" answer, built from WhyDisplay rows: the drivers' contributions
as a table, the top segments as a list, and the Explorer's panel made of them. `prefix` names the
ids (explorer-why-…, review-why-…) so browser tests read each page's own numbers."""

from __future__ import annotations

from typing import Any

import dash_mantine_components as dmc
from dash import dcc, html

from dashboard.components.states import empty_state
from dashboard.formatting import range_label
from dashboard.why_rows import WhyDisplay


def _share(share: float | None) -> str:
    return f"{share * 100:.0f}%" if share is not None and share == share else ""


def contributions_table(d: WhyDisplay, prefix: str, size: str = "sm") -> Any:
    """One row per driver: its own move and its contribution to the metric's change."""
    if not d.drivers:
        return None
    head = ("Driver", "Before → after", f"Contribution to {d.metric.title}", "Share")
    body = [
        html.Tr(
            [
                html.Td(r.label),
                html.Td(f"{r.before} → {r.after}" if r.before else ""),
                html.Td(r.text, className="ns-why-number"),
                html.Td(_share(r.share), className="ns-why-number"),
            ],
            className=f"ns-why-{r.kind}",
        )
        for r in d.drivers
    ]
    return dmc.Table(
        [
            html.Thead(html.Tr([html.Th(h) for h in head])),
            html.Tbody(body),
        ],
        id=f"{prefix}-drivers",
        fz=size,
        highlightOnHover=True,
        className="ns-why-table",
    )


def segments_list(d: WhyDisplay, prefix: str, size: str = "sm") -> Any:
    """The top findings, one line each ("platform=web: +5 of +2, difference; it rose from 3 to 8")."""
    if not d.segments:
        return dmc.Text(d.verdict, id=f"{prefix}-segments", size=size, c="dimmed")
    return html.Ol(
        [html.Li(r.detail, className="ns-why-segment") for r in d.segments],
        id=f"{prefix}-segments",
        className=f"ns-why-segments ns-why-{size}",
    )


def why_panel(d: WhyDisplay, prefix: str, drivers_href: str, against: str) -> list:
    """The Explorer's answer: the change, its drivers, its top segments, and the full view."""
    if d.change_text == "–":
        return [empty_state("Nothing to explain.", f"{d.metric.title} has no value {against}.")]
    now, then = (range_label(r.start, r.end) for r in (d.current, d.baseline))
    when = f"{now} {against} ({then})"
    parts: list = [
        dmc.Text(when, c="dimmed", size="sm"),
        dmc.Text(d.summary, id=f"{prefix}-summary", fw=700, size="lg", mb="xs"),
        *[dmc.Text(note, c="orange", size="sm") for note in d.notes],
    ]
    table = contributions_table(d, prefix)
    drivers = [dmc.Text("Drivers", fw=600), table] if table is not None else None
    segments = [dmc.Text("Top segments", fw=600), segments_list(d, prefix)]
    parts.append(
        dmc.SimpleGrid(
            [html.Div(drivers), html.Div(segments)] if drivers else [html.Div(segments)],
            cols={"base": 1, "lg": 2 if drivers else 1},
            spacing="xl",
        )
    )
    parts.append(
        dcc.Link(
            "Open the full explanation on the Drivers page →",
            href=drivers_href,
            id=f"{prefix}-link",
            className="ns-why-link",
        )
    )
    return parts
