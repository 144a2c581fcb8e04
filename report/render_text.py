"""A WeeklyReport as plain text: the email's text part, and what a chat message can hold. The
same sections and numbers as the HTML (render.py), formatted the same way."""

from __future__ import annotations

from dashboard.formatting import format_value
from report.alert_digest import AlertLine
from report.content import WeeklyReport
from report.render import (
    comparisons,
    due_label,
    okr_when,
    score_label,
    value_label,
    week_title,
)


def render_text(report: WeeklyReport, base_url: str = "") -> str:
    """The same report as plain text (an email's text part; what a chat message can hold)."""
    s = report.summary
    lines = [
        f"Northstar weekly review · {week_title(report)} ({report.week.label})",
        "",
        f"{s.metric.title} (North Star): {format_value(s.value, s.metric, s.currency)}",
    ]
    lines += [f"  {label}: {other} ({change})" for label, other, change, _ in comparisons(report)]
    lines += ["", report.mover]
    if base_url:
        lines.append(f"Why did it move? {base_url.rstrip('/')}{report.drivers_href}")
    for r in report.why.drivers:
        lines.append(f"  {r.label}: {r.before} → {r.after}, {r.text}")
    if report.why.segments:
        lines += ["", "Top segments:"]
        lines += [f"  {r.label}: {r.text} ({r.before} → {r.after})" for r in report.why.segments]
    lines += ["", "Alerts:"]
    if report.alerts is None:
        lines.append(f"  {report.alerts_note}")
    else:
        if not report.alerts.fired:
            lines.append("  No alerts fired this week.")
        lines += [f"  {_alert_text(a)}" for a in report.alerts.events]
        lines += [f"  still firing: {_alert_text(a)}" for a in report.alerts.still_firing]
    lines += _okrs_text(report, base_url)
    lines += _actions_text(report, base_url)
    lines += ["", f"Numbers from snapshot {report.snapshot}; days in {report.time_zone}."]
    return "\n".join(lines) + "\n"


def _okrs_text(report: WeeklyReport, base_url: str) -> list[str]:
    okrs = report.okrs
    if okrs is None:
        return []
    lines = ["", f"OKRs ({okr_when(okrs)}):"]
    if base_url:
        lines.append(f"  {base_url.rstrip('/')}{okrs.href}")
    if okrs.note:
        return [*lines, f"  {okrs.note}"]
    for line in okrs.lines:
        judged = f"{line.colour}, {line.status}" if line.status else line.note
        lines.append(f"  {'  ' * line.depth}{score_label(line.score)} {line.title} ({judged})")
    return lines


def _actions_text(report: WeeklyReport, base_url: str) -> list[str]:
    actions = report.actions
    if actions is None:
        return []
    where = f": {base_url.rstrip('/')}{actions.href}" if base_url else ""
    lines = ["", f"Open actions (reviews up to {actions.last_review}{where}):"]
    if not actions.lines:
        return [*lines, "  No open actions."]
    return lines + [
        f"  {a.text} · {a.owner} · due {due_label(a)} · from review {a.week}" for a in actions.lines
    ]


def _alert_text(a: AlertLine) -> str:
    return f"{a.at:%a %-d %b %H:%M} {a.event} {a.name}: {a.detail or value_label(a.value)}"
