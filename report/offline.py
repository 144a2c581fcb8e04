"""The served snapshot for a command or a scheduled job: the same Serving the web app reads
(the newest published snapshot, read-only, its spec), without a web request around it."""

from __future__ import annotations

import warnings
from collections.abc import Iterator
from contextlib import contextmanager

from flask import Flask

from dashboard.result_cache import make_cache
from dashboard.serving import Serving
from settings import Settings


@contextmanager
def offline_serving(settings: Settings) -> Iterator[Serving]:
    """A Serving of `settings`, closed when the block ends. Its result cache is a null cache bound
    to a bare Flask app whose context is open for the block (the cache looks its backend up
    there); a report asks each question once, so there is nothing to keep."""
    server = Flask("northstar-report")
    with warnings.catch_warnings():  # "caching is effectively disabled": meant
        warnings.simplefilter("ignore", UserWarning)
        cache = make_cache(server, "null", {"CACHE_TYPE": "NullCache"})
    serving = Serving(settings, cache, warm=False)
    try:
        with server.app_context():
            yield serving
    finally:
        serving.close()
