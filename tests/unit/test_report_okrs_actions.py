"""The weekly report's OKR status and open review actions, on the fixture shop with
tests/fixtures/okrs.yml beside its metrics.yml: each objective's score, colour and status as of
the Monday after the week against pandas written by hand (tests/unit/test_okr_slide.py), the
actions still open from the reviews up to the week (written through reviews' own functions) with
owner, due day, overdue mark and review link, and built files that do not outlive a new
check-in, review or action (report.state)."""

from __future__ import annotations

import shutil
from collections.abc import Iterator
from datetime import date, datetime

import pytest
from browser.fixture_shop import SPEC
from pypdf import PdfReader
from review_support import snapshot_service
from test_okr_slide import hand_board

from appdb import AppDb
from metric_layer.loader import load_spec
from okrs.spec import load_okrs
from okrs.store import add_check_in
from report.build import BuiltReport
from report.offline import offline_serving
from report.runs import build_week
from reviews import IsoWeek, add_action, set_action_done, start_review
from settings import Settings
from tests.report_support import report_project

pytestmark = pytest.mark.timeout(300)
URL = "https://northstar.example.com"
SUNDAY = date(2026, 3, 15)  # W11's last day: its report is as of Monday 16 March


@pytest.fixture(scope="module")
def project(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[Settings, AppDb]]:
    folder = tmp_path_factory.mktemp("report-okrs")
    settings = report_project(folder)
    shutil.copyfile(SPEC.parent / "okrs.yml", folder / "okrs.yml")
    db = AppDb(settings.app_db)
    yield settings, db
    db.close()


def build(settings: Settings, db: AppDb, week: str | None = None, pdf: bool = False, url: str = ""):  # type: ignore[no-untyped-def]
    from dataclasses import replace

    settings = replace(settings, public_url=url)
    with offline_serving(settings) as serving:
        return build_week(settings, serving, week, db, pdf=pdf)


def pdf_text(report: BuiltReport) -> str:
    assert report.pdf_path is not None
    return "\n".join(page.extract_text() for page in PdfReader(report.pdf_path).pages)


def okr_rows(hand: dict) -> list[str]:
    """The HTML rows' score, colour and status cells the hand numbers call for."""
    return [
        f'<td class="num">{score}</td><td class="okr-{colour}">{colour}</td>'
        f'<td class="{status.replace(" ", "-")}">{status}</td>'
        for score, colour, status in hand.values()
    ]


def check_in_partners(db: AppDb, value: float, at: datetime) -> None:
    objective, kr = load_okrs(SPEC, load_spec(SPEC, None)).key_result("win_ios.partners")
    with db.session() as session:
        add_check_in(session, objective, kr, who="mia", at=at, value=value)


