"""PNG of a plotly figure through one Chromium kept running per process (kaleido): the
Explorer's PNG export, the weekly report's chart and the alert email's chart.

`plotly.io.to_image` starts a Chromium for every image (~2.5 s on a quiet machine, 4-9 s on a busy
one) and loads MathJax from a CDN that is unreachable offline. Here one kaleido browser is started
on the first export and reused (~0.2 s per figure), with MathJax off. It runs on its own event-loop
thread; `png()` may be called from any request thread: exports take turns on the one tab, each
bounded by a timeout, and a browser that failed is thrown away and restarted on the next export.
kaleido's own `start_sync_server` is not used: it is not safe for concurrent callers (two threads
may receive each other's image) and waits forever if its browser dies. The loop's own thread also
keeps rendering working when the caller's thread already runs an event loop (a test session's
Playwright, an async server), where `run_until_complete` would raise.
"""

from __future__ import annotations

import asyncio
import atexit
import contextlib
import threading
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    import kaleido

TIMEOUT = 60.0  # seconds for one figure, browser start included: generous for a busy machine


class ExportError(RuntimeError):
    """The image could not be made; the message says what to try."""


class PngExporter:
    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._loop: asyncio.AbstractEventLoop | None = None
        self._browser: kaleido.Kaleido | None = None  # imported on the first export (below)
        self.starts = 0  # browsers started so far (one unless a browser failed)

    def png(self, figure: Any, width: int, height: int) -> bytes:
        """The figure (a plotly Figure or dict) as PNG bytes of width × height pixels.

        A render that fails is tried once more on a new browser: on a busy machine kaleido may
        run its script in the tab's blank page before its own page has loaded ("kaleido_scopes
        is not defined"), and a fresh browser renders. A timeout is not tried again: the
        user has waited long enough, and a stuck machine would make them wait twice."""
        opts = {"format": "png", "width": width, "height": height, "scale": 1}
        with self._lock:
            try:
                try:
                    return self._render_once(figure, opts)
                except TimeoutError:
                    raise
                except Exception:
                    return self._render_once(figure, opts)  # once more, on a new browser
            except Exception as exc:
                raise ExportError(
                    f"could not render the PNG ({type(exc).__name__}: {exc}); try again, "
                    "or use Export CSV"
                ) from exc

    def _render_once(self, figure: Any, opts: dict) -> bytes:
        """One render; a browser that failed it is thrown away (the next starts a new one)."""
        try:
            return self._run(self._render(figure, opts))
        except Exception:
            self._discard()
            raise

    async def _render(self, figure: Any, opts: dict) -> bytes:
        if self._browser is None:
            # kaleido (choreographer, asyncio…) loads on the first export, not in every worker at
            # boot: most workers never export and its modules cost memory in each of them.
            import kaleido

            browser = kaleido.Kaleido(n=1, mathjax=False, timeout=TIMEOUT)
            await browser.open()
            self._browser = browser
            self.starts += 1
        return await self._browser.calc_fig(figure, opts=opts)

    def _run(self, coroutine: Any) -> Any:
        if self._loop is None:
            self._loop = asyncio.new_event_loop()
            threading.Thread(target=self._loop.run_forever, daemon=True, name="png-export").start()
        return asyncio.run_coroutine_threadsafe(coroutine, self._loop).result(TIMEOUT)

    def _discard(self) -> None:
        browser, self._browser = self._browser, None
        if browser is not None and self._loop is not None:
            # A browser that already died has nothing left to close.
            with contextlib.suppress(Exception):
                asyncio.run_coroutine_threadsafe(browser.close(), self._loop).result(10)

    def close(self) -> None:
        with self._lock:
            self._discard()


_exporter = PngExporter()
atexit.register(_exporter.close)


def exporter() -> PngExporter:
    """This process's exporter (its browser is shared by every request thread)."""
    return _exporter


def figure_png(figure: Any, width: int, height: int) -> bytes:
    return _exporter.png(figure, width, height)
