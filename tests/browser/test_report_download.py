"""The Overview's "Weekly report (PDF)" link, clicked as a person would: it names the last
complete week as of the page's day and downloads that week's PDF, whose headline is the number
the Overview shows (the fixture shop, as of 2026-03-18: week 2026-W11)."""

from __future__ import annotations

from pathlib import Path

from playwright.sync_api import expect
from pypdf import PdfReader

SLOW = 180_000  # the first download prints the PDF: a cold Chromium on a busy machine


def test_the_overview_downloads_the_last_complete_weeks_report(page, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    page.goto("/")
    link = page.locator("#overview-report-link")
    expect(link).to_have_text("Weekly report (PDF)")
    expect(link).to_have_attribute("href", "/report/2026-W11.pdf")
    shown = page.locator("#nsm-value").inner_text()
    with page.expect_download(timeout=SLOW) as download:
        # A plain link to a PDF: the browser downloads it when told to (headless shows none).
        link.evaluate("a => a.setAttribute('download', '')")
        link.click()
    saved = tmp_path / download.value.suggested_filename
    download.value.save_as(saved)
    assert saved.name == "northstar-weekly-report-2026-W11.pdf"
    text = PdfReader(saved).pages[0].extract_text()
    assert f"Orders · North Star\n{shown}\n" in text
    assert "Week 11 · 9–15 Mar 2026" in text
