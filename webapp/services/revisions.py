"""The one door for a response's answers and status: every write goes through here.

Phone sync (services/sync.py), the server pages and staff (services/responses.py) all call
:func:`create` or :func:`write`; nothing else assigns ``Response.answers`` or
``Response.status``. The rules, in one place:

1. The writer says which revision it saw (``base``). An unknown or missing base for an existing
   response is never merged against nothing: it is refused with the current state (409), and
   the writer rebases.
2. A base equal to the current revision is a plain update; an older base is merged question by
   question (services/merge.py), and a question both sides changed differently is kept both:
   the writer's value wins, the other is recorded as a conflict for the counsellor.
3. A sent (submitted) response changes only when staff reopen it for follow-up.
4. Every change records one revision (who, when, which base, merged or not, and for staff
   the occasion: a meeting with the participant, a conflict settled); a write that changes
   nothing records nothing, except a phone request naming its device and sequence, and a
   settled conflict (the decision itself is worth a revision).
5. Two writers can never both store revision n+1: ``Response.revision`` is an optimistic-lock
   column (UPDATE … WHERE revision = :seen), and :func:`retrying` runs the whole write again
   on fresh state when another writer got there first.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any, TypeVar

import sqlalchemy as sa
from sqlalchemy.exc import IntegrityError, OperationalError
from sqlalchemy.orm.exc import StaleDataError

from ..extensions import db
from ..models import (
    AuditEvent,
    Participant,
    QuestionnaireVersion,
    Response,
    ResponseRevision,
    StaffUser,
)
from ..models.types import utcnow
from ..questionnaires import AnswerError, Definition, moving, validate_answers
from ..questionnaires.conditions import is_empty
from ..questionnaires.validate import without_legacy
from . import audit, notifications, rows, text_languages
from .merge import merge

log = logging.getLogger(__name__)


class WriteError(Exception):
    """A write that cannot be stored; ``status`` is the matching HTTP status."""

    status = 400

    def __init__(
        self,
        code: str,
        errors: list[AnswerError] | None = None,
        current: Response | None = None,
    ) -> None:
        super().__init__(code)
        self.code = code
        self.errors = errors or []
        #: For a conflict: the response as stored now, so the writer can rebase onto it.
        self.current = current


class NotFound(WriteError):
    status = 404


class Conflict(WriteError):
    status = 409


class Invalid(WriteError):
    status = 422


@dataclass(frozen=True)
class Author:
    """Who writes: the participant's phone or web pages, or a member of staff."""

    source: str  # "phone" | "web" | "staff"
    actor: Participant | StaffUser
    device: str | None = None
    sequence: int | None = None
    #: For staff: "meeting" (answers given with the participant) or "resolution" (a conflict
    #: settled); see models.REVISION_OCCASIONS.
    occasion: str | None = None

    @property
    def staff(self) -> StaffUser | None:
        return self.actor if isinstance(self.actor, StaffUser) else None


@dataclass
class Receipt:
    """What the writer is told: this response is stored at this revision, with these answers."""

    id: str
    revision: int
    status: str
    received_at: datetime
    answers: dict[str, Any]
    conflicts: list[str] = field(default_factory=list)
    merged: bool = False
    created: bool = False
    #: The request was older than one already stored from the same phone: nothing changed.
    superseded: bool = False


def receipt_for(response: Response, revision: ResponseRevision, **extra: Any) -> Receipt:
    return Receipt(
        id=response.id,
        revision=revision.number,
        status=revision.status,
        received_at=revision.received_at,
        answers=revision.answers,
        **extra,
    )


def replayed_receipt(response: Response, revision: ResponseRevision) -> Receipt:
    """The receipt of a request stored before, as it was first given: whether it was merged,
    and which of its questions clashed (each conflict names the revision it came with)."""
    clashes = [
        c["question"] for c in response.conflicts or [] if c.get("revision") == revision.number
    ]
    return receipt_for(response, revision, merged=revision.merged, conflicts=clashes)


