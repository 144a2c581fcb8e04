"""The weekly review report of the fixture shop: its PDF (A4, every section on a page) and HTML
hold the numbers pandas works out from the shop's raw rows, its alerts are those of the week's
local days, and weeks that cannot be reported are refused with the weeks that can."""

from __future__ import annotations

import re
from dataclasses import replace
from datetime import date, timedelta
from pathlib import Path

import pytest
from pypdf import PdfReader

from appdb import AppDb
from report.build import BuiltReport
from report.offline import offline_serving
from report.pdf import BrowserMissingError, find_chromium, print_pdf
from report.runs import build_week
from report.weeks import (
    ReportWeek,
    ReportWeekError,
    check_reportable,
    last_complete_week,
    parse_week,
    week_of,
)
from tests.report_support import TARGET, W11, report_project, segment_count, week_numbers

pytestmark = pytest.mark.timeout(300)
H2020 = date(2020, 3, 9)  # the hand-made week 2020-W11: 7 paid orders; W10 before it: 4


@pytest.fixture(scope="module")
def built(tmp_path_factory: pytest.TempPathFactory) -> dict[str, BuiltReport]:
    settings = report_project(tmp_path_factory.mktemp("report"))
    db = AppDb(settings.app_db)
    with offline_serving(settings) as serving:
        reports = {
            "W11": build_week(settings, serving, None, db),  # the last complete week
            "2020-W11": build_week(
                replace(settings, public_url="https://northstar.example.com/"),
                serving,
                "2020-W11",
                db,
            ),
        }
    db.close()
    return reports


def pdf_text(report: BuiltReport) -> str:
    assert report.pdf_path is not None
    return "\n".join(page.extract_text() for page in PdfReader(report.pdf_path).pages)


def pct(value: float, base: float) -> str:
    change = (value - base) / abs(base) * 100
    return f"{'▲' if change > 0 else '▼'} {abs(change):.1f}%"


def test_the_default_week_is_the_last_complete_one(built) -> None:  # type: ignore[no-untyped-def]
    assert built["W11"].week.label == "2026-W11" and built["W11"].week.start == W11


def test_the_pdf_is_a4_and_holds_the_headline_numbers_pandas_counts(built) -> None:  # type: ignore[no-untyped-def]
    report = built["W11"]
    reader = PdfReader(report.pdf_path)
    box = reader.pages[0].mediabox
    assert (round(float(box.width)), round(float(box.height))) == (595, 842)  # A4 in points
    now = week_numbers(W11)["orders"]
    before = week_numbers(W11 - timedelta(days=7))["orders"]
    last_year = week_numbers(W11 - timedelta(days=364))["orders"]
    text = pdf_text(report)
    assert "Week 11 · 9–15 Mar 2026" in text
    assert f"Orders · North Star\n{now}\n" in text
    assert f"vs previous week {before} {pct(now, before)}" in text
    assert f"vs same week last year {last_year} {pct(now, last_year)}" in text
    assert f"vs target {TARGET} {pct(now, TARGET)}" in text
    # one line of the Overview's sentence: the change in orders
    assert f"of {now - before:+d} orders vs the previous week" in text
    assert report.subject.startswith(f"Weekly review 2026-W11: Orders {now} ")


