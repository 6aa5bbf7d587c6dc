"""Refuse input no person can mean, before a view, a parser's recursion or the database sees it.

- NUL characters (PostgreSQL text cannot hold U+0000) and lone surrogates (text that cannot be
  encoded, so the database driver fails on it) anywhere in the path, query, form or JSON body.
- A number in a path (``<int:id>``) larger than a database id can be: the address is not
  found (404), instead of the database driver failing on it.
- JSON bodies are parsed here, once, with limits: nesting depth (checked by a flat scan before
  the parser recurses), number of keys, length of each text, and only standard JSON: no NaN or
  Infinity (a number too large to hold counts as Infinity) and no duplicate keys.

Every refusal is a 400 with a sentence in the reader's language (problem details on the API).
``StrictJSONProvider`` is the app's JSON: inside a request (where Flask hands it the body for
``request.get_json()``, which the guard calls before any view) it parses with these limits,
and it never writes NaN or Infinity out either.
"""

from __future__ import annotations

import json
import math
import re
from typing import Any

from flask import Flask, has_request_context, request
from flask.json.provider import DefaultJSONProvider
from flask_babel import gettext as _
from werkzeug.exceptions import BadRequest
from werkzeug.routing import IntegerConverter

from .questionnaires.texts import is_unreadable

MAX_DEPTH = 32
MAX_KEYS = 5000
MAX_STRING = 50_000

# A JSON string (with escapes) or a bracket: enough to measure nesting without recursing.
_STRING_OR_BRACKET = re.compile(r'"[^"\\]*(?:\\.[^"\\]*)*"|[\[\]{}]', re.DOTALL)


class UnreadableInput(BadRequest):
    """A 400 that says, in the reader's language, what is wrong with the request."""

    def __init__(self, title: str, detail: str) -> None:
        super().__init__(detail)
        self.title, self.detail = title, detail


def _bad_text() -> UnreadableInput:
    return UnreadableInput(
        _("Text that cannot be read"),
        _(
            "What was sent contains characters that are not text (for example a broken "
            "emoji). Nothing was saved. Please type it again."
        ),
    )


def _bad_json(detail: str | None = None) -> UnreadableInput:
    return UnreadableInput(
        _("The body is not valid JSON"),
        detail or _("The body must be standard JSON. Nothing was saved."),
    )


def _check_depth(text: str) -> None:
    depth = 0
    for match in _STRING_OR_BRACKET.finditer(text):
        token = match.group()
        if token in "[{":
            depth += 1
            if depth > MAX_DEPTH:
                raise _bad_json(_("The JSON is nested too deeply. Nothing was saved."))
        elif token in "]}":
            depth -= 1


def _refuse_constant(name: str) -> Any:
    raise _bad_json(_("NaN and Infinity are not numbers in JSON. Nothing was saved."))


def _finite_float(text: str) -> float:
    value = float(text)
    if not math.isfinite(value):
        _refuse_constant(text)
    return value


def _check_values(value: Any, max_string: int = MAX_STRING) -> None:
    """Check every text in a parsed body (depth is bounded, so a flat stack suffices)."""
    stack = [value]
    while stack:
        item = stack.pop()
        if isinstance(item, str):
            if len(item) > max_string:
                raise _bad_json(_("A text in the body is too long. Nothing was saved."))
            if is_unreadable(item):
                raise _bad_text()
        elif isinstance(item, dict):
            stack.extend(item.keys())
            stack.extend(item.values())
        elif isinstance(item, list):
            stack.extend(item)


def parse_json(data: bytes, max_string: int = MAX_STRING) -> Any:
    """Return a JSON body parsed with the limits above; raise ``UnreadableInput`` if bad."""
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError:
        raise _bad_text() from None
    _check_depth(text)
    keys = 0

    def pairs(items: list[tuple[str, Any]]) -> dict[str, Any]:
        nonlocal keys
        keys += len(items)
        if keys > MAX_KEYS:
            raise _bad_json(_("The body has too many fields. Nothing was saved."))
        result = dict(items)
        if len(result) != len(items):
            raise _bad_json(_("A field appears twice in the body. Nothing was saved."))
        return result

    try:
        value = json.loads(
            text,
            object_pairs_hook=pairs,
            parse_constant=_refuse_constant,
            parse_float=_finite_float,
        )
    except (ValueError, RecursionError):
        raise _bad_json() from None
    _check_values(value, max_string)
    return value


class StrictJSONProvider(DefaultJSONProvider):
    """Parse request bodies with the limits above; never write NaN or Infinity.

    Keys are written in the order they have: Flask's default sorts them, which reorders a
    questionnaire document (the order of a group's ``properties`` is the order of its
    questions, so the phone would show a group's questions alphabetically).
    """

    sort_keys = False
    #: Text as UTF-8, not ``\uXXXX`` escapes: a questionnaire in Arabic, Tigrinya or Ukrainian
    #: is 40 % smaller that way before compression and about 7 % after (issue 12), for the
    #: phone's download, its parsing and what IndexedDB keeps. Input with lone surrogates never
    #: gets this far (``is_unreadable`` refuses it), so every text encodes.
    ensure_ascii = False

    def loads(self, s: str | bytes, **kwargs: Any) -> Any:
        if not has_request_context():  # e.g. a test reading a response: not request input
            return super().loads(s, **kwargs)
        data = s.encode("utf-8", "surrogatepass") if isinstance(s, str) else s
        # The builder's JSON view sends a whole questionnaire as one text; its size is limited
        # by the body limit and the builder's own document limit instead.
        limit = len(data) if request.blueprint == "builder" else MAX_STRING
        return parse_json(data, limit)

    def dumps(self, obj: Any, **kwargs: Any) -> str:
        kwargs.setdefault("allow_nan", False)
        return super().dumps(obj, **kwargs)


def _check() -> None:
    if is_unreadable(request.path):
        raise _bad_text()
    for source in (request.args, request.form):
        for key, values in source.lists():
            if is_unreadable(key) or any(is_unreadable(v) for v in values):
                raise _bad_text()
    if request.is_json and request.get_data(cache=True):
        request.get_json()  # parsed once, with limits; views get the cached result


class IdConverter(IntegerConverter):
    """``<int:…>`` in the app's paths: an id, a version or a revision, all integer columns (at
    most 2**31 - 1 in PostgreSQL). Larger numbers do not match the route."""

    def __init__(self, map, fixed_digits=0, min=None, max=2**31 - 1, signed=False) -> None:  # noqa: A002
        super().__init__(map, fixed_digits=fixed_digits, min=min, max=max, signed=signed)


def init_app(app: Flask) -> None:
    # Before any blueprint is registered: a rule takes its converter when it is added.
    app.url_map.converters["int"] = IdConverter
    app.json = StrictJSONProvider(app)
    # Jinja's ``tojson`` keeps the dumps of the provider the app had when its environment was
    # made: without this, the app's strings in /app/ stayed \uXXXX escapes (issue 12). Jinja
    # still escapes <, >, & and ' in what it puts in a page.
    app.jinja_env.policies["json.dumps_function"] = app.json.dumps
    app.before_request(_check)
