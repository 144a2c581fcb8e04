"""`northstar report`: the weekly review report of a week, written to files or queued to the
report's email and webhook channels (alerts' `report: channels:`), from the published snapshot
the dashboard serves."""

from __future__ import annotations

import shutil
import sys
from datetime import UTC, datetime
from pathlib import Path
from typing import Annotated

import typer

from cli.app_db import open_app_db
from cli.output import FAILED, USAGE, fail, say
from dashboard.serving import NoSnapshotError
from report.build import BuiltReport
from report.channels import load_plan
from report.offline import offline_serving
from report.pdf import PdfError
from report.runs import build_week, channels_of, queue_to
from report.weeks import ReportWeekError, parse_week
from settings import Settings

DESTINATIONS = ("file", "email", "webhook")


def register(app: typer.Typer) -> None:
    app.command()(report)


def report(
    week: Annotated[
        str | None,
        typer.Option(help="ISO week, e.g. 2026-W48 (default: the last complete week)"),
    ] = None,
    to: Annotated[str, typer.Option(help="file, email or webhook")] = "file",
    out: Annotated[
        str | None,
        typer.Option(
            help="where files go: a folder (default: here), a .pdf path, or - for the PDF on stdout"
        ),
    ] = None,
) -> None:
    """The weekly review: the North Star against the week before and its target, its trend,
    driver contributions, top segments and the week's alerts, as a PDF and an HTML file, or
    queued to the report's channels."""
    if to not in DESTINATIONS:
        fail(f"--to must be one of {', '.join(DESTINATIONS)}, not {to!r}", USAGE)
    if out is not None and to != "file":
        fail("--out is where --to file writes; email and webhook send the report instead", USAGE)
    if week is not None:
        try:  # its spelling first: "no data published" would hide a typo behind another fix
            parse_week(week)
        except ReportWeekError as exc:
            fail(str(exc), USAGE)
    settings = Settings.load()
    db = open_app_db(settings)
    try:
        with offline_serving(settings) as serving:
            snap = serving.snapshot()
            # Before building: a missing channel is said before a minute of work, not after.
            names = channels_of(load_plan(settings, snap.spec), to) if to != "file" else []
            built = build_week(settings, serving, week, db)
    except NoSnapshotError as exc:
        fail(str(exc), FAILED)
    except PdfError as exc:
        fail(str(exc), FAILED)
    if to == "file":
        _write_files(built, out)
        return
    queued = queue_to(settings, db, built, names, datetime.now(UTC).replace(tzinfo=None))
    say(
        f"queued the weekly report {queued.week} for {', '.join(queued.channels)} ({to}); "
        "`northstar worker` sends it"
    )


def _write_files(built: BuiltReport, out: str | None) -> None:
    assert built.pdf_path is not None
    name = f"report-{built.week.label}"
    if out == "-":
        if sys.stdout.isatty():
            fail("--out - writes the PDF to stdout: pipe it (`> report.pdf`)", USAGE)
        sys.stdout.buffer.write(built.pdf_path.read_bytes())
        sys.stdout.flush()
        return
    target = Path(out) if out else Path.cwd()
    if target.suffix.lower() == ".pdf":
        pdf, html = target, target.with_suffix(".html")
    else:
        pdf, html = target / f"{name}.pdf", target / f"{name}.html"
    pdf.parent.mkdir(parents=True, exist_ok=True)
    shutil.copyfile(built.pdf_path, pdf)
    shutil.copyfile(built.html_path, html)
    say(f"wrote {pdf} and {html} ({built.subject})")
