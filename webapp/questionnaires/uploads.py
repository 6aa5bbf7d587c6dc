"""Reading an uploaded questionnaire file: a JSON document or an XLSForm spreadsheet.

Pure: bytes in, a document (or a refusal with a code the builder turns into words) out. A
refused file changes nothing; a readable one becomes a draft, problems and all, so the
administrator sees each problem at its element.
"""

from __future__ import annotations

import json
from typing import Any

#: Every .xlsx (and .docx, .zip …) starts with a ZIP local file header.
ZIP_MAGIC = b"PK\x03\x04"
#: The legacy binary Excel format (OLE2), which is not read: save as .xlsx.
OLE2_MAGIC = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"


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
    try:
        document = json.loads(text)
    except json.JSONDecodeError as exc:
        raise UploadRefused("json", line=exc.lineno, column=exc.colno) from exc
    except RecursionError as exc:
        raise UploadRefused("json", line=1, column=1) from exc
    if not isinstance(document, dict):
        raise UploadRefused("json_object")
    if not isinstance(document.get("ui"), dict) or not isinstance(document.get("schema"), dict):
        raise UploadRefused("not_questionnaire")
    return document
