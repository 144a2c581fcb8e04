"""A WeeklyReport as one HTML document (for the email body, the .html file and the PDF; its plain
text twin is render_text.py). Every value is escaped; numbers are formatted by
dashboard.formatting, as the pages format them.

The HTML carries its own print CSS: A4, margins, no row, chart or headline split across pages,
table headers repeated on a new page, long segment names wrapped rather than cut.
"""

from __future__ import annotations

from html import escape

from dashboard.formatting import (
    MISSING,
    format_change,
    format_value,
    period_label,
    range_label,
)
from dashboard.why_rows import WhyRow
from report.alert_digest import AlertLine
from report.content import WeeklyReport
from report.okr_status import WeekOkrs
from report.review_actions import ActionLine

STYLE = """
@page { size: A4; margin: 14mm 14mm 16mm 14mm; }
* { box-sizing: border-box; }
html { -webkit-print-color-adjust: exact; print-color-adjust: exact; }
body { font-family: Inter, 'Segoe UI', Roboto, 'Liberation Sans', 'DejaVu Sans', Arial, sans-serif;
       font-size: 10.5pt; line-height: 1.4; color: #212529; margin: 0 auto; max-width: 182mm; }
header { border-bottom: 2px solid #1C7ED6; padding-bottom: 3mm; margin-bottom: 5mm; }
.brand { color: #1C7ED6; font-weight: 600; letter-spacing: .02em; margin: 0; }
h1 { font-size: 20pt; margin: 1mm 0; }
h2 { font-size: 13pt; margin: 6mm 0 2mm; break-after: avoid; page-break-after: avoid; }
h3 { font-size: 11pt; margin: 4mm 0 1.5mm; break-after: avoid; page-break-after: avoid; }
.meta, .note { color: #6c757d; font-size: 9pt; margin: 0; }
.headline { display: flex; gap: 8mm; align-items: center; break-inside: avoid;
            page-break-inside: avoid; }
.headline .label { color: #495057; font-weight: 600; }
.headline .value { font-size: 34pt; font-weight: 700; line-height: 1.1; }
.compare { width: auto; }
.compare th { text-align: left; font-weight: 500; color: #495057; padding-right: 4mm; }
.compare td { padding-right: 4mm; }
figure { margin: 3mm 0 0; break-inside: avoid; page-break-inside: avoid; }
figure img { width: 100%; height: auto; display: block; }
figcaption { color: #6c757d; font-size: 8.5pt; }
table { width: 100%; border-collapse: collapse; }
thead { display: table-header-group; }
tr { break-inside: avoid; page-break-inside: avoid; }
th, td { vertical-align: top; overflow-wrap: anywhere; }
table.rows th { text-align: left; font-size: 9pt; color: #495057; border-bottom: 1px solid #adb5bd;
                padding: 1mm 1.5mm; }
table.rows td { border-bottom: 1px solid #e9ecef; padding: 1mm 1.5mm; }
table.rows td.num, table.rows th.num { text-align: right; white-space: nowrap; }
.detail { color: #495057; font-size: 9pt; }
td.when, td.firing, td.resolved { white-space: nowrap; }
.good { color: #0CA678; } .bad { color: #F03E3E; } .flat { color: #868E96; }
.firing { color: #F03E3E; font-weight: 600; } .resolved { color: #0CA678; font-weight: 600; }
.okr-green { color: #2B8A3E; font-weight: 600; } .okr-yellow { color: #E67700; font-weight: 600; }
.okr-red { color: #E03131; font-weight: 600; }
.on-track { color: #2B8A3E; } .at-risk { color: #E67700; } .off-track { color: #E03131; }
.overdue { color: #E03131; font-weight: 600; }
"""


def _e(value: object) -> str:
    return escape(str(value), quote=True)


def _pct(share: float | None) -> str:
    return MISSING if share is None else f"{share * 100:,.0f}%"


def week_title(report: WeeklyReport) -> str:
    """ "Week 11 · 9–15 Mar 2026"."""
    week = report.week
    return f"Week {week.label[-2:].lstrip('0')} · {range_label(week.start, week.end)}"


def subject(report: WeeklyReport) -> str:
    """The email's subject: the week and the headline number with its change."""
    s = report.summary
    value = format_value(s.value, s.metric, s.currency)
    return (
        f"Weekly review {report.week.label}: {s.metric.title} {value} "
        f"({format_change(s.change)} vs previous week)"
    )


def comparisons(report: WeeklyReport) -> list[tuple[str, str, str, str]]:
    """(label, the other value, change text, tone) for previous week, last year and target."""
    s = report.summary

    def fmt(v: float | None) -> str:
        return format_value(v, s.metric, s.currency)

    rows = [
        ("vs previous week", fmt(s.previous), format_change(s.change), s.tone(s.change)),
        (
            "vs same week last year",
            fmt(s.last_year),
            format_change(s.change_last_year),
            s.tone(s.change_last_year),
        ),
    ]
    if s.target is not None:
        rows.append(("vs target", fmt(s.target), format_change(s.vs_target), s.tone(s.vs_target)))
    else:
        rows.append(("vs target", "no target for this week", MISSING, "flat"))
    return rows


