"""The http connector: a JSON API read page by page into Arrow tables.

Pagination styles: page number, offset/limit, cursor token in the body, RFC 8288 Link header.
429 waits for Retry-After; 5xx, timeouts and dropped connections back off exponentially. A page
that is not JSON, or has no list at records_path, fails the endpoint (nothing is committed).
"""

from __future__ import annotations

import json
import time
from collections.abc import Callable, Iterator
from typing import Any
from urllib.parse import urljoin

import pyarrow as pa
import requests

from connectors.config import HttpEndpoint, HttpSource
from connectors.errors import ConnectorError

_FLUSH_ROWS = 50_000  # pages are buffered into chunks of about this many rows


def extract(
    source: HttpSource,
    endpoint: HttpEndpoint,
    previous_cursor: Any,
    *,
    sleep: Callable[[float], None] = time.sleep,
) -> Iterator[pa.Table]:
    """Yield Arrow tables of records; the loader computes the next cursor from cursor_field."""
    client = _Client(source, sleep)
    buffer: list[dict] = []
    for records in _pages(client, source, endpoint, previous_cursor):
        buffer.extend(records)
        if len(buffer) >= _FLUSH_ROWS:
            yield records_to_arrow(buffer)
            buffer = []
    if buffer:
        yield records_to_arrow(buffer)


def _pages(
    client: _Client, source: HttpSource, ep: HttpEndpoint, cursor: Any
) -> Iterator[list[dict]]:
    p = ep.pagination
    params: dict[str, Any] = dict(ep.params)
    if ep.incremental is not None:
        since = cursor if cursor is not None else ep.incremental.initial
        if since is not None:
            params[ep.incremental.param] = (
                since.isoformat() if hasattr(since, "isoformat") else since
            )
    url: str | None = urljoin(source.base_url.rstrip("/") + "/", ep.path.lstrip("/"))
    page, offset, token = p.start_page, 0, None
    for number in range(1, p.max_pages + 1):
        query = dict(params)
        if p.style == "page":
            query[p.page_param] = page
            if p.size_param:
                query[p.size_param] = p.page_size
        elif p.style == "offset":
            query[p.offset_param] = offset
            query[p.limit_param] = p.page_size
        elif p.style == "cursor" and token is not None:
            query[p.cursor_param] = token
        if p.style == "link" and number > 1:
            query = {}  # the next link carries its own query string
        response = client.get(url, query)
        body = _json(response, ep, number)
        records = _records(body, ep, number)
        if records:
            yield records
        if p.style == "none":
            return
        if p.style in ("page", "offset"):
            if len(records) < p.page_size:
                return
            page, offset = page + 1, offset + len(records)
        elif p.style == "cursor":
            token = _dig(body, p.next_cursor_path)
            if token in (None, "") or not records:
                return
        elif p.style == "link":
            url = response.links.get("next", {}).get("url")
            if not url:
                return
    raise ConnectorError(f"{ep.name}: stopped after max_pages={p.max_pages}; raise it if intended")


class _Client:
    def __init__(self, source: HttpSource, sleep: Callable[[float], None]) -> None:
        self.source = source
        self.sleep = sleep
        self.session = requests.Session()
        self.session.headers.update({"Accept": "application/json", **source.headers})
        auth = source.auth
        if auth is not None and auth.type == "bearer":
            self.session.headers["Authorization"] = f"Bearer {auth.token}"
        elif auth is not None and auth.type == "basic":
            self.session.auth = (auth.username or "", auth.password or "")
        elif auth is not None and auth.type == "api_key":
            self.session.headers[auth.header] = auth.value or ""

    def get(self, url: str, params: dict[str, Any]) -> requests.Response:
        s = self.source
        last = ""
        for attempt in range(s.max_retries + 1):
            try:
                response = self.session.get(url, params=params, timeout=s.timeout_seconds)
            except (requests.Timeout, requests.ConnectionError) as exc:
                last = f"{type(exc).__name__}"
                self.sleep(s.backoff_seconds * 2**attempt)
                continue
            if response.status_code == 429:
                last = "429 Too Many Requests"
                self.sleep(
                    min(
                        _retry_after(response, s.backoff_seconds * 2**attempt),
                        s.max_retry_after_seconds,
                    )
                )
                continue
            if response.status_code >= 500:
                last = f"{response.status_code} {response.reason}"
                self.sleep(s.backoff_seconds * 2**attempt)
                continue
            if response.status_code in (401, 403):
                raise ConnectorError(
                    f"GET {url} answered {response.status_code}: check the credentials in the "
                    "environment variables named under `auth:`"
                )
            if response.status_code >= 400:
                raise ConnectorError(f"GET {url} answered {response.status_code} {response.reason}")
            return response
        raise ConnectorError(
            f"GET {url} still failing after {s.max_retries} retries ({last}); "
            "try again later or raise max_retries"
        )


def _retry_after(response: requests.Response, default: float) -> float:
    value = response.headers.get("Retry-After", "")
    try:
        return max(0.0, float(value))
    except ValueError:
        return default  # HTTP-date form: fall back to our own backoff


def _json(response: requests.Response, ep: HttpEndpoint, number: int) -> Any:
    try:
        return response.json()
    except ValueError:
        raise ConnectorError(
            f"{ep.name}: page {number} ({response.url}) is not valid JSON; nothing was loaded"
        ) from None


def _records(body: Any, ep: HttpEndpoint, number: int) -> list[dict]:
    records = _dig(body, ep.records_path) if ep.records_path else body
    if not isinstance(records, list) or not all(isinstance(r, dict) for r in records):
        where = f"at `{ep.records_path}`" if ep.records_path else "as the body"
        raise ConnectorError(
            f"{ep.name}: page {number} has no list of records {where}; check records_path"
        )
    return records


def _dig(body: Any, path: str) -> Any:
    for part in path.split("."):
        if not isinstance(body, dict):
            return None
        body = body.get(part)
    return body


def records_to_arrow(records: list[dict]) -> pa.Table:
    """Nested values become JSON text; a column of mixed scalar types becomes text."""
    names: dict[str, None] = {}
    for record in records:
        names.update(dict.fromkeys(record))
    arrays = {}
    for name in names:
        values = [_flat(r.get(name)) for r in records]
        try:
            arrays[name] = pa.array(values)
        except (pa.ArrowInvalid, pa.ArrowTypeError):
            arrays[name] = pa.array([None if v is None else str(v) for v in values], pa.string())
    return pa.table(arrays)


def _flat(value: Any) -> Any:
    return json.dumps(value) if isinstance(value, dict | list) else value
