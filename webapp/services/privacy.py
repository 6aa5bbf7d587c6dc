"""GDPR: a participant's complete data (right of access), erasure, and retention.

Erasure removes the participant, their responses with every revision and review, and their
sessions. The audit trail stays (it is append-only) and was always pseudonymous: it names
records by id ("participant:7"), and once the participant row is gone nothing links that id
to a person: an id is never given to anyone again (models/tenancy.py).
"""

from __future__ import annotations

import logging
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
)
from ..models.types import utcnow
from . import audit

log = logging.getLogger(__name__)

EXPORT_FORMAT = 1


def _when(value: date | datetime | None) -> str | None:
    return value.isoformat() if value is not None else None


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
    label = f"participant:{participant.id}"
    events = db.session.scalars(
        sa.select(AuditEvent)
        .where(
            sa.or_(AuditEvent.actor == label, AuditEvent.target == label),
            # Not an erased person's events, should their id have been given again (SQLite
            # before migration f4a6b8c0d2e4): nothing about this person is older than them.
            AuditEvent.at >= participant.created_at,
        )
        .order_by(AuditEvent.id)
    ).all()
    devices = db.session.scalars(
        sa.select(LoginSession)
        .where(LoginSession.participant_id == participant.id)
        .order_by(LoginSession.created_at)
    ).all()
    steps = sa.select(NextStep).where(NextStep.participant_id == participant.id)
    if not complete:
        steps = steps.where(NextStep.shown_to_participant.is_(True))
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
            for n in db.session.scalars(steps.order_by(NextStep.id))
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
    """Delete the participant and everything about them (the caller commits)."""
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
        erase(participant, None)
    db.session.commit()
    log.info("privacy purge: %d participants erased: %s", len(ids), ids)
    return ids
