"""Store a response sent by a phone: idempotent, version-pinned, never older than stored.

The phone names each response by a UUID it made and says which server revision its edits are
based on. This module only decides what a phone request *is* — new, a replay, an older request
overtaken by a newer one from the same phone, or an edit — and hands edits to the one write
path (services/revisions.py), which owns every rule about revisions and merging.
"""

from __future__ import annotations

import hashlib
import json
import threading
from collections import OrderedDict
from dataclasses import dataclass
from datetime import datetime
from functools import cache
from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import aliased, contains_eager

from ..extensions import db
from ..models import Participant, Questionnaire, QuestionnaireVersion, Response, ResponseRevision
from ..questionnaires.published import published_versions
from . import revisions
from .questionnaires import start_rule
from .revisions import Conflict, Invalid, NotFound, Receipt, WriteError

__all__ = ["Conflict", "Invalid", "NotFound", "Receipt", "Submission", "WriteError", "apply"]


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
    #: An id the phone made for itself, and its edit counter for this response when sending.
    device: str | None = None
    sequence: int | None = None


def fingerprint(submission: Submission) -> str:
    """Identify a request by what it asks for, so a replay is recognised as the same request."""
    canonical = json.dumps(
        [
            submission.base_revision,
            submission.status,
            submission.answers,
            submission.device,
            submission.sequence,
        ],
        sort_keys=True,
        separators=(",", ":"),
        ensure_ascii=False,
    )
    return hashlib.sha256(canonical.encode()).hexdigest()


@dataclass
class _Known:
    """The stored revisions an edit from a phone may need."""

    #: The first revision stored for a request with this one's fingerprint: this is a replay.
    replayed: ResponseRevision | None
    #: The newest revision this phone stored of the response (if it says which phone it is).
    own: ResponseRevision | None
    #: Each of those, and the revision the phone names as its base, by number.
    by_number: dict[int, ResponseRevision]


def _known(rows: list[sa.Row]) -> _Known:
    """The revisions an edit may need, from the lookup's rows (``_lookup_statement``)."""
    found = [(revision, replay, own) for *_, revision, replay, own in rows if revision]
    return _Known(
        replayed=next((revision for revision, replay, _own in found if replay), None),
        own=next((revision for revision, _replay, own in found if own), None),
        by_number={revision.number: revision for revision, *_flags in found},
    )


def _revision_flags() -> tuple[sa.ColumnElement[bool], sa.ColumnElement[bool]]:
    """Whether a revision of the response is the replayed one (the first stored for a request
    with this fingerprint) and whether it is this phone's newest (a NULL device finds none)."""
    other = aliased(ResponseRevision)

    def first(condition: sa.ColumnElement[bool], *order: sa.ColumnElement) -> sa.ScalarSelect:
        return (
            sa.select(other.id)
            .where(other.response_id == sa.bindparam("response_id"), condition)
            .order_by(*order)
            .limit(1)
            .scalar_subquery()
        )

    replayed = ResponseRevision.id == first(
        other.fingerprint == sa.bindparam("fingerprint"), other.number
    )
    # The newest revision, not the highest sequence: a phone signed in again counts from 1
    # (records.adoptServer), and its writes are newer than any of its earlier ones.
    own = ResponseRevision.id == first(
        sa.and_(other.device == sa.bindparam("device"), other.sequence.is_not(None)),
        other.number.desc(),
    )
    return replayed, own


@cache
def _lookup_statement() -> sa.Select:
    """What every phone write needs to know first, in one query built once per process: the
    version it names with its questionnaire, the stored response of its id (None if new),
    for a new one whether this participant may start it (questionnaires.start_rule), and for
    a stored one each revision an edit may need (the replayed one, this phone's newest, the
    base it names: a row each, flagged), or one row with none. Those revisions were a query
    of their own until session 21, and the rest three once, each a round trip of every sync
    request (issue 12)."""
    new_and_allowed = sa.case((Response.id.is_(None), start_rule()), else_=sa.false())
    replayed, own = _revision_flags()
    needed = sa.or_(replayed, own, ResponseRevision.number == sa.bindparam("base"))
    return (
        sa.select(
            QuestionnaireVersion,
            Response,
            new_and_allowed,
            ResponseRevision,
            sa.func.coalesce(replayed, False),
            sa.func.coalesce(own, False),
        )  # fmt: skip
        .join(QuestionnaireVersion.questionnaire)
        .outerjoin(Response, Response.id == sa.bindparam("response_id"))
        .outerjoin(ResponseRevision, sa.and_(ResponseRevision.response_id == Response.id, needed))
        .where(
            Questionnaire.slug == sa.bindparam("slug"),
            QuestionnaireVersion.number == sa.bindparam("number"),
        )
        .options(contains_eager(QuestionnaireVersion.questionnaire))
    )


class _Pins:
    """The published versions phones send answers to, by questionnaire slug and version
    number: (version id, content hash). Per process, bounded; an entry is only a guess,
    which the statement that uses it checks (``_start_statement``)."""

    def __init__(self, max_entries: int = 256) -> None:
        self.max_entries = max_entries
        self._entries: OrderedDict[tuple[str, int], tuple[int, str]] = OrderedDict()
        self._lock = threading.Lock()

    def get(self, slug: str, number: int) -> tuple[int, str] | None:
        with self._lock:
            return self._entries.get((slug, number))

    def pin(self, version: QuestionnaireVersion) -> None:
        key = (version.questionnaire.slug, version.number)
        with self._lock:
            self._entries[key] = (version.id, version.content_hash)
            self._entries.move_to_end(key)
            while len(self._entries) > self.max_entries:
                self._entries.popitem(last=False)

    def clear(self) -> None:
        with self._lock:
            self._entries.clear()