def current_receipt(response: Response, **extra: Any) -> Receipt:
    return receipt_for(response, revision_of(response, response.revision), **extra)


def revision_of(response: Response, number: int | None) -> ResponseRevision | None:
    """Return revision ``number`` of ``response``, or None if it does not exist."""
    if number is None:
        return None
    return db.session.scalar(
        sa.select(ResponseRevision).where(
            ResponseRevision.response_id == response.id, ResponseRevision.number == number
        )
    )


#: The participant's last sync is kept to the minute (the caseload shows and sorts by it): a
#: phone sending answer after answer does not rewrite the participant's row and its two
#: indexes each time, nor make its sends wait on one another for that row's lock.
LAST_SYNC_EVERY = timedelta(minutes=1)


def note_last_sync(participant: Participant, now: datetime) -> None:
    """Note that the participant's phone synced now, to the minute (LAST_SYNC_EVERY)."""
    last = participant.last_synced_at
    if last is None or now - last >= LAST_SYNC_EVERY or now < last:
        participant.last_synced_at = now


def _synced(response: Response, now) -> None:
    """Note that a phone stored this response now (and so the participant's last sync)."""
    response.synced_at = now
    note_last_sync(response.participant, now)


def _record(*args: Any, **kwargs: Any) -> None:
    """Write a revision (the row ``_revision_row`` makes of the same arguments) as a plain
    INSERT: every sync writes one, and nothing reads it back as an object in the same request
    (a unit-of-work flush of it cost more than validating the answers)."""
    rows.insert_each([(ResponseRevision.__table__, _revision_row(*args, **kwargs))])


def _sent(
    author: Author, answers: Mapping[str, Any], stored: dict[str, Any], merged: bool = False
) -> dict[str, Any] | None:
    """What a phone sent, kept beside what was stored when the two differ (merged, trimmed,
    hidden answers dropped): its next write after a lost reply is merged against what it sent
    then (services/sync.py), or a text it left as it was would read as a change, and an answer
    to a hidden question it still holds would come back."""
    if author.source != "phone" or author.sequence is None:
        return None
    return dict(answers) if merged or dict(answers) != stored else None


def _revision_row(
    response_id: str,
    number: int,
    version_id: int,
    status: str,
    answers: dict[str, Any],
    at: datetime,
    author: Author,
    base: int | None,
    merged: bool,
    fingerprint: str | None,
    sent_answers: dict[str, Any] | None = None,
) -> dict[str, Any]:
    """The row of revision ``number`` of a response."""
    staff = author.staff
    return {
        "response_id": response_id, "number": number, "version_id": version_id,
        "status": status, "answers": answers, "fingerprint": fingerprint,
        "source": author.source, "staff_id": staff.id if staff is not None else None,
        "occasion": author.occasion, "base_number": base, "merged": merged,
        "device": author.device, "sequence": author.sequence, "sent_answers": sent_answers,
        "received_at": at,
    }  # fmt: skip


def create(
    participant: Participant,
    version: QuestionnaireVersion,
    author: Author,
    *,
    response_id: str,
    answers: Mapping[str, Any] | None = None,
    status: str = "draft",
    lang: str | None = None,
    given_languages: Mapping[str, str] | None = None,
    fingerprint: str | None = None,
) -> Receipt:
    """Start a response and record its revision 1."""
    definition = version.definition
    cleaned, errors = validate_answers(
        definition, dict(answers or {}), complete=status == "submitted"
    )
    if errors:
        raise Invalid("answers", errors)
    now = utcnow()
    first = _first_rows(
        participant, version.id, definition, author, response_id, status, cleaned, now,
        lang, given_languages, fingerprint, _sent(author, answers or {}, cleaned),
    )  # fmt: skip
    rows.insert_each(first)
    _started(participant, author, now, first[-1][1])
    if status == "submitted":
        _audit_submit(response_id, participant, version, author)
    return Receipt(response_id, 1, status, now, cleaned, created=True)


