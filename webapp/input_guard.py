"""Refuse NUL characters in any request input, before a view or the database sees them.

PostgreSQL text cannot hold U+0000 and no person types it, so a NUL anywhere in the path,
query, form or JSON body is a broken or hostile client: answer 400 with a clear message.
"""

from __future__ import annotations

from typing import Any

from flask import Flask, request
from werkzeug.exceptions import BadRequest


def _has_nul(value: Any) -> bool:
    if isinstance(value, str):
        return "\x00" in value
    if isinstance(value, dict):
        return any(_has_nul(k) or _has_nul(v) for k, v in value.items())
    if isinstance(value, list):
        return any(_has_nul(v) for v in value)
    return False


def _check() -> None:
    if "\x00" in request.path:
        raise BadRequest()
    for source in (request.args, request.form):
        for key, values in source.lists():
            if _has_nul(key) or _has_nul(values):
                raise BadRequest()
    if request.is_json and _has_nul(request.get_json(silent=True)):
        raise BadRequest()


def init_app(app: Flask) -> None:
    app.before_request(_check)
