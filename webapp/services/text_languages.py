"""Remember which language each free-text answer was written in."""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from typing import Any

from ..questionnaires import Definition

FREE_TEXT = ("text", "textarea")


def _text_answers(definition: Definition, answers: Mapping[str, Any]) -> Iterator[tuple[str, str]]:
    """Yield ``(JSON Pointer, text)`` for every free-text answer, inside groups too."""
    for qid, question in definition.questions.items():
        value = answers.get(qid)
        if question.widget in FREE_TEXT and isinstance(value, str):
            yield f"/{qid}", value
        elif question.widget == "group" and isinstance(value, list):
            for index, item in enumerate(value):
                if not isinstance(item, dict):
                    continue
                for child in question.children:
                    text = item.get(child.id)
                    if child.widget in FREE_TEXT and isinstance(text, str):
                        yield f"/{qid}/{index}/{child.id}", text


def updated(
    definition: Definition,
    before: Mapping[str, Any],
    after: Mapping[str, Any],
    known: Mapping[str, str],
    lang: str,
    given: Mapping[str, str] | None = None,
) -> dict[str, str]:
    """Return the languages of ``after``'s free-text answers.

    An answer that did not change keeps its recorded language; a new or changed one takes the
    language the phone says it was typed in (``given``), or else ``lang``, the interface
    language in use.
    """
    old = dict(_text_answers(definition, before))
    result = {}
    for pointer, text in _text_answers(definition, after):
        if old.get(pointer) == text and pointer in known:
            result[pointer] = known[pointer]
        else:
            result[pointer] = (given or {}).get(pointer) or lang
    return result
