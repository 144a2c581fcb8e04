"""PNG export reuses one running Chromium per process instead of starting one per image."""

from __future__ import annotations

import shutil

import plotly.graph_objects as go
import pytest

from dashboard.png_export import PngExporter

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