def create_if_allowed(
    participant: Participant,
    version_id: int,
    definition: Definition,
    author: Author,
    allowed: tuple[sa.Select, dict[str, Any]],
    *,
    response_id: str,
    answers: Mapping[str, Any],
    given_languages: Mapping[str, str] | None = None,
    fingerprint: str | None = None,
) -> Receipt | None:
    """Start a draft as ``create`` does, checking in the same statement what ``create``'s
    caller checks first: only if the statement and parameters of ``allowed`` find a row and
    no response has this id. Return None, having written nothing, if not, or if the answers
    are not valid: the caller then takes the usual way, which says why.

    A phone's new response is the commonest write, and its checks were a statement of their
    own before the insert (a round trip on PostgreSQL; issue 12). ``definition`` must be that
    of ``version_id``, which ``allowed`` must check.
    """
    cleaned, errors = validate_answers(definition, dict(answers), complete=False)
    if errors:
        return None
    now = utcnow()
    first = _first_rows(
        participant, version_id, definition, author, response_id, "draft", cleaned, now,
        None, given_languages, fingerprint, _sent(author, answers, cleaned),
    )  # fmt: skip
    statement, params = allowed
    if not rows.insert_each_if(statement, first, params):
        return None
    _started(participant, author, now, first[-1][1])
    return Receipt(response_id, 1, "draft", now, cleaned, created=True)


def _first_rows(
    participant: Participant,
    version_id: int,
    definition: Definition,
    author: Author,
    response_id: str,
    status: str,
    cleaned: dict[str, Any],
    now: datetime,
    lang: str | None,
    given_languages: Mapping[str, str] | None,
    fingerprint: str | None,
    sent_answers: dict[str, Any] | None = None,
) -> list[tuple[sa.Table, dict[str, Any]]]:
    """The rows a new response writes: itself, its revision 1 and the audit event (last,
    logged by ``_started`` once the rows are written)."""
    staff = author.staff if definition.audience == "counsellor" else None
    # Plain rows, like the revision's: a new response from a phone is the commonest write (a
    # unit-of-work flush of the two objects was a quarter of a sync request's time), and on
    # PostgreSQL the three rows go in one statement (services/rows.py). What the caller added
    # before (a new participant) goes to the database first: a plain statement does not
    # flush the session by itself.
    db.session.flush()
    response = {
        "id": response_id, "participant_id": participant.id, "version_id": version_id,
        "author_id": staff.id if staff is not None else None, "status": status,
        "answers": cleaned, "revision": 1, "conflicts": [],
        "text_languages": text_languages.updated(
            definition, {}, cleaned, {}, lang or participant.language, given_languages
        ),
        "version_moves": [], "synced_at": now if author.source == "phone" else None,
        "created_at": now, "updated_at": now,
        "submitted_at": now if status == "submitted" else None,
    }  # fmt: skip
    started = audit.event(
        author.actor, f"response.start.{author.source}", f"response:{response_id}",
        participant.municipality_id,
    )  # fmt: skip
    return [
        (Response.__table__, response),
        (ResponseRevision.__table__, _revision_row(
            response_id, 1, version_id, status, cleaned, now, author, None, False, fingerprint,
            sent_answers,
        )),
        (AuditEvent.__table__, started),
    ]  # fmt: skip


def _started(participant: Participant, author: Author, now: datetime, event: dict) -> None:
    """What follows a new response's rows: the phone's sync noted, the event logged."""
    if author.source == "phone":
        note_last_sync(participant, now)
    audit.log_event(event)


