"""A review's frozen numbers as rows of text, beside today's where they differ: one conversion
for the /reviews pages, the TV's read-only record and `northstar review show`, so none of them
can write a number differently. Pure: frozen JSON and Differences in, strings out."""

from __future__ import annotations

from dataclasses import dataclass
from types import SimpleNamespace
from typing import Any

from dashboard.formatting import MISSING, format_delta, format_value
from reviews.compare import Difference
from reviews.numbers import ALERTS, DRIVER, NSM, OKRS, WHY, FrozenSlide
from reviews.records import GENERAL

HEADLINE = (
    ("value", "value"),
    ("previous", "week before"),
    ("last_year", "same week last year"),
    ("target", "target"),
    ("change", "vs week before"),
    ("change_last_year", "vs last year"),
    ("vs_target", "vs target"),
)
RELATIVE = {"change", "change_last_year", "vs_target"}


@dataclass(frozen=True)
class NumberRow:
    key: str  # as compare.Difference names it
    label: str
    frozen: str  # as the review showed it
    now: str | None = None  # today's value when it differs, else None
    note: str = ""  # why there is no value now


def _metric(display: dict[str, Any]) -> Any:
    return SimpleNamespace(
        format=display.get("format") or "number",
        unit=display.get("unit"),
        decimals=display.get("decimals"),
        agg=display.get("agg"),
    )


def _currency(display: dict[str, Any]) -> str:
    return display.get("currency") or "USD"


def percent(value: float | None) -> str:
    return MISSING if value is None else f"{value * 100:+,.1f}%"


def value_text(display: dict[str, Any], value: float | None, key: str = "value") -> str:
    """`value` as the slide wrote it: a relative change as +18.2%, else in the metric's unit."""
    if key in RELATIVE:
        return percent(value)
    return format_value(value, _metric(display), _currency(display))


def delta_text(display: dict[str, Any], value: float | None) -> str:
    return format_delta(value, _metric(display), _currency(display))


def slide_title(slide: FrozenSlide) -> str:
    """'North Star · Orders', 'Why did it move?', 'Driver · Buyers', 'Alerts'."""
    title = slide.numbers.get("display", {}).get("title") or slide.metric or ""
    if slide.slide == NSM:
        return f"North Star · {title}"
    if slide.slide == WHY:
        return f"Why did {title} move?"
    if slide.slide.startswith(DRIVER):
        return f"Driver · {title}"
    if slide.slide == ALERTS:
        return "Alerts"
    if slide.slide == OKRS:
        return f"OKRs · {slide.numbers.get('quarter', '')}"
    return slide.slide


def note_place(key: str, slides: list[FrozenSlide]) -> str:
    """Where a note was written, in words."""
    if key == GENERAL:
        return "The review as a whole"
    slide = next((s for s in slides if s.slide == key), None)
    return slide_title(slide) if slide is not None else key


def number_rows(slide: FrozenSlide, differences: list[Difference] | None = None) -> list[NumberRow]:
    """The slide's numbers as shown then, each with today's text when it differs."""
    now = {d.key: d for d in differences or [] if d.slide == slide.slide}
    n = slide.numbers
    display = n.get("display", {})
    if slide.slide == ALERTS:
        return _alert_rows(n)
    if slide.slide == OKRS:
        return _okr_rows(n)
    if slide.slide == WHY:
        return _why_rows(n, display, now)
    has_target = n.get("target") is not None  # no target in force: no target rows
    return [
        _row(key, label, value_text(display, n.get(key), key), now.get(key), display)
        for key, label in HEADLINE
        if has_target or key in now or key not in ("target", "vs_target")
    ]


def _row(
    key: str, label: str, frozen: str, diff: Difference | None, display: dict, delta: bool = False
) -> NumberRow:
    if diff is None:
        return NumberRow(key, label, frozen)
    text = delta_text(display, diff.now) if delta else value_text(display, diff.now, key)
    return NumberRow(key, label, frozen, text, diff.note)


def _why_rows(n: dict, display: dict, now: dict[str, Difference]) -> list[NumberRow]:
    rows = [
        _row("before", "week before", value_text(display, n.get("before")), now.get("before"), display),
        _row("after", "this week", value_text(display, n.get("after")), now.get("after"), display),
        _row("change", "change", delta_text(display, n.get("change")), now.get("change"), display, True),
    ]  # fmt: skip
    for d in n.get("drivers", []):
        key = f"driver:{d['metric']}"
        rows.append(
            _row(key, f"driver {d.get('title', d['metric'])}",
                 delta_text(display, d.get("contribution")), now.get(key), display, True)
        )  # fmt: skip
    for s in n.get("segments", []):
        key = f"segment:{s['segment']}"
        rows.append(
            _row(key, f"segment {s['segment']}", delta_text(display, s.get("contribution")),
                 now.get(key), display, True)
        )  # fmt: skip
    if not n.get("segments"):
        rows.append(NumberRow("verdict", "segments", n.get("verdict") or "none stands out"))
    return rows


def _okr_rows(n: dict) -> list[NumberRow]:
    objectives = n.get("objectives", [])
    if not objectives:
        return [NumberRow("okrs", "objectives", f"none for {n.get('quarter', 'the quarter')}")]
    return [NumberRow(f"okr:{o['id']}", o["title"], _okr_text(o)) for o in objectives]


def _okr_text(objective: dict) -> str:
    if objective.get("score") is None:
        return objective.get("note") or "no value yet"
    return f"{objective['score']:.2f} · {objective['colour']} · {objective['status']}"


def _alert_rows(n: dict) -> list[NumberRow]:
    states = n.get("states", [])
    if not states:
        return [NumberRow("alerts", "alerts", "nothing firing, pending or failing")]
    return [
        NumberRow(
            f"alert:{s['rule']}:{s['series']}",
            f"{s['rule']}" + (f" · {s['series']}" if s.get("series") else ""),
            s["state"]
            + (f" since {s['since'][:16].replace('T', ' ')} UTC" if s.get("since") else "")
            + (f" (acknowledged by {s['acked_by']})" if s.get("acked_by") else ""),
        )
        for s in states
    ]
