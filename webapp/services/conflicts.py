"""Sync conflicts as the counsellor sees them: both values, and who wrote each, when.

services/revisions.py records a conflict when two writers changed one answer differently
(the later writer's value is kept, the other recorded) and settles one
(:func:`revisions.resolve_conflict`). This module finds, from the response's revisions, who
gave each of the two values and when, and on which version of the questionnaire, so the
counsellor can settle it with the participant.

One conflict cannot be settled by keeping a value: when neither value fits the version the
response is on now (it moved to a newer version that removed the question, or changed it so
that neither answer is accepted). :func:`close` settles it by acknowledging that, as a
revision written through :func:`revisions.settle` that changes no answer; the answers
themselves stay in the older revisions (and under *Answers left on an earlier version*).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from ..models import Response, ResponseRevision
from ..questionnaires import validate_answers
from ..questionnaires.conditions import is_empty
from . import revisions
from .merge import value

#: ``resolved["keep"]`` of a conflict closed because neither value can be kept any more.
NEITHER = "neither"


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
    #: The questionnaire version the two values were given on (None: not known).
    version_id: int | None = None
    #: Open, and neither value fits the response's version now: it can only be closed.
    closable: bool = False


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
                version_id=kept_revision.version_id if kept_revision else None,
                closable=not resolved and not _keepable(response, conflict),
            )
        )
    return described


def _fits(response: Response, question: str, chosen: Any) -> bool:
    """Would keeping ``chosen`` be accepted by the response's version now? The same check as
    :func:`revisions.resolve_conflict`'s write: the answers with this one value kept."""
    answers = dict(response.answers)
    if is_empty(chosen):
        answers.pop(question, None)
    else:
        answers[question] = chosen
    _cleaned, errors = validate_answers(
        response.version.definition, answers, complete=response.status == "submitted"
    )
    return not errors


def _keepable(response: Response, conflict: dict[str, Any]) -> bool:
    """Can one of the conflict's two values still be kept?"""
    question = conflict["question"]
    return any(_fits(response, question, conflict.get(side)) for side in ("kept", "other"))


def close(
    response: Response, author: revisions.Author, *, index: int, question: str, seen: int
) -> revisions.Receipt:
    """Settle conflict ``index`` of ``response`` when neither of its values can be kept any more
    (see the module's text), by acknowledging it: recorded like a settlement (who, when, the
    revision; ``keep`` is NEITHER) in a revision that changes no answer.

    The refusals are :func:`revisions.resolve_conflict`'s: an unknown conflict (NotFound), one
    settled already (Conflict ``resolved``), a page older than the response (Conflict
    ``stale``), and a conflict one of whose values can still be kept (Invalid ``choice``: keep
    one of them instead).
    """
    conflicts, conflict = revisions.open_conflict(
        response, index=index, question=question, seen=seen
    )
    if _keepable(response, conflict):
        raise revisions.Invalid("choice")
    return revisions.settle(
        response, author, conflicts, conflict, keep=NEITHER, answers=dict(response.answers)
    )