def write(
    response: Response,
    author: Author,
    *,
    base: int | None,
    answers: Mapping[str, Any],
    status: str,
    base_answers: Mapping[str, Any] | None = None,
    only: list[str] | None = None,
    require: bool = False,
    lang: str | None = None,
    given_languages: Mapping[str, str] | None = None,
    fingerprint: str | None = None,
    known_base: ResponseRevision | None = None,
) -> Receipt:
    """Store the answers and status ``author`` wants, as the next revision of ``response``.

    ``answers`` is the writer's whole answer set as it wants it (a cleared answer is absent or
    empty). ``only`` limits validation errors to the questions the writer edited (one server
    page); ``require`` asks for those to be answered even in a draft. ``base_answers`` is what
    the writer held at ``base`` when that differs from the stored revision (a phone that never
    heard back about its own merged write; see services/sync.py); ``known_base``, revision
    ``base`` if the caller has already read it. Raises Conflict (``submitted``, ``revision``)
    or Invalid.
    """
    if status not in ("draft", "submitted"):
        raise Invalid("status")
    closed = response.status == "submitted" and author.source != "staff"
    if closed:
        if status == "submitted" and _same(response, answers):
            return current_receipt(response)  # sent again: already stored exactly so
        raise Conflict("submitted", current=response)
    definition = response.version.definition
    base_revision = _base_of(response, base, known_base)
    seen = base_revision.answers if base_answers is None else base_answers
    stored = without_legacy(definition, response.answers)
    if stored != response.answers:
        # Answers to questions this version does not have, stored before they were refused:
        # they go with this write (the revision history keeps them), with what is sent back
        # of them, so that the response can be saved again.
        answers = without_legacy(definition, answers, response.answers)
        seen = without_legacy(definition, seen)
    if base_revision.number == response.revision and seen == stored:
        new_answers, clashes, merged = dict(answers), [], False
    else:
        new_answers, clashes = merge(seen, stored, answers)
        merged = True
    complete = status == "submitted"
    cleaned, errors = validate_answers(
        definition, new_answers, only=only, complete=complete or require
    )
    if errors:
        raise Invalid("answers", errors)
    # A write that changes nothing records nothing, except a phone request that says which
    # edit it carries: that one is recorded, so a late duplicate of it is known as such.
    counted = (author.source == "phone" and author.sequence is not None) or (
        author.occasion == "resolution"
    )
    if cleaned == response.answers and status == response.status and not counted:
        if author.source == "phone":
            _synced(response, utcnow())
        return current_receipt(response, merged=merged)
    now = utcnow()
    # A clash is judged on the answers as stored: "abc " against "abc" is none, and what is
    # kept is the checked value, never an answer to a hidden question as it was sent.
    clashes = [q for q in clashes if cleaned.get(q) != response.answers.get(q)]
    if clashes:
        response.conflicts = [*(response.conflicts or []), *_conflicts(
            response, clashes, cleaned, author, now
        )]  # fmt: skip
        _tell_counsellor_of_conflict(response, author)
    response.text_languages = text_languages.updated(
        definition, response.answers, cleaned, response.text_languages or {},
        lang or response.participant.language, given_languages,
    )  # fmt: skip
    submitting = complete and response.status == "draft"
    reopening = not complete and response.status == "submitted"
    response.answers = cleaned
    response.status = status
    response.revision = response.revision + 1
    response.updated_at = now
    if author.source == "phone":
        _synced(response, now)
    if submitting:
        response.submitted_at = now
    _record(
        response.id, response.revision, response.version_id, status, cleaned, now, author,
        base_revision.number, merged, fingerprint,
        sent_answers=_sent(author, answers, cleaned, merged),
    )  # fmt: skip
    db.session.flush()  # the optimistic lock: another writer's revision n+1 fails this one here
    if submitting:
        _audit_submit(response.id, response.participant, response.version, author)
    if reopening:
        audit.record(author.actor, "response.reopen", f"response:{response.id}")
    return Receipt(
        response.id, response.revision, status, now, cleaned, conflicts=clashes, merged=merged
    )


#: What a counsellor may keep of a conflict: the value that was kept, or the other one.
CONFLICT_CHOICES = ("kept", "other")


