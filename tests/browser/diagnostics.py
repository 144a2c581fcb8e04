"""What a page showed when a browser test failed: its callbacks, console, errors and a screenshot.

A wait that times out only says "not visible within 60 s". The recorder listens to the page from
the start, and on a failure the report gets a section with every POST /_dash-update-component
(output, status, milliseconds, the start of the answer), any request still unanswered, console
errors, `.ns-error` texts, the start of the page's text and a screenshot in test-output/failures/.
"""

from __future__ import annotations

import json
import re
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

UPDATE_PATH = "/_dash-update-component"
LOG_LINES = 40
ANSWER_CHARS = 300  # enough to see an error state or an empty answer, not a whole figure


@dataclass
class Call:
    output: str
    started: float
    status: int | None = None
    ms: float | None = None
    answer: str = ""


@dataclass
class PageRecorder:
    """Everything the page asked, answered and complained about, in order."""

    calls: list[Call] = field(default_factory=list)
    console: list[str] = field(default_factory=list)
    _open: dict[int, Call] = field(default_factory=dict)

    def attach(self, page: Any) -> None:
        page.on("framenavigated", lambda frame: self._navigated(page, frame))
        page.on("request", self._request)
        page.on("response", self._response)
        page.on("requestfailed", self._failed)
        page.on("console", self._console)
        page.on("pageerror", lambda exc: self.console.append(f"pageerror: {exc}"))

    def _navigated(self, page: Any, frame: Any) -> None:
        if frame == page.main_frame:
            self.calls.append(Call(f"--- page {frame.url}", time.monotonic(), answer="-"))

    def _request(self, request: Any) -> None:
        if urlsplit(request.url).path != UPDATE_PATH:
            return
        try:
            output = json.loads(request.post_data or "{}").get("output", "?")
        except ValueError:
            output = "?"
        call = Call(output, time.monotonic())
        self.calls.append(call)
        self._open[id(request)] = call

    def _response(self, response: Any) -> None:
        call = self._open.pop(id(response.request), None)
        if call is None:
            return
        call.status, call.ms = response.status, (time.monotonic() - call.started) * 1000
        try:
            call.answer = response.text()[:ANSWER_CHARS]
        except Exception as exc:  # the page navigated away before the body was read
            call.answer = f"(body unavailable: {exc})"

    def _failed(self, request: Any) -> None:
        call = self._open.pop(id(request), None)
        if call is not None:
            call.answer = f"(request failed: {request.failure})"

    def _console(self, message: Any) -> None:
        if message.type in ("error", "warning"):
            self.console.append(f"{message.type}: {message.text}")

    def report(self, page: Any, name: str, folder: Path, server_log: Path | None = None) -> str:
        """The failure section: calls, console, what the page shows, the end of the server's log;
        a screenshot into folder."""
        lines = [f"address: {_safe(lambda: page.url)}", "callbacks (output, status, ms, answer):"]
        now = time.monotonic()
        for call in self.calls:
            if call.output.startswith("---"):
                lines.append(f"  {call.output}")
            elif call.status is None and not call.answer:
                waited = (now - call.started) * 1000
                lines.append(f"  {call.output}  NO ANSWER after {waited:.0f} ms")
            else:
                ms = f"{call.ms:.0f}" if call.ms is not None else "-"
                lines.append(f"  {call.output}  {call.status}  {ms}  {call.answer!r}")
        lines.append("console:" + ("" if self.console else " (nothing)"))
        lines += [f"  {text}" for text in self.console]
        errors = _safe(lambda: page.locator(".ns-error").all_inner_texts())
        lines.append(f".ns-error: {errors}")
        loading = _safe(
            lambda: page.evaluate(
                "[...document.querySelectorAll('[data-dash-is-loading=\"true\"]')].map(e => e.id)"
            )
        )
        lines.append(f"still loading: {loading}")
        text = _safe(lambda: page.inner_text("body"))
        lines.append(f"page text: {str(text)[:1500]!r}")
        folder.mkdir(parents=True, exist_ok=True)
        shot = folder / f"{re.sub(r'[^A-Za-z0-9_.-]+', '_', name)}.png"
        _safe(lambda: page.screenshot(path=str(shot), full_page=True))
        lines.append(f"screenshot: {shot}")
        if server_log is not None:
            tail = _safe(lambda: server_log.read_text(errors="replace").splitlines()[-LOG_LINES:])
            lines += ["server log (end):", *[f"  {line}" for line in tail]]
        return "\n".join(lines)


def _safe(read: Any) -> Any:
    """A diagnostic must never hide the failure it describes."""
    try:
        return read()
    except Exception as exc:
        return f"(unavailable: {exc})"
