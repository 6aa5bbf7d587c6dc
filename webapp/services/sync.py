"""Store a response sent by a phone: idempotent, version-pinned, merged per question.

The phone names each response by a UUID it made and says which server revision its edits
are based on. Replaying a request stores nothing new and returns the same receipt; different
content under a sent (submitted) response is a conflict; edits based on an older revision are
merged question by question against that revision, and where both sides changed a question
both values are kept for the counsellor.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

import sqlalchemy as sa

from ..extensions import db
from ..models import Participant, Response, ResponseRevision
from ..models.types import utcnow
from ..questionnaires import AnswerError, validate_answers
from ..questionnaires.conditions import is_empty
from . import audit, text_languages
from .questionnaires import find_version


class SyncError(Exception):
    """A request that cannot be stored; ``status`` is the HTTP status to answer with."""

    status = 400

    def __init__(self, code: str, errors: list[AnswerError] | None = None) -> None:
        super().__init__(code)
        self.code = code
        self.errors = errors or []


class NotFound(SyncError):
    status = 404


class Conflict(SyncError):
    status = 409


class Invalid(SyncError):
    status = 422


@dataclass
class Receipt:
    """What the server tells the phone: this id is stored at this revision."""

    id: str
    revision: int
    status: str
    received_at: datetime
    answers: dict[str, Any]
    conflicts: list[str] = field(default_factory=list)
    merged: bool = False
    created: bool = False


@dataclass
class Submission:
    """One response as the phone sends it."""

    id: str
    questionnaire: str
    version: int
    status: str
    answers: dict[str, Any]
    base_revision: int | None = None
    saved_at: datetime | None = None
    #: The language each free-text answer was typed in, by answer pointer (optional).
    text_languages: dict[str, str] | None = None


def fingerprint(submission: Submission) -> str:
    """Identify a request by what it asks for, so a replay is recognised as the same request."""
    canonical = json.dumps(
        [submission.base_revision, submission.status, submission.answers],
        sort_keys=True,
        separators=(",", ":"),
        ensure_ascii=False,
    )
    return hashlib.sha256(canonical.encode()).hexdigest()


def record_revision(response: Response, source: str, fingerprint_: str | None = None) -> None:
    """Keep the response's current answers as its revision ``response.revision``."""
    db.session.add(
        ResponseRevision(
            response=response,
            number=response.revision,
            status=response.status,
            answers=response.answers,
            fingerprint=fingerprint_,
            source=source,
        )
    )


def _receipt(response: Response, revision: ResponseRevision, **extra: Any) -> Receipt:
    return Receipt(
        id=response.id,
        revision=revision.number,
        status=revision.status,
        received_at=revision.received_at,
        answers=revision.answers,
        **extra,
    )


def merge(
    base: dict[str, Any], theirs: dict[str, Any], mine: dict[str, Any]
) -> tuple[dict[str, Any], list[str]]:
    """Merge two edits of ``base`` per question; return the result and the questions both
    sides changed differently (there ``mine``, the later edit, is kept as the answer)."""
    merged: dict[str, Any] = {}
    clashes: list[str] = []
    for key in sorted(set(base) | set(theirs) | set(mine)):
        b, t, m = base.get(key), theirs.get(key), mine.get(key)
        if m == b:
            value = t
        elif t == b or t == m:
            value = m
        else:
            value = m
            clashes.append(key)
        if not is_empty(value):
            merged[key] = value
    return merged, clashes


def _reopened(response: Response) -> bool:
    """A sent response may change again once the counsellor asked for follow-up."""
    return response.review_status == "follow_up"


def apply(participant: Participant, submission: Submission) -> Receipt:
    """Store a submission from ``participant``'s phone and return the receipt.

    Raises NotFound, Conflict or Invalid. Concurrent writers of the same id collide on a
    unique constraint (IntegrityError); the caller rolls back and calls again.
    """
    version = find_version(submission.questionnaire, submission.version)
    if version is None or version.definition.audience != "participant":
        raise NotFound("questionnaire")
    definition = version.definition
    complete = submission.status == "submitted"
    cleaned, errors = validate_answers(definition, submission.answers, complete=False)
    if errors:
        raise Invalid("answers", errors)
    print_ = fingerprint(submission)
    now = utcnow()
    response = db.session.get(Response, submission.id)

    if response is None:
        _cleaned, errors = validate_answers(definition, cleaned, complete=complete)
        if errors:
            raise Invalid("answers", errors)
        response = Response(
            id=submission.id,
            participant=participant,
            version=version,
            status=submission.status,
            answers=cleaned,
            text_languages=text_languages.updated(
                definition, {}, cleaned, {}, participant.language, submission.text_languages
            ),
            revision=1,
            conflicts=[],
            synced_at=now,
            created_at=now,
            updated_at=now,
            submitted_at=now if complete else None,
        )
        db.session.add(response)
        record_revision(response, "sync", print_)
        db.session.flush()
        audit.record(participant, f"response.sync.{submission.status}", f"response:{response.id}")
        return _receipt(response, response.revisions[-1], created=True)

    if response.participant_id != participant.id:
        raise NotFound("response")  # another person's id: as if it did not exist
    if response.version_id != version.id:
        raise Conflict("version")
    replayed = db.session.scalar(
        sa.select(ResponseRevision).where(
            ResponseRevision.response_id == response.id, ResponseRevision.fingerprint == print_
        )
    )
    if replayed is not None:
        return _receipt(response, replayed)
    if not response.revisions:  # made on the server pages before revisions were kept
        record_revision(response, "web")
        db.session.flush()
    current = response.revisions[-1]
    if response.status == "submitted" and not _reopened(response):
        if complete and cleaned == response.answers:
            return _receipt(response, current)
        raise Conflict("submitted")

    base_number = submission.base_revision
    if base_number is not None and base_number > response.revision:
        raise Conflict("revision")
    merged = base_number != response.revision
    conflicts: list[str] = []
    if merged:
        base = db.session.scalar(
            sa.select(ResponseRevision).where(
                ResponseRevision.response_id == response.id,
                ResponseRevision.number == base_number,
            )
        )
        new_answers, conflicts = merge(base.answers if base else {}, response.answers, cleaned)
    else:
        new_answers = cleaned
    new_answers, errors = validate_answers(definition, new_answers, complete=complete)
    if errors:
        raise Invalid("answers", errors)
    if new_answers == response.answers and submission.status == response.status:
        response.synced_at = now
        return _receipt(response, current)
    if conflicts:
        response.conflicts = [
            *response.conflicts,
            *(
                {"question": q, "kept": cleaned.get(q), "other": response.answers.get(q),
                 "revision": response.revision + 1, "at": now.isoformat()}
                for q in conflicts
            ),
        ]  # fmt: skip
    response.text_languages = text_languages.updated(
        definition, response.answers, new_answers, response.text_languages or {},
        participant.language, submission.text_languages,
    )  # fmt: skip
    response.answers = new_answers
    response.status = submission.status
    response.revision += 1
    response.updated_at = now
    response.synced_at = now
    if complete:
        response.submitted_at = now
    record_revision(response, "merge" if merged else "sync", print_)
    db.session.flush()
    if complete:
        audit.record(participant, "response.sync.submitted", f"response:{response.id}")
    return _receipt(response, response.revisions[-1], conflicts=conflicts, merged=merged)
