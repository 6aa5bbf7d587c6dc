"""Visibility conditions: a tiny expression language, mirrored in JavaScript.

The JavaScript twin is ``static/js/engine/conditions.js``.

``{"question": q, "equals"|"in"|"contains"|"answered": …}`` and ``all`` / ``any`` / ``not``.
Both implementations are run against ``tests/shared/conditions_cases.json``.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from .definition import Definition

OPERATORS = ("equals", "in", "contains", "answered")


def is_empty(value: Any) -> bool:
    """Return whether an answer counts as not given."""
    return value is None or value == "" or value == [] or value == {}


def same(a: Any, b: Any) -> bool:
    """Compare like JavaScript's ``===`` on JSON values: ``True`` is not ``1``."""
    if isinstance(a, bool) or isinstance(b, bool):
        return isinstance(a, bool) and isinstance(b, bool) and a == b
    return a == b


def evaluate(condition: Mapping[str, Any], answers: Mapping[str, Any]) -> bool:
    """Return whether ``condition`` holds for ``answers`` (absent keys are unanswered)."""
    if "all" in condition:
        return all(evaluate(c, answers) for c in condition["all"])
    if "any" in condition:
        return any(evaluate(c, answers) for c in condition["any"])
    if "not" in condition:
        return not evaluate(condition["not"], answers)
    value = answers.get(condition["question"])
    if "equals" in condition:
        return same(value, condition["equals"])
    if "in" in condition:
        return any(same(value, v) for v in condition["in"])
    if "contains" in condition:
        return isinstance(value, list) and any(same(v, condition["contains"]) for v in value)
    if "answered" in condition:
        return is_empty(value) != bool(condition["answered"])
    raise ValueError(f"unknown condition {condition!r}")


def referenced_questions(condition: Any) -> Iterator[str]:
    """Yield every question id a condition refers to."""
    if not isinstance(condition, Mapping):
        return
    for key in ("all", "any"):
        if isinstance(condition.get(key), list):
            for inner in condition[key]:
                yield from referenced_questions(inner)
    if "not" in condition:
        yield from referenced_questions(condition["not"])
    if isinstance(condition.get("question"), str):
        yield condition["question"]


def visible_questions(definition: Definition, answers: Mapping[str, Any]) -> set[str]:
    """Return the ids of the top-level questions shown for ``answers``.

    A question is hidden when its own or its section's condition is false. Answers to hidden
    questions count as not given, so hiding cascades along chains of conditions.
    """
    rules = _visibility_rules(definition)
    memo: dict[str, bool] = {}

    def shown(qid: str) -> bool:
        if qid not in memo:
            conditions, refs = rules[qid]
            if not conditions:
                memo[qid] = True
                return True
            memo[qid] = False  # a cycle (rejected by the checker) must not recurse forever
            effective = {ref: answers.get(ref) for ref in refs if shown(ref)}
            memo[qid] = all(evaluate(c, effective) for c in conditions)
        return memo[qid]

    return {qid for qid in definition.questions if shown(qid)}


def _visibility_rules(definition: Definition) -> dict[str, tuple[list[Any], list[str]]]:
    """Each question's conditions (its section's and its own) and the questions they refer
    to, worked out once per Definition (every answer set checked asks)."""
    rules = definition.compiled.get("visibility")
    if rules is None:
        section_condition = {
            qid: section.visible_if for section in definition.sections for qid in section.items
        }
        rules = {}
        for qid, question in definition.questions.items():
            conditions = [c for c in (section_condition.get(qid), question.visible_if) if c]
            refs = dict.fromkeys(
                ref for c in conditions for ref in referenced_questions(c)
                if ref in definition.questions
            )  # fmt: skip
            rules[qid] = (conditions, list(refs))
        definition.compiled["visibility"] = rules
    return rules