def resolve_conflict(
    response: Response, author: Author, *, index: int, question: str, keep: str, seen: int
) -> Receipt:
    """Settle conflict ``index`` of ``response`` by keeping one of its two values.

    ``seen`` is the revision the counsellor's page showed: the decision was made on those
    answers, so a newer revision refuses it (Conflict ``stale``) and the page is shown again.
    A conflict settled already is refused (Conflict ``resolved``), a choice that is not one of
    the two values is Invalid (``choice``), an unknown conflict NotFound. The kept value is
    written as the next revision (occasion "resolution", even when it is the value stored
    now), and the conflict records who settled it, when, and in which revision.
    """
    conflicts, conflict = open_conflict(response, index=index, question=question, seen=seen)
    if keep not in CONFLICT_CHOICES:
        raise Invalid("choice")
    answers = dict(response.answers)
    chosen = conflict.get(keep)
    if is_empty(chosen):
        answers.pop(question, None)
    else:
        answers[question] = chosen
    return settle(response, author, conflicts, conflict, keep=keep, answers=answers)


def open_conflict(
    response: Response, *, index: int, question: str, seen: int
) -> tuple[list[dict[str, Any]], dict[str, Any]]:
    """The response's conflicts (copies to change) and conflict ``index``, if it may be settled
    now: it exists (else NotFound), is not settled (Conflict ``resolved``), and the page that
    settles it showed the current revision (Conflict ``stale``)."""
    conflicts = [dict(c) for c in response.conflicts or []]
    if not 0 <= index < len(conflicts) or conflicts[index].get("question") != question:
        raise NotFound("conflict")
    conflict = conflicts[index]
    if conflict.get("resolved"):
        raise Conflict("resolved", current=response)
    if seen != response.revision:
        raise Conflict("stale", current=response)
    return conflicts, conflict


def settle(
    response: Response,
    author: Author,
    conflicts: list[dict[str, Any]],
    conflict: dict[str, Any],
    *,
    keep: str,
    answers: dict[str, Any],
) -> Receipt:
    """Record ``conflict`` as settled (who, when, in which revision, what was kept) and write
    ``answers`` as the next revision (occasion "resolution"), audited."""
    conflict["resolved"] = {
        "keep": keep,
        "by": author.source,
        "staff": author.staff.id if author.staff else None,
        "revision": response.revision + 1,
        "at": utcnow().isoformat(),
    }
    response.conflicts = conflicts
    receipt = write(
        response,
        Author(author.source, author.actor, occasion="resolution"),
        base=response.revision,
        answers=answers,
        status=response.status,
    )
    target = f"response:{response.id}#{conflict['question']}"
    audit.record(
        author.actor, "response.conflict_resolved", target, response.participant.municipality_id
    )
    return receipt


def open_conflicts(conflicts: list[dict[str, Any]] | None) -> int:
    """Return how many of a response's recorded conflicts are not settled yet."""
    return sum(1 for c in conflicts or [] if not c.get("resolved"))


@dataclass(frozen=True)
class Moved:
    """A response moved to a newer version: its new receipt and what the move did."""

    receipt: Receipt
    left_behind: list[str]
    new_questions: list[str]


def move_to_version(response: Response, version: QuestionnaireVersion, author: Author) -> Moved:
    """Move an unfinished response to a newer version of its questionnaire, as a revision.

    The answers that fit the new version (same question id, same form of answer, accepted by
    its rules) move; the others stay in the last revision on the old version and are listed
    in ``response.version_moves`` for the counsellor. A sent response, or a version that is
    not newer, is refused (Conflict).
    """
    old = response.version
    if response.status != "draft":
        raise Conflict("submitted", current=response)
    if version.questionnaire_id != old.questionnaire_id or version.number <= old.number:
        raise Conflict("version", current=response)
    moved = moving.move(old.definition, version.definition, response.answers)
    now = utcnow()
    kept_pointers = {f"/{qid}" for qid in moved.answers}
    response.text_languages = {
        pointer: lang
        for pointer, lang in (response.text_languages or {}).items()
        if "/" + pointer.split("/")[1] in kept_pointers
    }
    response.version_moves = [
        *(response.version_moves or []),
        {
            "from": old.number, "to": version.number, "revision": response.revision,
            "left_behind": moved.left_behind, "new_questions": moved.new_questions,
            "at": now.isoformat(),
        },
    ]  # fmt: skip
    response.version = version
    response.answers = moved.answers
    response.revision = response.revision + 1
    response.updated_at = now
    _record(
        response.id, response.revision, version.id, response.status, moved.answers, now, author,
        response.revision - 1, False, None,
    )  # fmt: skip
    db.session.flush()
    audit.record(
        author.actor, "response.move", f"response:{response.id}@{old.number}->{version.number}",
        response.participant.municipality_id,
    )  # fmt: skip
    receipt = Receipt(response.id, response.revision, response.status, now, moved.answers)
    return Moved(receipt, moved.left_behind, moved.new_questions)


