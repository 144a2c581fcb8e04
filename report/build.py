"""Build a week's report files: HTML, plain text and PDF, kept on disk per (week, snapshot).

Files live in the reports folder beside the serving snapshots (`data/reports/` by default):
`report-<week>-<scope>-<snapshot>.{html,txt,pdf}` plus the email subject in `.json`. A report of
a complete week depends on nothing but the snapshot's data and spec, the reader's scope, the
alert history of that week (which gains no events once the week is over) and the OKR check-ins
and review actions (report.state's fingerprint, part of the name), so a second download or a
second delivery of the same week, snapshot and state reads the files rather than building again.
When a newer snapshot's report of a week is written, the older ones of that week and scope go.
"""

from __future__ import annotations

import hashlib
import json
import os
import tempfile
from dataclasses import dataclass
from pathlib import Path

from report.chart import data_uri, trend_png
from report.content import AlertsReader, ServingLike, gather
from report.okr_status import OkrsReader
from report.pdf import find_chromium, print_pdf
from report.render import render_html, subject
from report.render_text import render_text
from report.review_actions import ActionsReader
from report.weeks import ReportWeek
from settings import Settings


@dataclass(frozen=True)
class BuiltReport:
    week: ReportWeek
    snapshot: str
    html_path: Path
    text_path: Path
    pdf_path: Path | None  # None: built without a PDF
    subject: str
    cached: bool  # read from the files of an earlier build

    @property
    def html(self) -> str:
        return self.html_path.read_text(encoding="utf-8")

    @property
    def text(self) -> str:
        return self.text_path.read_text(encoding="utf-8")


def reports_dir(settings: Settings) -> Path:
    """Where built reports are kept: `reports/` beside the serving folder (data/reports)."""
    return settings.serving_dir.parent / "reports"


def _stem(week: ReportWeek, snap, state: str = "") -> tuple[str, str]:  # type: ignore[no-untyped-def]
    """(the stem of this report's files, the prefix its older versions share); `state` is
    report.state's fingerprint of the check-ins and review actions."""
    scope = getattr(snap, "scope", None)
    scope_tag = "all" if scope is None else hashlib.sha1(scope.key().encode()).hexdigest()[:8]
    spec_hash = getattr(snap, "spec_hash", "")
    version_tag = hashlib.sha1(f"{snap.version}|{spec_hash}|{state}".encode()).hexdigest()[:12]
    prefix = f"report-{week.label}-{scope_tag}-"
    return prefix + version_tag, prefix


def build_report(
    serving: ServingLike,
    week: ReportWeek,
    folder: Path,
    *,
    alerts: AlertsReader | None,
    alerts_note: str = "",
    okrs: OkrsReader | None = None,
    actions: ActionsReader | None = None,
    state: str = "",
    pdf: bool = True,
    browser: Path | None = None,
    base_url: str = "",
) -> BuiltReport:
    """The report of `week` (checked by content.resolve_week) in `folder`: built, or the files an
    earlier build of the same week, snapshot and scope left. PdfError when the PDF cannot be
    printed (the HTML and text are written before). `base_url`: where people open the
    dashboard, for the report's links. `state`: report.state's fingerprint of what `okrs` and
    `actions` read (a change builds afresh)."""
    snap = serving.snapshot()
    stem, prefix = _stem(week, snap, state)
    paths = {ext: folder / f"{stem}.{ext}" for ext in ("html", "txt", "json", "pdf")}
    if all(paths[ext].is_file() for ext in ("html", "txt", "json")) and (
        not pdf or paths["pdf"].is_file()
    ):
        meta = json.loads(paths["json"].read_text(encoding="utf-8"))
        return BuiltReport(
            week,
            snap.version,
            paths["html"],
            paths["txt"],
            paths["pdf"] if pdf else None,
            meta["subject"],
            cached=True,
        )
    if pdf:  # before any work: without a browser, say so first
        browser = browser or find_chromium()
    report = gather(serving, week, alerts, alerts_note, okrs, actions)
    folder.mkdir(parents=True, exist_ok=True)
    html = render_html(report, data_uri(trend_png(report)), base_url)
    title = subject(report)
    _write(paths["html"], html)
    _write(paths["txt"], render_text(report, base_url))
    _write(paths["json"], json.dumps({"subject": title, "week": week.label}))
    if pdf:
        print_pdf(paths["html"], paths["pdf"], browser)
    _prune(folder, prefix, stem)
    return BuiltReport(
        week,
        report.snapshot,
        paths["html"],
        paths["txt"],
        paths["pdf"] if pdf else None,
        title,
        cached=False,
    )


def _write(path: Path, text: str) -> None:
    """Write whole or not at all: a reader (a download, a delivery) never sees half a file."""
    fd, staged = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".part")
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as out:
            out.write(text)
        os.replace(staged, path)
    except BaseException:
        Path(staged).unlink(missing_ok=True)
        raise


def _prune(folder: Path, prefix: str, keep: str) -> None:
    """Drop the files of the same week and scope built from older snapshots."""
    for old in folder.glob(f"{prefix}*"):
        if not old.name.startswith(keep + "."):
            old.unlink(missing_ok=True)
