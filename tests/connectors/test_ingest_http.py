"""HTTP source against a real local server: each pagination style, retries, auth, bad pages."""

from __future__ import annotations

import json
from datetime import datetime
from urllib.parse import parse_qs

import pytest
from ingest_helpers import query, write_sources
from werkzeug import Request, Response

from connectors import run_ingest
from connectors.config import HttpSource
from connectors.errors import ConnectorError
from connectors.http import extract

PEOPLE = [
    {"id": i, "name": f"p{i}", "updated_at": f"2026-01-{i:02d}T00:00:00"} for i in range(1, 8)
]


def _source(server, pagination: dict, **extra) -> HttpSource:
    return HttpSource.model_validate(
        {
            "kind": "http",
            "name": "api",
            "base_url": server.url_for("/"),
            "backoff_seconds": 0.01,
            "endpoints": [
                {
                    "name": "people",
                    "path": "/people",
                    "records_path": "data",
                    "primary_key": ["id"],
                    "pagination": pagination,
                    **extra,
                }
            ],
        }
    )


def _ids(source: HttpSource, cursor=None) -> list[int]:
    tables = list(extract(source, source.endpoints[0], cursor, sleep=lambda s: None))
    return [r["id"] for t in tables for r in t.to_pylist()]


def _args(request: Request) -> dict[str, str]:
    return {k: v[0] for k, v in parse_qs(request.query_string.decode()).items()}


def test_page_number_pagination(httpserver):
    def handler(request: Request) -> Response:
        args = _args(request)
        page, size = int(args["page"]), int(args["per_page"])
        return Response(json.dumps({"data": PEOPLE[(page - 1) * size : page * size]}))

    httpserver.expect_request("/people").respond_with_handler(handler)
    assert _ids(_source(httpserver, {"style": "page", "page_size": 3})) == list(range(1, 8))


def test_offset_pagination(httpserver):
    def handler(request: Request) -> Response:
        args = _args(request)
        offset, limit = int(args["offset"]), int(args["limit"])
        return Response(json.dumps({"data": PEOPLE[offset : offset + limit]}))

    httpserver.expect_request("/people").respond_with_handler(handler)
    assert _ids(_source(httpserver, {"style": "offset", "page_size": 2})) == list(range(1, 8))


def test_cursor_token_pagination(httpserver):
    def handler(request: Request) -> Response:
        start = int(_args(request).get("after", 0))
        page = PEOPLE[start : start + 3]
        token = str(start + 3) if start + 3 < len(PEOPLE) else None
        return Response(json.dumps({"data": page, "meta": {"next": token}}))

    httpserver.expect_request("/people").respond_with_handler(handler)
    source = _source(
        httpserver, {"style": "cursor", "cursor_param": "after", "next_cursor_path": "meta.next"}
    )
    assert _ids(source) == list(range(1, 8))


def test_link_header_pagination(httpserver):
    def handler(request: Request) -> Response:
        page = int(_args(request).get("p", 1))
        headers = {}
        if page * 3 < len(PEOPLE):
            headers["Link"] = f'<{httpserver.url_for("/people")}?p={page + 1}>; rel="next"'
        return Response(json.dumps({"data": PEOPLE[(page - 1) * 3 : page * 3]}), headers=headers)

    httpserver.expect_request("/people").respond_with_handler(handler)
    assert _ids(_source(httpserver, {"style": "link"})) == list(range(1, 8))


def test_a_next_link_is_followed_as_given_without_the_first_pages_params(httpserver):
    # The next link carries its own query (here the filter too); sending the endpoint's params
    # again would repeat `status` in the query string of every page after the first.
    seen = []

    def handler(request: Request) -> Response:
        seen.append(request.query_string.decode())
        page = int(_args(request).get("p", 1))
        headers = {}
        if page * 3 < len(PEOPLE):
            link = f"{httpserver.url_for('/people')}?status=active&p={page + 1}"
            headers["Link"] = f'<{link}>; rel="next"'
        return Response(json.dumps({"data": PEOPLE[(page - 1) * 3 : page * 3]}), headers=headers)

    httpserver.expect_request("/people").respond_with_handler(handler)
    source = _source(httpserver, {"style": "link"}, params={"status": "active"})
    assert _ids(source) == list(range(1, 8))
    assert seen == ["status=active", "status=active&p=2", "status=active&p=3"]


