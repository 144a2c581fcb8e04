"""The report's PDF: headless Chromium printing the report's HTML file (A4 from its @page CSS).

Why Chromium's own `--print-to-pdf` rather than kaleido: kaleido turns one plotly figure into an
image or PDF; it cannot lay out a document (tables, text, page breaks). Chromium prints exactly
the HTML that the email carries, with its print CSS, so the PDF and the email cannot differ. One
short-lived process per PDF (about 1-2 s), each with its own throwaway profile so two reports
built at once do not fight over one profile's lock; the chart is a data: URI inside the HTML, so
the browser needs no network and no file besides the HTML.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import tempfile
from pathlib import Path

TIMEOUT = 120  # seconds: a cold Chromium on a busy 2-core machine takes a few
FLAGS = (
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-extensions",
    "--no-first-run",
    "--no-default-browser-check",
    "--no-pdf-header-footer",  # no date, title and file path printed in the margins
    "--run-all-compositor-stages-before-draw",
)
CANDIDATES = ("chromium", "chromium-browser", "google-chrome", "chrome")


class PdfError(RuntimeError):
    """The PDF could not be printed; the message says what to do."""


class BrowserMissingError(PdfError):
    """No Chromium on this machine."""


def find_chromium() -> Path:
    """Chromium's path: BROWSER_PATH (as kaleido reads it), else the first on PATH."""
    named = os.environ.get("BROWSER_PATH", "").strip()
    if named:
        if Path(named).is_file():
            return Path(named)
        raise BrowserMissingError(
            f"BROWSER_PATH names {named}, which does not exist; point it at Chromium or unset it "
            "(`make browser` installs Debian's chromium)"
        )
    for name in CANDIDATES:
        found = shutil.which(name)
        if found:
            return Path(found)
    raise BrowserMissingError(
        "the PDF needs Chromium, which is not installed: run `make browser` (Debian's chromium) "
        "or set BROWSER_PATH to a Chromium or Chrome binary; the HTML report needs no browser"
    )


def print_pdf(html_file: Path, pdf_file: Path, browser: Path | None = None) -> Path:
    """Print `html_file` to `pdf_file` (written whole or not at all); returns `pdf_file`."""
    browser = browser or find_chromium()
    if not browser.is_file():
        raise BrowserMissingError(
            f"no Chromium at {browser}: run `make browser` (Debian's chromium)"
        )
    pdf_file.parent.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(prefix="northstar-pdf-") as profile:
        partial = Path(profile) / "report.pdf"
        command = [
            str(browser),
            *FLAGS,
            f"--user-data-dir={profile}",
            f"--print-to-pdf={partial}",
            html_file.resolve().as_uri(),
        ]
        try:
            done = subprocess.run(command, capture_output=True, text=True, timeout=TIMEOUT)
        except subprocess.TimeoutExpired:
            raise PdfError(
                f"Chromium did not print the report within {TIMEOUT} s; try again "
                "(the HTML report is written)"
            ) from None
        if done.returncode != 0 or not partial.is_file() or partial.stat().st_size == 0:
            last = (done.stderr or done.stdout).strip().splitlines()[-1:] or ["no output"]
            raise PdfError(
                f"Chromium could not print the report (exit {done.returncode}: {last[0]}); "
                "the HTML report is written"
            )
        move_into_place(partial, pdf_file)
    return pdf_file


def move_into_place(source: Path, target: Path) -> None:
    """Move `source` to `target` so that a reader sees the old file or the new one, whole: via a
    file of its own in the target's folder (two builds at once each have theirs), then a rename."""
    fd, staged = tempfile.mkstemp(dir=target.parent, prefix=f".{target.name}.", suffix=".part")
    os.close(fd)
    try:
        shutil.move(source, staged)
        os.replace(staged, target)
    except BaseException:
        Path(staged).unlink(missing_ok=True)
        raise