def render_html(report: WeeklyReport, chart_src: str, base_url: str = "") -> str:
    """The report as a standalone HTML document; `chart_src` is the trend PNG's data URI (or a
    cid: reference when a mail part carries it); with `base_url` (where people open the
    dashboard) it links the Drivers page of the same question."""
    s = report.summary
    scope = f" · rows of {report.scope} only" if report.scope else ""
    parts = [
        "<!doctype html>",
        '<html lang="en"><head><meta charset="utf-8">',
        f"<title>{_e(subject(report))}</title>",
        f"<style>{STYLE}</style></head><body>",
        "<header>",
        '<p class="brand">Northstar · Weekly review</p>',
        f"<h1>{_e(week_title(report))}</h1>",
        f'<p class="meta">{_e(report.week.label)} · days in {_e(report.time_zone)} · '
        f"numbers from snapshot {_e(report.snapshot)}{_e(scope)}</p>",
        "</header>",
        '<section class="headline">',
        "<div>",
        f'<div class="label">{_e(s.metric.title)} · North Star</div>',
        f'<div class="value" id="nsm-value">{_e(format_value(s.value, s.metric, s.currency))}</div>',
        "</div>",
        '<table class="compare">',
    ]
    for label, other, change, tone in comparisons(report):
        parts.append(
            f'<tr><th>{_e(label)}</th><td>{_e(other)}</td><td class="{tone}">{_e(change)}</td></tr>'
        )
    parts += ["</table>", "</section>"]
    weeks = len(report.trend)
    parts += [
        "<section>",
        f"<h2>Trend: the last {weeks} weeks against target</h2>",
        f'<figure><img src="{_e(chart_src)}" alt="{_e(s.metric.title)} by week, '
        f'{weeks} weeks to {_e(report.week.label)}, with the previous week and the target">',
        f"<figcaption>Weeks {_e(period_label(report.trend['period'].iloc[0], 'week'))} to "
        f"{_e(period_label(report.week.start, 'week'))}; dashed: "
        f"{'previous week and target' if report.targets else 'previous week'}."
        "</figcaption></figure>",
        "</section>",
    ]
    parts += _why_html(report, base_url)
    # The review's order: the North Star, why it moved, alerts, OKRs; then what is left to do.
    parts += _alerts_html(report)
    parts += _okrs_html(report, base_url)
    parts += _actions_html(report, base_url)
    parts.append("</body></html>")
    return "\n".join(parts)


def _why_html(report: WeeklyReport, base_url: str) -> list[str]:
    why = report.why
    link = (
        f' <a href="{_e(base_url.rstrip("/") + report.drivers_href)}">Why did it move? →</a>'
        if base_url
        else ""
    )
    out = [
        "<section>",
        "<h2>Why it moved</h2>",
        f'<p id="mover">{_e(report.mover)}{link}</p>',
        f'<p class="note">{_e(why.metric.title)}: {_e(why.summary)} '
        f"({_e(why.baseline)} → {_e(why.current)})</p>",
    ]
    if why.drivers:
        out += [
            "<h3>Driver contributions</h3>",
            '<table class="rows drivers"><thead><tr><th>Driver</th>'
            '<th class="num">Previous week</th><th class="num">This week</th>'
            '<th class="num">Contribution</th><th class="num">Share of change</th>'
            "</tr></thead><tbody>",
        ]
        out += [_driver_row(r) for r in why.drivers]
        out.append("</tbody></table>")
    out.append("<h3>Top segments</h3>")
    if why.segments:
        out += [
            '<table class="rows segments"><thead><tr><th style="width:34%">Segment</th>'
            '<th class="num">Previous week</th><th class="num">This week</th>'
            '<th class="num">Contribution</th><th class="num">Share</th>'
            "</tr></thead><tbody>",
        ]
        for r in why.segments:
            detail = r.detail.removeprefix(f"{r.label}: ")  # the row already names it
            out.append(
                f"<tr><td>{_e(r.label)}<div class='detail'>{_e(detail)}</div></td>"
                f'<td class="num">{_e(r.before)}</td><td class="num">{_e(r.after)}</td>'
                f'<td class="num">{_e(r.text)}</td><td class="num">{_e(_pct(r.share))}</td></tr>'
            )
        out.append("</tbody></table>")
    else:
        out.append(f'<p class="note">{_e(why.verdict.capitalize())}.</p>')
    out += [f'<p class="note">{_e(note)}</p>' for note in why.notes]
    out.append("</section>")
    return out


def _driver_row(r: WhyRow) -> str:
    share = "" if r.kind == "related" else _pct(r.share)
    return (
        f"<tr><td>{_e(r.label)}</td><td class='num'>{_e(r.before)}</td>"
        f"<td class='num'>{_e(r.after)}</td><td class='num'>{_e(r.text)}</td>"
        f"<td class='num'>{_e(share)}</td></tr>"
    )


