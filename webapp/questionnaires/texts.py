"""Where the human-readable texts of a questionnaire document are."""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import Any

from .pointers import pointer_escape

_SURROGATE = re.compile("[\ud800-\udfff]")


def is_unreadable(text: str) -> bool:
    """Return whether ``text`` has a NUL or a lone surrogate: neither can be stored in
    PostgreSQL nor written as UTF-8 (a JSON text can spell half of a UTF-16 pair as
    ``\\ud800``). Request input (``input_guard``) and questionnaire documents (the checker)
    are both held to it."""
    return "\x00" in text or _SURROGATE.search(text) is not None


_NOT_TEXT = frozenset(
    {"translations", "translation_sources", "visible_if", "resource_tags", "const", "enum",
     "default", "examples"}
)  # fmt: skip
_TEXT_KEYS = frozenset({"title", "description", "help", "placeholder", "min_label", "max_label"})


def _walk(node: Any, pointer: str) -> Iterator[tuple[str, str]]:
    if isinstance(node, dict):
        for key, value in node.items():
            if key in _NOT_TEXT:
                continue
            child = f"{pointer}/{pointer_escape(key)}"
            is_info_text = key == "text" and "/ui/info/" in pointer
            if isinstance(value, str) and (key in _TEXT_KEYS or is_info_text):
                yield child, value
            else:
                yield from _walk(value, child)
    elif isinstance(node, list):
        for index, value in enumerate(node):
            yield from _walk(value, f"{pointer}/{index}")


def text_pointers(document: Any) -> Iterator[tuple[str, str]]:
    """Yield ``(JSON Pointer, source text)`` for every text a translator must translate."""
    yield from _walk(document, "")