def test_the_pdf_holds_the_drivers_and_segments_pandas_counts(built) -> None:  # type: ignore[no-untyped-def]
    text = pdf_text(built["W11"])
    now, then = week_numbers(W11), week_numbers(W11 - timedelta(days=7))
    assert f"\nBuyers {then['buyers']} {now['buyers']} " in text
    rpb = f"\nRevenue per buyer {then['revenue_per_buyer']:,.2f} {now['revenue_per_buyer']:,.2f} "
    assert rpb in text
    section = text.split("Top segments", 1)[1].split("\nAlerts", 1)[0]
    labels = re.findall(r"^([a-z_]+=\S+(?: × [a-z_]+=\S+)?)$", section, re.MULTILINE)
    assert len(labels) >= 2, section
    for label in labels:
        before, after = segment_count(W11 - timedelta(days=7), label), segment_count(W11, label)
        # the row's numbers follow its label and explanation, on the first line of numbers
        rest = section.split(f"\n{label}\n", 1)[1] if f"\n{label}\n" in section else section
        numbers = re.search(r"^(-?\d[\d,]*) (-?\d[\d,]*) ([+-]\d[\d,]*) ", rest, re.MULTILINE)
        assert numbers is not None, (label, rest)
        assert numbers.groups() == (str(before), str(after), f"{after - before:+d}"), label


def test_the_html_holds_the_same_numbers(built) -> None:  # type: ignore[no-untyped-def]
    html = built["W11"].html
    now = week_numbers(W11)
    before = week_numbers(W11 - timedelta(days=7))
    assert f'id="nsm-value">{now["orders"]}<' in html
    assert f"<tr><th>vs previous week</th><td>{before['orders']}</td>" in html
    assert f"<tr><th>vs target</th><td>{TARGET}</td>" in html
    assert f"<td>Buyers</td><td class='num'>{before['buyers']}</td>" in html
    assert '<img src="data:image/png;base64,' in html  # the trend chart travels inside
    assert "OKR" not in html and "coming soon" not in html.lower()


def test_a_hand_made_week_shows_its_literal_numbers(built) -> None:  # type: ignore[no-untyped-def]
    text = pdf_text(built["2020-W11"])
    assert "Orders · North Star\n7\n" in text
    assert "vs previous week 4 ▲ 75.0%" in text
    assert "vs target no target for this week" in text  # targets start in 2026
    assert "No alerts fired this week." in text
    # The Overview's sentence for this week, worked out by hand in tests/browser/test_why.py:
    # LMDI over orders = buyers × revenue per buyer (3 → 3 buyers, ¥66.67 → ¥50.00).
    assert (
        '<p id="mover">Biggest mover: revenue per buyer, -50 of +3 orders vs the previous week. '
        "The product of its drivers leaves +53 unexplained. "
        '<a href="https://northstar.example.com/drivers?metric=orders&amp;from=2020-03-09&amp;'
        'to=2020-03-15&amp;compare=previous&amp;as_of=2020-03-16">Why did it move? →</a></p>'
    ) in built["2020-W11"].html
    assert "Why did it move? https://northstar.example.com/drivers?metric=orders&" in (
        built["2020-W11"].text
    )
    assert "<a href" not in built["W11"].html  # no public URL: no link that leads nowhere


def test_alerts_of_the_weeks_local_days_fired_resolved_and_still_firing(built) -> None:  # type: ignore[no-untyped-def]
    text = pdf_text(built["W11"])
    alerts = text.split("\nAlerts\n", 1)[1]
    fired = alerts.split("Fired this week", 1)[1].split("Resolved this week", 1)[0]
    resolved = alerts.split("Resolved this week", 1)[1].split("Still firing", 1)[0]
    still = alerts.split("Still firing when the week ended", 1)[1]
    assert "No alerts fired this week" not in alerts
    # 00:30 local on Monday 9 March is in the week, though it is 8 March in UTC
    assert "Mon 9 Mar 00:30 conversion_anomaly firing" in fired
    assert "Tue 10 Mar 09:00 nsm_below_target firing" in fired
    assert "aov_drop" not in fired and "refunds_high" not in alerts  # before / after the week
    assert "Thu 12 Mar 09:00 nsm_below_target resolved" in resolved
    assert "conversion_anomaly resolved" in resolved
    assert "Sun 1 Mar 10:00 aov_drop (platform=ios) firing" in still  # the ack changed nothing
    assert "nsm_below_target" not in still