def _same(response: Response, answers: Mapping[str, Any]) -> bool:
    """Is ``answers`` what is stored (a resend of what was already sent)?"""
    cleaned, _errors = validate_answers(response.version.definition, dict(answers), complete=False)
    return cleaned == response.answers


def _base_of(
    response: Response, base: int | None, known: ResponseRevision | None = None
) -> ResponseRevision:
    """Return the revision the writer saw (``known``, if it is that one, read by the caller);
    refuse a missing or unknown one with the state."""
    if base is None or base > response.revision:
        raise Conflict("revision", current=response)
    if known is not None and known.response_id == response.id and known.number == base:
        return known
    found = revision_of(response, base)
    if found is None:
        raise Conflict("revision", current=response)
    return found


def _conflicts(
    response: Response, clashes: list[str], mine: Mapping[str, Any], author: Author, now: datetime
) -> list[dict[str, Any]]:
    """Describe each clash with both values and who wrote each."""
    other_source = revision_of(response, response.revision)
    return [
        {
            "question": question,
            "kept": mine.get(question),
            "kept_by": author.source,
            "other": response.answers.get(question),
            "other_by": other_source.source if other_source else None,
            "revision": response.revision + 1,
            "at": now.isoformat(),
        }
        for question in clashes
    ]


def _tell_counsellor_of_conflict(response: Response, author: Author) -> None:
    """Tell the participant's counsellor that a conflict waits for them, in the write's
    transaction: one unread entry per response at most, however many clashes follow."""
    counsellor = response.participant.counsellor
    if counsellor is None or (author.staff is not None and author.staff.id == counsellor.id):
        return  # the counsellor's own write: they see the conflict on the page they are on
    if not notifications.has_unread(counsellor, "sync_conflict", response):
        notifications.notify(counsellor, "sync_conflict", response=response)


def _audit_submit(
    response_id: str, participant: Participant, version: QuestionnaireVersion, author: Author
) -> None:
    audit.record(
        author.actor, f"response.submit.{author.source}", f"response:{response_id}",
        participant.municipality_id,
    )  # fmt: skip
    # The participant's counsellor hears of it, in the same transaction as the submission.
    if author.source != "staff" and version.definition.audience == "participant":
        notifications.notify(participant.counsellor, "submission", response_id=response_id)


T = TypeVar("T")
ATTEMPTS = 5


class Busy(Exception):
    """Other writers kept winning; the caller should ask the person to try again."""


def retrying(work: Callable[[], T], attempts: int = ATTEMPTS) -> T:
    """Run ``work`` and commit; when another writer stored a revision first, run it again.

    A lost race shows up as StaleDataError (the optimistic lock), IntegrityError (the same new
    revision number or response id) or, on SQLite, a lock timeout. Each attempt sees the
    newest state, so the write is merged onto it by the usual rules.
    """
    for attempt in range(attempts):
        try:
            result = work()
            db.session.commit()
            return result
        except (StaleDataError, IntegrityError, OperationalError) as error:
            db.session.rollback()
            if isinstance(error, OperationalError) and "locked" not in str(error).lower():
                raise
            log.info("concurrent write, attempt %d: %s", attempt + 1, type(error).__name__)
        except Exception:
            db.session.rollback()
            raise
    raise Busy()
