"""PNG export reuses one running Chromium per process instead of starting one per image."""

from __future__ import annotations

import shutil

import plotly.graph_objects as go
import pytest

from dashboard.png_export import ExportError, PngExporter

pytestmark = pytest.mark.skipif(
    shutil.which("chromium") is None, reason="needs Debian's chromium (make browser)"
)


def test_exports_reuse_one_browser() -> None:
    exporter = PngExporter()
    try:
        for n in range(3):
            figure = go.Figure(go.Scatter(x=[1, 2, 3], y=[n, -n, 2 * n]))
            png = exporter.png(figure, width=640, height=320)
            assert png[:8] == b"\x89PNG\r\n\x1a\n"
            assert int.from_bytes(png[16:20]) == 640  # IHDR width
            assert int.from_bytes(png[20:24]) == 320
        assert exporter.starts == 1
    finally:
        exporter.close()


def test_a_failed_render_is_tried_once_more_on_a_new_browser(monkeypatch) -> None:
    # kaleido on a busy machine: its script runs in the tab's blank page, before its own page
    # loaded ("ReferenceError: kaleido_scopes is not defined"); a new browser renders
    real = PngExporter._render
    calls: list[int] = []

    async def first_fails(self, figure, opts):  # type: ignore[no-untyped-def]
        calls.append(self.starts)
        if len(calls) == 1:
            await real(self, figure, opts)  # the browser starts, then the script fails
            raise RuntimeError("ReferenceError: kaleido_scopes is not defined")
        return await real(self, figure, opts)

    monkeypatch.setattr(PngExporter, "_render", first_fails)
    exporter = PngExporter()
    try:
        png = exporter.png(go.Figure(go.Bar(x=["a"], y=[1])), width=320, height=200)
        assert png[:8] == b"\x89PNG\r\n\x1a\n"
        assert calls == [0, 1] and exporter.starts == 2  # the failed browser was replaced
    finally:
        exporter.close()


def test_a_timeout_is_not_tried_again(monkeypatch) -> None:
    calls: list[int] = []

    async def stuck(self, figure, opts):  # type: ignore[no-untyped-def]
        calls.append(1)
        raise TimeoutError("the browser did not answer")

    monkeypatch.setattr(PngExporter, "_render", stuck)
    exporter = PngExporter()
    try:
        with pytest.raises(
            ExportError, match=r"\(TimeoutError: the browser did not answer\); try again"
        ):
            exporter.png(go.Figure(), width=320, height=200)
        assert calls == [1]
    finally:
        exporter.close()
