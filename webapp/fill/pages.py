"""Which pages and questions a response shows, given its answers so far."""

from __future__ import annotations

from typing import Any

from ..questionnaires import (
    AnswerError,
    Definition,
    Section,
    evaluate,
    validate_answers,
    visible_questions,
)


def shown_items(definition: Definition, section: Section, answers: dict[str, Any]) -> list[str]:
    """Return the section's visible items (questions and info blocks), in order."""
    visible = visible_questions(definition, answers)
    if section.visible_if and not _section_visible(definition, section, answers, visible):
        return []
    return [i for i in section.items if i in visible or i in definition.info]


def shown_questions(definition: Definition, section: Section, answers: dict[str, Any]) -> list[str]:
    return [i for i in shown_items(definition, section, answers) if i in definition.questions]


def _section_visible(
    definition: Definition, section: Section, answers: dict[str, Any], visible: set[str]
) -> bool:
    effective = {k: v for k, v in answers.items() if k in visible}
    return evaluate(section.visible_if, effective)


def page_numbers(definition: Definition, answers: dict[str, Any]) -> list[int]:
    """Return the 1-based numbers of the pages shown for these answers."""
    return [
        section.index + 1
        for section in definition.sections
        if shown_items(definition, section, answers)
    ]


def neighbour(definition: Definition, answers: dict[str, Any], page: int, step: int) -> int | None:
    """Return the shown page before (-1) or after (+1) ``page``, or None at either end."""
    pages = page_numbers(definition, answers)
    later = [p for p in pages if (p - page) * step > 0]
    if not later:
        return None
    return min(later) if step > 0 else max(later)


def refused_on_page(
    definition: Definition, questions: list[str], answers: dict[str, Any]
) -> list[AnswerError]:
    """Return what sending ``answers`` would refuse of the ``questions`` a page shows."""
    return validate_answers(definition, answers, only=questions, complete=True)[1]