pins = _Pins()


@cache
def _start_statement() -> sa.Select:
    """A row if the pinned version is still the one its slug and number name, with the same
    content, and this participant may start a response to it now (start_rule): what ``apply``
    checks before a new response, put in the statement that writes it."""
    return (
        sa.select(sa.literal_column("1"))
        .select_from(QuestionnaireVersion)
        .join(QuestionnaireVersion.questionnaire)
        .where(
            QuestionnaireVersion.id == sa.bindparam("version_id"),
            QuestionnaireVersion.content_hash == sa.bindparam("content_hash"),
            QuestionnaireVersion.number == sa.bindparam("number"),
            Questionnaire.slug == sa.bindparam("slug"),
            start_rule(),
        )
    )


class _Unknown(Exception):
    """A pinned version no longer stored as it was pinned."""


def _stored_document(version_id: int, content_hash: str) -> dict[str, Any]:
    """The pinned version's document, if it is still stored with the content pinned (else
    another content would be kept under the pinned content's key)."""
    found = db.session.execute(
        sa.select(QuestionnaireVersion.document).where(
            QuestionnaireVersion.id == version_id,
            QuestionnaireVersion.content_hash == content_hash,
        )
    ).first()
    if found is None:
        raise _Unknown(version_id)
    return found[0]


def _start_at_once(
    participant: Participant, submission: Submission, author: revisions.Author, print_: str
) -> Receipt | None:
    """Store a phone's new draft in one statement that also checks what ``apply`` would
    check first; None, with nothing written, when anything is not as usual (an id already
    stored, a version not pinned or changed, not offered, answers not valid)."""
    pinned = pins.get(submission.questionnaire, submission.version)
    if pinned is None:
        return None
    version_id, content_hash = pinned
    try:
        definition = published_versions.definition(
            version_id, content_hash, lambda: _stored_document(version_id, content_hash)
        )
    except _Unknown:
        return None
    if definition.audience != "participant":
        return None
    return revisions.create_if_allowed(
        participant, version_id, definition, author,
        (_start_statement(), {
            "version_id": version_id, "content_hash": content_hash,
            "number": submission.version, "slug": submission.questionnaire,
            "municipality_id": participant.municipality_id, "participant_id": participant.id,
        }),
        response_id=submission.id, answers=submission.answers,
        given_languages=submission.text_languages, fingerprint=print_,
    )  # fmt: skip


def apply(participant: Participant, submission: Submission) -> Receipt:
    """Store a submission from ``participant``'s phone and return the receipt.

    Raises NotFound, Conflict or Invalid (see services/revisions.py). Run it inside
    ``revisions.retrying`` so a lost race with another writer is run again.
    """
    from_phone = submission.device is not None and submission.sequence is not None
    author = revisions.Author(
        "phone",
        participant,
        submission.device if from_phone else None,
        submission.sequence if from_phone else None,
    )
    print_ = fingerprint(submission)
    if submission.base_revision is None and submission.status == "draft":
        # A new draft, most likely: written with its checks in one statement when the
        # version is known here; anything else (a replay, say) goes the usual way below.
        receipt = _start_at_once(participant, submission, author, print_)
        if receipt is not None:
            return receipt
    rows = db.session.execute(
        _lookup_statement(),
        {"slug": submission.questionnaire, "number": submission.version,
         "response_id": submission.id, "municipality_id": participant.municipality_id,
         "participant_id": participant.id, "fingerprint": print_,
         "device": submission.device if from_phone else None,
         "base": submission.base_revision},
    ).all()  # fmt: skip
    if not rows or rows[0][0].definition.audience != "participant":
        raise NotFound("questionnaire")
    version, response, may_start = rows[0][:3]
    pins.pin(version)
    if response is None:
        # Starting a response needs the questionnaire to be offered to this participant now
        # (any version of it: a phone may have started on the version it had cached).
        if not may_start:
            raise NotFound("questionnaire")
        return revisions.create(
            participant, version, author, response_id=submission.id,
            answers=submission.answers, status=submission.status,
            given_languages=submission.text_languages, fingerprint=print_,
        )  # fmt: skip
    if response.participant_id != participant.id:
        raise NotFound("response")  # another person's id: as if it did not exist
    if response.version_id != version.id:
        if response.version.definition.audience != "participant":
            raise NotFound("response")  # the counsellor's questionnaire about them: not theirs
        raise Conflict("version", current=response)
    known = _known(rows)
    if known.replayed is not None:
        return revisions.replayed_receipt(response, known.replayed)
    base, base_answers = submission.base_revision, None
    own = known.own
    if (
        own is not None
        and own.sequence >= submission.sequence
        and (base is None or base < own.number)
    ):
        # A delayed request, overtaken by a newer one from the same phone: it changes nothing.
        # One based on that newer revision (or later) was sent after it, whatever its sequence
        # says: the phone signed in again and counts from 1.
        return revisions.current_receipt(response, superseded=True)
    if own is not None and (base is None or own.number > base):
        # The phone never heard back about its own later write (a lost reply): its edits since
        # are based on what it sent then, not on the older revision it names.
        base = own.number
        base_answers = own.sent_answers if own.sent_answers is not None else own.answers
    return revisions.write(
        response, author, base=base, answers=submission.answers,
        status=submission.status, given_languages=submission.text_languages,
        fingerprint=print_, base_answers=base_answers, known_base=known.by_number.get(base),
    )  # fmt: skip
