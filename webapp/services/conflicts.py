"""Sync conflicts as the counsellor sees them: both values, and who wrote each, when. Reads only.

services/revisions.py records a conflict when two writers changed one answer differently
(the later writer's value is kept, the other recorded) and settles one
(:func:`revisions.resolve_conflict`). This module finds, from the response's revisions, who
gave each of the two values and when, so the counsellor can settle it with the participant.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from ..models import Response, ResponseRevision
from .merge import value


@dataclass(frozen=True)
class Writer:
    """Who gave a value: the participant (on the phone or the web pages) or a member of staff."""

    source: str  # "phone" | "web" | "staff"
    name: str
    at: datetime | None
    revision: int | None
    occasion: str | None = None


@dataclass(frozen=True)
class Described:
    """One recorded conflict with its position in ``Response.conflicts`` and both writers."""

    index: int
    question: str
    kept: Any
    other: Any
    kept_by: Writer
    other_by: Writer
    resolved: dict[str, Any] | None
    settled_by: str | None  # the name of the member of staff who settled it


def _writer(response: Response, revision: ResponseRevision | None, fallback: str | None) -> Writer:
    if revision is None:  # the revision is gone (it never is today); say what was recorded
        return Writer(fallback or "phone", response.participant.display_name, None, None)
    name = revision.staff.name if revision.staff else response.participant.display_name
    return Writer(revision.source, name, revision.received_at, revision.number, revision.occasion)


def _who_gave(
    by_number: dict[int, ResponseRevision], question: str, before: int, wanted: Any
) -> ResponseRevision | None:
    """Return the revision that set ``question`` to ``wanted``, looking back from ``before``."""
    found = None
    number = before
    while number in by_number and value(by_number[number].answers, question) == value(
        {question: wanted}, question
    ):
        found = by_number[number]
        number -= 1
    return found


def describe(response: Response) -> list[Described]:
    """Return every recorded conflict of ``response`` (open and settled), oldest first."""
    by_number = {r.number: r for r in response.revisions}
    described = []
    for index, conflict in enumerate(response.conflicts or []):
        question = conflict["question"]
        at = conflict.get("revision") or response.revision
        kept_revision = by_number.get(at)
        other_revision = _who_gave(by_number, question, at - 1, conflict.get("other"))
        resolved = conflict.get("resolved")
        if resolved:
            resolved = {**resolved, "at": datetime.fromisoformat(resolved["at"])}
        settled_by = None
        if resolved:
            settler = by_number.get(resolved.get("revision"))
            settled_by = settler.staff.name if settler and settler.staff else None
        described.append(
            Described(
                index=index,
                question=question,
                kept=conflict.get("kept"),
                other=conflict.get("other"),
                kept_by=_writer(response, kept_revision, conflict.get("kept_by")),
                other_by=_writer(response, other_revision, conflict.get("other_by")),
                resolved=resolved,
                settled_by=settled_by,
            )
        )
    return described
