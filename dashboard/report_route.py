"""`/report/<week>.pdf`: the weekly review report as a PDF, linked from the Overview.

Behind the sign-in gate like every route (the gate is a before_request hook of the whole server);
a signed-in account's scope reaches the numbers through serving(), and such a report leaves out
the alerts (report.runs.alerts_for). Built files are kept per (week, snapshot, scope) in the
reports folder, so only the first download of a week after a publish builds it. A week that
cannot be reported is a 404 page saying why; a missing Chromium a 503 saying how to install it.
"""

from __future__ import annotations

import logging
import threading
from collections import defaultdict
from pathlib import Path

from flask import Flask, Response, current_app, send_file

from appdb import AppDb, AppDbError
from appdb.engine import database_url
from auth.login_page import message_page
from dashboard.serving import NoSnapshotError, serving
from metric_layer.errors import QueryError
from report.content import resolve_week
from report.pdf import BrowserMissingError, PdfError
from report.runs import build_of
from settings import Settings
from warehouse.snapshots import SnapshotError

logger = logging.getLogger(__name__)
ENDPOINT = "weekly_report_pdf"
SIGN_IN = "northstar.sign_in"  # auth.principal.EXTENSION: its app database when sign-in is on
DB = "northstar.report_db"
# One build per week at a time in this process: a second click waits and reads the files.
_building: defaultdict[str, threading.Lock] = defaultdict(threading.Lock)
_db_lock = threading.Lock()


def register(server: Flask) -> None:
    server.add_url_rule("/report/<week>.pdf", ENDPOINT, weekly_report_pdf, methods=["GET"])


def report_href(week_label: str) -> str:
    return f"/report/{week_label}.pdf"


def weekly_report_pdf(week: str) -> Response:
    srv = serving()
    try:
        checked = resolve_week(srv, week)
    except (QueryError, ValueError) as exc:  # ReportWeekError, no North Star, a hidden one
        return _page(404, "No report for this week", str(exc))
    except (NoSnapshotError, SnapshotError) as exc:
        return _page(503, "No data to report on", str(exc))
    try:
        with _building[checked.label]:
            built = build_of(srv.settings, srv, checked, _app_db(srv.settings))
    except AppDbError as exc:  # the alerts section cannot be read: no half report is kept
        return _page(503, "Alerts cannot be read", str(exc))
    except BrowserMissingError as exc:
        return _page(503, "The PDF cannot be printed here", str(exc))
    except PdfError as exc:
        logger.error("weekly report %s: %s", checked.label, exc)
        return _page(503, "The PDF could not be printed", str(exc))
    assert built.pdf_path is not None
    return send_file(
        built.pdf_path,
        mimetype="application/pdf",
        download_name=f"northstar-weekly-report-{checked.label}.pdf",
        max_age=0,
    )


def _app_db(settings: Settings) -> AppDb | None:
    """The app database the alerts live in: sign-in's when it is on, else one of this process;
    None when it is a SQLite file that does not exist (no alert was ever recorded: a download
    makes no database, as the pages make none with sign-in off)."""
    extensions = current_app.extensions
    signed = extensions.get(SIGN_IN)
    if signed is not None:
        return signed.db  # type: ignore[no-any-return]
    url = database_url(settings.app_db)
    if url.get_backend_name() == "sqlite" and not Path(url.database or "").is_file():
        return None
    with _db_lock:
        if DB not in extensions:
            db = AppDb(settings.app_db)
            db.upgrade()
            extensions[DB] = db
    return extensions[DB]  # type: ignore[no-any-return]


def _page(status: int, title: str, text: str) -> Response:
    return Response(message_page(title, text), status, mimetype="text/html")