def _alerts_html(report: WeeklyReport) -> list[str]:
    out = ["<section>", "<h2>Alerts</h2>"]
    alerts = report.alerts
    if alerts is None:
        return [*out, f'<p class="note">{_e(report.alerts_note)}</p>', "</section>"]
    if not alerts.fired:
        out.append('<p id="no-alerts">No alerts fired this week.</p>')
    for title, lines, when in (
        ("Fired this week", alerts.fired, "When"),
        ("Resolved this week", alerts.resolved, "When"),
        ("Still firing when the week ended", alerts.still_firing, "Since"),
    ):
        if lines:
            out += [f"<h3>{_e(title)}</h3>", _alert_table(lines, when)]
    out.append("</section>")
    return out


def _alert_table(lines: tuple[AlertLine, ...], when: str) -> str:
    rows = "".join(
        f"<tr><td class='when'>{_e(a.at.strftime('%a %-d %b %H:%M'))}</td><td>{_e(a.name)}</td>"
        f'<td class="{a.event}">{_e(a.event)}</td>'
        f"<td>{_e(value_label(a.value))}</td><td class='detail'>{_e(a.detail)}</td></tr>"
        for a in lines
    )
    return (
        f'<table class="rows alerts"><thead><tr><th style="width:19%">{_e(when)}</th>'
        '<th style="width:24%">Rule</th><th style="width:11%">Event</th><th>Value</th>'
        f'<th style="width:33%">Detail</th></tr></thead><tbody>{rows}</tbody></table>'
    )


def _link(base_url: str, href: str, text: str) -> str:
    """A link to the dashboard when its address is known, else nothing that leads nowhere."""
    if not base_url:
        return ""
    return f' <a href="{_e(base_url.rstrip("/") + href)}">{_e(text)}</a>'


def score_label(score: float | None) -> str:
    return MISSING if score is None else f"{score:.2f}"


def okr_when(okrs: WeekOkrs) -> str:
    if okrs.last_day is None:
        return f"{okrs.quarter} had not started by {okrs.as_of:%-d %b %Y}"
    return f"{okrs.quarter}, day {okrs.day} of {okrs.days}, data through {okrs.last_day:%-d %b %Y}"


def _okrs_html(report: WeeklyReport, base_url: str) -> list[str]:
    okrs = report.okrs
    if okrs is None:
        return []
    out = [
        "<section>",
        "<h2>OKRs</h2>",
        f'<p class="note">{_e(okr_when(okrs))}; scores 0–1 from baseline to target, status '
        f"against a straight pace line.{_link(base_url, okrs.href, 'Open the OKRs →')}</p>",
    ]
    if okrs.note:
        return [*out, f'<p id="okrs-note">{_e(okrs.note)}</p>', "</section>"]
    out.append(
        '<table class="rows okrs"><thead><tr><th>Objective</th><th>Owner</th><th>Type</th>'
        '<th class="num">Score</th><th>Colour</th><th>Status</th></tr></thead><tbody>'
    )
    for line in okrs.lines:
        owner = " · ".join(p for p in (line.owner, line.team) if p)
        status = line.status or line.note
        tone = (line.status or "").replace(" ", "-")
        note = f"<div class='detail'>{_e(line.note)}</div>" if line.note and line.status else ""
        out.append(
            f"<tr><td style='padding-left:{1.5 + 5 * line.depth}mm'>{_e(line.title)}{note}</td>"
            f"<td>{_e(owner)}</td><td>{_e(line.type)}</td>"
            f'<td class="num">{_e(score_label(line.score))}</td>'
            f'<td class="okr-{_e(line.colour or "none")}">{_e(line.colour or MISSING)}</td>'
            f'<td class="{_e(tone)}">{_e(status)}</td></tr>'
        )
    out += ["</tbody></table>", "</section>"]
    return out


def due_label(action: ActionLine) -> str:
    if action.due is None:
        return "no due date"
    return f"{action.due:%-d %b %Y}" + (" (overdue)" if action.overdue else "")


def _actions_html(report: WeeklyReport, base_url: str) -> list[str]:
    actions = report.actions
    if actions is None:
        return []
    last = actions.last_review
    out = [
        "<section>",
        "<h2>Open actions</h2>",
        f'<p class="note">Actions of the reviews up to {_e(last)} not done yet'
        + (f", {actions.overdue} overdue" if actions.overdue else "")
        + f".{_link(base_url, actions.href, f'Review {last} →')}</p>",
    ]
    if not actions.lines:
        return [*out, '<p id="no-actions">No open actions.</p>', "</section>"]
    out.append(
        '<table class="rows actions"><thead><tr><th style="width:46%">Action</th><th>Owner</th>'
        "<th>Due</th><th>From review</th></tr></thead><tbody>"
    )
    for a in actions.lines:
        review = (
            f'<a href="{_e(base_url.rstrip("/") + a.href)}">{_e(a.week)}</a>'
            if base_url
            else _e(a.week)
        )
        due = f'<td class="{"overdue" if a.overdue else ""}">{_e(due_label(a))}</td>'
        out.append(f"<tr><td>{_e(a.text)}</td><td>{_e(a.owner)}</td>{due}<td>{review}</td></tr>")
    out += ["</tbody></table>", "</section>"]
    return out


def value_label(value: float | None) -> str:
    return MISSING if value is None else f"{value:,.4g}"