def test_max_pages_is_the_number_of_pages_read(httpserver):
    def handler(request: Request) -> Response:
        page = int(_args(request)["page"])
        return Response(json.dumps({"data": PEOPLE[(page - 1) * 2 : page * 2]}))

    httpserver.expect_request("/people").respond_with_handler(handler)
    # 7 people in pages of 2: the 4th page is the last (shorter); max_pages 4 reads all of them
    assert _ids(_source(httpserver, {"style": "page", "page_size": 2, "max_pages": 4})) == list(
        range(1, 8)
    )
    with pytest.raises(ConnectorError, match=r"people: stopped after max_pages=3; raise it"):
        _ids(_source(httpserver, {"style": "page", "page_size": 2, "max_pages": 3}))


def test_429_and_503_then_success(httpserver):
    calls = []
    slept = []

    def handler(request: Request) -> Response:
        calls.append(1)
        if len(calls) == 1:
            return Response("slow down", status=429, headers={"Retry-After": "7"})
        if len(calls) == 2:
            return Response("busy", status=503)
        return Response(json.dumps({"data": PEOPLE[:2]}))

    httpserver.expect_request("/people").respond_with_handler(handler)
    source = _source(httpserver, {"style": "none"})
    tables = list(extract(source, source.endpoints[0], None, sleep=slept.append))
    assert [r["id"] for r in tables[0].to_pylist()] == [1, 2]
    assert slept[0] == 7  # honoured Retry-After
    assert slept[1] == pytest.approx(0.02)  # exponential backoff, second attempt


def test_gives_up_after_max_retries(httpserver):
    httpserver.expect_request("/people").respond_with_data("down", status=500)
    source = _source(httpserver, {"style": "none"}, params={})
    source = source.model_copy(update={"max_retries": 2})
    with pytest.raises(ConnectorError, match="after 2 retries"):
        _ids(source)


def test_malformed_page_fails_the_endpoint_and_loads_nothing(httpserver, settings, monkeypatch):
    def handler(request: Request) -> Response:
        page = int(_args(request)["page"])
        if page == 2:
            return Response("<html>oops</html>")
        return Response(json.dumps({"data": PEOPLE[:3]}))

    httpserver.expect_request("/people").respond_with_handler(handler)
    write_sources(
        settings,
        f"""\
sources:
  - name: api
    kind: http
    base_url: {httpserver.url_for("/")}
    endpoints:
      - name: people
        path: /people
        records_path: data
        primary_key: [id]
        pagination: {{style: page, page_size: 3}}
""",
    )
    report = run_ingest(settings)
    assert report.outcomes[0].status == "failed"
    assert "page 2" in report.outcomes[0].error and "not valid JSON" in report.outcomes[0].error
    assert query(
        settings, "SELECT count(*) FROM information_schema.tables WHERE table_name = 'api__people'"
    ) == [(0,)]


def test_auth_and_incremental_since(httpserver, settings):
    seen = []

    def handler(request: Request) -> Response:
        seen.append((request.headers.get("Authorization"), _args(request).get("since")))
        since = _args(request).get("since")
        rows = [p for p in PEOPLE if since is None or p["updated_at"] >= since]
        return Response(json.dumps({"data": rows, "nested": 1}))

    httpserver.expect_request("/people").respond_with_handler(handler)
    write_sources(
        settings,
        f"""\
sources:
  - name: api
    kind: http
    base_url: {httpserver.url_for("/")}
    auth: {{type: bearer, token: "${{API_TOKEN}}"}}
    endpoints:
      - name: people
        path: /people
        records_path: data
        primary_key: [id]
        incremental: {{param: since, cursor_field: updated_at}}
""",
    )
    env = {"API_TOKEN": "tok-123456"}
    assert run_ingest(settings, environ=env).ok
    PEOPLE.append({"id": 8, "name": "p8", "updated_at": "2026-01-08T00:00:00"})
    PEOPLE[6] = {**PEOPLE[6], "name": "renamed"}
    try:
        assert run_ingest(settings, environ=env).ok
    finally:
        PEOPLE.pop()
        PEOPLE[6] = {**PEOPLE[6], "name": "p7"}
    assert seen[0] == ("Bearer tok-123456", None)
    assert seen[1] == ("Bearer tok-123456", "2026-01-07T00:00:00")
    rows = query(settings, "SELECT id, name FROM raw.api__people ORDER BY id")
    assert len(rows) == 8 and rows[6] == (7, "renamed") and rows[7] == (8, "p8")


