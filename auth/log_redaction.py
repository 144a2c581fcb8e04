"""Keep screen links out of request logs: the development server and gunicorn's access log write
each request's path, and `/screen/<token>` is a key to review mode."""

from __future__ import annotations

import logging
import re

SCREEN_PATH = re.compile(r"/screen/[^\s?\"'/]+")
REQUEST_LOGGERS = ("werkzeug", "gunicorn.access")


class ScreenLinkFilter(logging.Filter):
    def filter(self, record: logging.LogRecord) -> bool:
        message = record.getMessage()
        if "/screen/" in message:
            record.msg, record.args = SCREEN_PATH.sub("/screen/…", message), None
        return True


def redact_screen_links() -> None:
    for name in REQUEST_LOGGERS:
        logger = logging.getLogger(name)
        if not any(isinstance(f, ScreenLinkFilter) for f in logger.filters):
            logger.addFilter(ScreenLinkFilter())
