"""GDPR: a participant's complete data (right of access), erasure, and retention.

Erasure removes the participant, their responses with every revision and review, and their
sessions. The audit trail stays (it is append-only) and was always pseudonymous: it names
records by id ("participant:7"), and once the participant row is gone nothing links that id
to a person: an id is never given to anyone again (models/tenancy.py).
"""

from __future__ import annotations

import logging
import string
from datetime import date, datetime, timedelta
from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import contains_eager, joinedload, selectinload

from ..extensions import db
from ..models import (
    AuditEvent,
    Comment,
    Delivery,
    LoginSession,
    NextStep,
    Notification,
    Participant,
    PushSubscription,
    Questionnaire,
    QuestionnaireAssignment,
    QuestionnaireVersion,
    Response,
    ResponseRevision,
    Review,
    SharedResource,
    name_search,
)
from ..models.types import utcnow
from . import audit

log = logging.getLogger(__name__)

EXPORT_FORMAT = 1


def _when(value: date | datetime | None) -> str | None:
    return value.isoformat() if value is not None else None


#: Characters of a record's id ("7", a response's UUID). An audit target names a record by its
#: label ("participant:7", "response:<uuid>"), alone or followed by what in it was acted on
#: (":step:3", ":comment:12", ":in_review", "#question", "@1->2"): never by another id character,
#: which would make it a longer id, someone else's ("participant:12" is not participant 1's).
_ID_CHARACTERS = tuple(string.ascii_letters + string.digits + "-_")
#: Audit actions whose target is "<questionnaire slug>:<participant id>".
_ASSIGNMENTS = ("questionnaire.assign", "questionnaire.unassign")


def _naming(labels: list[str]) -> sa.ColumnElement[bool]:
    """Whether an audit event's target names one of the records ``labels``, or a part of it."""
    by_length: dict[int, list[str]] = {}
    for label in labels:
        by_length.setdefault(len(label), []).append(label)
    target = AuditEvent.target
    return sa.or_(
        *(
            sa.and_(
                sa.func.substr(target, 1, length).in_(group),
                # Past the end of the target this is "", which is no id character either.
                sa.func.substr(target, length + 1, 1).not_in(_ID_CHARACTERS),
            )
            for length, group in by_length.items()
        ),
        sa.false(),
    )


def _about(participant: Participant, response_ids: list[str]) -> sa.ColumnElement[bool]:
    """Whether an audit event is about the participant: done by them, or to them or anything
    of theirs (their record and its plan steps, shared resources and counsellor; the responses
    given, with their reads, reviews, comments, conflicts and moves; the questionnaires
    offered to them alone). One condition: no statement per response."""
    label = f"participant:{participant.id}"
    return sa.or_(
        AuditEvent.actor == label,
        _naming([label, *(f"response:{rid}" for rid in response_ids)]),
        sa.and_(
            AuditEvent.action.in_(_ASSIGNMENTS),
            AuditEvent.target.like(f"%:{participant.id}"),
        ),
    )


def _shown_to_participant(
    participant: Participant,
    events: list[AuditEvent],
    responses: list[Response],
    steps: list[NextStep],
) -> list[AuditEvent]:
    """Leave out the entries about what only staff see: the events of the counsellor's own
    questionnaires are not there already (their responses are not in the participant's
    download), and here go those of staff notes and of plan steps hidden from them. A read
    is kept whenever services/reads.py lists it to them."""
    messages = {
        f"response:{r.id}:comment:{c.id}"
        for r in responses
        for c in r.comments
        if c.kind == "message"
    }
    label = f"participant:{participant.id}"
    shown_steps = {f"{label}:step:{n.id}" for n in steps}

    def shown(event: AuditEvent) -> bool:
        target = event.target
        if target.startswith("response:") and ":comment:" in target:
            return target in messages
        if target.startswith(f"{label}:step:"):
            return target in shown_steps
        return True

    return [e for e in events if shown(e)]


