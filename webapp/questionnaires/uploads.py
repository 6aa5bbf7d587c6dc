"""Reading an uploaded questionnaire file: a JSON document or an XLSForm spreadsheet.

Pure: bytes in, a document (or a refusal with a code the builder turns into words) out. A
refused file changes nothing; a readable one becomes a draft, problems and all, so the
administrator sees each problem at its element.
"""

from __future__ import annotations

import json
import math
import re
from typing import Any

from .texts import is_unreadable

#: Every .xlsx (and .docx, .zip …) starts with a ZIP local file header.
ZIP_MAGIC = b"PK\x03\x04"
#: The legacy binary Excel format (OLE2), which is not read: save as .xlsx.
OLE2_MAGIC = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"


#: Deeper than any questionnaire goes (about a dozen levels), and far from where the parser or
#: the checker would run out of stack.
MAX_DEPTH = 64
#: A JSON string (with escapes), a bracket, or a number or constant outside strings.
_TOKEN = re.compile(
    r'"[^"\\]*(?:\\.[^"\\]*)*"|[\[\]{}]|NaN|-?Infinity|-?\d+(?:\.\d+)?(?:[eE][-+]?\d+)?',
    re.DOTALL,
)


class UploadRefused(Exception):
    """The file cannot be read as a questionnaire; ``code`` says why, ``params`` where."""

    def __init__(self, code: str, **params: Any) -> None:
        super().__init__(code)
        self.code = code
        self.params = params


def kind_of(data: bytes) -> str:
    """Return ``xlsx`` for a spreadsheet (ZIP), ``xls`` for the old binary format, else ``json``."""
    if data.startswith(ZIP_MAGIC):
        return "xlsx"
    if data.startswith(OLE2_MAGIC):
        return "xls"
    return "json"


def parse_json(text: str) -> Any:
    """Return the JSON value in ``text``, or raise ``UploadRefused("json", line=, column=)``
    where it is not standard JSON. That includes NaN, Infinity and a number too large to hold,
    which Python's parser takes but the database's JSON column and the browser do not, and
    nesting deeper than :data:`MAX_DEPTH`, and a NUL or a lone surrogate spelled as an escape
    (``\\u0000``, ``\\ud800``). One flat scan finds those before anything recurses.
    """
    depth = 0
    for match in _TOKEN.finditer(text):
        token = match.group()
        if token in "[{":
            depth += 1
            if depth > MAX_DEPTH:
                raise _refused_at(text, match.start())
        elif token in "]}":
            depth -= 1
        elif token[0] == '"':
            # An escape can spell a NUL or half of a UTF-16 pair (\\ud800): Python reads
            # it, but PostgreSQL cannot store it and UTF-8 cannot encode it.
            if "\\u" in token and _unreadable_string(token):
                raise _refused_at(text, match.start())
        elif not math.isfinite(float(token)):
            raise _refused_at(text, match.start())
    try:
        return json.loads(text)
    except json.JSONDecodeError as exc:
        raise UploadRefused("json", line=exc.lineno, column=exc.colno) from exc


def _unreadable_string(token: str) -> bool:
    try:
        return is_unreadable(json.loads(token))
    except json.JSONDecodeError:
        return False  # a broken escape: the whole parse below says where


def _refused_at(text: str, position: int) -> UploadRefused:
    line = text.count("\n", 0, position) + 1
    return UploadRefused("json", line=line, column=position - text.rfind("\n", 0, position))


def read_json_document(data: bytes, max_bytes: int) -> dict[str, Any]:
    """Return the questionnaire document in ``data``, or refuse the file with a reason."""
    if not data.strip():
        raise UploadRefused("empty")
    if len(data) > max_bytes * 2:  # indentation allowed for; the draft limit is checked after
        raise UploadRefused("too_large")
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise UploadRefused("encoding") from exc
    document = parse_json(text)
    if not isinstance(document, dict):
        raise UploadRefused("json_object")
    if not isinstance(document.get("ui"), dict) or not isinstance(document.get("schema"), dict):
        raise UploadRefused("not_questionnaire")
    return document
