"""Logging set-up: never let an invite code (a credential) reach a log line."""

from __future__ import annotations

import logging
import re

_JOIN_PATH = re.compile(r"/join/[^\s?\"']+")


class RedactInviteCodes(logging.Filter):
    """Replace invite codes in request lines (``GET /join/ABCD… HTTP/1.1``) with a marker."""

    def filter(self, record: logging.LogRecord) -> bool:
        message = record.getMessage()
        if "/join/" in message:
            record.msg = _JOIN_PATH.sub("/join/[redacted]", message)
            record.args = ()
        return True


def init_app(app) -> None:
    logging.basicConfig(level=logging.INFO, format="%(levelname)s %(name)s: %(message)s")
    redact = RedactInviteCodes()
    for name in ("werkzeug", "gunicorn.access", "gunicorn.error"):
        logger = logging.getLogger(name)
        if not any(isinstance(f, RedactInviteCodes) for f in logger.filters):
            logger.addFilter(redact)
