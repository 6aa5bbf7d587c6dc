"""Who of the staff read a participant's answers, and when: recorded, and shown to them.

Every staff read of a participant's answers (the response page and its history, the
participant's page, the export) is an audit event naming who, what and when, never the
answers (docs/privacy.md). The participant sees the reads of their own data: their page,
their answers to their questionnaires, and downloads of all their data; the counsellor's
own forms about them are not listed (the participant does not see those forms either).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

import sqlalchemy as sa

from ..extensions import db
from ..models import (
    AuditEvent,
    Participant,
    Questionnaire,
    QuestionnaireVersion,
    Response,
    StaffUser,
)
from . import audit, notifications

#: Audit actions that are reads, and what each read.
#: A read names the participant, or one response (listed only if it is to one of their own
#: questionnaires: an export of the counsellor's forms about them names the responses).
READ_ACTIONS = {"participant.read": "participant", "response.read": "response",
                "participant.export": "export", "participant.print": "export",
                "participant.in_export": "export", "response.in_export": "export"}  # fmt: skip
SHOWN = 100  # the newest reads shown to the participant


def record_participant(actor: StaffUser, participant: Participant) -> None:
    audit.record(actor, "participant.read", f"participant:{participant.id}")


def record_print(actor: StaffUser, participant: Participant) -> None:
    """Record that staff opened the printable record: the participant sees it as an export."""
    audit.record(actor, "participant.print", f"participant:{participant.id}")


def record_response(actor: StaffUser, response: Response) -> None:
    """Record a read of the response; the actor's inbox entries about it (answers sent in, a
    sync conflict) are read with it, as if opened from the inbox."""
    audit.record(actor, "response.read", f"response:{response.id}")
    notifications.mark_read_about(actor, response)


@dataclass
class Read:
    at: datetime
    by: str  # the staff member's name
    what: str  # "participant" | "response" | "export"
    response: Response | None = None


def reads_of(participant: Participant) -> list[Read]:
    """Return the newest staff reads of the participant's own data, newest first."""
    own = {
        r.id: r
        for r in db.session.scalars(
            sa.select(Response)
            .join(QuestionnaireVersion)
            .join(Questionnaire)
            .where(
                Response.participant_id == participant.id,
                Questionnaire.audience == "participant",
            )
        )
    }
    targets = [f"participant:{participant.id}", *(f"response:{rid}" for rid in own)]
    events = db.session.scalars(
        sa.select(AuditEvent)
        .where(
            AuditEvent.action.in_(READ_ACTIONS),
            AuditEvent.target.in_(targets),
            AuditEvent.actor.like("staff:%"),
            # An id given again (SQLite before migration f4a6b8c0d2e4) brings no one else's
            # reads: nothing about this person happened before they were added.
            AuditEvent.at >= participant.created_at,
        )
        .order_by(AuditEvent.id.desc())
        .limit(SHOWN)
    ).all()
    staff_ids = {int(e.actor.split(":", 1)[1]) for e in events}
    # Nobody read anything yet (the common case for a new participant): no query for names.
    names = (
        dict(
            db.session.execute(
                sa.select(StaffUser.id, StaffUser.name).where(StaffUser.id.in_(staff_ids))
            ).all()
        )
        if staff_ids
        else {}
    )
    # A counsellor who saves a review reads the page again: the same line twice for the
    # participant, who sees reads to the minute. One read per person, thing and minute.
    seen: set[tuple] = set()
    shown = []
    for e in events:
        what = READ_ACTIONS[e.action]
        key = (e.actor, what, e.target, e.at.replace(second=0, microsecond=0))
        if key in seen:
            continue
        seen.add(key)
        shown.append(
            Read(
                at=e.at,
                by=names.get(int(e.actor.split(":", 1)[1]), ""),
                what=what,
                response=own.get(e.target.split(":", 1)[1])
                if e.target.startswith("response:")
                else None,
            )
        )
    return shown