def test_the_pages_as_images_exist(built) -> None:  # type: ignore[no-untyped-def]
    # Every section reached the PDF (nothing cut at a page end): the last one is there whole.
    text = pdf_text(built["W11"])
    assert (
        text.index("Trend: the last 12 weeks") < text.index("Why it moved") < text.index("Alerts")
    )
    assert "Sun 1 Mar 10:00 aov_drop (platform=ios)" in text


# -- weeks --------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "start"),
    [
        ("2026-W48", date(2026, 11, 23)),
        ("2026w48", date(2026, 11, 23)),
        ("2026-W01", date(2025, 12, 29)),  # ISO week 1 starts in the year before
        ("2026-W53", date(2026, 12, 28)),  # 2026 has 53 ISO weeks
        ("2020-W53", date(2020, 12, 28)),
    ],
)
def test_iso_week_labels(text: str, start: date) -> None:
    week = parse_week(text)
    assert (week.start, week.end) == (start, start + timedelta(days=6))
    assert parse_week(week.label) == week


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("2021-W53", "2021 has ISO weeks W01 to W52"),
        ("2026-W00", "2026 has ISO weeks W01 to W53"),
        ("2026-48", "write it as YEAR-Wnn, e.g. 2026-W48"),
        ("W48", "write it as YEAR-Wnn"),
        ("", "write it as YEAR-Wnn"),
        ("0001-W01", "outside 1900..2999"),
    ],
)
def test_bad_week_labels_say_how_to_write_one(text: str, message: str) -> None:
    with pytest.raises(ReportWeekError, match=re.escape(message)):
        parse_week(text)


def test_sunday_weeks_are_named_by_the_iso_week_of_their_monday() -> None:
    week = parse_week("2026-W11", "sunday")
    assert (week.start, week.end) == (date(2026, 3, 8), date(2026, 3, 14))
    assert week.label == "2026-W11" and week_of(date(2026, 3, 14), "sunday") == week
    assert last_complete_week(date(2026, 3, 15), "sunday") == week


def test_future_and_before_data_weeks_are_refused_with_the_weeks_that_work() -> None:
    today, first = date(2026, 3, 18), date(2020, 3, 2)
    check_reportable(parse_week("2026-W11"), today, first)
    check_reportable(parse_week("2020-W10"), today, first)  # holds the first day
    with pytest.raises(
        ReportWeekError, match=r"is not over yet .* latest complete week is 2026-W11"
    ):
        check_reportable(parse_week("2026-W12"), today, first)
    with pytest.raises(ReportWeekError, match="has not started yet"):
        check_reportable(parse_week("2027-W01"), today, first)
    with pytest.raises(ReportWeekError, match="first week with data is 2020-W10"):
        check_reportable(parse_week("2020-W09"), today, first)
    with pytest.raises(ReportWeekError, match="no data yet"):
        check_reportable(parse_week("2026-W11"), today, None)
    # A week ending on the day before today is complete.
    check_reportable(ReportWeek(date(2026, 3, 9)), date(2026, 3, 16), first)


def test_week_bounds_in_utc_follow_the_spec_zone() -> None:
    start, end = parse_week("2026-W11").utc_bounds("Asia/Shanghai")
    assert (start.isoformat(), end.isoformat()) == ("2026-03-08T16:00:00", "2026-03-15T16:00:00")


# -- the browser ----------------------------------------------------------------------------


def test_without_chromium_the_error_says_make_browser(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    page = tmp_path / "r.html"
    page.write_text("<p>hi</p>")
    with pytest.raises(BrowserMissingError, match="make browser"):
        print_pdf(page, tmp_path / "r.pdf", browser=tmp_path / "no-chromium")
    monkeypatch.delenv("BROWSER_PATH", raising=False)
    monkeypatch.setenv("PATH", str(tmp_path))
    with pytest.raises(BrowserMissingError, match=r"run `make browser`"):
        find_chromium()
    assert not (tmp_path / "r.pdf").exists()