def test_okr_status_and_open_actions_with_their_numbers(project) -> None:  # type: ignore[no-untyped-def]
    settings, db = project
    hand = hand_board(last=SUNDAY)  # data through Sunday 15 March (day 74 of 90)
    first = build(settings, db, pdf=True)
    assert first.week.label == "2026-W11"
    html = first.html
    section = html.split("<h2>OKRs</h2>", 1)[1].split("</section>", 1)[0]
    assert "2026-Q1, day 74 of 90, data through 15 Mar 2026" in section
    for row, title in zip(okr_rows(hand), ("Make buying", "Win the iPhone", "Bigger"), strict=True):
        assert row in section.split(title, 1)[1].split("</tr>", 1)[0], (title, hand)
    assert "1 of 2 key results have no value yet (left out of the mean)" in section
    assert "<h2>Open actions</h2>" not in html  # no review recorded yet: no section
    text = pdf_text(first)
    assert text.index("Alerts") < text.index("OKRs") < text.rindex("Make buying a weekly habit")
    for (score, colour, status), title in zip(
        hand.values(), ("Make buying a weekly habit", "Win the iPhone shoppers", "Bigger baskets"),
        strict=True,
    ):  # fmt: skip
        row = text.split(title, 1)[1][:150]  # a wrapped note may come between
        assert f"{score} {colour} {status}" in row, (title, row)

    # a check-in on the manual key result: the cached files must not hide it
    check_in_partners(db, 3, datetime(2026, 3, 10, 2))  # Tue 10 Mar 10:00 in Shanghai
    again = build(settings, db, pdf=True)
    assert not again.cached
    changed = hand_board(partners=3, partners_day=date(2026, 3, 10), last=SUNDAY)
    assert changed["win_ios"] != hand["win_ios"]
    win = again.html.split("Win the iPhone", 1)[1].split("</tr>", 1)[0]
    assert okr_rows(changed)[1] in win
    score, colour, status = changed["win_ios"]
    assert (
        f"{score} {colour} {status}" in pdf_text(again).split("Win the iPhone shoppers", 1)[1][:150]
    )
    assert build(settings, db, pdf=True).cached  # nothing new: the files are reused

    # the review record: W09 and W10 reviews with actions, written through reviews' functions
    with snapshot_service(settings.serving_dir) as service:
        for week in ("2026-W09", "2026-W10"):
            start_review(db, IsoWeek.parse(week), service, "ana", datetime(2026, 3, 2, 2))
    w09, w10 = IsoWeek.parse("2026-W09"), IsoWeek.parse("2026-W10")
    now = datetime(2026, 3, 9, 3)
    late = add_action(db, w09, "Call the ten biggest buyers", "ana", date(2026, 3, 13), "ana", now)
    done = add_action(db, w09, "Refund the double charges", "li", date(2026, 3, 6), "ana", now)
    add_action(db, w10, "Fix the iOS checkout", "mia", date(2026, 3, 20), "ana", now)
    add_action(db, w10, "Ask app stores about featuring", "mia", None, "ana", now)
    set_action_done(db, done.id, True, "li", now)

    with_actions = build(settings, db, url=URL + "/")
    assert not with_actions.cached
    actions = with_actions.html.split("<h2>Open actions</h2>", 1)[1].split("</section>", 1)[0]
    assert "Actions of the reviews up to 2026-W10 not done yet, 1 overdue." in actions
    assert f'<a href="{URL}/reviews/2026-W10">Review 2026-W10 →</a>' in actions
    rows = [r.strip() for r in actions.split("<tbody>", 1)[1].split("</tr>")]
    assert rows[0] == (
        "<tr><td>Call the ten biggest buyers</td><td>ana</td>"
        '<td class="overdue">13 Mar 2026 (overdue)</td>'
        f'<td><a href="{URL}/reviews/2026-W09">2026-W09</a></td>'
    )
    assert rows[1] == (
        '<tr><td>Fix the iOS checkout</td><td>mia</td><td class="">20 Mar 2026</td>'
        f'<td><a href="{URL}/reviews/2026-W10">2026-W10</a></td>'
    )
    assert "Ask app stores about featuring" in rows[2] and "no due date" in rows[2]
    assert "Refund the double charges" not in actions  # done
    assert (
        f"Open actions (reviews up to 2026-W10: {URL}/reviews/2026-W10):\n"
        "  Call the ten biggest buyers · ana · due 13 Mar 2026 (overdue) · from review 2026-W09\n"
    ) in with_actions.text
    assert f"{URL}/okrs?quarter=2026-Q1&as_of=2026-03-16" in with_actions.text

    # ticking an action done changes the report too
    set_action_done(db, late.id, True, "ana", datetime(2026, 3, 16, 1))
    ticked = build(settings, db, url=URL + "/")
    assert not ticked.cached
    assert "Call the ten biggest buyers" not in ticked.html
    assert "not done yet." in ticked.html  # none overdue now
    assert build(settings, db, url=URL + "/").cached

    # an earlier week's report lists only the actions of reviews up to that week
    w09_report = build(settings, db, "2026-W09")
    listed = w09_report.html.split("<h2>Open actions</h2>", 1)[1]
    assert "up to 2026-W09" in listed and "Fix the iOS checkout" not in listed
    assert '<p id="no-actions">No open actions.</p>' in listed
    assert "<a href" not in w09_report.html  # no public URL: no link that leads nowhere