def export(participant: Participant, *, complete: bool) -> dict[str, Any]:
    """Return the participant's data, as JSON-ready data.

    ``complete`` is the counsellor's download: everything stored about the participant, staff
    notes included, for the municipality to answer an access request with (it decides what of
    the internal notes it discloses, docs/privacy.md). Without it, this is the participant's own
    download from the app: all they gave and all that was done with it, but nothing the
    product tells staff only the staff see. So no notes between staff, no review notes, no
    questionnaires the counsellor fills in about them, and no plan steps hidden from them.
    """
    # Each response with everything it lists, loaded for all of them at once: a fixed number of
    # statements however much there is (tests/test_page_queries.py), not a few per response.
    query = sa.select(Response).join(Response.version).join(QuestionnaireVersion.questionnaire)
    query = query.where(Response.participant_id == participant.id)
    if not complete:
        query = query.where(Questionnaire.audience == "participant")
    responses = db.session.scalars(
        query.order_by(Response.created_at).options(
            contains_eager(Response.version).contains_eager(QuestionnaireVersion.questionnaire),
            selectinload(Response.revisions),
            selectinload(Response.comments).joinedload(Comment.author),
            selectinload(Response.reviews).joinedload(Review.reviewer),
        )
    ).all()
    steps = sa.select(NextStep).where(NextStep.participant_id == participant.id)
    if not complete:
        steps = steps.where(NextStep.shown_to_participant.is_(True))
    steps = db.session.scalars(steps.order_by(NextStep.id)).all()
    events = db.session.scalars(
        sa.select(AuditEvent)
        .where(
            _about(participant, [r.id for r in responses]),
            # Not an erased person's events, should their id have been given again (SQLite
            # before migration f4a6b8c0d2e4): nothing about this person is older than them.
            AuditEvent.at >= participant.created_at,
        )
        .order_by(AuditEvent.id)
    ).all()
    if not complete:
        events = _shown_to_participant(participant, events, responses, steps)
    devices = db.session.scalars(
        sa.select(LoginSession)
        .where(LoginSession.participant_id == participant.id)
        .order_by(LoginSession.created_at)
    ).all()
    return {
        "format": EXPORT_FORMAT,
        "contents": "complete" if complete else "participant",
        "exported_at": _when(utcnow()),
        "participant": {
            "id": participant.id,
            "display_name": participant.display_name,
            "language": participant.language,
            "show_norwegian": participant.show_norwegian,
            "municipality": participant.municipality.name,
            "counsellor": participant.counsellor.name,
            "created_at": _when(participant.created_at),
            "joined_at": _when(participant.joined_at),
            "left_programme_at": _when(participant.left_programme_at),
            "programme": participant.programme,
            "programme_start": _when(participant.programme_start),
            "mapping_completed_on": _when(participant.mapping_completed_on),
            "guidance_completed_on": _when(participant.guidance_completed_on),
            "guidance_offered_on": _when(participant.guidance_offered_on),
            "guidance_centre": participant.guidance_centre,
            "invite_expires_at": _when(participant.invite_expires_at),
        },
        "responses": [
            {
                "id": r.id,
                "questionnaire": r.version.questionnaire.slug,
                "version": r.version.number,
                "filled_in_by": "counsellor" if r.author_id else "participant",
                "status": r.status,
                "answers": r.answers,
                "text_languages": r.text_languages or {},
                "conflicts": r.conflicts or [],
                "created_at": _when(r.created_at),
                "updated_at": _when(r.updated_at),
                "submitted_at": _when(r.submitted_at),
                "revisions": [
                    {
                        "number": v.number,
                        "status": v.status,
                        "answers": v.answers,
                        "source": v.source,
                        "received_at": _when(v.received_at),
                    }
                    for v in r.revisions
                ],  # fmt: skip
                "comments": [
                    {
                        "kind": c.kind,
                        "body": c.body,
                        "by": c.author.name,
                        "at": _when(c.created_at),
                        "edited_at": _when(c.edited_at),
                    }
                    for c in r.comments
                    if complete or c.kind == "message"
                ],  # fmt: skip
                "reviews": [
                    {
                        "status": v.status,
                        "message": v.message,
                        **({"note": v.note} if complete else {}),
                        "by": v.reviewer.name,
                        "at": _when(v.created_at),
                    }
                    for v in r.reviews
                ],  # fmt: skip
            }
            for r in responses
        ],
        "shared_resources": [
            {
                "url": e.resource.url,
                "title": e.resource.title.get("nb", ""),
                "note": e.note,
                "by": e.shared_by.name,
                "at": _when(e.shared_at),
            }
            for e in db.session.scalars(
                sa.select(SharedResource)
                .where(SharedResource.participant_id == participant.id)
                .order_by(SharedResource.id)
                .options(joinedload(SharedResource.resource), joinedload(SharedResource.shared_by))
            )
        ],  # fmt: skip
        "next_steps": [
            {
                "goal": n.goal,
                "action": n.action,
                "responsible": n.responsible,
                "due_on": _when(n.due_on),
                "status": n.status,
                "shown_to_participant": n.shown_to_participant,
                "created_at": _when(n.created_at),
                "updated_at": _when(n.updated_at),
            }
            for n in steps
        ],  # fmt: skip
        "devices": [
            {
                "device": d.device,
                "signed_in_at": _when(d.created_at),
                "last_used_at": _when(d.last_seen_at),
                "ended_at": _when(d.ended_at),
            }
            for d in devices
        ],  # fmt: skip
        "log": [
            {"at": _when(e.at), "who": e.actor, "action": e.action, "record": e.target}
            for e in events
        ],
        "notifications": [
            {
                "kind": n.kind,
                "response": n.response_id,
                "at": _when(n.created_at),
                "read_at": _when(n.read_at),
            }
            for n in db.session.scalars(
                sa.select(Notification)
                .where(Notification.participant_id == participant.id)
                .order_by(Notification.created_at)
            )
        ],
    }


