"""What a notification says, in words, before any channel formats it: the title, the fields
(value vs expected, since, severity, owners, period), the top segments and the Drivers link made
absolute. Slack blocks, the JSON body's `text` and both parts of the email are built from this,
so every channel says the same thing.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

_PERIOD_WORDS = {"week": "week of {d}", "month": "{d:%Y-%m}", "year": "{d:%Y}"}


@dataclass(frozen=True)
class Message:
    title: str
    summary: str
    detail: str
    fields: tuple[tuple[str, str], ...]
    segments: tuple[str, ...]
    link: str  # absolute URL of the Drivers page for the period, or ""
    severity: str
    kind: str


def alert_message(payload: Mapping[str, Any], base_url: str) -> Message:
    """The words of an alert payload (alerts.channels.payload); missing keys read as empty, so an
    outbox row written by an older version still sends."""
    series = payload.get("series") or ""
    fields = [
        ("Value", format_number(payload.get("value"))),
        ("Expected", payload.get("expected") or "—"),
        ("Period", period_label(payload.get("period"), payload.get("grain") or "day")),
        ("Since", time_label(payload.get("since"))),
        ("Severity", payload.get("severity") or "—"),
        ("Owners", ", ".join(payload.get("owners") or ()) or "—"),
    ]
    if payload.get("metric"):
        fields.insert(0, ("Metric", str(payload["metric"]) + (f" ({series})" if series else "")))
    return Message(
        title=payload.get("title") or f"[{payload.get('kind', 'alert')}] {payload.get('rule')}",
        summary=payload.get("summary") or "",
        detail=payload.get("detail") or "",
        fields=tuple(fields),
        segments=tuple(segment_line(s) for s in payload.get("segments") or ()),
        link=absolute(payload.get("drivers_link") or "", base_url),
        severity=payload.get("severity") or "",
        kind=payload.get("kind") or "",
    )


def plain_text(message: Message) -> str:
    """The message as plain text: the JSON body's `text` and the email's text part."""
    lines = [message.title]
    lines += [line for line in (message.summary, message.detail) if line]
    lines.append("")
    width = max(len(name) for name, _ in message.fields)
    lines += [f"{name + ':':<{width + 1}} {value}" for name, value in message.fields]
    if message.segments:
        lines += ["", "Top segments:"] + [f"- {s}" for s in message.segments]
    if message.link:
        lines += ["", f"Why it moved: {message.link}"]
    return "\n".join(lines)


def absolute(link: str, base_url: str) -> str:
    """An app link (`/drivers?…`) as a URL someone can open from chat or email."""
    if not link or link.startswith(("http://", "https://")):
        return link
    return base_url.rstrip("/") + "/" + link.lstrip("/")


def segment_line(segment: Mapping[str, Any]) -> str:
    change = segment.get("change")
    share = segment.get("share")
    text = f"{segment.get('label', '')}: {format_number(change, signed=True)}"
    if share is not None:
        text += f" ({share * 100:.0f}% of the change"
        text += f", {segment['effect']})" if segment.get("effect") else ")"
    return text


def format_number(value: float | None, *, signed: bool = False) -> str:
    """A value without its metric's format (channels do not load the spec): whole numbers with
    thousands separators, large ones to one decimal, small ones to four significant digits."""
    if value is None:
        return "no data"
    sign = "+" if signed and value > 0 else ""
    if value == int(value) and abs(value) < 1e15:
        return f"{sign}{int(value):,}"
    if abs(value) >= 100:
        return f"{sign}{value:,.1f}"
    return f"{sign}{value:.4g}"


def period_label(period: str | None, grain: str) -> str:
    if not period:
        return "—"
    day = date.fromisoformat(period[:10])
    if grain == "quarter":
        return f"{day.year}-Q{(day.month - 1) // 3 + 1}"
    return _PERIOD_WORDS.get(grain, "{d}").format(d=day)


def time_label(when: str | None) -> str:
    if not when:
        return "—"
    return f"{datetime.fromisoformat(when):%Y-%m-%d %H:%M} UTC"