def test_records_become_arrow_with_nested_json_and_mixed_types():
    from connectors.http import records_to_arrow

    table = records_to_arrow(
        [
            {"id": 1, "tags": ["a", "b"], "meta": {"k": 1}, "code": 7},
            {"id": 2, "extra": True, "code": "B7"},  # a new field; code turns to text
        ]
    )
    assert table.column_names == ["id", "tags", "meta", "code", "extra"]
    assert table.column("tags").to_pylist() == ['["a", "b"]', None]
    assert table.column("code").to_pylist() == ["7", "B7"]
    assert table.column("extra").to_pylist() == [None, True]


class _Recorder:
    """run_ingest's progress: what each table reported."""

    def __init__(self) -> None:
        self.reported: list[tuple[str, str, int]] = []
        self.finished = []

    def table_started(self, source: str, table: str) -> None:
        pass

    def rows(self, source: str, table: str, rows: int, nbytes: int) -> None:
        self.reported.append((source, table, rows))

    def table_finished(self, outcome) -> None:
        self.finished.append(outcome)


API = """\
sources:
  - name: api
    kind: http
    base_url: {url}
    endpoints:
      - name: people
        path: /people
        records_path: data
        primary_key: [id]
"""


def test_an_endpoint_s_rows_are_reported_as_they_load(httpserver, settings):
    httpserver.expect_request("/people").respond_with_json({"data": PEOPLE})
    write_sources(settings, API.format(url=httpserver.url_for("/")))
    progress = _Recorder()
    assert run_ingest(settings, progress=progress).ok
    assert {(s, t) for s, t, _ in progress.reported} == {("api", "people")}
    assert sum(r for _, _, r in progress.reported) == len(PEOPLE)


def test_a_refused_token_fails_the_endpoint_naming_the_auth_settings(httpserver, settings):
    httpserver.expect_request("/people").respond_with_data("no", status=401)
    write_sources(settings, API.format(url=httpserver.url_for("/")))
    progress = _Recorder()
    report = run_ingest(settings, progress=progress)
    (outcome,) = report.outcomes
    assert outcome.status == "failed" and progress.finished == [outcome]
    assert outcome.error.endswith(
        "answered 401: check the credentials in the environment variables named under `auth:`"
    )
    assert 0 <= outcome.seconds < 60  # how long the failed table took, not a clock reading


@pytest.mark.parametrize("base", ["/api/v2", "/api/v2/"])
@pytest.mark.parametrize("path", ["/people", "people"])
def test_the_endpoint_path_is_under_the_base_urls_path(httpserver, base, path):
    # base_url ".../api/v2" or ".../api/v2/", path "/people" or "people": always /api/v2/people
    httpserver.expect_request("/api/v2/people").respond_with_json({"data": PEOPLE[:2]})
    source = _source(httpserver, {"style": "none"})
    source = source.model_copy(
        update={
            "base_url": httpserver.url_for(base),
            "endpoints": [source.endpoints[0].model_copy(update={"path": path})],
        }
    )
    assert _ids(source) == [1, 2]


def test_a_time_cursor_is_sent_in_iso_form(httpserver):
    seen: list[str | None] = []

    def handler(request: Request) -> Response:
        seen.append(_args(request).get("since"))
        return Response(json.dumps({"data": []}))

    httpserver.expect_request("/people").respond_with_handler(handler)
    source = _source(
        httpserver, {"style": "none"}, incremental={"param": "since", "cursor_field": "updated_at"}
    )
    _ids(source, cursor=datetime(2026, 1, 3, 10, 30))
    assert seen == ["2026-01-03T10:30:00"]