def erase(participant: Participant, actor) -> None:
    """Delete the participant and everything about them (the caller commits, then calls
    ``empty_log``)."""
    _erase(participant, actor)
    _drop_erased_names()


def empty_log() -> None:
    """After an erasure is committed, on the embedded database: copy the write-ahead log into
    the database file and empty the log.

    secure_delete overwrites what is deleted in the database file, but the log still held the
    pages written before, answers and name included, until later writes happened to reuse
    them (hours or days on a quiet server): a copy of the instance folder held the erased
    answers. PostgreSQL's own log is the operator's backup concern (docs/privacy.md).
    """
    if db.engine.dialect.name != "sqlite":
        return
    with db.engine.connect() as connection:
        busy, _frames, _copied = connection.exec_driver_sql("PRAGMA wal_checkpoint(TRUNCATE)").one()
    if busy:  # a reader held the log for longer than the busy timeout: later writes reuse it
        log.warning("privacy: the database's write-ahead log could not be emptied now")


def _erase(participant: Participant, actor) -> None:
    response_ids = sa.select(Response.id).where(Response.participant_id == participant.id)
    # Their inbox, and staff notifications about their responses, with every push record.
    theirs = (Notification.participant_id == participant.id) | Notification.response_id.in_(
        response_ids
    )
    db.session.execute(
        sa.delete(Delivery).where(
            Delivery.notification_id.in_(sa.select(Notification.id).where(theirs))
        )
    )
    db.session.execute(
        sa.delete(Notification).where(theirs).execution_options(synchronize_session=False)
    )
    db.session.execute(
        sa.delete(PushSubscription).where(PushSubscription.participant_id == participant.id)
    )
    db.session.execute(sa.delete(Review).where(Review.response_id.in_(response_ids)))
    db.session.execute(sa.delete(Comment).where(Comment.response_id.in_(response_ids)))
    db.session.execute(
        sa.delete(ResponseRevision).where(ResponseRevision.response_id.in_(response_ids))
    )
    db.session.execute(sa.delete(Response).where(Response.participant_id == participant.id))
    db.session.execute(sa.delete(LoginSession).where(LoginSession.participant_id == participant.id))
    db.session.execute(
        sa.delete(SharedResource).where(SharedResource.participant_id == participant.id)
    )
    db.session.execute(sa.delete(NextStep).where(NextStep.participant_id == participant.id))
    # The questionnaires offered to them alone: the rows block the delete on PostgreSQL, and on
    # SQLite they stayed, so a participant given the same id later was offered them.
    db.session.execute(
        sa.delete(QuestionnaireAssignment).where(
            QuestionnaireAssignment.participant_id == participant.id
        )
    )
    audit.record(
        actor, "participant.erase", f"participant:{participant.id}", participant.municipality_id
    )
    db.session.delete(participant)


def _drop_erased_names() -> None:
    """On SQLite, rewrite the name search's index without the names just erased.

    Deleting a row from the FTS5 table (the trigger on ``participant``) only marks its entries
    deleted: the name's trigrams stay in the stored segments (``participant_name_search_data``)
    until a merge happens to reach them, which may be never. SQLite 3.44's ``secure-delete``
    option removes them at once; without it (Debian 12 has 3.40), ``optimize`` merges every
    segment into one and leaves the deleted entries out. It rewrites the whole index (10-20 ms
    for 10,000 names, 0.2-0.3 s for 100,000, commit included), in the erasure's own
    transaction: the name leaves the index when the erasure is committed, or neither happens.

    PostgreSQL needs nothing: its trigram index is an ordinary index of ``participant``, and a
    deleted row's entries go with the row when (auto)vacuum removes it.
    """
    if db.session.get_bind().dialect.name != "sqlite":
        return
    db.session.flush()  # the participant's DELETE, whose trigger marks the name deleted
    table = name_search.SQLITE_TABLE
    db.session.execute(sa.text(f"INSERT INTO {table}({table}) VALUES ('optimize')"))


def due_for_purge(retention_days: int, now: datetime | None = None) -> list[Participant]:
    """Return participants who left the programme more than ``retention_days`` ago."""
    cutoff = (now or utcnow()) - timedelta(days=retention_days)
    return list(
        db.session.scalars(
            sa.select(Participant)
            .where(Participant.left_programme_at.is_not(None))
            .where(Participant.left_programme_at < cutoff)
            .order_by(Participant.id)
        )
    )


def purge(retention_days: int, *, dry_run: bool, now: datetime | None = None) -> list[int]:
    """Erase everyone past the retention period; return their ids. Safe to run again."""
    due = due_for_purge(retention_days, now)
    ids = [p.id for p in due]
    if dry_run:
        log.info("privacy purge (dry run): %d participants due", len(ids))
        return ids
    for participant in due:
        _erase(participant, None)
    _drop_erased_names()  # once for all of them: it rewrites the whole index
    db.session.commit()
    empty_log()
    log.info("privacy purge: %d participants erased: %s", len(ids), ids)
    return ids
