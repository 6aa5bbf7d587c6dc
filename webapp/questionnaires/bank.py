"""The question bank: find questions in published documents and copy one into a draft.

Pure. A copied question keeps its texts, options, limits, help, pictograms, resource tags and
its translations into the draft's languages; it gets an id the draft does not use yet. Its
condition is left behind: it names questions of the other questionnaire.
"""

from __future__ import annotations

import copy
from collections.abc import Iterator, Mapping
from typing import Any

from .editing import (
    EditError,
    all_ids,
    question_refs,
    section_index,
    unique_id,
    widget_of,
)
from .pointers import pointer_escape
from .texts import text_pointers


def questions_of(document: Mapping[str, Any]) -> Iterator[tuple[str, str, str]]:
    """Yield ``(id, widget, source title)`` of each top-level question, in page order."""
    properties = (document.get("schema") or {}).get("properties") or {}
    for ref in question_refs(dict(document)):
        if "/" not in ref:
            yield ref, widget_of(dict(document), ref) or "", str(properties[ref].get("title", ""))


def matches(document: Mapping[str, Any], qid: str, words: list[str]) -> bool:
    """Return whether every word is in one of the question's texts, in any language."""
    prefixes = (
        f"/schema/properties/{pointer_escape(qid)}/",
        f"/ui/questions/{pointer_escape(qid)}/",
    )
    texts = [qid] + [t for p, t in text_pointers(document) if p.startswith(prefixes)]
    for entries in (document.get("translations") or {}).values():
        texts += [t for p, t in (entries or {}).items() if p.startswith(prefixes)]
    haystack = " ".join(texts).casefold()
    return all(word.casefold() in haystack for word in words)


def copy_question(draft: dict[str, Any], source: Mapping[str, Any], qid: str, section: str) -> str:
    """Copy question ``qid`` of ``source`` into ``section`` of ``draft``; return its new id."""
    properties = (source.get("schema") or {}).get("properties") or {}
    if qid not in properties:
        raise EditError("no_question", question=qid)
    target = draft["ui"]["sections"][section_index(draft, section)]
    new = unique_id(qid, all_ids(draft))
    draft.setdefault("schema", {}).setdefault("properties", {})[new] = copy.deepcopy(
        properties[qid]
    )
    ui = copy.deepcopy(((source.get("ui") or {}).get("questions") or {}).get(qid) or {})
    ui.pop("visible_if", None)
    if ui:
        draft["ui"].setdefault("questions", {})[new] = ui
    if qid in ((source.get("schema") or {}).get("required") or []):
        draft["schema"].setdefault("required", []).append(new)
    target.setdefault("items", []).append(new)
    moves = {
        f"/schema/properties/{pointer_escape(qid)}": f"/schema/properties/{pointer_escape(new)}",
        f"/ui/questions/{pointer_escape(qid)}": f"/ui/questions/{pointer_escape(new)}",
    }
    languages = set(draft.get("languages") or [])
    for field in ("translations", "translation_sources"):
        for lang, entries in (source.get(field) or {}).items():
            if lang not in languages or not isinstance(entries, dict):
                continue
            for pointer, value in entries.items():
                for old, moved in moves.items():
                    if pointer.startswith(old + "/") and "/visible_if" not in pointer:
                        draft.setdefault(field, {}).setdefault(lang, {})[
                            moved + pointer[len(old) :]
                        ] = value
    return new
