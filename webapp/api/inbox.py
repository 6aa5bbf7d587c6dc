"""The participant's inbox: every notification, pushed or not, with its text in their language."""

from __future__ import annotations

import sqlalchemy as sa
from flask import abort
from sqlalchemy.orm import aliased

from ..extensions import db
from ..models import Notification, Questionnaire, QuestionnaireVersion, Response
from ..services import notifications
from .base import bp, participant
from .schemas import NOTIFICATION_ID_PATTERN, InboxEntrySchema, InboxSchema, whole_match


def _slugs(entries: list[Notification]) -> dict[int, str | None]:
    """Return the slug of the questionnaire each entry is about (its own, or its response's),
    for all of them in one statement: read one by one, each entry cost three (issue 12)."""
    if not entries:
        return {}
    named, of_response = aliased(Questionnaire), aliased(Questionnaire)
    rows = db.session.execute(
        sa.select(Notification.id, sa.func.coalesce(named.slug, of_response.slug))
        .outerjoin(named, named.id == Notification.questionnaire_id)
        .outerjoin(Response, Response.id == Notification.response_id)
        .outerjoin(QuestionnaireVersion, QuestionnaireVersion.id == Response.version_id)
        .outerjoin(of_response, of_response.id == QuestionnaireVersion.questionnaire_id)
        .where(Notification.id.in_([entry.id for entry in entries]))
    )
    return {notification_id: slug for notification_id, slug in rows}


def _entry(notification: Notification, slug: str | None) -> dict:
    return {
        "id": notification.public_id,
        "kind": notification.kind,
        "text": notifications.text_for(notification.kind),
        "created_at": notification.created_at,
        "read_at": notification.read_at,
        "response": notification.response_id,
        "questionnaire": slug,
    }


@bp.get("/inbox")
def inbox():
    person = participant()
    entries = notifications.inbox(person)
    slugs = _slugs(entries)
    return InboxSchema().dump({"entries": [_entry(n, slugs[n.id]) for n in entries]})


@bp.post("/inbox/<notification_id>/read")
def inbox_read(notification_id: str):
    person = participant()
    if not whole_match(NOTIFICATION_ID_PATTERN, notification_id):
        abort(404)
    notification = notifications.mark_read(person, notification_id)
    if notification is None:
        abort(404)
    db.session.commit()
    return InboxEntrySchema().dump(_entry(notification, _slugs([notification])[notification.id]))
