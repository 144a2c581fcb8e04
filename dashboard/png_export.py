"""The Explorer's PNG export: this process's one kaleido browser (png_render.py, shared with the
weekly report and the alert emails)."""

from __future__ import annotations

from png_render import ExportError, PngExporter, exporter, figure_png

__all__ = ["ExportError", "PngExporter", "exporter", "figure_png"]
