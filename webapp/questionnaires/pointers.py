"""JSON Pointer (RFC 6901) helpers and local ``$ref`` resolution."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from ..digits import small_int


def pointer_escape(token: str) -> str:
    """Escape one JSON Pointer reference token (RFC 6901)."""
    return token.replace("~", "~0").replace("/", "~1")


def pointer_unescape(token: str) -> str:
    """Undo ``pointer_escape`` for one reference token."""
    return token.replace("~1", "/").replace("~0", "~")


def resolve_pointer(document: Any, pointer: str) -> Any:
    """Return the value at ``pointer`` in ``document``; raise KeyError when there is none."""
    if pointer == "":
        return document
    if not pointer.startswith("/"):
        raise KeyError(pointer)
    node = document
    for raw in pointer[1:].split("/"):
        token = raw.replace("~1", "/").replace("~0", "~")
        if isinstance(node, list):
            index = small_int(token)
            if index is None or index >= len(node):
                raise KeyError(pointer)
            node = node[index]
        elif isinstance(node, dict) and token in node:
            node = node[token]
        else:
            raise KeyError(pointer)
    return node


def deref(root: Mapping[str, Any], schema: Any, pointer: str) -> tuple[Any, str]:
    """Follow local ``$ref``s from ``schema`` at ``pointer``; return the target and its pointer."""
    seen: set[str] = set()
    while isinstance(schema, dict) and isinstance(schema.get("$ref"), str):
        ref = schema["$ref"]
        if not ref.startswith("#") or ref in seen:
            break
        seen.add(ref)
        pointer = "/schema" + ref[1:]
        schema = resolve_pointer(root, pointer)
    return schema, pointer
