"""Which answers of an unfinished response fit a newer version of its questionnaire.

Pure. An answer moves when the new version keeps the question's id with a widget whose answers
have the same form, and the new version's rules (options, limits, conditions) accept it; every
other answer stays behind (in the old revision, listed for the counsellor), never dropped.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from .definition import Definition
from .validate import validate_answers

#: Widgets whose answers have the same form, so changing between them keeps old answers valid.
ANSWER_KINDS = {
    "text": "text",
    "textarea": "text",
    "country": "text",
    "language": "text",
}


def answer_kind(widget: str | None) -> str:
    return ANSWER_KINDS.get(widget or "?", widget or "?")


@dataclass(frozen=True)
class Move:
    """The answers that fit the new version, those left behind, and the new version's new
    questions (ids the old version did not have), in page order."""

    answers: dict[str, Any]
    left_behind: list[str]
    new_questions: list[str]


def _compatible(old: Definition, new: Definition, qid: str) -> bool:
    if qid not in old.questions or qid not in new.questions:
        return False
    before, after = old.questions[qid], new.questions[qid]
    if answer_kind(before.widget) != answer_kind(after.widget):
        return False
    if after.widget == "group":  # every child kept must keep the form of its answers
        children = {c.id: c for c in before.children}
        return all(
            answer_kind(children[c.id].widget) == answer_kind(c.widget)
            for c in after.children
            if c.id in children
        )
    return True


def move(old: Definition, new: Definition, answers: Mapping[str, Any]) -> Move:
    """Return what of ``answers`` (given on ``old``) fits ``new``."""
    candidate = {k: v for k, v in answers.items() if _compatible(old, new, k)}
    for _attempt in range(len(candidate) + 1):
        cleaned, errors = validate_answers(new, candidate, complete=False)
        failing = {error.question for error in errors}
        if not failing:
            break
        candidate = {k: v for k, v in candidate.items() if k not in failing}
    else:  # pragma: no cover - each round removes at least one answer
        cleaned = {}
    # In the old version's question order: stored answers may come back with sorted keys.
    order = [qid for qid in old.questions if qid in answers]
    order += sorted(qid for qid in answers if qid not in old.questions)
    left_behind = [qid for qid in order if qid not in cleaned]
    new_questions = [qid for qid in new.questions if qid not in old.questions]
    return Move(cleaned, left_behind, new_questions)
