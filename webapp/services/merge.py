"""Three-way merge of answer sets, question by question.

Pure functions, no database: the phone's rebase (``static/js/app/merge.js``) follows the same
rule, and the shared cases in ``tests/shared/merge_cases.json`` hold both to it.

The rule: compare each question's value in ``base`` (what the writer saw), ``theirs`` (what
is stored now) and ``mine`` (what the writer wants). An empty value (``None``, ``""``, ``[]``,
``{}``) is the same as no answer, so a cleared answer is a change like any other.

- changed on one side only: that side's value;
- changed on both sides to the same value: that value;
- changed on both sides differently: a clash; ``mine`` (the later writer) is kept, and the
  caller records both values so nothing is lost.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from ..questionnaires.conditions import is_empty


def value(answers: Mapping[str, Any], key: str) -> Any:
    """Return the answer to ``key``, or None when it is empty or missing."""
    found = answers.get(key)
    return None if is_empty(found) else found


def changed(before: Mapping[str, Any], after: Mapping[str, Any]) -> list[str]:
    """Return the questions whose answer differs between two answer sets (sorted)."""
    return sorted(k for k in set(before) | set(after) if value(before, k) != value(after, k))


def merge(
    base: Mapping[str, Any], theirs: Mapping[str, Any], mine: Mapping[str, Any]
) -> tuple[dict[str, Any], list[str]]:
    """Return ``(merged answers, clashes)``; see the module docstring for the rule."""
    merged: dict[str, Any] = {}
    clashes: list[str] = []
    for key in sorted(set(base) | set(theirs) | set(mine)):
        b, t, m = value(base, key), value(theirs, key), value(mine, key)
        if m == b:
            chosen = t
        else:
            chosen = m
            if t != b and t != m:
                clashes.append(key)
        if chosen is not None:
            merged[key] = chosen
    return merged, clashes
