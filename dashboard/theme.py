"""Colours and chart templates shared by every page, so one dimension value keeps one colour."""

from __future__ import annotations

import hashlib

import plotly.graph_objects as go

# Okabe-Ito-like, readable for colour-blind viewers and on a TV.
PALETTE = (
    "#0072B2",
    "#E69F00",
    "#009E73",
    "#CC79A7",
    "#56B4E9",
    "#D55E00",
    "#F0E442",
    "#7F3C8D",
    "#11A579",
    "#3969AC",
)
OTHER_COLOUR = "#9AA0A6"
PRIMARY = "#1C7ED6"
COMPARE = "#ADB5BD"
TARGET = "#E8590C"
TONE_COLOURS = {"good": "teal", "bad": "red", "flat": "gray"}
TONE_HEX = {"good": "#0CA678", "bad": "#F03E3E", "flat": "#868E96"}
FONT = "Inter, -apple-system, 'Segoe UI', Roboto, 'Noto Sans SC', sans-serif"


def colour_for(value: object) -> str:
    """A stable colour per dimension value: the same value is the same colour on every chart."""
    if value is None or str(value) == "Other":
        return OTHER_COLOUR
    digest = hashlib.md5(str(value).encode("utf-8")).digest()
    return PALETTE[digest[0] % len(PALETTE)]


def colour_map(values: list[object]) -> dict[object, str]:
    """Stable colours, nudged apart when two visible values hash to the same colour."""
    out: dict[object, str] = {}
    used: set[str] = set()
    for value in sorted(values, key=str):
        colour = colour_for(value)
        if colour in used and colour != OTHER_COLOUR:
            start = PALETTE.index(colour)
            free = [PALETTE[(start + i) % len(PALETTE)] for i in range(1, len(PALETTE))]
            colour = next((c for c in free if c not in used), colour)
        used.add(colour)
        out[value] = colour
    return out


def base_layout(dark: bool = False, font_size: int = 13) -> dict[str, object]:
    ink = "#E9ECEF" if dark else "#212529"
    grid = "#373A40" if dark else "#E9ECEF"
    return {
        "template": "plotly_dark" if dark else "plotly_white",
        "font": {"family": FONT, "size": font_size, "color": ink},
        "paper_bgcolor": "rgba(0,0,0,0)",
        "plot_bgcolor": "rgba(0,0,0,0)",
        "margin": {"l": 10, "r": 10, "t": 30, "b": 10},
        "hovermode": "x unified",
        "xaxis": {"gridcolor": grid, "showgrid": False, "automargin": True},
        "yaxis": {"gridcolor": grid, "zeroline": False, "automargin": True, "rangemode": "tozero"},
        "legend": {"orientation": "h", "y": -0.15, "x": 0},
    }


def styled(fig: go.Figure, dark: bool = False, font_size: int = 13) -> go.Figure:
    fig.update_layout(**base_layout(dark, font_size))
    return fig
