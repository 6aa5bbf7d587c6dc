"""The participant's inbox: every notification, pushed or not, with its text in their language."""

from __future__ import annotations

import re

from flask import abort

from ..extensions import db
from ..models import Notification, Questionnaire, Response
from ..services import notifications
from .base import bp, participant
from .schemas import NOTIFICATION_ID_PATTERN, InboxEntrySchema, InboxSchema


def _entry(notification: Notification) -> dict:
    questionnaire = (
        db.session.get(Questionnaire, notification.questionnaire_id)
        if notification.questionnaire_id is not None
        else None
    )
    response = (
        db.session.get(Response, notification.response_id)
        if notification.response_id is not None
        else None
    )
    if questionnaire is None and response is not None:
        questionnaire = response.version.questionnaire
    return {
        "id": notification.public_id,
        "kind": notification.kind,
        "text": notifications.text_for(notification.kind),
        "created_at": notification.created_at,
        "read_at": notification.read_at,
        "response": notification.response_id,
        "questionnaire": questionnaire.slug if questionnaire is not None else None,
    }


@bp.get("/inbox")
def inbox():
    person = participant()
    return InboxSchema().dump({"entries": [_entry(n) for n in notifications.inbox(person)]})


@bp.post("/inbox/<notification_id>/read")
def inbox_read(notification_id: str):
    person = participant()
    if not re.match(NOTIFICATION_ID_PATTERN, notification_id):
        abort(404)
    notification = notifications.mark_read(person, notification_id)
    if notification is None:
        abort(404)
    db.session.commit()
    return InboxEntrySchema().dump(_entry(notification))
