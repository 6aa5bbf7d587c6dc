"""Logging set-up: never let an invite code or a password link (credentials) reach a log
line."""

from __future__ import annotations

import logging
import re
from collections.abc import Callable

#: Paths that hold a credential: an invite code, a link to set a staff password.
_SECRET_PATHS = ("/join/", "/account/set-password/")
_SECRET_PATH = re.compile(r"(/join/|/account/set-password/)[^\s?\"']+")


class RedactInviteCodes(logging.Filter):
    """Replace invite codes and password links in request lines (``GET /join/ABCD…
    HTTP/1.1``) with a marker."""

    def filter(self, record: logging.LogRecord) -> bool:
        try:
            message = record.getMessage()
        except Exception:  # a bad format: the handler reports it, as it would without us
            return True
        if any(path in message for path in _SECRET_PATHS):
            record.msg = _SECRET_PATH.sub(r"\1[redacted]", message)
            record.args = ()
        return True


def _redacting(make: Callable[..., logging.LogRecord]) -> Callable[..., logging.LogRecord]:
    redact = RedactInviteCodes()

    def make_redacted(*args, **kwargs) -> logging.LogRecord:
        record = make(*args, **kwargs)
        redact.filter(record)
        return record

    make_redacted.redacts_invite_codes = True  # type: ignore[attr-defined]
    return make_redacted


def init_app(app) -> None:
    """Redact every log record as it is made, whichever logger writes it.

    Not a filter on some loggers: a logger's filter sees only the records logged on that very
    logger, not those its children pass up ("webapp.errors" logged ``POST /join/<code>`` of
    every unhandled error); and not a filter on the handlers either, which misses a handler
    added later (gunicorn's, a test's). Every record, of the app and of libraries, is made by
    the record factory.
    """
    logging.basicConfig(level=logging.INFO, format="%(levelname)s %(name)s: %(message)s")
    make = logging.getLogRecordFactory()
    if not getattr(make, "redacts_invite_codes", False):  # once, however many apps are made
        logging.setLogRecordFactory(_redacting(make))
