"""Which answers of an unfinished response fit a newer version of its questionnaire.

Pure. An answer moves when the new version keeps the question's id with a widget whose answers
have the same form, and the new version's rules (options, limits, conditions) accept it; every
other answer stays behind (in the old revision, listed for the counsellor), never dropped.
"""

from __future__ import annotations

import copy
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from .definition import Definition
from .pointers import pointer_unescape
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


def _group_entries(new: Definition, qid: str, value: Any) -> tuple[Any, bool]:
    """A group's entries with only the children ``new`` still has, and whether any went."""
    if new.questions[qid].widget != "group" or not isinstance(value, list):
        return value, False
    keep = {child.id for child in new.questions[qid].children}
    entries = [
        {k: v for k, v in entry.items() if k in keep} if isinstance(entry, dict) else entry
        for entry in value
    ]
    return entries, entries != list(value)


def _entry_child(new: Definition, path: str) -> tuple[str, int, str] | None:
    """``(group, entry, child)`` when an error's path is inside one entry of a group."""
    parts = [pointer_unescape(p) for p in path.split("/")[1:]]
    if len(parts) >= 3 and parts[1].isdigit() and parts[0] in new.questions:
        if new.questions[parts[0]].widget == "group":
            return parts[0], int(parts[1]), parts[2]
    return None


def move(old: Definition, new: Definition, answers: Mapping[str, Any]) -> Move:
    """Return what of ``answers`` (given on ``old``) fits ``new``.

    A group's entries move child by child: a child the new version removed, or whose answer
    it no longer accepts, stays behind, the other children move (the group is listed as left
    behind too, its old answer whole in the old revision)."""
    candidate: dict[str, Any] = {}
    partly: set[str] = set()
    for qid, value in answers.items():
        if _compatible(old, new, qid):
            candidate[qid], trimmed = _group_entries(new, qid, copy.deepcopy(value))
            if trimmed:
                partly.add(qid)
    children = sum(
        len(entry)
        for value in candidate.values()
        if isinstance(value, list)
        for entry in value
        if isinstance(entry, dict)
    )
    for _attempt in range(len(candidate) + children + 1):
        cleaned, errors = validate_answers(new, candidate, complete=False)
        if not errors:
            break
        for error in errors:
            inside = _entry_child(new, error.path)
            entries = candidate.get(inside[0]) if inside else None
            if inside and isinstance(entries, list) and inside[1] < len(entries):
                entry = entries[inside[1]]
                if isinstance(entry, dict) and inside[2] in entry:
                    del entry[inside[2]]
                    partly.add(inside[0])
                    continue
            candidate.pop(error.question, None)
    else:  # pragma: no cover - each round removes at least one answer or one child's
        cleaned = {}
    # In the old version's question order: stored answers may come back with sorted keys.
    order = [qid for qid in old.questions if qid in answers]
    order += sorted(qid for qid in answers if qid not in old.questions)
    left_behind = [qid for qid in order if qid not in cleaned or qid in partly]
    new_questions = [qid for qid in new.questions if qid not in old.questions]
    return Move(cleaned, left_behind, new_questions)
